"""Tag extraction, the format check and the lenient fallback (ANSWERS.md policy 1)."""

from __future__ import annotations

import pytest

from othink_bench.answers import (
    count_equal,
    extract_answer,
    has_format,
    lenient_answer,
    math_equal,
)

THINK = "<think>The two base angles are equal, so the apex is 180 - 2*20.</think>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<answer>100.0</answer>", "100.0"),  # glued to the tags
        ("<answer>\n    4\n    </answer>", "4"),
        ("<answer> 145° </answer>", "145°"),
        (f"{THINK}<answer>140</answer>", "140"),
        ("<answer>1</answer> more text <answer>2</answer>", "2"),  # last block wins
        ("<answer>1</answer><answer>2", "1"),  # last block cut off: last *complete* one
        ("<answer>1</answer> stray </answer>", "1"),
        ("<answer>a<answer>b</answer>", "b"),
        (f"{THINK}<answer>5</ans", None),  # cut mid-tag
        (f"{THINK}<answer>5", None),
        ("Therefore, the answer is 40.", None),  # no tags at all
        ("<answer></answer>", ""),
        ("", None),
        ("</answer><answer>", None),
        ("<ANSWER>3</ANSWER>", None),  # tags are case-sensitive
    ],
)
def test_extract_answer(text: str, expected: str | None) -> None:
    assert extract_answer(text) == expected


def test_extract_answer_rejects_non_strings() -> None:
    assert extract_answer(None) is None  # type: ignore[arg-type]
    assert extract_answer(42) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{THINK}<answer>140</answer>", True),
        (f"  \n{THINK}\n\n<answer> 140 </answer>\n", True),
        ("<think></think><answer></answer>", True),  # empty parts allowed, as in R1-V
        ("<answer>140</answer>", False),  # an <answer> with no <think>
        (f"{THINK}", False),
        (f"Sure! {THINK}<answer>140</answer>", False),  # text before
        (f"{THINK}<answer>140</answer> Hope this helps", False),  # text after
        (f"{THINK} so <answer>140</answer>", False),  # text between
        (f"{THINK}<answer>1</answer><answer>2</answer>", False),  # two answers
        (f"{THINK}{THINK}<answer>1</answer>", False),  # two thinks
        ("<think>a <answer>1</answer></think><answer>2</answer>", False),
        (f"{THINK}<answer>140</ans", False),  # cut off
        ("<answer>1</answer><think>x</think>", False),  # wrong order
    ],
)
def test_has_format(text: str, expected: bool) -> None:
    assert has_format(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Therefore, the answer is 40.", "40"),
        ("So the angle is 40 degrees.", "40"),
        ("x = 2√3 cm", "2√3"),
        ("It is 10√3 ≈ 17.32.", "17.32"),
        ("Thus AB = \\frac{12}{5}.", "\\frac{12}{5}"),
        ("the result is sqrt(3)/2 here", "sqrt(3)/2"),
        ("Final: \\boxed{2\\sqrt{3}} (checked 3 times)", "2\\sqrt{3}"),  # boxed wins
        ("Step 1 gives 5, step 2 gives 7", "7"),
        ("The answer is (C) 8", "8"),
        ("There are three cubes.", "3"),
        ("I counted 5 objects: the last one is red.", "5"),  # "one" is a pronoun here
        ("twenty-one items", "21"),
        ("no numbers here", None),
        ("", None),
        (f"{THINK}<answer>7</answer>", "7"),  # tagged answer takes precedence
        ("<think>it is 4</think><answer>9</ans", "9"),  # cut mid-tag: the final number
    ],
)
def test_lenient_answer(text: str, expected: str | None) -> None:
    assert lenient_answer(text) == expected


def test_strict_vs_lenient_on_untagged_output() -> None:
    out = "The two angles sum to 180, so the answer is 40."
    assert extract_answer(out) is None
    assert math_equal(extract_answer(out), "40°") is False  # strict: no answer, accuracy 0
    assert lenient_answer(out) == "40"
    assert math_equal(lenient_answer(out), "40°") is True  # lenient score, recorded beside it


def test_strict_vs_lenient_counting() -> None:
    out = "I see 3 red cubes and 4 spheres, so seven in total."
    assert count_equal(extract_answer(out), 7) is False
    assert count_equal(lenient_answer(out), 7) is True


def test_numbers_in_reasoning_are_not_credited() -> None:
    # math_verify on the whole output credits the 140 in the reasoning; the strict layer does not
    out = "<think>The exterior angle is 140 degrees.</think>"
    assert math_equal(extract_answer(out), "140°") is False
    out += "<answer>40</answer>"
    assert math_equal(extract_answer(out), "140°") is False
    assert math_equal(extract_answer(out), "40°") is True
