"""Rewards are the task's verifier: same verdicts as evaluation, TRL's calling convention."""

from __future__ import annotations

import pytest

from othink_bench.registry import get_task
from othink_bench.rewards import (
    accuracy_reward,
    combined_reward,
    completion_text,
    format_reward,
    reward_functions,
)

GOOD = "<think>two plus two</think><answer>4</answer>"
RIGHT_NO_FORMAT = "<answer>4</answer>"
WRONG = "<think>hm</think><answer>5</answer>"


def test_accuracy_matches_evaluation_scoring() -> None:
    task = get_task("vc")
    acc = accuracy_reward(task)
    outs = [GOOD, RIGHT_NO_FORMAT, WRONG, "The answer is 4."]
    rewards = acc(outs, solution=["<answer> 4 </answer>"] * 4)
    assert rewards == [1.0, 1.0, 0.0, 0.0]
    assert rewards == [float(task.score_gold(o, "4").correct) for o in outs]
    assert acc(outs, gold=["4"] * 4) == rewards


def test_format_and_combined() -> None:
    task = get_task("gr")
    outs = [
        "<think>x</think><answer>140°</answer>",
        "<answer>140</answer>",
        "<think>x</think><answer>40</answer>",
    ]
    assert format_reward(outs) == [1.0, 0.0, 1.0]
    r = combined_reward(task, alpha=0.5)(outs, gold=["140°"] * 3)
    assert r == [1.5, 1.0, 0.5]
    fns, weights = reward_functions(task, alpha=0.25)
    assert weights == [1.0, 0.25] and len(fns) == 2
    with pytest.raises(ValueError):
        combined_reward(task, alpha=-1)


def test_conversational_completions_and_missing_columns() -> None:
    conv = [[{"role": "assistant", "content": GOOD}]]
    assert completion_text(conv[0]) == GOOD
    assert accuracy_reward(get_task("vc"))(conv, gold=["4"]) == [1.0]
    with pytest.raises(KeyError, match="gold.*solution"):
        accuracy_reward(get_task("vc"))([GOOD], prompt=["p"])
