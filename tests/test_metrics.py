"""Metrics are pure functions of records: exact counts, Wilson intervals, breakdowns, pairing."""

from __future__ import annotations

import math

import pytest

from othink_bench.metrics import (
    counts,
    dedupe,
    error_summary,
    pair_records,
    pct,
    pct_ci,
    summarize,
)
from othink_bench.records import RunRecord
from othink_bench.stats import wilson


def rec(
    i: int,
    *,
    k: int = 0,
    correct: bool = False,
    lenient: bool = False,
    fmt: bool = False,
    error: str | None = None,
    kind: str | None = None,
    breakdown: str = "",
) -> RunRecord:
    return RunRecord(
        sample_id=f"s{i}",
        index=i,
        task="t",
        task_version="1",
        k=k,
        gold="3",
        breakdown=breakdown,
        output="x",
        correct=correct,
        lenient_correct=lenient,
        format_ok=fmt,
        error=error,
        error_kind=kind,
    )


def test_data_errors_leave_the_denominator_generation_errors_count_as_wrong() -> None:
    records = [
        rec(0, correct=True, lenient=True, fmt=True),
        rec(1, correct=True, lenient=True, fmt=False),
        rec(2, correct=False, lenient=True, fmt=False),
        rec(3, correct=False, lenient=False, fmt=True),
        rec(4, error="image file not found", kind="image"),
        rec(5, error="boom", kind="generation"),
        rec(6, error="gold", kind="gold"),
        rec(7, error="row 7: malformed", kind="data"),
    ]
    m = summarize(records)
    assert (m.n, m.scored, m.errors) == (8, 5, 4)  # 4 answered + 1 generation failure
    assert (m.accuracy.k, m.accuracy.n) == (2, 5)
    assert (m.lenient.k, m.lenient.n) == (3, 5)
    assert (m.format_rate.k, m.format_rate.n) == (2, 5)
    assert m.errors_by_kind == {"data": 1, "generation": 1, "gold": 1, "image": 1}
    assert m.accuracy == wilson(2, 5)
    assert error_summary(m) == "4 (data 1, generation 1, gold 1, image 1)"
    assert m.k == 1 and m.pass_at_k is None and m.n_samples == 8
    assert [counts(r) for r in records] == [True] * 4 + [False, True, False, False]


def test_wilson_interval_is_attached_and_formatted() -> None:
    m = summarize([rec(i, correct=i < 85) for i in range(200)])
    assert m.accuracy.value == pytest.approx(0.425)
    # 200 questions: about +-7 points around 42.5% (PAPER.md's warning about small test sets)
    assert m.accuracy.low == pytest.approx(0.35854, abs=1e-4)
    assert m.accuracy.high == pytest.approx(0.49429, abs=1e-4)
    assert pct_ci(m.accuracy) == "42.5 [35.9, 49.4]"
    assert pct(m.accuracy) == "42.5"


def test_breakdown_is_naturally_sorted_and_counts_scored_only() -> None:
    records = [
        rec(0, correct=True, breakdown="count=10"),
        rec(1, correct=False, breakdown="count=10"),
        rec(2, correct=True, breakdown="count=3"),
        rec(3, error="x", kind="image", breakdown="count=3"),
        rec(4, correct=True, breakdown="count=9"),
    ]
    m = summarize(records)
    assert list(m.by_breakdown) == ["count=3", "count=9", "count=10"]
    assert (m.by_breakdown["count=10"].k, m.by_breakdown["count=10"].n) == (1, 2)
    assert (m.by_breakdown["count=3"].k, m.by_breakdown["count=3"].n) == (1, 1)


def test_later_record_replaces_earlier_one() -> None:
    first = rec(0, error="timeout", kind="generation")
    retried = rec(0, correct=True)
    assert dedupe([first, retried]) == [retried]
    m = summarize([first, retried, rec(1)])
    assert (m.n, m.errors, m.accuracy.k) == (2, 0, 1)


def test_k_draws_give_mean_accuracy_and_pass_at_k() -> None:
    records = [
        rec(0, k=0, correct=True),
        rec(0, k=1, correct=False),
        rec(1, k=0, correct=False),
        rec(1, k=1, correct=False),
        rec(2, k=0, correct=False),
        rec(2, k=1, correct=True),
    ]
    m = summarize(records)
    assert m.k == 2 and m.n_samples == 3
    assert (m.accuracy.k, m.accuracy.n) == (2, 6)
    assert m.pass_at_k is not None and (m.pass_at_k.k, m.pass_at_k.n) == (2, 3)


def test_empty_and_all_error_runs_have_undefined_accuracy() -> None:
    m = summarize([])
    assert m.n == 0 and math.isnan(m.accuracy.value) and pct_ci(m.accuracy) == "-"
    m = summarize([rec(0, error="x", kind="image")])
    assert m.scored == 0 and pct(m.accuracy) == "-"
    d = m.as_dict()
    assert d["accuracy"]["value"] is None and d["errors_by_kind"] == {"image": 1}


def test_pairing_uses_shared_counted_keys_in_sample_order() -> None:
    a = [
        rec(2, correct=True),
        rec(0, error="timeout", kind="generation"),  # counts, as a wrong answer
        rec(1, correct=True),
        rec(3, error="x", kind="image"),
    ]
    b = [rec(0, correct=True), rec(1, correct=True), rec(3, correct=True), rec(4, correct=True)]
    p = pair_records(a, b)
    assert p.keys == [("s0", 0), ("s1", 0)]
    assert [r.correct for r in p.a] == [False, True]
    assert [r.correct for r in p.b] == [True, True]
    assert (p.only_in_a, p.only_in_b) == (1, 2)  # s2 only in A; s3 (image error in A), s4 only in B
