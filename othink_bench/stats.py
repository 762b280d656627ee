"""Statistics for small test sets: intervals on accuracies and paired comparisons.

With 200 counting questions a 95% interval around 50% is about +-7 points, so single numbers
mislead. Every accuracy gets a Wilson interval; two runs on the same samples are compared with an
exact McNemar test on the discordant pairs and a paired bootstrap interval of the difference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: ``scipy.stats.norm.ppf(0.5 + 0.95 / 2)``, the z of the default 95% interval, bit for bit: the
#: Wilson intervals every run summary carries need no scipy import (``scipy.stats`` costs about
#: half a CPU second of start-up). Other confidences ask scipy.
_Z95 = 1.959963984540054


def z_score(confidence: float) -> float:
    """The two-sided normal quantile of ``confidence`` (scipy's value)."""
    if confidence == 0.95:
        return _Z95
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


@dataclass(frozen=True)
class Proportion:
    k: int
    n: int
    low: float
    high: float

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else float("nan")


def wilson(k: int, n: int, confidence: float = 0.95) -> Proportion:
    """Wilson score interval for k successes in n trials (n == 0 gives NaN bounds)."""
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return Proportion(0, 0, float("nan"), float("nan"))
    z = z_score(confidence)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Proportion(k, n, low, high)


@dataclass(frozen=True)
class PairedComparison:
    n: int
    acc_a: float
    acc_b: float
    only_a: int  # a right, b wrong
    only_b: int  # b right, a wrong
    p_value: float  # exact two-sided McNemar
    diff: float  # acc_b - acc_a
    diff_low: float
    diff_high: float

    @property
    def significant(self) -> bool:
        return self.p_value < 0.05


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Exact two-sided McNemar p-value from the discordant counts (1.0 when there are none)."""
    m = only_a + only_b
    if m == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(min(only_a, only_b), m, 0.5, alternative="two-sided").pvalue)


def paired_compare(
    a: Sequence[bool],
    b: Sequence[bool],
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> PairedComparison:
    """Compare two aligned lists of per-sample correctness (same samples, same order)."""
    if len(a) != len(b):
        raise ValueError(f"paired comparison needs aligned samples, got {len(a)} and {len(b)}")
    n = len(a)
    if n == 0:
        raise ValueError("paired comparison needs at least one shared sample")
    xa = np.asarray(a, dtype=bool)
    xb = np.asarray(b, dtype=bool)
    only_a = int(np.sum(xa & ~xb))
    only_b = int(np.sum(~xa & xb))
    d = xb.astype(np.float64) - xa.astype(np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    boots = d[idx].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(boots, [alpha, 1 - alpha])
    return PairedComparison(
        n=n,
        acc_a=float(xa.mean()),
        acc_b=float(xb.mean()),
        only_a=only_a,
        only_b=only_b,
        p_value=mcnemar_exact(only_a, only_b),
        diff=float(d.mean()),
        diff_low=float(low),
        diff_high=float(high),
    )


def relative_change(a: float, b: float) -> float:
    """The paper's relative improvement of a over b, in percent: (a - b) / b * 100."""
    if b == 0:
        return float("inf") if a > 0 else float("nan") if a == 0 else float("-inf")
    return (a - b) / b * 100.0
