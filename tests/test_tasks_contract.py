"""Registry-wide contract: gold answers score 1 under every scoring profile, wrong answers, wrong
or out-of-range choices and each non-answer class (ANSWERS.md rule 18) score 0, prompts carry
the image."""

from __future__ import annotations

from pathlib import Path

import pytest

from othink_bench.answers.choices import letter
from othink_bench.answers.profiles import PROFILES, get_profile
from othink_bench.registry import all_tasks
from othink_bench.task import PROMPT_SUFFIX, Sample, Task
from tests.battery_fixtures import FIXTURES

SYNTHETIC = [t for t in all_tasks() if "synthetic" in t.sources]
CHECKED = [t for t in all_tasks() if "synthetic" in t.sources or t.id in FIXTURES]


def contract_samples(task: Task, folder: Path) -> list[Sample]:
    """A task's synthetic test samples, or the samples of its exact-schema fixture."""
    if task.id in FIXTURES:
        return FIXTURES[task.id](folder)
    return list(task.load(split="test", limit=12))


def _gold_outputs(sample: Sample) -> dict[str, list[str]]:
    """Outputs that state the gold, per profile."""
    gold = sample.gold
    free = [f"The answer is {gold}.", f"Let me work it out.\nSo the final answer is \\boxed{{{gold}}}"]
    options = sample.meta.get("options") or []
    if sample.meta.get("answer_type") == "choice":
        from othink_bench.answers.choices import match_choice

        i = match_choice(gold, options)
        assert i is not None, (sample.id, gold, options)
        free += [f"The correct option is ({letter(i)}).", f"Answer: {letter(i)}. {options[i]}"]
        strict = [f"<think>.</think><answer>{letter(i)}</answer>", f"<answer>{options[i]}</answer>"]
    else:
        strict = [f"<think>.</think><answer>{gold}</answer>"]
    return {"strict": strict, "free-form": free}


def _wrong_outputs(sample: Sample) -> list[str]:
    """Outputs that are answers, but wrong: another choice, a letter beyond the options, a
    number no gold here is."""
    options = sample.meta.get("options") or []
    if sample.meta.get("answer_type") == "choice":
        from othink_bench.answers.choices import match_choice, same_options

        i = match_choice(sample.gold, options)
        assert i is not None
        other = letter(min(set(range(len(options))) - same_options(i, options)))
        beyond = letter(len(options))
        return [f"<answer>{other}</answer> The answer is {other}.",
                f"<answer>{beyond}</answer> The answer is {beyond}."]
    if sample.meta.get("answer_type") == "yes_no":
        flip = "no" if sample.gold.strip().lower() in ("yes", "true") else "yes"
        return [f"<answer>{flip}</answer> The answer is {flip}."]
    return ["<answer>987654321.5</answer> The answer is 987654321.5."]


def _non_answers(sample: Sample) -> dict[str, str]:
    options = sample.meta.get("options") or []
    out = {
        "empty": "",
        "refusal": "I'm sorry, but I cannot help with that.",
        "undetermined": "The answer cannot be determined from the image.",
    }
    if sample.question.strip():  # MathVerse's Vision Only questions are in the image alone
        out["echo_question"] = sample.question
    if len(options) >= 2:
        out["echo_options"] = " ".join(f"({letter(i)}) {o}" for i, o in enumerate(options))
    return out


def own_profiles() -> list[str]:
    """The project's profiles: a peer's scorer (``peer`` set: r1v-legacy, math-verify-whole)
    reproduces that harness's verdicts, non-answers credited included, so policy 1.2 is not
    asked of it."""
    return [n for n, p in PROFILES.items() if not getattr(p, "peer", None)]


@pytest.mark.parametrize("task", CHECKED, ids=lambda t: t.id)
def test_gold_scores_one_and_non_answers_zero_under_every_profile(task, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert set(PROFILES) >= {"strict", "free-form"}
    samples = contract_samples(task, tmp_path)
    assert samples, task.id
    for sample in samples:
        for name, outputs in _gold_outputs(sample).items():
            for output in outputs:
                verdict = get_profile(name).score(task, sample, output)
                assert verdict.correct and verdict.non_answer is None, (task.id, name, output, verdict)
        for name in own_profiles():
            for output in _wrong_outputs(sample):
                verdict = get_profile(name).score(task, sample, output)
                assert not verdict.correct, (task.id, name, output, verdict)
            for cls, output in _non_answers(sample).items():
                for text in (output, f"<answer>{output}</answer>"):
                    verdict = get_profile(name).score(task, sample, text)
                    assert not verdict.correct, (task.id, name, cls, text)
                verdict = get_profile("free-form").score(task, sample, output)
                assert verdict.non_answer == cls, (task.id, cls, output, verdict)


@pytest.mark.parametrize("task", [t for t in CHECKED if t.id not in FIXTURES], ids=lambda t: t.id)
def test_tasks_without_answer_types_keep_their_strict_scores(task) -> None:  # type: ignore[no-untyped-def]
    """The strict profile is Task.score, and a sample without ``answer_type`` is scored exactly as
    before policy 1.2 (score_gold on the <answer> block)."""
    outputs = ["", "<answer>3</answer>", "<answer>3 cubes and 4 spheres</answer>",
               "Therefore, the answer is 40.", "<think>x</think><answer>\\frac{12}{5}cm</answer>"]
    for sample in task.load(split="test", limit=5):
        assert "answer_type" not in sample.meta
        for text in [*outputs, f"<answer>{sample.gold}</answer>"]:
            record = task.score(text, sample)
            assert record == task.score_gold(text, sample.gold)
            verdict = get_profile("strict").score(task, sample, text)
            assert (verdict.extracted, verdict.correct) == (record.extracted, record.correct)


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
