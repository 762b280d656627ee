"""Verifier 1.1 (ANSWERS.md "Policy 1.1", rules 8-13): each rule on golds and predictions alike.

Why: a rule of the policy applies to both sides, so every equivalence here is checked in both
directions (``math_equal(a, b)`` and ``math_equal(b, a)``), and every false-positive class of
the 1.0 verifier (a count that is an operand, a mixed number read as a product, braced groups
read as a product) is checked with several variants, for the prediction and, where it makes
sense, as a gold (a gold no one can read is a data error, never a silent verdict).
"""

from __future__ import annotations

import itertools

import pytest

from othink_bench.answers import (
    GoldError,
    check_gold_math,
    count_equal,
    count_value,
    extract_answer,
    math_equal,
    parse_value,
)

# Equivalence classes: every spelling of one class states the same exact value, so all pairs are
# equal in both directions, and no spelling equals a spelling of another class. Each class starts
# from a gold form of ANSWERS.md's GeoQA table and adds the 1.1 spellings of the same value.
CLASSES: dict[str, list[str]] = {
    "integer degrees": ["140°", "140", "140^\\circ", "140^{\\circ}", "140 degrees", "∠CED=140°",
                        "x = 140", "140.0", "\\angle ABC = 140^\\circ"],
    "decimal degrees": ["17.5°", "17.50", "35/2", "\\frac{35}{2}", "17\\frac{1}{2}",
                        "\\dfrac{35}{2}°", "35:2"],
    "plain integer": ["12", "12.0", "|PQ|=12", "PQ = 12", "x = 2 * 6 = 12", "\\boxed{12}",
                      "12\\\\", "12\\,", "~12~", "AB = 3 \\times 4 = 12"],
    "integer with unit": ["3cm", "3 cm", "3\\text{cm}", "3\\,\\mathrm{cm}", "3\\textnormal{ cm}",
                          "3~\\mathrm{cm}\\\\", "AB = 3cm", "3厘米"],
    "area with unit": ["400cm²", "400", "400\\,\\mathrm{cm}^2", "400\\text{ cm}^{2}",
                       "S = 20 \\times 20 = 400"],
    "fraction": ["\\frac{12}{5}", "2.4", "12/5", "\\cfrac{12}{5}", "\\tfrac{12}{5}",
                 "\\dfrac{12}{5}cm", "2\\frac{2}{5}", "12:5", "AB:BC=12:5", "\\frac{AB}{BC}=\\frac{12}{5}",
                 "2.4\\!"],
    "ratio gold": ["\\frac{3}{5}", "3:5", "PQ:QR=3:5", "0.6", "3∶5", "1.5:2.5", "\\frac{BE}{BC}=\\frac{3}{5}"],
    "quarter": ["\\frac{1}{4}", "1:4", "0.25", "S_1:S_2 = 1:4", "1.0:4.0"],
    "mixed number": ["\\frac{13}{4}", "3\\frac{1}{4}", "3 \\frac{1}{4}", "3\\dfrac14", "3.25",
                     "13:4", "3\\cfrac{1}{4}"],
    "decimal with unit": ["10.8m", "10.8", "AB = 1.8 * 9.0 / 1.5 = 10.8", "10.8\\,\\text{m}"],
    "surd": ["8√{3}", "8\\sqrt{3}", "8√3", "√192", "AB = 8\\sqrt{3}", "8\\,\\sqrt{3}",
             "x = 4 \\times 2\\sqrt{3} = 8\\sqrt{3}"],
    "surd fraction": ["\\frac{√{3}}{2}", "\\dfrac{\\sqrt{3}}{2}", "\\cfrac{\\sqrt3}{2}", "√3:2"],
    "mixed surd": ["2+\\frac{√{3}}{2}", "2\\frac{\\sqrt{3}}{2}"],
    "pi": ["65π", "65\\pi", "65pi", "S = 65\\pi", "65\\pi\\,\\mathrm{cm}^2"],
    "thousands": ["1000", "1,000", "1{,}000", "1000.0", "x = 1,000"],
    "millions": ["12000023", "12,000,023", "12{,}000{,}023"],
    "negative mixed": ["-\\frac{13}{4}", "-3\\frac{1}{4}", "-3.25"],
}


def _pairs() -> list[tuple[str, str]]:
    return [
        (a, b) for forms in CLASSES.values() for a, b in itertools.permutations(forms, 2)
    ]


@pytest.mark.parametrize(("pred", "gold"), _pairs())
def test_equivalent_spellings_both_directions(pred: str, gold: str) -> None:
    assert math_equal(pred, gold) is True
    assert math_equal(extract_answer(f"<think>t</think><answer>{pred}</answer>"), gold) is True


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (CLASSES[x][0], CLASSES[y][-1])
        for x, y in itertools.permutations(CLASSES, 2)
        if parse_value(CLASSES[x][0]) is not None
        and not parse_value(CLASSES[x][0]).same_as(parse_value(CLASSES[y][0]))  # type: ignore[union-attr, arg-type]
    ],
)
def test_spellings_of_different_values_differ(a: str, b: str) -> None:
    assert math_equal(a, b) is False
    assert math_equal(b, a) is False


@pytest.mark.parametrize("gold", [f for forms in CLASSES.values() for f in forms])
def test_every_spelling_is_a_readable_gold(gold: str) -> None:
    check_gold_math(gold)
    assert math_equal(extract_answer(f"<answer>{gold}</answer>"), gold)


# -- rule 8: a number directly before \frac is a mixed number, never a product -----------------


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("3\\frac{1}{4}", "3/4"),
        ("3 \\frac{1}{4}", "3/4"),
        ("3\\frac14", "3/4"),
        ("3\\dfrac{1}{4}", "3/4"),
        ("2\\frac{1}{2}cm", "1"),
        ("1\\frac{1}{3}", "1/3"),
        ("12\\frac{5}{6}", "10"),
        ("2\\frac{\\sqrt{3}}{2}", "√3"),
        ("4\\frac{1}{2}π", "2π"),
    ],
)
def test_mixed_number_is_not_a_product(text: str, product: str) -> None:
    assert math_equal(text, product) is False
    assert math_equal(product, text) is False  # as the gold, too


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3\\times\\frac{1}{4}", "3/4"),
        ("3 \\cdot \\frac{1}{4}", "3/4"),
        ("3*\\frac14", "3/4"),
        ("\\frac{1}{4}\\cdot 3", "3/4"),
        ("8√{3}", "√192"),  # a symbol factor is still a product
        ("\\frac{1}{6}π", "π/6"),
    ],
)
def test_explicit_products_still_multiply(text: str, value: str) -> None:
    assert math_equal(text, value) is True
    assert math_equal(value, text) is True


@pytest.mark.parametrize("text", ["2.5\\frac{1}{2}", "0.5\\frac{1}{4}", "1.\\frac{1}{2}"])
def test_decimal_before_frac_is_no_answer(text: str) -> None:
    assert parse_value(text) is None
    with pytest.raises(GoldError):
        check_gold_math(text)


# -- rule 9: braced groups side by side are no answer ------------------------------------------


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("{2}{7}", ["14", "2", "7", "27"]),
        ("{2} {7}", ["14", "2", "7"]),
        ("\\sqrt{5}{3}", ["3√5", "√5", "3", "√15"]),
        ("\\boxed{2}\\boxed{7}", ["14", "2", "7"]),
        ("\\boxed{7}\\boxed{7}", ["49", "7"]),
        ("\\boxed{2} \\boxed{7}", ["14", "7"]),
        ("\\frac{1}{2}{3}", ["3/2", "1/6", "1/2"]),
        ("2^{3}{4}", ["32", "8", "4"]),
        ("\\sqrt[3]{8}{2}", ["4", "2"]),
    ],
)
def test_adjacent_braced_groups_are_no_answer(text: str, readings: list[str]) -> None:
    assert parse_value(text) is None
    for r in readings:
        assert math_equal(text, r) is False, r
    with pytest.raises(GoldError):
        check_gold_math(text)


# -- rule 10: ratios --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pred", "gold", "expected"),
    [
        ("3:5", "\\frac{3}{5}", True),
        ("3:5", "\\frac{5}{3}", False),
        ("3:5", "3", False),
        ("3:5", "5", False),
        ("6:10", "\\frac{3}{5}", True),
        ("PQ:QR=3:5", "\\frac{3}{5}", True),
        ("PQ:QR=5:3", "\\frac{3}{5}", False),
        ("1.0:3.0", "\\frac{1}{4}", False),
        ("1:2:3", "\\frac{1}{2}", False),
        ("3:", "3", False),
        (":5", "5", False),
        ("√3:1", "√{3}", True),
        ("1:0", "0", False),
    ],
)
def test_ratios(pred: str, gold: str, expected: bool) -> None:
    assert math_equal(pred, gold) is expected


# -- rule 11: labels and chains ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("pred", "gold", "expected"),
    [
        ("\\frac{BE}{BC}=\\frac{2}{5}", "\\frac{2}{5}", True),
        ("|PQ|=4", "4", True),
        ("|PQ| = 4 cm", "4cm", True),
        ("∠CED=40°", "40°", True),
        ("\\angle CED = 40^\\circ", "40°", True),
        ("x = 2 * 3.5 = 7", "7", True),
        ("x = 2 * 3.5 = 7", "3.5", False),
        ("2 * 3 = 7", "6", False),  # the last side is the answer, right or wrong
        ("2 * 3 = 7", "7", True),
        ("AB = BC = 5", "5", True),
        ("x = 7 = y", "7", False),  # the last side has a free name: rule 4
        ("7 = x", "7", False),
        ("AB = x", "5", False),
        ("4.0 + PE + PF = 10", "10", True),
        ("4.0 + PE + PF", "4", False),
        ("x = 3, y = 4", "3", False),  # several values
        ("x = 3, y = 3", "3", True),
        ("AB = 2√3 ≈ 3.46 cm", "2√{3}", True),
        ("AB = 2√3 ≈ 3.5 cm", "2√{3}", False),  # every approximation must be right
        ("x ≈ 17.32", "10√{3}", True),
        ("S = \\frac{1}{2} \\times 4 \\times 3 = 6", "6", True),
    ],
)
def test_labels_and_chains(pred: str, gold: str, expected: bool) -> None:
    assert math_equal(pred, gold) is expected


def test_chain_and_label_as_gold() -> None:
    assert math_equal("7", "x = 2 * 3.5 = 7")
    assert math_equal("\\frac{2}{5}", "\\frac{BE}{BC}=\\frac{2}{5}")
    assert not math_equal("3.5", "x = 2 * 3.5 = 7")
    with pytest.raises(GoldError):
        check_gold_math("7 = x")


# -- rule 12: LaTeX spellings, spacing, thousands separators ----------------------------------


@pytest.mark.parametrize(
    ("pred", "gold", "expected"),
    [
        ("1, 2", "1", False),
        ("1, 2", "2", False),
        ("1, 2", "12", False),
        ("1,2", "12", False),
        ("1,00", "100", False),  # not a group of three
        ("1,0000", "10000", False),
        ("10,00,000", "1000000", False),
        ("1,000,00", "100000", False),
        ("3{,}5", "3.5", False),  # a decimal comma is not read
        ("12,345.5", "12345.5", True),
        ("1,000 cm", "1000cm", True),
        ("2\\;\\sqrt{3}", "2√{3}", True),
        ("\\frac{1}{2}\\\\", "0.5", True),
        ("$\\dfrac{\\sqrt{3}}{2}$", "\\frac{√{3}}{2}", True),
        ("5\\,\\mathrm{m}^{2}", "5", True),
        ("5\\mathrm{x}", "5", False),  # \mathrm of a name is not a unit
    ],
)
def test_latex_spellings_and_separators(pred: str, gold: str, expected: bool) -> None:
    assert math_equal(pred, gold) is expected


# -- rule 13: a count is a plain non-negative integer -----------------------------------------

COUNT_ACCEPTED = [
    "7", " 7 ", "seven", "Seven", "B. 7", "(B) 7", "B: 7", "There are 7 objects.",
    "There are seven objects in the image.", "seven (7)", "\\boxed{7}", "$7$", "\\(7\\)",
    "**7**", "7.", "7.0", "Answer: 7", "The answer is 7", "７", "\\text{7}", "7 objects",
]
COUNT_OPERANDS = [
    "-7", "- 7", "−7", "-seven", "+7", "7!", "7 !", "(7)!", "2^{7}", "2^7", "7^{7^{7}}", "7^1",
    "7²", "\\sqrt{-7}", "\\sqrt{49}", "√49", "\\sqrt{7}", "14/2", "\\frac{14}{2}", "\\frac{7}{1}",
    "3+4", "3 + 4 = 7", "7 = 3 + 4", "10 - 3", "7 \\times 1", "7*1", "7 × 1", "7·1", "7%",
    "7:1", "7:7", ".7", "{7}{7}", "\\boxed{7}\\boxed{7}", "{3}{4}", "minus seven",
    "seven factorial", "seven squared", "7 plus 0", "7 \\pm 0", "\\binom{7}{1}",
]


@pytest.mark.parametrize("text", COUNT_ACCEPTED)
def test_plain_counts_are_read(text: str) -> None:
    assert count_value(text) == 7
    assert count_equal(extract_answer(f"<think>t</think><answer>{text}</answer>"), 7)


@pytest.mark.parametrize("text", COUNT_OPERANDS)
def test_operands_are_not_counts(text: str) -> None:
    assert count_value(text) is None
    assert count_equal(text, 7) is False
    assert count_equal(extract_answer(f"<answer>{text}</answer>"), "7") is False


def test_counting_keeps_words_and_thousands() -> None:
    assert count_value("twenty-one") == 21
    assert count_value("7-sided shapes: 7") == 7
    assert count_value("1,000") == 1000
    assert count_value("1, 000") is None  # a list of 1 and 0
    assert count_value("0") == 0
    assert count_value("zero") == 0
    with pytest.raises(GoldError):
        count_equal("7", "-7")  # an operand is no gold either
