"""The counting policy (ANSWERS.md policy 5): one integer, digits or English words."""

from __future__ import annotations

import pytest

from othink_bench.answers import GoldError, count_equal, count_value, extract_answer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3),
        (" 3 ", 3),
        ("10", 10),
        ("7.0", 7),
        ("seven", 7),
        ("Seven", 7),
        ("twelve", 12),
        ("twenty-one", 21),
        ("Twenty one", 21),
        ("There are 7 objects.", 7),
        ("seven (7)", 7),
        ("7 items, i.e. seven", 7),
        ("C. 8", 8),
        ("(C) 8", 8),
        ("３", 3),
        ("3 cubes and 4 spheres", None),  # several distinct integers
        ("3, 4", None),
        ("A. 7 B. 6", None),
        ("3.5", None),  # not an integer
        ("Q", None),
        ("none", None),
        ("", None),
        ("no objects", None),
        ("9" * 20, None),  # absurd digit run
        ("7 " * 600, None),  # over-size answer
    ],
)
def test_count_value(text: str, expected: int | None) -> None:
    assert count_value(text) == expected


def test_count_value_none_input() -> None:
    assert count_value(None) is None


@pytest.mark.parametrize("gold", range(3, 11))
def test_every_counting_gold_verifies(gold: int) -> None:
    for out in (f"<answer> {gold} </answer>", f"<answer>{gold}</answer>"):
        assert count_equal(extract_answer(out), gold)
        assert count_equal(extract_answer(out), str(gold))


@pytest.mark.parametrize(
    ("pred", "gold", "expected"),
    [
        ("<answer>\n    4\n    </answer>", 4, True),
        ("<answer>four</answer>", 4, True),
        ("<answer>There are four items.</answer>", 4, True),
        ("<answer>5</answer>", 4, False),
        ("<answer>4 or 5</answer>", 4, False),
        ("<answer>4</answer><answer>5</answer>", 5, True),
        ("<think>I see 4</think><answer>4", 4, False),  # cut mid-tag
        ("There are 4 items.", 4, False),  # no tags: strict no answer
    ],
)
def test_count_equal_on_outputs(pred: str, gold: int, expected: bool) -> None:
    assert count_equal(extract_answer(pred), gold) is expected


@pytest.mark.parametrize("gold", ["", "many", "3, 4", -1, True, None, 2.5])
def test_bad_counting_gold_raises(gold: object) -> None:
    with pytest.raises(GoldError):
        count_equal("3", gold)  # type: ignore[arg-type]
    with pytest.raises(GoldError):
        count_equal(None, gold)  # type: ignore[arg-type]
