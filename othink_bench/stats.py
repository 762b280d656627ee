"""Statistics for small test sets: intervals on accuracies and paired comparisons.

With 200 counting questions a 95% interval around 50% is about +-7 points, so single numbers
mislead. Every accuracy gets a Wilson interval; two runs on the same samples are compared with an
exact McNemar test on the discordant pairs and a paired bootstrap interval of the difference.

Across training seeds (several trainings evaluated on the same test questions) there are two
more: :func:`cmh_matched_pairs`, the Cochran-Mantel-Haenszel test for matched pairs stratified
by seed (does the method win the discordant pairs consistently, given these questions?), and
:func:`two_level_bootstrap`, an interval for a mean over a seeds x questions table that
resamples seeds and questions both (would the difference hold on other questions and seeds?).
"""

from __future__ import annotations

import functools
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


# -- across training seeds ---------------------------------------------------------------------

#: Below this many discordant pairs in all, :func:`cmh_matched_pairs` decides with the exact
#: conditional binomial test instead of the chi-squared approximation (the usual rule of thumb
#: for McNemar's test, b + c < 25).
CMH_EXACT_BELOW = 25


@dataclass(frozen=True)
class StratifiedPairs:
    """The Cochran-Mantel-Haenszel test for matched pairs, stratified (here: by training seed)."""

    better: tuple[int, ...]  # b_s per stratum: the method right, the baseline wrong
    worse: tuple[int, ...]  # c_s per stratum: the reverse
    statistic: float  # chi2_MH = (sum b - sum c)^2 / sum (b + c); nan without discordant pairs
    p_chi2: float  # P(chi2 with 1 df >= statistic)
    p_exact: float  # two-sided conditional binomial: sum b of sum (b + c) at 1/2

    @property
    def discordant(self) -> int:
        return sum(self.better) + sum(self.worse)

    @property
    def exact(self) -> bool:
        """Whether :attr:`p_value` is the exact one (fewer than :data:`CMH_EXACT_BELOW` pairs)."""
        return self.discordant < CMH_EXACT_BELOW

    @property
    def p_value(self) -> float:
        return self.p_exact if self.exact else self.p_chi2

    @property
    def direction(self) -> int:
        """+1 when the method wins more discordant pairs than it loses, -1 the reverse, else 0."""
        diff = sum(self.better) - sum(self.worse)
        return (diff > 0) - (diff < 0)


def cmh_matched_pairs(better: Sequence[int], worse: Sequence[int]) -> StratifiedPairs:
    """The Cochran-Mantel-Haenszel test of a consistent paired difference across strata.

    ``better[s]`` and ``worse[s]`` are stratum s's discordant counts (for seed s: samples the
    method got right and the baseline wrong, and the reverse, on the samples both scored).
    Each matched pair is its own 2x2 stratum, nested in its seed; with pairs as strata the CMH
    statistic reduces to McNemar's, and summed over seeds it is
    ``chi2_MH = (sum b_s - sum c_s)^2 / sum (b_s + c_s)`` with 1 degree of freedom (the general
    CMH statistic of Wikipedia's "Cochran-Mantel-Haenszel statistics" with T_i = 2; the tests
    check the two agree). The exact version conditions on the discordant totals: under the
    null each discordant pair goes either way with probability 1/2, so sum b_s is
    Binomial(sum (b_s + c_s), 1/2) (scipy's two-sided ``binomtest``).

    What it assumes: the pairs are independent given their stratum, and the null is "no
    difference in any stratum". When the same test questions appear in every seed stratum (as
    on a board), the pairs of one question in different seeds are not independent draws of
    questions: the test asks whether the method wins the discordant pairs consistently *on
    these questions* across seeds, not whether it would on other questions. For that, use an
    interval that resamples questions (:func:`two_level_bootstrap`).
    """
    if len(better) != len(worse):
        raise ValueError(f"need one (better, worse) count per stratum, got {len(better)} and "
                         f"{len(worse)}")
    if any(x < 0 for x in (*better, *worse)):
        raise ValueError(f"discordant counts cannot be negative: {list(better)}, {list(worse)}")
    b, c = sum(better), sum(worse)
    if b + c == 0:
        statistic, p_chi2, p_exact = math.nan, 1.0, 1.0
    else:
        from scipy.stats import binomtest, chi2

        statistic = (b - c) ** 2 / (b + c)
        p_chi2 = float(chi2.sf(statistic, 1))
        p_exact = float(binomtest(b, b + c, 0.5, alternative="two-sided").pvalue)
    return StratifiedPairs(tuple(int(x) for x in better), tuple(int(x) for x in worse),
                           statistic, p_chi2, p_exact)


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float

    def excludes_zero(self) -> int:
        """+1 when the interval lies above 0, -1 below, 0 when it includes 0."""
        return 1 if self.low > 0 else -1 if self.high < 0 else 0


def _resample_counts(rng: np.random.Generator, n: int, n_boot: int) -> np.ndarray:
    """(n_boot, n) counts: how often each of n units is drawn in n draws with replacement."""
    draws = rng.integers(0, n, size=(n_boot, n))
    flat = (draws + n * np.arange(n_boot)[:, None]).ravel()
    return np.bincount(flat, minlength=n_boot * n).reshape(n_boot, n).astype(np.float64)


@functools.lru_cache(maxsize=8)
def _two_level_counts(n_seeds: int, n_questions: int, n_boot: int, seed: int, seeds: bool,
                      questions: bool) -> tuple[np.ndarray, np.ndarray]:
    """The resampling counts of :func:`two_level_bootstrap` (read-only): they depend on the
    shape and the rng seed only, so a board's comparisons of one shape share them (common
    random numbers; each interval is the same as if drawn alone)."""
    rng = np.random.default_rng(seed)
    w_seeds = (_resample_counts(rng, n_seeds, n_boot) if seeds
               else np.ones((n_boot, n_seeds)))
    w_questions = (_resample_counts(rng, n_questions, n_boot) if questions
                   else np.ones((n_boot, n_questions)))
    w_seeds.flags.writeable = False
    w_questions.flags.writeable = False
    return w_seeds, w_questions


def two_level_bootstrap(
    values: np.ndarray | Sequence[Sequence[float]],
    *,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    seeds: bool = True,
    questions: bool = True,
) -> Interval:
    """Percentile bootstrap interval of the mean of a seeds x questions table.

    ``values[s][q]`` is seed s's value on question q (a paired difference, or a correctness),
    every seed on the same questions. Each replicate draws the seeds with replacement and,
    independently, the questions with replacement, and applies the one question draw to every
    seed (the test questions are shared, so a question's difficulty is common to all seeds);
    the replicate is the mean over the drawn cells. This is the "pigeonhole" bootstrap for a
    crossed rows x columns layout (Owen 2007, Ann. Appl. Stat. 1(2) 386-411; Owen and Eckles
    2012, Ann. Appl. Stat. 6(3), on its reweighting form: biased, if at all, towards a larger
    variance), so the interval carries seed variance and test-question sampling both.
    ``seeds=False`` or ``questions=False`` resamples one level only (seeds only: the seed
    variance alone, on these questions).

    Limits: with few seeds (3-5) the seed level is coarse (resampling m seeds gives (m-1)/m of
    their sample variance, from m values), so the seed part of the interval is rough; the
    question part, from 200 questions, is not.

    Vectorised: with the draws as count vectors w_s (seeds) and w_q (questions), a replicate
    is w_s . V . w_q / (S Q), one matrix product for all replicates.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] < 1 or v.shape[1] < 1:
        raise ValueError(f"need a seeds x questions table with at least one of each, got shape "
                         f"{v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("the seeds x questions table has a missing (nan) or infinite value")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    n_seeds, n_questions = v.shape
    w_seeds, w_questions = _two_level_counts(n_seeds, n_questions, n_boot, seed, seeds, questions)
    boots = np.einsum("bq,bq->b", w_seeds @ v, w_questions) / (n_seeds * n_questions)
    tail = (1 - confidence) / 2
    low, high = np.quantile(boots, [tail, 1 - tail])
    return Interval(float(v.mean()), float(low), float(high))
