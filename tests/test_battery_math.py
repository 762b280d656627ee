"""MathVista and MATH-V: both loaders on exact-schema fixtures, prompt variants, breakdowns, and
`rescore --profile` on the benchmarks' official output layouts."""

from __future__ import annotations

import json
import re
from argparse import Namespace
from pathlib import Path

import pytest

from othink_bench.commands.rescore import execute_rescore
from othink_bench.data_sources import DataSourceError
from othink_bench.registry import get_task
from othink_bench.task import PROMPT_SUFFIX
from tests.battery_fixtures import (
    MATHV_ROWS,
    MATHVISTA_ROWS,
    write_mathv_hub,
    write_mathv_release,
    write_mathvista_hub,
    write_mathvista_release,
)


def _view(samples):  # type: ignore[no-untyped-def]
    return [(s.id, s.question, s.gold, {k: v for k, v in s.meta.items()}) for s in samples]


def test_mathvista_release_and_hub_copies_load_the_same_samples(tmp_path: Path) -> None:
    task = get_task("mathvista")
    local = task.load(source="local", data=write_mathvista_release(tmp_path / "repo"))
    hub = task.load(source="hub", data=write_mathvista_hub(tmp_path / "hub"))
    assert _view(local) == _view(hub)
    assert [s.meta["answer_type"] for s in local] == ["float", "integer", "choice", "list", "choice"]
    first = local[0]
    assert first.id == "mathvista/testmini/1" and first.meta["benchmark_id"] == "1"
    assert first.meta["precision"] == 1 and isinstance(first.meta["precision"], int)
    assert local[1].meta["unit"] == "g" and local[2].meta["options"] == ["135°", "140°", "145°", "145°"]
    assert (first.meta["category"], first.meta["context"], first.meta["grade"], first.meta["skills"]) == (
        "math-targeted-vqa", "scientific figure", "college", ["scientific reasoning"])
    assert task.breakdown(first).startswith("category=math-targeted-vqa; task=")
    assert [p.split("=")[0] for p in task.breakdown(first).split("; ")] == [
        "category", "task", "context", "grade", "skills"]
    for s in [*local, *hub]:
        assert s.image.load().size == (12, 10)


def test_mathvision_release_and_hub_copies_load_the_same_samples(tmp_path: Path) -> None:
    task = get_task("mathvision")
    local = task.load(source="local", data=write_mathv_release(tmp_path / "repo"))
    hub = task.load(source="hub", data=write_mathv_hub(tmp_path / "hub"))
    assert _view(local) == _view(hub)
    kinds = [(s.meta["answer_type"], s.meta["options"]) for s in local]
    assert kinds == [("choice", MATHV_ROWS[0]["options"]), ("integer", []),
                     ("choice", list("ABCDE")), ("float", [])]
    assert [task.breakdown(s).split("; ")[0] for s in local] == [
        "level=2", "level=1", "level=3", "level=4"]
    assert all(task.breakdown(s).split("; ")[1].startswith("subject=") for s in local)
    assert local[0].meta["subject"] == "solid geometry"
    full = get_task("mathvision-full").load(source="hub", data=write_mathv_hub(tmp_path / "full", "test"))
    assert [s.id for s in full][:1] == ["mathvision/test/1"]


def test_prompt_variants(tmp_path: Path) -> None:
    from tasks.battery.mathvision import OFFICIAL_INSTRUCTION, MathVision
    from tasks.battery.mathvista import MathVista

    samples = MathVista().load(source="local", data=write_mathvista_release(tmp_path / "mv"))
    paper = MathVista().prompt_text(samples[2])
    assert paper.startswith(samples[2].question) and paper.endswith(PROMPT_SUFFIX)
    assert "(D) 145°" in paper
    official = MathVista(prompt_variant="official")
    assert official.prompt_text(samples[0]) == f"Hint: answer the question.\nQuestion: {MATHVISTA_ROWS[0]['question']}"
    assert official.knobs["prompt"] == "official"
    mv = MathVision(prompt_variant="official")
    ms = mv.load(source="local", data=write_mathv_release(tmp_path / "mathv"))
    text = mv.prompt_text(ms[0])
    assert text.startswith(OFFICIAL_INSTRUCTION) and text.endswith("(E) 15 cm")
    assert "(A)" not in mv.prompt_text(ms[2])  # options drawn in the image are not listed
    with pytest.raises(ValueError, match="unknown prompt variant 'x'"):
        MathVista(prompt_variant="x")


def test_bad_data_is_a_clear_error(tmp_path: Path) -> None:
    """A bad row is one data-error sample naming the file, the row and the field, and the load
    goes on (the battery's one load path); a missing file or source is refused outright."""
    task = get_task("mathvista")
    with pytest.raises(DataSourceError, match="test split only"):
        task.load(split="train")
    bad = tmp_path / "data" / "testmini.json"
    bad.parent.mkdir()
    rows = {r["pid"]: dict(r) for r in MATHVISTA_ROWS}
    rows["3"]["answer"] = "150°"
    bad.write_text(json.dumps(rows))
    samples = task.load(source="local", data=bad)
    errors = [s for s in samples if "error" in s.meta]
    assert len(samples) == len(MATHVISTA_ROWS) and len(errors) == 1
    assert re.search(r"testmini.json: row 2: choice gold '150°' names none", errors[0].meta["error"])
    del rows["3"]["answer"]
    rows["4"]["precision"] = "two"
    bad.write_text(json.dumps(rows))
    errors = [s.meta["error"] for s in task.load(source="local", data=bad) if "error" in s.meta]
    assert len(errors) == 2
    assert "row 2: missing field(s) answer" in errors[0]
    assert "row 3: 'precision' is 'two'; expected an integer or null" in errors[1]
    (tmp_path / "data" / "query.json").write_text("[1, 2]")
    with pytest.raises(DataSourceError, match=r"query.json: expected a JSON object \{pid: query\}"):
        task.load(source="local", data=bad)
    with pytest.raises(DataSourceError, match="needs --data PATH"):
        task.load(source="local")
    with pytest.raises(DataSourceError, match="no such data path"):
        task.load(source="local", data=tmp_path / "absent.json")


def _rescore(tmp_path: Path, pred: Path, task: str, data: Path, profile: str = "free-form"):  # type: ignore[no-untyped-def]
    out = tmp_path / "scored.jsonl"
    rc = execute_rescore(Namespace(path=pred, task=task, data=data, profile=profile, source=None,
                                   output=out, json=True))
    return rc, [json.loads(line) for line in out.read_text().splitlines()] if rc == 0 else []


def test_rescore_reads_mathvista_official_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ann = write_mathvista_release(tmp_path / "repo")
    responses = {
        "1": ("The spring is compressed by d = 1.19 cm, so the answer is 1.19.", False),  # rounds to 1.2
        "2": ("", True),  # the official scorer credits some empty responses
        "3": ("The correct answer is (D) 145°.", True),
        "4": ("The answer is [2014, 2016].", True),
        "5": ("No, Dark Orchid is not the maximum.", True),
    }
    doc = {pid: {**next(r for r in MATHVISTA_ROWS if r["pid"] == pid), "response": resp,
                 "extraction": "", "prediction": "", "true_false": tf}
           for pid, (resp, tf) in responses.items()}
    pred = tmp_path / "output_model.json"
    pred.write_text(json.dumps(doc))
    rc, rows = _rescore(tmp_path, pred, "mathvista", ann)
    assert rc == 0, capsys.readouterr().err
    got = {r["id"]: (r["correct"], r["extracted"], r["non_answer"]) for r in rows}
    assert got == {"1": (True, "1.19", None), "2": (False, None, "empty"), "3": (True, "C", None),
                   "4": (True, "[2014, 2016]", None), "5": (True, "B", None)}
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 5 and summary["agreement"]["correct"] == pytest.approx(3 / 5)
    assert summary["non_answers"] == {"empty": 1}


def test_rescore_reads_mathv_outputs_and_sample_id_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ann = write_mathv_release(tmp_path / "repo")
    lines = [{"id": "1", "response": "Thus \\boxed{B}", "correct": True},
             {"id": "4", "response": "I see six digits, so the answer is 6.", "correct": True},
             {"id": "7", "response": "The answer is F.", "correct": False},
             {"id": "9", "response": "The shaded part is 1/4.", "correct": True}]
    pred = tmp_path / "mathv.jsonl"
    pred.write_text("".join(json.dumps(x) + "\n" for x in lines))
    rc, rows = _rescore(tmp_path, pred, "mathvision", ann)
    assert rc == 0, capsys.readouterr().err
    assert [(r["id"], r["correct"]) for r in rows] == [("1", True), ("4", True), ("7", False), ("9", True)]
    capsys.readouterr()
    ours = tmp_path / "ours.jsonl"
    ours.write_text(json.dumps({"sample_id": "mathvision/testmini/4", "output": "<answer>6</answer>"}) + "\n")
    rc, rows = _rescore(tmp_path, ours, "mathvision", ann, profile="strict")
    assert rc == 0 and rows[0]["id"] == "4" and rows[0]["correct"] is True
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "999", "response": "6"}) + "\n")
    rc, _ = _rescore(tmp_path, bad, "mathvision", ann)
    assert rc == 2 and "'999'" in capsys.readouterr().err


def test_rescore_without_the_test_file_is_refused_for_typed_tasks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "records.jsonl"
    rec.write_text(json.dumps({"sample_id": "mathvista/testmini/3", "task": "mathvista", "gold": "145°",
                               "output": "<answer>C</answer>"}) + "\n")
    assert execute_rescore(Namespace(path=rec, task="mathvista", output=None, json=True)) == 2
    assert "pass --data TESTFILE" in capsys.readouterr().err
