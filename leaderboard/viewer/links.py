"""Link a board's runs to their sample-viewer pages (``othink-bench leaderboard --viewer``).

The board gets a "Samples" section right after its Runs table: one row per run with a relative
link to the run's page, so the links work in the markdown on a code host and in the HTML opened
from disk alike. Runs without a page are listed as such, never linked to a missing file.
"""

from __future__ import annotations

import os
from pathlib import Path

from leaderboard.blocks import Block, Board, Heading, Paragraph, TableBlock
from leaderboard.cells import DisplayCell, DisplayTable
from leaderboard.viewer.template import INDEX_FILE, page_name


def _rel(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()


def add_viewer_section(board: Board, viewer_dir: str | Path, board_dir: str | Path) -> int:
    """Insert the Samples section into ``board``; returns how many runs were linked."""
    viewer_dir, board_dir = Path(viewer_dir), Path(board_dir)
    rows = []
    linked = 0
    for run in board.data.get("runs", []):
        page = viewer_dir / page_name(run["run_id"])
        if page.is_file():
            cell = DisplayCell(f"[samples]({_rel(page, board_dir)})")
            linked += 1
        else:
            cell = DisplayCell("no page")
        rows.append([DisplayCell(run["ref"]), DisplayCell(f"`{run['run_id']}`"), cell])
    index = viewer_dir / INDEX_FILE
    intro = (
        "Every sample of every run (image, question, output with its `<think>` part folded, "
        "extracted and gold answers, verdicts, errors), built by `othink-bench view`"
    )
    if index.is_file():
        intro += f"; [all runs]({_rel(index, board_dir)})"
    blocks: list[Block] = [
        Heading(2, "Samples"),
        Paragraph(intro + "."),
        TableBlock(DisplayTable(["ref", "run id", "viewer"], rows, ["l", "l", "l"])),
    ]
    at = len(board.blocks)
    for i, block in enumerate(board.blocks):
        if isinstance(block, Heading) and block.level == 2 and block.text == "Runs":
            at = next(
                (j + 1 for j in range(i, len(board.blocks)) if isinstance(board.blocks[j], TableBlock)),
                len(board.blocks),
            )
            break
    board.blocks[at:at] = blocks
    return linked
