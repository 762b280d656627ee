"""Registry-wide contract: gold answers score 1, empty output scores 0, prompts carry the image."""

from __future__ import annotations

import pytest

from othink_bench.registry import all_tasks
from othink_bench.task import PROMPT_SUFFIX

SYNTHETIC = [t for t in all_tasks() if "synthetic" in t.sources]


@pytest.mark.parametrize("task", SYNTHETIC, ids=lambda t: t.id)
def test_every_gold_answer_scores_one(task) -> None:  # type: ignore[no-untyped-def]
    for split in ("test", "train"):
        for sample in task.load(split=split, limit=25):
            score = task.score(f"<answer>{sample.gold}</answer>", sample)
            assert score.correct, (task.id, sample.id, sample.gold)
            assert score.lenient_correct
            assert score.error is None
            # The SFT target of a synthetic sample is itself a correct, well-formatted output.
            assert sample.solution is not None
            target = task.score(sample.solution, sample)
            assert target.correct and target.format_ok, sample.solution


@pytest.mark.parametrize("task", all_tasks(), ids=lambda t: t.id)
def test_empty_output_scores_zero(task) -> None:  # type: ignore[no-untyped-def]
    score = task.score_gold("", "3")
    assert not score.correct and not score.lenient_correct and not score.format_ok


@pytest.mark.parametrize("task", SYNTHETIC, ids=lambda t: t.id)
def test_prompt_has_the_image_first_and_the_paper_suffix(task) -> None:  # type: ignore[no-untyped-def]
    sample = task.load(limit=1)[0]
    (message,) = task.prompt(sample)
    assert message["role"] == "user"
    assert message["content"][0] == {"type": "image"}
    text = message["content"][1]["text"]
    assert text.startswith(sample.question.strip()) and text.endswith(PROMPT_SUFFIX)
    image = sample.image.load()
    assert image.mode == "RGB" and image.size[0] > 0


def test_paper_prompt_matches_paper_md() -> None:
    assert PROMPT_SUFFIX == (
        "Output the thinking process in <think> </think> and final answer (number) in "
        "<answer> </answer> tags."
    )
