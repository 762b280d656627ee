"""Build a board from run directories and render it as markdown, HTML, CSV or JSON.

A board is a pure function of the records and manifests it was built from: there is no clock
in it (dates come from the manifests), every collection is sorted before it is shown, and the
plots are byte-stable, so building twice gives the same files byte for byte and a published
board only changes when its runs do. Each board says what it was built from: the task versions,
sources and splits of its columns, the run behind every cell, the runs' dates, package versions,
git revisions and generation settings.

This module puts the sections together in the board's order; each section is built by the
module named for it (:mod:`leaderboard.header`, :mod:`leaderboard.same_task`,
:mod:`leaderboard.seeds`, :mod:`leaderboard.cross_task`, :mod:`leaderboard.generalisation`, :mod:`leaderboard.figures.sweeps`,
:mod:`leaderboard.curves`,
:mod:`leaderboard.provenance`) and rendered by :mod:`leaderboard.formats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from leaderboard.analysis import DEFAULT_PROPOSED, Analysis, analyse
from leaderboard.blocks import Block, Board, Heading
from leaderboard.collect import Collection, collect
from leaderboard.cross_task import cross_blocks
from leaderboard.curves import step_blocks, training_blocks
from leaderboard.export import board_data, board_rows
from leaderboard.figures.board import figure_plots
from leaderboard.figures.sweeps import sweep_blocks, sweep_plots
from leaderboard.formats import FORMATS, RENDERERS
from leaderboard.generalisation import generalisation_blocks
from leaderboard.header import columns_blocks, intro_blocks
from leaderboard.overlap_marks import (
    OverlapSource,
    mark_overlap,
    overlap_blocks,
    read_overlap_report,
)
from leaderboard.plots import PLOTS_DIR, Plot, board_plots
from leaderboard.provenance import environment_blocks, runs_blocks, skipped_blocks
from leaderboard.same_task import breakdown_blocks, table1_blocks
from leaderboard.seeds import seed_blocks
from leaderboard.trajectories import trajectory_blocks
from othink_bench.records import remove_stale_temps, write_atomic

DEFAULT_TITLE = "othink-bench leaderboard"


def build_board(
    paths: Sequence[str | Path],
    *,
    title: str = DEFAULT_TITLE,
    root: str | Path | None = None,
    plots: bool = True,
    proposed: Sequence[str] = DEFAULT_PROPOSED,
    overlap: Sequence[str | Path] = (),
) -> Board:
    """Build a board from run directories or folders holding them (e.g. ``runs/``).

    ``root`` is where the paths the board shows start (default: the folder above the inputs);
    ``proposed`` are the methods under study (not baselines, so never underlined);
    ``overlap``: overlap reports (``othink-bench overlap``) whose cells get marked.
    """
    sources = [read_overlap_report(p) for p in overlap]
    coll = collect(paths, root=root)
    if not coll.runs and coll.skipped:
        reasons = "; ".join(f"{x.path}: {x.reason}" for x in coll.skipped[:5])
        raise ValueError(f"no run scored a sample, so there is nothing to show ({reasons})")
    if not coll.runs:
        raise ValueError(f"no run directories (manifest.json) under {', '.join(map(str, paths))}")
    marked = mark_overlap(coll, sources)
    return board_from_collection(coll, title=title, plots=plots, proposed=tuple(proposed),
                                 overlap=marked)  # fmt: skip


def board_from_collection(
    coll: Collection,
    *,
    title: str = DEFAULT_TITLE,
    plots: bool = True,
    proposed: tuple[str, ...] = DEFAULT_PROPOSED,
    overlap: list[tuple[OverlapSource, list[str]]] | None = None,
) -> Board:
    analysis = analyse(coll, proposed)
    figures = ([*board_plots(analysis), *figure_plots(analysis), *sweep_plots(analysis)]
               if plots else [])
    blocks = _blocks(analysis, title, {p.name: p for p in figures})
    if overlap:
        at = next((i for i, b in enumerate(blocks)
                   if isinstance(b, Heading) and b.text == "Runs"), len(blocks))  # fmt: skip
        blocks[at:at] = overlap_blocks(overlap)
    return Board(
        title=title,
        blocks=blocks,
        data=board_data(analysis, title, figures),
        rows=board_rows(analysis),
        plots=figures,
    )


def _blocks(an: Analysis, title: str, plots: dict[str, Plot]) -> list[Block]:
    """The board's sections, in order."""
    blocks = intro_blocks(an, title)
    blocks += columns_blocks(an)
    blocks += table1_blocks(an)
    blocks += seed_blocks(an)
    blocks += cross_blocks(an, plots)
    blocks += generalisation_blocks(an)
    blocks += breakdown_blocks(an)
    blocks += sweep_blocks(an, plots)
    blocks += step_blocks(an, plots)
    blocks += training_blocks(an.collection.logs, plots)
    blocks += trajectory_blocks(an.collection.logs)
    blocks += runs_blocks(an.collection)
    blocks += skipped_blocks(an.collection)
    blocks += environment_blocks(an.collection)
    return blocks


def write_board(board: Board, out: str | Path, formats: Sequence[str] = ("md",)) -> list[Path]:
    """Write the board's files (README.md, board.html, board.csv, board.json) and plots/*.png."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)  # left by a board write that was killed
    written: list[Path] = []
    for fmt in dict.fromkeys(formats):
        if fmt not in RENDERERS:
            raise ValueError(f"unknown board format {fmt!r}; choose from {', '.join(FORMATS)}")
        path = out / FORMATS[fmt]
        write_atomic(path, RENDERERS[fmt](board))
        written.append(path)
    if board.plots:
        (out / PLOTS_DIR).mkdir(exist_ok=True)
        remove_stale_temps(out / PLOTS_DIR)
        for plot in board.plots:
            path = out / PLOTS_DIR / plot.name
            write_atomic(path, plot.png)
            written.append(path)
    return written

