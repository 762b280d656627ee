"""Property tests: the answer layer never raises on hostile input, stays fast, and is consistent.

Why: model outputs are arbitrary text, the verifier runs inside training workers and threads,
and a crash or a hang there loses a run. Every public function must return (not raise, except
GoldError for a gold) within a bound; we assert under 1 s per call, measured.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from othink_bench.answers import (
    GoldError,
    check_gold_math,
    count_equal,
    count_value,
    extract_answer,
    has_format,
    lenient_answer,
    math_equal,
    parse_value,
)

LIMIT_S = 1.0
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TOKENS = [
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "\\frac",
    "\\dfrac",
    "\\sqrt",
    "√",
    "∛",
    "π",
    "pi",
    "\\pi",
    "sqrt",
    "^",
    "9",
    "99",
    "0",
    "1",
    "2",
    ".",
    "-",
    "+",
    "*",
    "/",
    "°",
    "^\\circ",
    "cm",
    "米",
    "=",
    ",",
    "≈",
    "A.",
    "(B)",
    " ",
    "x",
    "<answer>",
    "</answer>",
    "<think>",
    "</think>",
    "\\boxed{",
    "\u200b",
    "²",
    "e",
    "!",
    "%",
    "__import__('os')",
    "\\text{",
    "^{",
    "10^",
]
token_soup = st.lists(st.sampled_from(TOKENS), max_size=120).map("".join)
any_text = st.one_of(st.text(max_size=400), token_soup)


def _timed(fn: Callable[..., object], *args: object) -> object:
    t0 = time.perf_counter()
    try:
        return fn(*args)
    finally:
        assert time.perf_counter() - t0 < LIMIT_S, (fn.__name__, args)


def _all_public(text: str) -> None:
    _timed(extract_answer, text)
    _timed(has_format, text)
    _timed(lenient_answer, text)
    _timed(parse_value, text)
    _timed(count_value, text)
    assert isinstance(_timed(math_equal, text, "8√{3}"), bool)
    assert isinstance(_timed(math_equal, extract_answer(text), "140°"), bool)
    assert isinstance(_timed(count_equal, text, 7), bool)
    try:
        _timed(check_gold_math, text)
    except GoldError:
        pass


@FAST
@given(any_text)
def test_never_raises_and_is_bounded(text: str) -> None:
    _all_public(text)
    _all_public(f"<think>x</think><answer>{text}</answer>")


@FAST
@given(st.integers(2, 400), st.sampled_from(["^", "**", "^{", "\\frac{", "(", "√(", "2^("]))
def test_deep_and_huge_expressions(n: int, op: str) -> None:
    closer = {"^{": "}", "\\frac{": "}{1}", "(": ")", "√(": ")", "2^(": ")"}.get(op, "")
    text = op.join(["9"] * n) if closer == "" else op * n + "9" + closer * n
    _all_public(text)
    _all_public(f"<answer>{text}</answer>")


@pytest.mark.parametrize(
    "text",
    [
        "9^9^9^9",
        "9^{9^{9^{9}}}",
        "(10^64)^64",
        "2^64^64",
        "10^(-64)^3",
        "(√2+√3+√5+√7+√11+√13)^64",
        "(1+π)^64/(2+√3+√5)^64",
        "√" * 200 + "2",
        "-" * 250 + "3",
        "(" * 5000 + "1" + ")" * 5000,
        "\\frac{" * 3000 + "1" + "}{2}" * 3000,
        "1" * 100_000,
        "x" * 100_000,
        "<answer>" * 12_500,
        "</answer>" * 11_000,
        "<think>" + "a " * 50_000 + "</think><answer>3</answer>",
        "1 + " * 25_000,
        "A. 7 " * 20_000,
        "three " * 16_000,
        "\\boxed{" * 14_000,
        "__import__('os').system('echo hi')",
        "exec('1')",
    ],
    ids=lambda t: f"{t[:24]}...x{len(t)}",
)
def test_adversarial_inputs(text: str) -> None:
    _all_public(text)


SQUAREFREE = [2, 3, 5, 6, 7, 10, 11, 13, 14, 15, 17, 19, 21, 30, 33, 105]


def _rounded(x: Decimal, places: int) -> str:
    with localcontext() as ctx:
        ctx.prec = 80
        return str(x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))


@FAST
@given(st.integers(1, 60), st.sampled_from(SQUAREFREE), st.integers(2, 8), st.booleans())
def test_surd_forms_and_rounding(c: int, k: int, places: int, negative: bool) -> None:
    sign = "-" if negative else ""
    gold = f"{sign}{c}√{{{k}}}"
    for pred in (
        f"{sign}{c}\\sqrt{{{k}}}",
        f"{sign}{c}√{k}",
        f"{sign}{c}*sqrt({k})",
        f"{sign}√{{{c * c * k}}}",
        f"{sign}{c}√{k} cm",
    ):
        assert math_equal(pred, gold), pred
    with localcontext() as ctx:
        ctx.prec = 80
        exact = (Decimal(k).sqrt() * c).copy_sign(Decimal(-1 if negative else 1))
    good = _rounded(exact, places)
    assert math_equal(good, gold), good
    step = Decimal(1).scaleb(-places)
    for bad in (Decimal(good) + step, Decimal(good) - step):
        assert not math_equal(str(bad), gold), bad
    assert not math_equal(f"{sign}{c}", gold)


@FAST
@given(st.integers(-500, 500), st.integers(1, 400))
def test_fractions_exact_and_rounded(a: int, b: int) -> None:
    q = Fraction(a, b)
    gold = f"\\frac{{{a}}}{{{b}}}"
    assert math_equal(f"{a}/{b}", gold)
    assert math_equal(f"{q.numerator}/{q.denominator}", gold)
    assert not math_equal(f"{a}/{b} + 1", gold)
    den = q.denominator
    for f in (2, 5):
        while den % f == 0:
            den //= f
    if den == 1:  # terminating: its exact decimal equals, nothing else does
        dec = Decimal(q.numerator) / Decimal(q.denominator)
        assert math_equal(str(dec), gold)
        assert not math_equal(str(dec + Decimal("0.01")), gold)
    else:  # non-terminating: correctly rounded decimals with >= 2 places are accepted
        with localcontext() as ctx:
            ctx.prec = 80
            dec = Decimal(q.numerator) / Decimal(q.denominator)
        assert math_equal(_rounded(dec, 3), gold)
        assert not math_equal(_rounded(dec, 1), gold)


@FAST
@given(
    st.integers(0, 999),
    st.sampled_from(
        [
            "",
            "°",
            "cm",
            "cm²",
            "m",
            "米",
            "厘米",
            "平方米",
            "海里",
            "秒",
            "小时",
            "^\\circ",
            "^{\\circ}",
            " degrees",
            "cm^{2}",
            "cm^2^",
            "mm",
            "\u200b",
        ]
    ),
)
def test_units_and_degrees_are_stripped(n: int, unit: str) -> None:
    gold = f"{n}{unit}"
    assert math_equal(extract_answer(f"<answer>{gold}</answer>"), gold)
    assert math_equal(str(n), gold)
    assert math_equal(f"{n}.0", gold)
    assert not math_equal(str(n + 1), gold)


def _render(draw: st.DrawFn, depth: int) -> str:
    if depth <= 0 or draw(st.booleans()):
        return draw(
            st.sampled_from(["1", "2", "3", "12", "0.5", "π", "√{3}", "√2", "\\sqrt{5}", "2π"])
        )
    kind = draw(st.sampled_from(["+", "-", "*", "frac", "paren", "implicit"]))
    a, b = _render(draw, depth - 1), _render(draw, depth - 1)
    if kind == "frac":
        return f"\\frac{{{a}}}{{{b}}}"
    if kind == "paren":
        return f"({a})"
    if kind == "implicit":
        return f"({a})({b})"
    return f"{a}{kind}{b}"


@st.composite
def expressions(draw: st.DrawFn) -> str:
    return _render(draw, 3)


@FAST
@given(expressions())
def test_self_consistency(expr: str) -> None:
    try:
        check_gold_math(expr)
    except GoldError:
        return  # e.g. a division by zero: reported as a data error, never scored
    assert math_equal(expr, expr)
    assert math_equal(extract_answer(f"<think>t</think><answer>{expr}</answer>"), expr)
    assert not math_equal(f"{expr}+1", expr)
