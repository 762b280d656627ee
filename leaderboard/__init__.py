"""Leaderboards: pure functions from run records to tables, markdown, HTML, CSV, JSON and plots.

Nothing on a board is typed in: :func:`build_board` reads run directories (``manifest.json`` and
``records.jsonl``), groups records by everything that determines a number (model, method, train
task, step, and the test set: task, task version, source, split, data file, data seed) so that
test sets never mix, and renders the paper's tables (same-task Table 1, cross-task matrices)
with intervals, relative improvements and paired tests, each computed on the samples both runs
scored. Runs that scored nothing are listed as skipped. The package imports neither trainers
nor torch.

    from leaderboard import build_board, write_board
    board = build_board(["runs"], title="My board")
    write_board(board, "board", formats=["md", "json"])
"""

from leaderboard.analysis import Analysis, analyse
from leaderboard.blocks import Board
from leaderboard.collect import Collection, collect
from leaderboard.formats import render_csv, render_html, render_json, render_markdown
from leaderboard.frames import records_frame, runs_frame
from leaderboard.keys import EvalKey, ModelKey
from leaderboard.render import board_from_collection, build_board, write_board
from leaderboard.runs import Run

__all__ = [
    "Analysis",
    "Board",
    "Collection",
    "EvalKey",
    "ModelKey",
    "Run",
    "analyse",
    "board_from_collection",
    "build_board",
    "collect",
    "records_frame",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "runs_frame",
    "write_board",
]
