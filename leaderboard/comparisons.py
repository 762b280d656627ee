"""How one run compares with another: the relative change and a paired test on the samples both
scored.

Conventions (the paper's, made explicit):
- every number that compares two runs (relative improvement, significance, the bold and
  underline marks) is computed from the samples both runs scored (same sample id and draw),
  never from two accuracies over different sample sets; the cell shows that n, or says why
  there is no number (no shared sample, a baseline at 0);
- relative improvement of a over b is ``(a - b) / b`` in percent;
- a difference is marked significant when the exact McNemar test on the shared samples gives
  p < 0.05.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from leaderboard.runs import Run
from othink_bench.stats import paired_compare, relative_change

ALPHA = 0.05
# The baselines a trained row is compared with, in the order of their columns.
COMPARED_WITH: tuple[str, ...] = ("base", "sft", "grpo")


@dataclass(frozen=True)
class Comparison:
    """How one run compares with a baseline run on the same column, on their shared samples."""

    against: str  # the baseline's method
    baseline: str  # the baseline run's ref
    relative: float  # (a - b) / b in percent on the shared samples; inf/nan: baseline 0 or none
    p_value: float | None  # exact McNemar on shared samples; None when none are shared
    n_shared: int
    diff_low: float | None = None  # paired bootstrap 95% interval of a - b (fractions)
    diff_high: float | None = None
    accuracy: float | None = None  # the run's accuracy on the shared samples
    baseline_accuracy: float | None = None  # the baseline's, on the same samples

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    @property
    def why_not(self) -> str | None:
        """Why there is no relative number, if there is none."""
        if not self.n_shared:
            return "no shared samples"
        if not math.isfinite(self.relative):
            return "baseline 0"
        return None


def compare(run: Run, baseline: Run, against: str) -> Comparison:
    """Relative change of ``run`` over ``baseline`` and a paired test, on their shared samples.

    Two accuracies over different sample sets are never compared: a 40-sample base run and a
    12-sample trained run are compared on the 12 samples both scored.
    """
    shared = sorted(set(run.outcomes) & set(baseline.outcomes))
    if not shared:
        return Comparison(against, baseline.ref, math.nan, None, 0)
    ours = [run.outcomes[k] for k in shared]
    theirs = [baseline.outcomes[k] for k in shared]
    n = len(shared)
    acc, base_acc = sum(ours) / n, sum(theirs) / n
    pc = paired_compare(theirs, ours)
    return Comparison(
        against,
        baseline.ref,
        relative_change(acc, base_acc),
        pc.p_value,
        pc.n,
        pc.diff_low,
        pc.diff_high,
        acc,
        base_acc,
    )


def shared_keys(runs: list[Run]) -> set[tuple[str, int]]:
    """The (sample id, draw) pairs every one of ``runs`` scored."""
    keys = set(runs[0].outcomes)
    for run in runs[1:]:
        keys &= set(run.outcomes)
    return keys


def fraction_on(run: Run, keys: set[tuple[str, int]]) -> Fraction:
    """A run's accuracy on some of its samples, as an exact fraction (ties are ties)."""
    return Fraction(sum(run.outcomes[k] for k in keys), len(keys))
