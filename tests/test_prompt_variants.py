"""Prompt variants (issue 27, item 1): R1-V's exact strings, run ids (paper's unchanged, every
other variant a run of its own), records and manifests naming the variant, the early error for
an unknown one, ``train-and-eval --eval-prompt``, and board rows beside the paper-prompt row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from othink_bench.backends import GenRequest, ScriptedBackend
from othink_bench.harness import evaluate
from othink_bench.harness.identity import run_key
from othink_bench.harness.settings import RunSettings
from othink_bench.records import read_manifest, read_records
from othink_bench.registry import get_task
from othink_bench.task import PROMPT_SUFFIX, ImageRef, Sample, UnknownPromptError

# R1-V's templates, typed here from its scripts (github.com/Deep-Agent/R1-V@bbbbe3d):
# src/eval/test_qwen2vl_counting_superclevr.py, src/eval/test_qwen2vl_geoqa.py,
# src/r1-v/src/open_r1/grpo.py. `{Question}` is formatted with the question as it is.
R1V_COUNT_EVAL = ("{Question} First output the thinking process in <think> </think> and final "
                  "answer (number) in <answer> </answer> tags.")
R1V_GEO_EVAL = ("{Question} Output the thinking process in <think> </think> and final answer "
                "(number) in <answer> </answer> tags.")
R1V_TRAIN = ("{Question}  Output the thinking process in <think> </think> and final answer "
             "(number) in <answer> </answer> tags.")

QUESTION = "How many different items are there in the image? "  # trailing space kept by R1-V


def sample(question: str = QUESTION) -> Sample:
    return Sample(id="s", question=question, gold="3", image=ImageRef())


@pytest.mark.parametrize("task_id", ["vc", "vc-synth-tiny", "gr", "gr-synth-tiny"])
def test_paper_prompt_is_unchanged(task_id: str) -> None:
    task = get_task(task_id)
    assert task.prompt_variant == "paper"
    assert task.prompt_text(sample()) == f"{QUESTION.strip()} {PROMPT_SUFFIX}"
    assert task.with_prompt("paper") is task


@pytest.mark.parametrize(
    ("task_id", "variant", "template"),
    [
        ("vc", "r1v-eval", R1V_COUNT_EVAL),
        ("vc", "r1v-train", R1V_TRAIN),
        ("gr", "r1v-eval", R1V_GEO_EVAL),
        ("gr", "r1v-train", R1V_TRAIN),
        ("vc-synth-tiny", "r1v-eval", R1V_COUNT_EVAL),
    ],
)
def test_r1v_strings_are_exact(task_id: str, variant: str, template: str) -> None:
    task = get_task(task_id).with_prompt(variant)
    assert task.prompt_text(sample()) == template.format(Question=QUESTION)
    assert task.prompt_info.scored_by == "strict"
    assert get_task(task_id).prompt_variant == "paper"  # the registered task is untouched


def test_direct_prompt_asks_for_the_answer_alone() -> None:
    vc = get_task("vc").with_prompt("direct")
    assert vc.prompt_text(sample()) == f"{QUESTION.strip()} Answer with a single number."
    assert vc.prompt_info.scored_by == "free-form"
    gr = get_task("gr").with_prompt("direct")
    assert "<answer>" not in gr.prompt_text(sample("Find x."))


def test_unknown_prompt_lists_the_variants() -> None:
    with pytest.raises(UnknownPromptError, match="direct, paper, r1v-eval, r1v-train"):
        get_task("vc").with_prompt("r1v")


def test_run_key_has_the_variant_only_when_not_paper() -> None:
    task = get_task("vc-synth-tiny")
    settings = RunSettings()
    paper = run_key({"model": "m"}, task, settings, "synthetic")
    assert "prompt" not in paper  # old run ids stay
    other = run_key({"model": "m"}, task.with_prompt("r1v-train"), settings, "synthetic")
    assert other == {**paper, "prompt": "r1v-train@1"}


def _texts(seen: list[str]) -> Any:
    def script(request: GenRequest) -> str:
        seen.append(request.messages[0]["content"][-1]["text"])
        return "<think>I count.</think><answer>4</answer> So the answer is 4."
    return script


def test_variants_are_separate_runs_with_their_prompt_recorded(tmp_path: Path) -> None:
    seen: list[str] = []
    runs = {}
    for prompt in ("paper", "r1v-eval", "direct"):
        (s,) = evaluate("scripted", "vc-synth-tiny", backend=ScriptedBackend(_texts(seen)),
                        out=tmp_path, limit=3, progress=False, prompt=prompt)
        runs[prompt] = s
    assert len({s.run_dir for s in runs.values()}) == 3
    assert len(set(seen)) == 6  # two questions in the first 3 samples x 3 prompts
    assert any(t.endswith(" First output the thinking process in <think> </think> and final "
                          "answer (number) in <answer> </answer> tags.") for t in seen)
    paper_records = read_records(runs["paper"].run_dir / "records.jsonl")
    assert all(r.prompt is None and r.profiles is None for r in paper_records)
    eval_records = read_records(runs["r1v-eval"].run_dir / "records.jsonl")
    assert {r.prompt for r in eval_records} == {"r1v-eval@1"}
    direct = read_records(runs["direct"].run_dir / "records.jsonl")
    assert {r.prompt for r in direct} == {"direct@1"}
    # direct is read by free-form, recorded beside the strict verdict, never instead of it
    assert all(r.profiles is not None and "free-form" in r.profiles for r in direct)
    for r in direct:
        assert r.correct == (r.gold == "4")
        assert r.profiles is not None and r.profiles["free-form"].extracted == "4"
    manifest = read_manifest(runs["direct"].run_dir).model_extra or {}
    assert manifest["prompt"]["name"] == "direct"
    assert manifest["prompt"]["scored_by"] == "free-form"
    assert manifest["profiles"] == ["free-form"]
    assert manifest["run_key"]["prompt"] == "direct@1"
    # the same command again resumes the same run
    (again,) = evaluate("scripted", "vc-synth-tiny", backend=ScriptedBackend(_texts([])),
                        out=tmp_path, limit=3, progress=False, prompt="direct")
    assert again.run_dir == runs["direct"].run_dir and again.n_new == 0


def test_cli_refuses_an_unknown_prompt_before_loading(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from othink_bench.cli import main

    rc = main(["run", "--model", "tiny", "--tasks", "vc-synth-tiny,gr-synth-tiny", "--prompt",
               "chatty", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "--prompt chatty" in err and "direct, paper, r1v-eval, r1v-train" in err
    assert not any(tmp_path.iterdir())


def test_tasks_lists_prompts(capsys: pytest.CaptureFixture[str]) -> None:
    from othink_bench.cli import main

    assert main(["tasks", "--prompts", "--json"]) == 0
    infos = {i["id"]: i for i in json.loads(capsys.readouterr().out)}
    names = [p["name"] for p in infos["gr"]["prompts"]]
    assert names == ["paper", "r1v-eval", "r1v-train", "direct"]


def test_eval_prompt_settings_of_train_and_eval() -> None:
    from trainers.matrix.command import eval_prompt_settings
    from trainers.recipes import ConfigError

    assert eval_prompt_settings(["vc-synth-tiny"], "paper", None) == {}  # old cell keys stay
    assert eval_prompt_settings(["vc-synth-tiny"], "r1v-eval", ["r1v-legacy"]) == {
        "prompt": "r1v-eval", "profiles": ["r1v-legacy"]}
    with pytest.raises(ConfigError, match="--eval-prompt nope"):
        eval_prompt_settings(["vc-synth-tiny"], "nope", None)
    with pytest.raises(ConfigError, match="--eval-profile"):
        eval_prompt_settings(["vc-synth-tiny"], "paper", ["r1v-newest"])


def test_board_rows_of_prompt_variants(tmp_path: Path) -> None:
    from leaderboard.collect import collect

    def script(request: GenRequest) -> str:
        text = request.messages[0]["content"][-1]["text"]
        if text.endswith("Answer with a single number."):
            return "The answer is 9."
        return "<answer>9</answer>" if "First output" in text else "I do not know."

    runs = tmp_path / "runs"
    for prompt in ("paper", "r1v-eval", "direct"):
        evaluate("scripted", "vc-synth-tiny", backend=ScriptedBackend(script), out=runs,
                 limit=4, progress=False, prompt=prompt)
    coll = collect([runs])
    rows = sorted({r.model for r in coll.runs}, key=lambda m: m.sort_key())
    assert [m.display for m in rows] == [
        "scripted", "scripted (prompt direct@1, free-form)", "scripted (prompt r1v-eval@1)"]
    by_prompt = {r.model.prompt: r for r in coll.runs}
    gold9 = sum(r.gold == "9" for r in by_prompt[""].records)
    assert gold9 > 0  # the scripted answer is right somewhere
    assert by_prompt[""].accuracy.k == 0  # paper: no <answer> block
    assert by_prompt["r1v-eval@1"].accuracy.k == gold9
    assert by_prompt["direct@1"].accuracy.k == gold9  # counted by free-form
    assert all(not r.correct for r in by_prompt["direct@1"].records)  # strict: still 0
    from othink_bench.cli import main

    assert main(["leaderboard", str(runs), "--out", str(tmp_path / "board")]) == 0
    board = "\n".join(p.read_text() for p in (tmp_path / "board").glob("*.md"))
    assert "| scripted (prompt direct@1, free-form) |" in board
    assert "Rows marked *(prompt NAME@VERSION)*" in board
    assert "Best prompt of each base model: scripted: direct@1, free-form (" in board
    assert "paper prompt 0.00%)" in board


def test_a_flipped_board_profile_verdict_refuses_the_run(tmp_path: Path) -> None:
    from othink_bench.verify_records import check_run

    def script(request: GenRequest) -> str:
        return "The answer is 7."

    (s,) = evaluate("scripted", "vc-synth-tiny", backend=ScriptedBackend(script), out=tmp_path,
                    limit=4, progress=False, prompt="direct")
    assert check_run(s.run_dir).ok
    path = s.run_dir / "records.jsonl"
    lines = path.read_text().splitlines()
    first = json.loads(lines[1])
    verdict = first["profiles"]["free-form"]
    verdict["correct"] = not verdict["correct"]  # what a hand edit would do
    lines[1] = json.dumps(first)
    path.write_text("\n".join(lines) + "\n")
    check = check_run(s.run_dir)
    assert not check.ok
    assert "records.jsonl:2: stored free-form verdict" in check.reason()
