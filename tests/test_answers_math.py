"""The math verifier on every gold form and model failure mode of ANSWERS.md (policy 2-4, 6-7)."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from fractions import Fraction

import pytest

from othink_bench.answers import (
    GoldError,
    Value,
    check_gold_math,
    extract_answer,
    math_equal,
    parse_value,
)
from othink_bench.answers.mathexpr import normalise, parse_values
from othink_bench.answers.values import _PI_DIGITS

# Every example of the ANSWERS.md gold table, by form.
GOLD_EXAMPLES = {
    "integer degrees": ["140°", "65°", "10°", "240°"],
    "decimal degrees": ["17.5°", "22.5°"],
    "plain integer": ["12", "3"],
    "integer with unit": ["3cm", "5m", "9米", "40海里", "400cm²", "3mm"],
    "frac maybe with unit": ["\\frac{12}{5}", "\\frac{24}{5}cm", "\\frac{1}{2}cm²"],
    "decimal, not degrees": ["2.4", "6.00米", "10.8m", "3.6秒"],
    "contains sqrt": [
        "√{3}",
        "8√{3}",
        "2√{15}米",
        "\\frac{√{3}}{2}",
        "2√{2}-2",
        "60√{3}+1",
        "(√{3}+1)小时",
    ],
    "contains pi": ["65π", "240πcm^{2}", "16π平方米", "\\frac{1}{6}π"],
    "odd": ["5cm^2^"],
    "other units": ["3厘米", "12平方米", "2m²", "7秒", "\u200b12\u200b", "40\u200b海里"],
}
ALL_GOLDS = [g for forms in GOLD_EXAMPLES.values() for g in forms]


@pytest.mark.parametrize("gold", ALL_GOLDS)
def test_every_gold_verifies_against_itself(gold: str) -> None:
    check_gold_math(gold)
    for wrapped in (f"<answer>{gold}</answer>", f"<answer> {gold} </answer>"):
        assert math_equal(extract_answer(wrapped), gold), wrapped


@pytest.mark.parametrize(
    ("pred", "gold"),
    [
        ("140", "140°"),
        ("140°", "140°"),
        ("140.0", "140°"),
        ("40 degrees", "40°"),
        ("40^\\circ", "40°"),
        ("40^{\\circ}", "40°"),
        ("$40^{\\circ}$", "40°"),
        ("∠1 = 40°", "40°"),
        ("x = 40", "40°"),
        ("17.50", "17.5°"),
        ("35/2", "17.5°"),
        ("100.0", "100"),
        ("3", "3cm"),
        ("3 cm", "3cm"),
        ("3\\text{ cm}", "3cm"),
        ("9", "9米"),
        ("400", "400cm²"),
        ("400 cm^2", "400cm²"),
        ("2.4", "\\frac{12}{5}cm"),
        ("2.40", "\\frac{12}{5}"),
        ("12/5", "\\frac{12}{5}"),
        ("\\dfrac{12}{5}", "\\frac{12}{5}"),
        ("\\frac{24}{5}", "\\frac{24}{5}cm"),
        ("4.8 cm", "\\frac{24}{5}cm"),
        ("0.5", "\\frac{1}{2}cm²"),
        ("\\frac12", "\\frac{1}{2}cm²"),
        ("6", "6.00米"),
        ("3.6 s", "3.6秒"),
        ("8\\sqrt{3}", "8√{3}"),
        ("8√3", "8√{3}"),
        ("8*sqrt(3)", "8√{3}"),
        ("8 \\sqrt 3", "8√{3}"),
        ("√192", "8√{3}"),
        ("13.86", "8√{3}"),
        ("13.856", "8√{3}"),
        ("10\\sqrt{3}", "10√{3}"),
        ("17.32", "10√{3}"),
        ("sqrt(3)", "√{3}"),
        ("sqrt(3)/2", "\\frac{√{3}}{2}"),
        ("\\frac{\\sqrt{3}}{2}", "\\frac{√{3}}{2}"),
        ("√3/2", "\\frac{√{3}}{2}"),
        ("1/(2/√3)", "\\frac{√{3}}{2}"),
        ("2√{15}", "2√{15}米"),
        ("2√2-2", "2√{2}-2"),
        ("-2+2\\sqrt{2}", "2√{2}-2"),
        ("2(√2-1)", "2√{2}-2"),
        ("0.83", "2√{2}-2"),
        ("1+60√3", "60√{3}+1"),
        ("104.92", "60√{3}+1"),
        ("√3+1", "(√{3}+1)小时"),
        ("(\\sqrt{3}+1) hours", "(√{3}+1)小时"),
        ("65\\pi", "65π"),
        ("65pi", "65π"),
        ("204.20", "65π"),
        ("240\\pi cm^2", "240πcm^{2}"),
        ("16π", "16π平方米"),
        ("π/6", "\\frac{1}{6}π"),
        ("\\frac{\\pi}{6}", "\\frac{1}{6}π"),
        ("\\frac{1}{6}\\pi", "\\frac{1}{6}π"),
        ("5", "5cm^2^"),
        ("5 cm²", "5cm^2^"),
        ("188.50", "60π"),
        ("188.496", "60π"),
        ("0.33", "1/3"),
        ("0.333", "\\frac{1}{3}"),
        ("C. 8", "8"),
        ("(C) 8", "8"),
        ("C: 8", "8"),
        ("A. 7 B. 7", "7"),
        ("7, 7", "7"),
        ("10√3 ≈ 17.32", "10√{3}"),
        ("AB = 2√3 ≈ 3.46 cm", "2√{3}"),
        ("\\boxed{8}", "8"),
        ("The answer is 8.", "8"),
        ("１２", "12"),
        ("−3", "-3"),
        ("1,000", "1000"),
        ("\\sqrt[3]{8}", "2"),
        ("∛27", "3"),
        ("4^{1/2}", "2"),
        ("2^{10}", "1024"),
        ("1/(1+√2)", "√{2}-1"),
        ("3√2/√3", "√{6}"),
        ("12/(√3+√2+1)", "12/(1+√2+√3)"),  # not closed: float path, tight tolerance
    ],
)
def test_correct_variants(pred: str, gold: str) -> None:
    assert math_equal(pred, gold) is True
    assert math_equal(extract_answer(f"<think>...</think><answer>{pred}</answer>"), gold)


@pytest.mark.parametrize(
    ("pred", "gold"),
    [
        ("27.1", "27"),
        ("27", "27.1"),
        ("141", "140°"),
        ("140.5", "140°"),
        ("17.3", "10√{3}"),  # one decimal is not enough
        ("17.33", "10√{3}"),  # not the correct rounding
        ("17", "10√{3}"),
        ("10", "10√{3}"),  # math_verify's "leading coefficient" misreading
        ("17.3205", "10√{2}"),
        ("188.5", "60π"),
        ("188.49", "60π"),
        ("188", "60π"),
        ("0.3", "1/3"),
        ("0.34", "1/3"),
        ("2.41", "\\frac{12}{5}"),
        ("2.4", "\\frac{12}{5}π"),
        ("65", "65π"),
        ("3.14", "3"),  # rounding only helps irrational/non-terminating golds
        ("Q", "8"),  # a bare letter
        ("C", "8"),
        ("4.0 + PE + PF", "4"),  # free names
        ("x", "5"),
        ("x + 1", "5"),
        ("3, 4", "3"),  # several distinct values
        ("A. 7 B. 6", "7"),
        ("A. 7 B. 6 C. 5 D. 4", "6"),
        ("7 or 8", "7"),
        ("5 = 6", "5"),
        ("10√3 ≈ 17.3", "10√{3}"),
        ("3 4", "3"),
        ("", "3"),
        ("none", "3"),
        ("I think C. 8", "8"),  # text before a choice marker
        ("50%", "50"),
        ("1e2", "100"),
        ("sin(30)", "0.5"),
        ("√-4", "2"),
        ("1/0", "0"),
        ("0^0", "1"),
        ("2^100", "1"),
        ("9^9^9^9", "1"),
        ("__import__('os').system('true')", "0"),
    ],
)
def test_wrong_variants(pred: str, gold: str) -> None:
    assert math_equal(pred, gold) is False


def test_no_answer_is_wrong() -> None:
    assert math_equal(None, "40°") is False
    assert math_equal(extract_answer("the answer is 40"), "40°") is False


@pytest.mark.parametrize(
    "gold", ["", "   ", "abc", "x+1", "3, 4", "1/0", "√-3", "PE + PF", "{{{", "None", "50%"]
)
def test_garbage_gold_raises(gold: str) -> None:
    with pytest.raises(GoldError):
        check_gold_math(gold)
    with pytest.raises(GoldError):
        math_equal("3", gold)
    with pytest.raises(GoldError):
        math_equal(None, gold)  # reported even when there is no prediction


def test_gold_type_errors_and_numbers() -> None:
    assert math_equal("3", 3) is True  # type: ignore[arg-type]
    assert math_equal("2.5", 2.5) is True  # type: ignore[arg-type]
    with pytest.raises(GoldError):
        math_equal("3", None)  # type: ignore[arg-type]
    with pytest.raises(GoldError):
        math_equal("1", True)  # type: ignore[arg-type]
    assert issubclass(GoldError, ValueError)


def _pv(text: str) -> Value:
    v = parse_value(text)
    assert v is not None, text
    return v


def test_parse_value_exact_forms() -> None:
    v = _pv("8√{3}")
    assert isinstance(v, Value) and v.is_exact
    assert v.terms == {(3, 0): Fraction(8)}
    assert _pv("√12").terms == {(3, 0): Fraction(2)}
    assert _pv("√(1/2)").terms == {(2, 0): Fraction(1, 2)}
    assert _pv("√{8/9}").terms == {(2, 0): Fraction(2, 3)}
    assert _pv("\\frac{1}{6}π").terms == {(1, 1): Fraction(1, 6)}
    assert _pv("2.4").rational() == Fraction(12, 5)
    assert _pv("2.40").decimals == 2
    assert _pv("-0.50cm").decimals == 2
    assert _pv("1/2π").terms == {(1, 1): Fraction(1, 2)}  # implicit product binds like *
    assert _pv("\\sqrt32").terms == {(3, 0): Fraction(2)}  # LaTeX one-digit argument
    assert _pv("0").terms == {}
    assert not _pv("12/(√3+√2+1)").is_exact  # not closed: float fallback


def test_parse_value_none_cases() -> None:
    for text in ["", "Q", "4.0 + PE + PF", "3, 4", "A. 7 B. 6", "x" * 400, "1" * 2000, "(" * 50]:
        assert parse_value(text) is None, text
    assert _pv("3, 3.0").rational() == 3
    vals = parse_values("3, 4")
    assert vals is not None and [v.rational() for v in vals] == [3, 4]


def test_normalise_units_and_spaces() -> None:
    assert normalise("40\u200b°") == "40"
    assert normalise("\\dfrac{\\sqrt{3}}{2}") == "\\frac{√{3}}{2}"
    assert normalise("5\u00a0cm²") == "5 cm^2"
    assert normalise("2\\times 3") == "2* 3"


def test_pi_constant_digits() -> None:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 210
    assert str(mpmath.pi).startswith(_PI_DIGITS[:200])


def _verdicts(pairs: list[tuple[str, str]]) -> list[bool]:
    return [math_equal(p, g) for p, g in pairs]


PAIRS = [("17.32", "10√{3}"), ("17.3", "10√{3}"), ("C. 8", "8"), ("65\\pi", "65π")] * 25


def test_thread_and_process_safe() -> None:
    expected = _verdicts(PAIRS)
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(math_equal, *zip(*PAIRS, strict=True))) == expected
    with ProcessPoolExecutor(2) as pool:
        assert pool.submit(_verdicts, PAIRS).result(timeout=60) == expected
