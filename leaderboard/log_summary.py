"""What the board's training-log table says about a logged quantity: quarter means, not ends.

Why: one GRPO step scores 16 completions, so a single step's mean reward has a step-to-step
s.d. of about 0.2; "first -> last logged value" then reads noise as a trend (1.438 -> 1.688
where the quarter means are 1.562 -> 1.585). The table shows the mean and s.d. of the first and
the last quarter of the logged steps instead. A KL weight that moves (GRPO-D) is shown with its
range as well as its ends, so a beta that went to 0 mid-training and came back is not hidden
behind its end points.

Whether a reward *rose* is a test, not a reading: :func:`rise_p` is the one-sided Welch t-test
of "the last quarter's per-step mean reward is above the first quarter's" (each logged step one
observation). Which prompts a step drew is chance, and prompt difficulty makes most of the
step-to-step spread, so :func:`prompt_rise` asks the same question of the same prompts: from a
training's ``reward_groups.jsonl`` (each prompt's rewards at each step), each prompt's mean
reward in the last quarter of the steps against its mean in the first quarter, a one-sided
paired t-test over the prompts seen in both quarters. The board shows both tests.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
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


@dataclass(frozen=True)
class PromptRise:
    """The same-prompt rise test of one training."""

    prompts: int  # prompts seen in both the first and the last quarter of the steps
    first_mean: float  # mean over those prompts of their first-quarter mean reward
    last_mean: float
    p_value: float  # one-sided paired t-test, last > first


def prompt_rise(groups: Mapping[int, Mapping[str, Sequence[float]]]) -> PromptRise | None:
    """The paired test of each prompt's last-quarter mean reward against its first-quarter mean.

    ``groups`` maps step -> sample id -> the rewards of its completions at that step. The
    quarters are the first and last ``max(1, n // 4)`` recorded steps. None with fewer than 4
    steps or fewer than 2 prompts in both quarters; p is 1.0 or 0.0 when every prompt's
    difference is the same (no spread: a t-test is undefined).
    """
    steps = sorted(groups)
    q = len(steps) // 4
    if q < 1:
        return None

    def means(part: Sequence[int]) -> dict[str, float]:
        pooled: dict[str, list[float]] = {}
        for step in part:
            for sid, values in groups[step].items():
                pooled.setdefault(sid, []).extend(values)
        return {sid: statistics.fmean(v) for sid, v in pooled.items() if v}

    first, last = means(steps[:q]), means(steps[-q:])
    both = sorted(set(first) & set(last))
    if len(both) < 2:
        return None
    a, b = [first[s] for s in both], [last[s] for s in both]
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    if _sd(diffs) == 0:
        p = 0.0 if diffs[0] > 0 else 1.0
    else:
        from scipy.stats import ttest_rel

        p = float(ttest_rel(b, a, alternative="greater").pvalue)
    return PromptRise(len(both), statistics.fmean(a), statistics.fmean(b), p)


def prompt_rise_text(rise: PromptRise | None) -> str:
    """``0.71 → 0.93, p = 0.0031 (25 prompts)``, or ``—``."""
    if rise is None:
        return "—"
    return (f"{_fmt(rise.first_mean)} → {_fmt(rise.last_mean)}, p = {rise.p_value:.2g} "
            f"({rise.prompts} prompts)")


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


__all__ = ["PromptRise", "QuarterMeans", "prompt_rise", "prompt_rise_text", "quarter_means",
           "quarter_text", "range_text", "rise_p", "rise_text"]
