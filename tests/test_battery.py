"""The battery's benchmark tasks (issue 26 part B): loaders on exact-schema fixtures (parquet,
saved datasets, the release layouts), gold scores 1, wrong and non-answers score 0, the choice
rule, the named suites, and the benchmarks' own metrics on the board."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from battery_fixtures import FIXTURE_TASKS, ROWS, write_parquet, write_release, write_saved

from leaderboard.benchmark_metrics import (
    by_dimension,
    hallusion_metrics,
    mathverse_metrics,
    metrics_for,
    wemath_metrics,
)
from othink_bench.data_sources import DataSourceError
from othink_bench.records import RunRecord
from othink_bench.registry import (
    UnknownSuiteError,
    UnknownTaskError,
    expand_names,
    get_task,
    get_tasks,
    register_suite,
    suites,
)
from tasks.battery.benchmark import BenchmarkTask
from tasks.battery.mathverse import question_options
from tasks.battery.wemath import split_options

BATTERY = sorted(FIXTURE_TASKS)
EXPECTED_ROWS = {"mathverse": 18, "mathverse-vision-only": 3, "geometry3k": 4, "wemath": 7,
                 "hallusionbench": 8, "countbench": 5}


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("battery-parquet")
    for name in ROWS:
        write_parquet(name, out)
    return out


def _task(name: str) -> BenchmarkTask:
    task = get_task(name)
    assert isinstance(task, BenchmarkTask)
    return task


def _wrong_letter(sample) -> str:  # type: ignore[no-untyped-def]
    return next(chr(65 + i) for i in range(len(sample.meta["options"]))
                if chr(65 + i) != sample.gold)


@pytest.mark.parametrize("name", BATTERY)
def test_loads_from_parquet_and_gold_scores_one(name: str, parquet_dir: Path) -> None:
    task = _task(name)
    samples = task.load(data=parquet_dir / f"{FIXTURE_TASKS[name]}.parquet")
    assert len(samples) == EXPECTED_ROWS[name]
    assert len({s.id for s in samples}) == len(samples)
    for s in samples:
        assert "error" not in s.meta, s.meta
        image = s.image.load()
        assert image.mode == "RGB" and image.size == (32, 32)
        gold = task.score(f"<think>...</think><answer>{s.gold}</answer>", s)
        assert gold.correct and gold.format_ok and gold.error is None, (s.id, s.gold)
        # a non-answer, an empty output and a refusal score 0
        for bad in ("", "<answer></answer>", "<answer>I cannot determine this.</answer>"):
            assert not task.score(bad, s).correct
        text = task.prompt_text(s)
        assert text.endswith("<answer> </answer> tags.") and s.question.strip()[:20] in text
        (message,) = task.prompt(s)
        assert message["content"][0] == {"type": "image"}


@pytest.mark.parametrize("name", BATTERY)
def test_wrong_and_out_of_range_choices_score_zero(name: str, parquet_dir: Path) -> None:
    task = _task(name)
    for s in task.load(data=parquet_dir / f"{FIXTURE_TASKS[name]}.parquet"):
        if s.meta.get("answer_type") != "choice":
            continue
        assert not task.score(f"<answer>{_wrong_letter(s)}</answer>", s).correct
        beyond = chr(65 + len(s.meta["options"]))
        assert not task.score(f"<answer>{beyond}</answer>", s).correct


@pytest.mark.parametrize("name", BATTERY)
def test_saved_dataset_and_release_files_read_the_same(name: str, tmp_path: Path,
                                                       parquet_dir: Path) -> None:
    task = _task(name)
    base = FIXTURE_TASKS[name]
    want = [(s.id, s.gold, s.question) for s in
            task.load(data=parquet_dir / f"{base}.parquet")]
    saved = task.load(data=write_saved(base, tmp_path))
    assert [(s.id, s.gold, s.question) for s in saved] == want
    release = task.load(data=write_release(base, tmp_path / "release"))
    assert [(s.id, s.gold) for s in release] == [(i, g) for i, g, _ in want]
    for s in release:
        assert s.image.load().size == (32, 32)
    assert len(task.load(data=parquet_dir / f"{base}.parquet", limit=2)) == 2


def test_malformed_rows_are_errors_naming_the_field(tmp_path: Path) -> None:
    rows = ROWS["countbench"]()
    for r in rows:
        r["image"] = None
    rows[1]["number"] = "three"
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(json.dumps({k: v for k, v in r.items()}) + "\n" for r in rows)
                    + "not json\n")
    samples = _task("countbench").load(data=path)
    assert "field 'image' holds no image" in samples[0].meta["error"]
    assert "field 'number' is str" in samples[1].meta["error"]
    assert str(path) in samples[1].meta["error"] and "row 1" in samples[1].meta["error"]
    assert "not JSON" in samples[-1].meta["error"]


def test_only_a_test_split_and_a_clear_offline_error() -> None:
    task = _task("countbench")
    with pytest.raises(DataSourceError, match="a test split only"):
        task.load(split="train")
    with pytest.raises(DataSourceError, match=r"vikhyatk/CountBenchQA.*--data PATH"):
        task.load()  # the hub, offline in tests


def test_option_parsers() -> None:
    assert split_options("A. 3cm; B. 4cm; C. 5cm; D. 6cm; E. No correct answer") == [
        "3cm", "4cm", "5cm", "6cm", "No correct answer"]
    assert split_options("A. 1; C. 2") == []
    assert question_options("Find x.\nChoices:\nA:145°\nB:165°\nC:215°\nD:235°") == [
        "145°", "165°", "215°", "235°"]
    assert question_options("Find x.") == []


def test_mathverse_specifics(parquet_dir: Path) -> None:
    task = _task("mathverse")
    samples = task.load(data=parquet_dir / "mathverse.parquet")
    by_version = {task.breakdown(s) for s in samples}
    assert by_version == {"Text Dominant", "Text Lite", "Text Only", "Vision Intensive",
                          "Vision Dominant", "Vision Only"}
    choice = samples[0]
    assert choice.meta["options"] == ["145°", "165°", "215°", "235°"]
    assert task.score("<answer>145</answer>", choice).correct
    vision_only = _task("mathverse-vision-only").load(data=parquet_dir / "mathverse.parquet")
    assert {s.meta["problem_version"] for s in vision_only} == {"Vision Only"}
    first = vision_only[0]
    assert first.gold == "A" and task.score("<answer>(A)</answer>", first).correct
    # its options come from another version of the same problem read in the same load
    assert first.meta["options"] == ["145°", "165°", "215°", "235°"]
    assert task.score("<answer>145°</answer>", first).correct
    equation = next(s for s in samples if s.gold == "y=2x+1")
    assert task.score("<answer>y = 2x + 1</answer>", equation).correct
    assert not task.score("<answer>y = 2x + 2</answer>", equation).correct
    decimal = next(s for s in samples if s.gold == "28.3")
    assert task.score("<answer>28.30</answer>", decimal).correct
    assert not task.score("<answer>28</answer>", decimal).correct
    assert set(task.prompt_variants()) == {"paper", "cot", "direct"}
    cot = task.prompt_variants()["cot"]
    assert cot.text(choice).startswith("Please first conduct reasoning")
    assert cot.scored_by == "free-form"  # MathVerse's own query asks for no tags
    assert task.with_prompt("cot").prompt_text(choice) == cot.text(choice)


def test_suites() -> None:
    assert expand_names("@paper") == ["vc", "gr"]
    assert [t.id for t in get_tasks("@paper,vc")] == ["vc", "gr"]
    assert suites()["generalisation"] == ("mathvista", "mathverse", "mathvision", "geometry3k",
                                         "wemath", "hallusionbench", "countbench")
    with pytest.raises(UnknownSuiteError, match=r"unknown suite '@nope'.*@generalisation.*@paper"):
        expand_names("vc,@nope")
    register_suite("test-missing-member", ("vc", "no-such-task-xyz"))
    with pytest.raises(UnknownTaskError, match="named by suite @test-missing-member"):
        get_tasks("@test-missing-member")


def test_suites_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from othink_bench.cli import main
    from trainers.matrix.command import configure_train_and_eval, matrix_spec_from_args
    from trainers.recipes import ConfigError

    parser = argparse.ArgumentParser()
    configure_train_and_eval(parser)
    spec = matrix_spec_from_args(parser.parse_args([
        "--model", "tiny", "--train-tasks", "vc-synth-tiny", "--eval-tasks",
        "vc-synth-tiny,@generalisation", "--out", str(tmp_path)]))
    assert spec.eval_tasks == ["vc-synth-tiny", "mathvista", "mathverse", "mathvision",
                               "geometry3k", "wemath", "hallusionbench", "countbench"]
    with pytest.raises(ConfigError, match=r"unknown suite '@nope'.*Known suites: @generalisation"):
        matrix_spec_from_args(parser.parse_args(["--model", "tiny", "--eval-tasks", "@nope"]))
    assert main(["tasks"]) == 0
    assert "@paper = vc,gr" in capsys.readouterr().out
    assert main(["run", "--model", "tiny", "--tasks", "@nope"]) == 2
    assert "unknown suite '@nope'" in capsys.readouterr().err


def _rec(sid: str, correct: bool, breakdown: str = "") -> RunRecord:
    return RunRecord(sample_id=sid, index=0, task="t", task_version="1", gold="A",
                     breakdown=breakdown, correct=correct)


def test_wemath_four_dimensions() -> None:
    recs = [
        # problem 1 (2 steps): both steps right, multi right -> CM strict and loose
        _rec("1#2steps_1", True), _rec("1#2steps_2", True), _rec("1#2steps_multi", True),
        # problem 2: one step wrong, multi right -> RM strict, CM loose
        _rec("2#2steps_1", False), _rec("2#2steps_2", True), _rec("2#2steps_multi", True),
        # problem 3 (3 steps): all steps right, multi wrong -> IG
        _rec("3#3steps_1", True), _rec("3#3steps_2", True), _rec("3#3steps_3", True),
        _rec("3#3steps_multi", False),
        # problem 4: every step wrong, multi right -> RM strict and loose
        _rec("4#2steps_1", False), _rec("4#2steps_2", False), _rec("4#2steps_multi", True),
        # problem 5: a step wrong, multi wrong -> IK
        _rec("5#2steps_1", False), _rec("5#2steps_2", True), _rec("5#2steps_multi", False),
        # problem 6: incomplete (its multi-step question not scored) -> left out
        _rec("6#2steps_1", True),
    ]
    m = {x.name: (x.k, x.n) for x in wemath_metrics(recs)}
    assert m["IK"] == (1, 5) and m["IG"] == (1, 5)
    assert m["CM (strict)"] == (1, 5) and m["CM (loose)"] == (2, 5)
    assert m["RM (strict)"] == (2, 3) and m["RM (loose)"] == (1, 3)
    assert m["score (strict)"] == (5 - 0.5 - 2 - 1, 5)
    assert m["score (loose)"] == (5 - 0.5 - 1 - 1, 5)


def test_hallusion_metrics() -> None:
    recs = [
        _rec("VD/ocr/0/0/0", True), _rec("VD/ocr/0/0/1", True),  # figure 0 all right
        _rec("VD/ocr/0/1/0", True), _rec("VD/ocr/0/1/1", False),  # figure 1 one wrong
        _rec("VS/chart/0/0/0", False),  # VS figure 0: no figure, left out of fAcc
        _rec("VS/chart/0/1/0", True),
    ]
    m = {x.name: (x.k, x.n) for x in hallusion_metrics(recs)}
    assert m["aAcc"] == (4, 6)
    # questions: VD q0 (T,T) ok, VD q1 (T,F) no, VS q0 (F,T) no
    assert m["qAcc"] == (1, 3)
    # figures: VD fig0 ok, VD fig1 no, VS fig1 ok
    assert m["fAcc"] == (2, 3)


def test_mathverse_versions() -> None:
    recs = [_rec("1", True, "Vision Only"), _rec("2", False, "Vision Only"),
            _rec("3", True, "Text Lite")]
    m = {x.name: (x.k, x.n) for x in mathverse_metrics(recs)}
    assert m == {"Text Lite": (1, 1), "Vision Only": (1, 2)}


def test_rescore_free_form_on_our_benchmarks(tmp_path: Path, parquet_dir: Path) -> None:
    """`rescore --profile free-form` reads our tasks' test files and keys records by their ids."""
    from othink_bench.cli import main

    preds = tmp_path / "preds.jsonl"
    rows = [{"sample_id": "VD/ocr/0/0/0", "output": "Yes, it is larger."},  # gold yes
            {"sample_id": "VD/ocr/0/0/1", "output": "Yes."},  # gold no
            {"sample_id": "VD/ocr/0/1/0", "output": "I can't tell from this image."}]
    preds.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "rescored.jsonl"
    assert main(["rescore", str(preds), "--task", "hallusionbench", "--data",
                 str(parquet_dir / "hallusionbench.parquet"), "--profile", "free-form",
                 "--output", str(out)]) == 0
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(g["id"], g["correct"]) for g in got] == [
        ("VD/ocr/0/0/0", True), ("VD/ocr/0/0/1", False), ("VD/ocr/0/1/0", False)]
    assert got[2]["non_answer"] is not None


def test_mathvista_and_mathv_metrics_split_every_dimension() -> None:
    """MathVista's category, task, context, grade and each skill, MATH-V's level and subject."""
    recs = [
        _rec("1", True, "category=math-targeted-vqa; task=geometry problem solving; "
                        "context=geometry diagram; grade=high school; "
                        "skills=geometry reasoning+algebraic reasoning"),
        _rec("2", False, "category=general-vqa; task=figure question answering; "
                         "context=bar chart; grade=daily life; skills=statistical reasoning"),
        _rec("3", True, "category=math-targeted-vqa; task=geometry problem solving; "
                        "context=geometry diagram; grade=college; skills=geometry reasoning"),
        _rec("4", True),  # no label: counted nowhere
    ]
    got = {m.name: (m.k, m.n) for m in by_dimension(recs)}
    assert got["category=math-targeted-vqa"] == (2, 2)
    assert got["category=general-vqa"] == (0, 1)
    assert got["task=geometry problem solving"] == (2, 2)
    assert got["context=bar chart"] == (0, 1)
    assert got["grade=college"] == (1, 1) and got["grade=high school"] == (1, 1)
    assert got["skills=geometry reasoning"] == (2, 2)  # a problem counts under each skill
    assert got["skills=algebraic reasoning"] == (1, 1)
    names = [m.name for m in by_dimension(recs)]
    assert [n.split("=")[0] for n in names] == sorted(
        (n.split("=")[0] for n in names),
        key=["category", "task", "context", "grade", "skills"].index)
    mathv = [_rec("a", True, "level=2; subject=metric geometry - angle"),
             _rec("b", False, "level=2; subject=algebra")]
    got = {m.name: (m.k, m.n) for m in by_dimension(mathv)}
    assert got == {"level=2": (1, 2), "subject=algebra": (0, 1),
                   "subject=metric geometry - angle": (1, 1)}
    assert metrics_for("mathvista") is by_dimension is metrics_for("mathvision")
