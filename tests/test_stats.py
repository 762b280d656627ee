"""Intervals and paired tests against known values."""

from __future__ import annotations

import math

import pytest

from othink_bench.stats import mcnemar_exact, paired_compare, relative_change, wilson, z_score


def test_wilson_matches_known_values() -> None:
    p = wilson(50, 100)
    assert p.value == 0.5
    assert p.low == pytest.approx(0.4038, abs=1e-4) and p.high == pytest.approx(0.5962, abs=1e-4)
    # 200 questions at 50%: about +-7 points, as PAPER.md warns.
    w = wilson(100, 200)
    assert 0.06 < (w.high - w.low) / 2 < 0.075
    assert wilson(0, 10).low == 0.0 and wilson(10, 10).high == 1.0
    assert math.isnan(wilson(0, 0).low)
    with pytest.raises(ValueError):
        wilson(5, 3)


def test_default_z_is_scipys_bit_for_bit() -> None:
    """The 95% z is a constant (no scipy import on the run path); it must be scipy's value."""
    from scipy.stats import norm

    for confidence in (0.95, 0.9, 0.99):
        assert z_score(confidence) == float(norm.ppf(0.5 + confidence / 2))


def test_exact_mcnemar() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 10) == pytest.approx(2 * 0.5**10)
    assert mcnemar_exact(5, 5) == pytest.approx(1.0)


def test_paired_compare_detects_a_real_difference_only() -> None:
    a = [True] * 60 + [False] * 140
    b = [True] * 60 + [True] * 40 + [False] * 100
    big = paired_compare(a, b)
    assert big.only_b == 40 and big.only_a == 0
    assert big.diff == pytest.approx(0.2)
    assert big.significant and big.diff_low > 0
    c = list(a)
    c[100] = True  # one extra right answer
    small = paired_compare(a, c)
    assert not small.significant and small.diff_low <= 0 <= small.diff_high
    with pytest.raises(ValueError, match="aligned"):
        paired_compare(a, b[:-1])


def test_relative_change_is_the_papers() -> None:
    assert relative_change(76.5, 42.5) == pytest.approx(80.0)
    assert relative_change(3.45, 15.52) == pytest.approx(-77.77, abs=0.01)
