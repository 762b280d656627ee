"""Across-seed statistics: the CMH test for matched pairs stratified by seed, and the two-level
(seeds x questions) bootstrap, against hand-computed values, scipy, a general CMH formula and a
plain loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest, chi2

from othink_bench.stats import CMH_EXACT_BELOW, cmh_matched_pairs, two_level_bootstrap


def _binom_two_sided_half(k: int, n: int) -> float:
    """Two-sided exact binomial p at 1/2, by hand: twice the smaller tail, capped at 1."""
    tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1)) / 2**n
    return min(1.0, 2 * tail)


def test_cmh_five_small_gains_pool_into_a_significant_one() -> None:
    # each seed: 6 pairs won, 1 lost -> McNemar exact p = 2 * 8/128 = 0.125 on every seed
    assert binomtest(1, 7, 0.5).pvalue == pytest.approx(0.125)
    r = cmh_matched_pairs([6] * 5, [1] * 5)
    assert r.statistic == pytest.approx(625 / 35)  # (30 - 5)^2 / 35 = 17.857
    # chi2 with 1 df: P(X >= x) = erfc(sqrt(x / 2)), by hand and by scipy
    assert r.p_chi2 == pytest.approx(math.erfc(math.sqrt(625 / 35 / 2)), rel=1e-9)
    assert r.p_chi2 == pytest.approx(float(chi2.sf(625 / 35, 1)), rel=1e-12)
    assert r.p_chi2 == pytest.approx(2.3806e-05, rel=1e-3)
    assert r.p_exact == pytest.approx(_binom_two_sided_half(30, 35), rel=1e-9)
    assert r.discordant == 35 and not r.exact and r.p_value == r.p_chi2
    assert r.direction == 1 and r.better == (6,) * 5 and r.worse == (1,) * 5


def test_cmh_small_totals_use_the_exact_binomial() -> None:
    r = cmh_matched_pairs([3, 2], [0, 1])  # 5 of 6 discordant pairs won
    assert r.statistic == pytest.approx(16 / 6)
    assert r.exact and r.p_value == r.p_exact == pytest.approx(14 / 64)  # 2 * (1 + 6) / 2^6
    assert r.p_exact == pytest.approx(float(binomtest(5, 6, 0.5).pvalue))
    assert r.p_chi2 == pytest.approx(float(chi2.sf(16 / 6, 1)))
    assert CMH_EXACT_BELOW == 25
    assert cmh_matched_pairs([12], [12]).p_value == 1.0  # 24 < 25: exact
    big = cmh_matched_pairs([13], [12])  # 25: chi-squared
    assert not big.exact and big.statistic == pytest.approx(1 / 25)


def test_cmh_seeds_that_disagree_cancel() -> None:
    r = cmh_matched_pairs([9, 1, 8, 2], [1, 9, 2, 8])
    assert r.statistic == 0.0 and r.p_value == pytest.approx(1.0) and r.direction == 0
    none = cmh_matched_pairs([0, 0], [0, 0])
    assert math.isnan(none.statistic) and none.p_value == 1.0 and none.direction == 0
    assert cmh_matched_pairs([0, 1], [4, 3]).direction == -1
    with pytest.raises(ValueError, match="one .better, worse. count per stratum"):
        cmh_matched_pairs([1, 2], [1])
    with pytest.raises(ValueError, match="negative"):
        cmh_matched_pairs([1, -2], [1, 0])


def _general_cmh(tables: list[tuple[int, int, int, int]]) -> float:
    """The general CMH statistic over 2x2 tables (A, B, C, D): rows case/control, columns
    treatment/no treatment (Wikipedia, "Cochran-Mantel-Haenszel statistics")."""
    num = var = 0.0
    for a, b, c, d in tables:
        n1, n2, m1, m2 = a + b, c + d, a + c, b + d
        t = n1 + n2
        num += a - n1 * m1 / t
        var += n1 * n2 * m1 * m2 / (t * t * (t - 1))
    return num * num / var


def test_cmh_is_the_general_cmh_with_each_matched_pair_a_stratum() -> None:
    rng = np.random.default_rng(3)
    method = rng.random((5, 200)) < 0.55  # 5 seeds x 200 questions, correct or not
    baseline = rng.random(200) < 0.45  # one baseline run for all seeds
    tables = []
    for s in range(5):
        for q in range(200):
            x, y = bool(method[s, q]), bool(baseline[q])
            # the pair as a 2x2 table: correct (case) / wrong (control) x method / baseline
            tables.append((int(x), int(y), int(not x), int(not y)))
    better = [int(np.sum(method[s] & ~baseline)) for s in range(5)]
    worse = [int(np.sum(~method[s] & baseline)) for s in range(5)]
    assert cmh_matched_pairs(better, worse).statistic == pytest.approx(_general_cmh(tables))


def _loop_bootstrap(v: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """The same replicates with explicit index resampling (the same rng draws, in order)."""
    rng = np.random.default_rng(seed)
    s_idx = rng.integers(0, v.shape[0], size=(n_boot, v.shape[0]))
    q_idx = rng.integers(0, v.shape[1], size=(n_boot, v.shape[1]))
    return np.array([v[np.ix_(s_idx[b], q_idx[b])].mean() for b in range(n_boot)])


def test_two_level_bootstrap_is_the_loop_it_vectorises() -> None:
    rng = np.random.default_rng(1)
    v = (rng.random((5, 40)) < 0.5).astype(float) - (rng.random(40) < 0.4)
    got = two_level_bootstrap(v, n_boot=300, seed=7)
    boots = _loop_bootstrap(v, 300, 7)
    low, high = np.quantile(boots, [0.025, 0.975])
    assert got.mean == pytest.approx(v.mean())
    assert (got.low, got.high) == pytest.approx((low, high), abs=1e-12)
    assert two_level_bootstrap(v, n_boot=300, seed=7) == got  # a fixed seed: the same interval
    assert two_level_bootstrap(v, n_boot=300, seed=8) != got


def test_two_level_bootstrap_levels() -> None:
    flat = two_level_bootstrap(np.full((3, 10), 0.25))
    assert (flat.mean, flat.low, flat.high) == pytest.approx((0.25, 0.25, 0.25))
    # seeds only: the questions are fixed, so a table whose seeds agree has no width
    rows = np.tile(np.linspace(-1, 1, 50), (4, 1))
    seeds_only = two_level_bootstrap(rows, questions=False)
    assert seeds_only.low == pytest.approx(seeds_only.high) == pytest.approx(rows.mean())
    # questions only: a table whose questions agree has no width
    cols = np.tile(np.array([[0.1], [0.3], [0.2]]), (1, 50))
    assert two_level_bootstrap(cols, seeds=False).high - two_level_bootstrap(
        cols, seeds=False).low == pytest.approx(0.0, abs=1e-12)
    both = two_level_bootstrap(cols)
    assert both.low < 0.2 < both.high


def test_a_gain_on_three_questions_is_not_a_gain_on_the_test_set() -> None:
    """Every seed gains on the same 3 of 200 questions: every seed agrees (a seed-only interval
    has no width), but resampling questions leaves out all 3 in about e^-3 = 5% of draws."""
    d = np.zeros((5, 200))
    d[:, [10, 70, 150]] = 1.0
    seeds_only = two_level_bootstrap(d, questions=False)
    assert seeds_only.low == pytest.approx(0.015) and seeds_only.excludes_zero() == 1
    both = two_level_bootstrap(d)
    assert both.mean == pytest.approx(0.015)
    assert both.low <= 0 < both.high and both.excludes_zero() == 0
    assert cmh_matched_pairs([3] * 5, [0] * 5).exact  # 15 pairs: exact p = 2^-14
    assert cmh_matched_pairs([3] * 5, [0] * 5).p_value == pytest.approx(2.0**-14)


def test_two_level_bootstrap_rejects_bad_tables() -> None:
    with pytest.raises(ValueError, match="seeds x questions"):
        two_level_bootstrap(np.zeros((0, 5)))
    with pytest.raises(ValueError, match="seeds x questions"):
        two_level_bootstrap([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="nan"):
        two_level_bootstrap([[0.0, math.nan]])
    with pytest.raises(ValueError, match="n_boot"):
        two_level_bootstrap([[0.0]], n_boot=0)


def test_two_level_interval_covers_seed_and_question_variance() -> None:
    """Simulated: questions with difficulties, seeds with offsets; the two-level interval of
    one table should contain the truth about 95% of the time, and more often than the
    seeds-only interval, which ignores the question sampling."""
    rng = np.random.default_rng(11)
    truth = 0.05
    covered = {"both": 0, "seeds": 0}
    trials = 100
    for _ in range(trials):
        question = rng.normal(0, 0.3, 200)
        seed = rng.normal(0, 0.02, 5)
        v = truth + seed[:, None] + question[None, :] + rng.normal(0, 0.1, (5, 200))
        for name, kw in (("both", {}), ("seeds", {"questions": False})):
            r = two_level_bootstrap(v, n_boot=400, seed=1, **kw)
            covered[name] += r.low <= truth <= r.high
    assert covered["both"] >= 88  # nominal 95 of 100
    assert covered["seeds"] < covered["both"]
