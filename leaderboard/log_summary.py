"""What the board's training-log table says about a logged quantity: quarter means, not ends.

Why: one GRPO step scores 16 completions, so a single step's mean reward has a step-to-step
s.d. of about 0.2; "first -> last logged value" then reads noise as a trend (1.438 -> 1.688
where the quarter means are 1.562 -> 1.585). The table shows the mean and s.d. of the first and
the last quarter of the logged steps instead. A KL weight that moves (GRPO-D) is shown with its
range as well as its ends, so a beta that went to 0 mid-training and came back is not hidden
behind its end points.

Whether a reward *rose* is a test, not a reading: :func:`rise_p` is the one-sided Welch t-test
of "the last quarter's per-step mean reward is above the first quarter's" (each logged step one
observation), the test the CPU testbed's calibration targets (p < 0.05 on every seed).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class QuarterMeans:
    """The first and last quarter of a series: how many values each holds, mean and s.d."""

    size: int  # values in each quarter: max(1, n // 4)
    first_mean: float
    first_sd: float | None  # sample s.d. (n - 1); None for a single value
    last_mean: float
    last_sd: float | None


def _sd(values: Sequence[float]) -> float | None:
    return statistics.stdev(values) if len(values) > 1 else None


def quarter_means(values: Sequence[float]) -> QuarterMeans | None:
    """Mean and s.d. of the first and last ``max(1, n // 4)`` values (None for no values).

    With fewer than 4 values each "quarter" is one value: its ends, with no spread.
    """
    if not values:
        return None
    size = max(1, len(values) // 4)
    first, last = list(values[:size]), list(values[-size:])
    return QuarterMeans(size, statistics.fmean(first), _sd(first), statistics.fmean(last),
                        _sd(last))


def rise_p(values: Sequence[float]) -> float | None:
    """One-sided Welch t-test p of last-quarter mean > first-quarter mean (None below 2 values
    per quarter; 1.0 or 0.0 when both quarters have no spread and their means are equal or not)."""
    q = max(1, len(values) // 4)
    if q < 2:
        return None
    first, last = list(values[:q]), list(values[-q:])
    if _sd(first) == 0 and _sd(last) == 0:
        return 0.0 if statistics.fmean(last) > statistics.fmean(first) else 1.0
    from scipy.stats import ttest_ind

    result = ttest_ind(last, first, equal_var=False, alternative="greater")
    return float(result.pvalue)


def rise_text(values: Sequence[float]) -> str:
    """``p = 0.0031`` for :func:`rise_p`, or ``—`` when it cannot be computed."""
    p = rise_p(values)
    return "—" if p is None else f"{p:.2g}"


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _mean_sd(mean: float, sd: float | None) -> str:
    return _fmt(mean) if sd is None else f"{_fmt(mean)} ± {_fmt(sd)}"


def quarter_text(values: Sequence[float]) -> str:
    """``1.562 ± 0.21 → 1.585 ± 0.19 (8 steps each)``, or ``—`` with nothing logged."""
    q = quarter_means(values)
    if q is None:
        return "—"
    unit = "step" if q.size == 1 else "steps"
    return (f"{_mean_sd(q.first_mean, q.first_sd)} → {_mean_sd(q.last_mean, q.last_sd)} "
            f"({q.size} {unit} each)")


def range_text(values: Sequence[float]) -> str:
    """``0.01 → 0.02 (min 0, max 0.02)``: the ends and the range, or ``—``."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return "—"
    ends = f"{_fmt(finite[0])} → {_fmt(finite[-1])}"
    lo, hi = min(finite), max(finite)
    if lo == hi:
        return f"{ends} (constant)"
    return f"{ends} (min {_fmt(lo)}, max {_fmt(hi)})"


__all__ = ["QuarterMeans", "quarter_means", "quarter_text", "range_text", "rise_p", "rise_text"]
