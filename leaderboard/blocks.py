"""The pieces a board is made of: its blocks (headings, paragraphs, bullets, tables, images) and
the :class:`Board` that holds them with its data, rows and plots.

Every section of a board (:mod:`leaderboard.header`, :mod:`leaderboard.same_task`,
:mod:`leaderboard.seeds`, :mod:`leaderboard.cross_task`, :mod:`leaderboard.curves`,
:mod:`leaderboard.provenance`) is a list of blocks; :mod:`leaderboard.formats` renders them as
markdown or HTML, so every format shows the same board.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leaderboard.cells import DisplayTable
from leaderboard.plots import Plot


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str  # a small markdown subset: `code`, **bold**, *italic*, [text](#anchor)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class TableBlock:
    table: DisplayTable
    row_ids: tuple[str, ...] = ()  # HTML anchors for the rows (the runs table)


@dataclass(frozen=True)
class Image:
    path: str  # relative to the board's folder
    alt: str


Block = Heading | Paragraph | Bullets | TableBlock | Image


@dataclass
class Board:
    """A renderer-agnostic board: blocks for md/HTML, data for JSON, rows for CSV, plots."""

    title: str
    blocks: list[Block]
    data: dict[str, Any]
    rows: list[dict[str, Any]]
    plots: list[Plot] = field(default_factory=list)


def compress_refs(refs: Sequence[str]) -> str:
    """``r1, r2, r3, r5`` -> ``r1–r3, r5``."""
    nums = sorted({int(r[1:]) for r in refs if r[1:].isdigit()})
    parts: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(f"r{nums[i]}" if i == j else f"r{nums[i]}–r{nums[j]}")
        i = j + 1
    return ", ".join(parts)


__all__ = [
    "Block",
    "Board",
    "Bullets",
    "Heading",
    "Image",
    "Paragraph",
    "TableBlock",
    "compress_refs",
]
