"""A counting gold is a plain non-negative integer: anything else is a gold (data) error.

Loaders hand golds to the task as text (a JSON ``-3`` arrives as ``"-3"``, ``[3]`` as ``"[3]"``,
``{"x": 1}`` as ``"{'x': 1}"``); the answer reader would find a 3 or a 1 in each, so the gold
check must refuse them before any sample is scored.
"""

from __future__ import annotations

import pytest

from othink_bench.registry import get_task


@pytest.mark.parametrize("task_id", ["vc", "vc-synth", "vc-synth-tiny"])
@pytest.mark.parametrize("gold", ["-3", "+3", "[3]", "{'x': 1}", "True", "3 cubes", "3.5", ""])
def test_counting_golds_that_are_not_counts_are_errors(task_id: str, gold: str) -> None:
    task = get_task(task_id)
    with pytest.raises(ValueError, match="not a single non-negative integer"):
        task.check_gold(gold)
    record = task.score_gold("<answer>3</answer>", "3")
    assert record.correct and record.error is None


@pytest.mark.parametrize("gold", ["3", " 10 ", "7.0", "seven", "twenty-one", "Twenty one"])
def test_plain_counts_are_golds(gold: str) -> None:
    get_task("vc").check_gold(gold)
