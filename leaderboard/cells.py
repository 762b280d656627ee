"""Display cells and tables: text cells with bold / underline / italic flags and the run each
cell came from, that the markdown and HTML renderers (:mod:`leaderboard.formats`) draw without
knowing what a leaderboard is; and the formatting of the board's numbers into them (accuracy
with its interval and n, relative changes, reported numbers, column labels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from leaderboard.comparisons import Comparison
from leaderboard.keys import EvalKey
from leaderboard.runs import Run
from othink_bench.stats import relative_change

SIGNIFICANT = "†"
NOT_FINISHED = "‡"
OVERLAP = "§"  # the test set overlaps the row's training set (leaderboard/overlap_marks.py)


@dataclass(frozen=True)
class DisplayCell:
    """A table cell: ``main`` carries the styling, ``rest`` follows it, ``ref`` names the run."""

    main: str = ""
    rest: str = ""
    bold: bool = False
    underline: bool = False
    italic: bool = False
    ref: str | None = None

    @property
    def plain(self) -> str:
        ref = f" {self.ref}" if self.ref else ""
        return f"{self.main}{self.rest}{ref}"


@dataclass
class DisplayTable:
    header: list[str]
    rows: list[list[DisplayCell]]
    align: list[str] = field(default_factory=list)  # "l" or "r" per column


EMPTY = DisplayCell("—")


def fmt_pct(x: float, digits: int = 2) -> str:
    return f"{100 * x:.{digits}f}" if math.isfinite(x) else "n/a"


def fmt_rel(rel: float) -> str:
    return f"{rel:+.2f}%" if math.isfinite(rel) else "n/a"


def fmt_change(a: float, b: float) -> str:
    """``+5.00 pts (+12.50%)``: a minus b in percentage points, then the paper's relative
    change (a - b) / b, both of accuracies in percent, so neither is read as the other."""
    return f"{a - b:+.2f} pts ({fmt_rel(relative_change(a, b))})"


def comp_change(comp: Comparison) -> str:
    """A comparison's change on its shared samples, points and relative (see :func:`fmt_change`)."""
    if comp.accuracy is None or comp.baseline_accuracy is None:
        return fmt_rel(comp.relative)
    return fmt_change(100 * comp.accuracy, 100 * comp.baseline_accuracy)


def column_labels(columns: list[EvalKey]) -> dict[EvalKey, str]:
    """Short, unambiguous column names: task and version, plus what tells apart test sets.

    Columns of one task version that differ in source or split get ``(source/split)``; in the
    data file, its name; in the data seed, ``data seed N``.
    """
    labels: dict[EvalKey, str] = {}
    for c in columns:
        clash = [o for o in columns if (o.task, o.version) == (c.task, c.version)]
        parts = []
        if len({(o.source, o.split) for o in clash}) > 1:
            parts.append(f"{c.source}/{c.split}")
        same_place = [o for o in clash if (o.source, o.split) == (c.source, c.split)]
        files = {o.data for o in same_place}
        if len(files) > 1:
            names = {Path(o.data).name for o in same_place if o.data}
            unique = len(names) == len(files - {""})
            parts.append((Path(c.data).name if unique else c.data) if c.data else "no data file")
        same_file = [o for o in same_place if o.data == c.data]
        if len({o.data_seed for o in same_file}) > 1:
            parts.append("no data seed" if c.data_seed is None else f"data seed {c.data_seed}")
        text = f"{c.task} {c.version_label}"
        labels[c] = text + (f" ({', '.join(parts)})" if parts else "")
    return labels


def acc_cell(run: Run, bold: bool = False, underline: bool = False) -> DisplayCell:
    acc = run.accuracy
    mark = ("" if run.done else NOT_FINISHED) + (OVERLAP if run.overlap else "")
    if not acc.n:
        return DisplayCell("n/a", f" (0){mark}", ref=run.ref)
    return DisplayCell(
        main=fmt_pct(acc.value),
        rest=f" [{fmt_pct(acc.low, 1)}, {fmt_pct(acc.high, 1)}] ({acc.n}){mark}",
        bold=bold,
        underline=underline,
        ref=run.ref,
    )


def rel_cell(comp: Comparison | None) -> DisplayCell:
    """``+5.00 pts (+12.50%)† (40)``: the change on the n shared samples, in points and
    relative, or why there is none."""
    if comp is None:
        return EMPTY
    why = comp.why_not
    if why is not None:
        return DisplayCell("n/a", f" ({why}" + (f", {comp.n_shared})" if comp.n_shared else ")"))
    mark = SIGNIFICANT if comp.significant else ""
    return DisplayCell(comp_change(comp) + mark, f" ({comp.n_shared})")


def reported_cell(value: float | None, approx: bool = False) -> DisplayCell:
    if value is None:
        return EMPTY
    return DisplayCell(("≈" if approx else "") + f"{value:.2f}")
