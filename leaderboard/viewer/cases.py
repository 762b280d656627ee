"""Case studies for the paper's Figure 8: GRPO-D vs SFT, side by side, on every cross-task cell.

Why: the paper argues from samples where GRPO-D answers a task it was not trained on and SFT
does not. Picking those by hand invites cherry-picking; ``othink-bench leaderboard --viewer DIR``
instead writes the viewer's side-by-side page (:func:`leaderboard.viewer.pages.render_compare_page`,
samples where exactly one run is right first) for each cross-task pair the board compares with
SFT, with the same SFT run the board's "vs SFT" column uses, and links each page from the
board's cross-task section.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leaderboard.blocks import Block, Board, Heading, Paragraph, TableBlock
from leaderboard.cells import DisplayCell, DisplayTable
from leaderboard.viewer.template import compare_name

CASE_METHOD = "grpod"  # compared with the SFT run of the same cross-task cell
SECTION = "Cross-task results"


@dataclass(frozen=True)
class CaseStudy:
    """One cross-task cell: the GRPO-D run (A) and the SFT run (B) on the same eval column."""

    model: str  # the GRPO-D row's display name
    train_task: str
    column: str
    run_id: str  # GRPO-D
    sft_run_id: str
    ref: str
    sft_ref: str

    @property
    def page(self) -> str:
        return compare_name(self.run_id, self.sft_run_id)


def case_studies(data: dict[str, Any]) -> list[CaseStudy]:
    """The board's GRPO-D cross-task pairs that have an SFT run, from its JSON data."""
    run_ids = {r["ref"]: r["run_id"] for r in data.get("runs", [])}
    out: list[CaseStudy] = []
    for table in data.get("cross_task", []):
        if table.get("method") != CASE_METHOD:
            continue
        for pair in table.get("pairs", []):
            sft = pair.get("sft_run")
            if sft is None or pair["run"] not in run_ids or sft not in run_ids:
                continue
            out.append(
                CaseStudy(
                    model=table["model"],
                    train_task=pair["train_task"],
                    column=pair["column"],
                    run_id=run_ids[pair["run"]],
                    sft_run_id=run_ids[sft],
                    ref=pair["run"],
                    sft_ref=sft,
                )
            )
    return out


def _rel(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target.resolve(), start.resolve())).as_posix()


def add_case_study_section(
    board: Board, cases: list[CaseStudy], viewer_dir: str | Path, board_dir: str | Path
) -> int:
    """Append the case-study links to the board's cross-task section; returns pages linked."""
    if not cases:
        return 0
    viewer_dir, board_dir = Path(viewer_dir), Path(board_dir)
    rows = []
    linked = 0
    for case in cases:
        page = viewer_dir / case.page
        if page.is_file():
            cell = DisplayCell(f"[side by side]({_rel(page, board_dir)})")
            linked += 1
        else:
            cell = DisplayCell("no page (the runs share no samples)")
        rows.append([
            DisplayCell(case.model),
            DisplayCell(f"{case.train_task} → {case.column}"),
            DisplayCell(case.ref),
            DisplayCell(case.sft_ref),
            cell,
        ])
    blocks: list[Block] = [
        Heading(3, "Case studies: GRPO-D vs SFT"),
        Paragraph(
            "For each cross-task cell, the GRPO-D run (A) and the SFT run the matrix compares it "
            "with (B), sample by sample (the paper's Figure 8); samples where exactly one of "
            "them is right come first."
        ),
        TableBlock(DisplayTable(["model", "train → eval", "GRPO-D", "SFT", "samples"], rows,
                                ["l"] * 5)),
    ]
    at, inside = len(board.blocks), False
    for i, block in enumerate(board.blocks):
        if isinstance(block, Heading) and block.level == 2:
            if inside:  # the section after the cross-task one
                at = i
                break
            inside = block.text == SECTION
    board.blocks[at:at] = blocks
    return linked


__all__ = ["CaseStudy", "add_case_study_section", "case_studies"]
