"""The head of a board: its title, what it was built from, the conventions of its numbers, and
the evaluation columns (the test sets its numbers are on)."""

from __future__ import annotations

import leaderboard.reported as rep
from leaderboard.analysis import Analysis
from leaderboard.blocks import Block, Bullets, Heading, Paragraph, TableBlock
from leaderboard.cells import (
    NOT_FINISHED,
    OVERLAP,
    SIGNIFICANT,
    DisplayCell,
    DisplayTable,
    column_labels,
)
from leaderboard.export import finished_range
from leaderboard.seeds import CONVENTION as SEEDS_CONVENTION


def intro_blocks(an: Analysis, title: str) -> list[Block]:
    """The title, what the board was built from, and the conventions its numbers follow."""
    coll = an.collection
    runs = coll.runs
    n_records = sum(len(r.records) for r in runs)
    first, last = finished_range(runs)
    when = (
        f" that finished between {first} and {last}"
        if first and first != last
        else f" that finished {first}"
        if first
        else ""
    )
    blocks: list[Block] = [Heading(1, title)]
    blocks.append(
        Paragraph(
            f"Built by `othink-bench leaderboard` from {len(runs)} runs ({n_records} scored "
            f"samples){when}. Every number is computed from the runs' records; nothing is typed "
            "in except the rows marked *reported (paper)*. Each cell names the run it came from "
            "([rN](#runs)); the [Runs](#runs) table gives its id, path, task version, source "
            "and date."
        )
    )
    conventions = [
        "Accuracy is strict (the task's verifier on the last `<answer>` block), in percent, "
        "with its 95% Wilson interval and n, the number of scored samples.",
        "A change of a over b is shown as points, a − b, then the relative improvement "
        "(a − b) / b as in the paper, e.g. +5.00 pts (+12.50%); both are computed on the "
        "samples both runs scored (same sample id and draw), whose number follows in "
        f"parentheses; {SIGNIFICANT} marks p < 0.05 in an exact McNemar test on those samples. "
        "n/a says why there is no number (no shared samples, or the baseline is 0 on them).",
        "Trained models are shown at their last evaluated checkpoint; Accuracy vs training step "
        "shows every checkpoint.",
    ]
    if any(r.seed_row is not None for r in runs):
        conventions.append(SEEDS_CONVENTION)
    if any(not r.done for r in runs):
        conventions.append(f"{NOT_FINISHED} marks a run that had not finished (status in Runs).")
    if any(r.overlap for r in runs):
        conventions.append(f"{OVERLAP} marks a test set that overlaps the training set of its row "
                           "(see [Train/test overlap](#traintest-overlap)).")
    if coll.skipped:
        conventions.append(
            f"{len(coll.skipped)} runs scored no sample, their model produced no output, or "
            "their records do not verify against their manifest and task verifier; they fill "
            "no cell and are listed under [Skipped runs](#skipped-runs)."
        )
    superseded = coll.superseded
    if superseded:
        conventions.append(
            f"{len(superseded)} runs repeat a cell of another run and are listed in Runs but not "
            "shown (the finished, latest, largest run of a cell is shown)."
        )
    blocks.append(Bullets(tuple(conventions)))
    return blocks


def columns_blocks(an: Analysis) -> list[Block]:
    """Evaluation columns: the test sets of the board, each with its runs and their n."""
    coll = an.collection
    columns = coll.columns
    labels = column_labels(columns)
    rows = []
    for c in columns:
        runs = [r for k, r in coll.cells.items() if k.column == c]
        ns = sorted({r.accuracy.n for r in runs})
        rows.append(
            [
                DisplayCell(labels[c]),
                DisplayCell(f"`{c.task}`"),
                DisplayCell(c.version),
                DisplayCell(c.source),
                DisplayCell(c.split),
                DisplayCell(f"`{c.data}`" if c.data else "—"),
                DisplayCell("—" if c.data_seed is None else str(c.data_seed)),
                DisplayCell(str(len(runs))),
                DisplayCell(", ".join(map(str, ns))),
                DisplayCell("yes" if rep.matches(c) else "no"),
            ]
        )
    header = [
        "column", "task", "version", "source", "split", "data", "data seed", "runs", "n",
        "paper numbers",
    ]  # fmt: skip
    return [
        Heading(2, "Evaluation columns"),
        Paragraph(
            "A column is one test set: records of different task versions, sources, splits, "
            "data files or data seeds (the seed a procedural task generates its samples from, "
            "read from the records' sample ids) are never pooled. These are the ones this "
            "board was built from; n lists the runs' numbers of scored samples."
        ),
        TableBlock(DisplayTable(header, rows, ["l"] * 6 + ["r", "r", "r", "l"])),
    ]
