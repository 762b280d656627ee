"""Board cells whose test set overlaps the training set of their row (``leaderboard --overlap``).

An overlap report (``othink-bench overlap ... --out DIR`` writes ``DIR/overlap.json``) names a
training set (task, split) and a test set (task, split, data file). A run is marked when it was
trained on the report's training task and evaluated on its test task and split (and, where
both name one, the same data file by name), and the report found at least one overlapping test
item. Its accuracy cells then carry :data:`OVERLAP` and a section lists what was found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from leaderboard.blocks import Block, Heading, Paragraph
from leaderboard.cells import OVERLAP
from leaderboard.collect import Collection

_KIND = "othink-bench overlap report"


@dataclass(frozen=True)
class OverlapSource:
    """One report as the board uses it."""

    path: str
    train_task: str
    train_split: str
    test_task: str
    test_split: str
    test_data: str | None
    overlapping: int
    test_items: int
    counts: dict[str, int]


def read_overlap_report(path: str | Path) -> OverlapSource:
    """Read an ``overlap.json``; a file that is not one is a ``ValueError`` naming the field."""
    p = Path(path)
    try:
        data: Any = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"--overlap {p}: cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != _KIND:
        raise ValueError(f"--overlap {p}: not an overlap report (its 'kind' is not {_KIND!r}); "
                         "pass the overlap.json that `othink-bench overlap --out DIR` wrote")
    try:
        train, test, counts = data["train"], data["test"], data["counts"]
        source = OverlapSource(
            path=str(p),
            train_task=str(train["task"]),
            train_split=str(train["split"]),
            test_task=str(test["task"]),
            test_split=str(test["split"]),
            test_data=str(test["data"]) if test.get("data") else None,
            overlapping=int(counts["overlapping"]),
            test_items=int(counts["test_items"]),
            counts={str(k): int(v) for k, v in counts.items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"--overlap {p}: field {exc} is missing or malformed; rerun "
                         "`othink-bench overlap` to write the report again") from None
    return source


def _same_file(a: str | None, b: str | None) -> bool:
    return a is None or b is None or PurePath(a).name == PurePath(b).name


def mark_overlap(coll: Collection, sources: list[OverlapSource]) -> list[tuple[OverlapSource, list[str]]]:
    """Set ``run.overlap`` on the runs each report concerns; per report, the refs marked."""
    marked: list[tuple[OverlapSource, list[str]]] = []
    for src in sources:
        refs = []
        for run in coll.runs:
            m = run.manifest
            if (
                src.overlapping > 0
                and run.train_task == src.train_task
                and m.task == src.test_task
                and m.split == src.test_split
                and _same_file(src.test_data, m.data)
            ):
                run.overlap = (f"{src.overlapping} of {src.test_items} test items overlap "
                               f"{src.train_task}:{src.train_split}")  # fmt: skip
                refs.append(run.ref)
        marked.append((src, refs))
    return marked


def overlap_blocks(marked: list[tuple[OverlapSource, list[str]]]) -> list[Block]:
    """The board's section on the overlap reports it was given (none without ``--overlap``)."""
    if not marked:
        return []
    lines = []
    for src, refs in marked:
        c = src.counts
        where = ", ".join(refs) if refs else "no run of the board"
        beside = [f"`{PurePath(src.path).with_name(name).as_posix()}`"
                  for name in ("overlap.md", "overlap.html")
                  if Path(src.path).with_name(name).is_file()]
        pages = f"; the closest pairs side by side: {' and '.join(beside)}" if beside else ""
        lines.append(
            f"{src.test_task}:{src.test_split} against {src.train_task}:{src.train_split} "
            f"(`{src.path}`{pages}): {src.overlapping} of {src.test_items} test items overlap "
            f"({c.get('overlap_duplicate', 0)} duplicates, {c.get('overlap_image', 0)} same "
            f"image, {c.get('overlap_text', 0)} same question); marked: {where}."
        )
    return [
        Heading(2, "Train/test overlap"),
        Paragraph(
            f"{OVERLAP} marks an accuracy whose test set holds items that the overlap audit "
            "(`othink-bench overlap`) found in the training set of its row: part of that number "
            "may be memory, not skill. " + " ".join(lines)
        ),
    ]
