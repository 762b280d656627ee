"""`othink-bench rescore` on the reference JSON layout and on our own records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from othink_bench.cli import main
from othink_bench.registry import get_task


def test_rescore_reference_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = [
        # tagged and right; the file agrees
        {
            "question": "q",
            "ground_truth": "140°",
            "model_output": "<think>a</think><answer>140</answer>",
            "extracted_answer": "140",
            "is_correct": True,
        },
        # number glued to the tag: right, the reference parser said wrong
        {
            "question": "q",
            "ground_truth": "100",
            "model_output": "<answer>100.0</answer>",
            "extracted_answer": "100.0",
            "is_correct": False,
        },
        # no tag: strict wrong, lenient right
        {
            "question": "q",
            "ground_truth": "40",
            "model_output": "Therefore, the answer is 40.",
            "is_correct": True,
        },
        # unicode surd read in full (not just the coefficient)
        {
            "question": "q",
            "ground_truth": "8√{3}",
            "model_output": "<answer>8</answer>",
            "is_correct": True,
        },
    ]
    path = tmp_path / "res.json"
    path.write_text(json.dumps({"accuracy": 0.75, "results": results}, ensure_ascii=False))
    out = tmp_path / "scored.jsonl"
    assert main(["rescore", str(path), "--task", "gr", "--json", "--output", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n"] == 4
    assert summary["accuracy"] == pytest.approx(0.5)
    assert summary["lenient_accuracy"] == pytest.approx(0.75)
    assert summary["format_rate"] == pytest.approx(0.25)
    assert summary["agreement"]["correct"] == pytest.approx(0.25)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["index"] for r in rows] == [0, 1, 2, 3]
    assert [r["correct"] for r in rows] == [True, True, False, False]
    assert rows[2]["extracted"] is None and rows[2]["lenient_correct"] is True


def test_rescore_own_records_and_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "records.jsonl"
    rec.write_text(
        "\n".join(
            json.dumps({"gold": g, "output": o})
            for g, o in [
                ("3", "<think>.</think><answer>three</answer>"),
                ("4", "<answer>3</answer>"),
            ]
        )
        + "\n"
    )
    assert main(["rescore", str(rec), "--task", "vc", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["accuracy"] == 0.5 and summary["format_rate"] == 0.5
    bad = tmp_path / "bad.jsonl"
    bad.write_text("nonsense\n")
    assert main(["rescore", str(bad), "--task", "vc"]) == 2
    assert "not JSON" in capsys.readouterr().err


# -- bad input: a clear error naming the file (and line), a non-zero exit, nothing half-written --


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_lone_surrogate_with_output_writes_every_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "records.jsonl"
    lines = [
        '{"gold": "3", "output": "<answer>3</answer>"}',
        '{"gold": "4", "output": "<answer>4 \\ud800</answer>"}',  # a lone surrogate (escaped)
        '{"gold": "5", "output": "<answer>6</answer>"}',
    ]
    rec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "scored.jsonl"
    assert main(["rescore", str(rec), "--task", "vc", "--json", "--output", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["correct"] for r in rows] == [True, True, False]
    assert rows[1]["extracted"] == "4 \ud800"  # kept, escaped in the file
    assert not list(tmp_path.glob(".*.tmp"))
    assert json.loads(capsys.readouterr().out)["n"] == 3


def test_an_output_that_cannot_be_written_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "records.jsonl"
    rec.write_text('{"gold": "3", "output": "<answer>3</answer>"}\n', encoding="utf-8")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where --output wants a folder", encoding="utf-8")
    out = blocker / "scored.jsonl"
    assert main(["rescore", str(rec), "--task", "vc", "--output", str(out)]) == 2
    assert f"cannot write {out}" in _err(capsys)
    assert rec.read_text(encoding="utf-8").count("\n") == 1  # the input is untouched


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"gold": "3", "output": "x"}\n{"gold": "4", "output": "\xff"}\n', ":2: not UTF-8"),
        (b"[" * 200_000 + b"]" * 200_000 + b"\n", ":1: JSON nested too deeply"),
        (b"", "no predictions in the file"),
        (b"\n\n", "no predictions in the file"),
        (b'{"results": []}', "no predictions in the file"),
    ],
    ids=["non-utf8", "deep", "empty", "blank", "no-results"],
)
def test_unreadable_files_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, expected: str
) -> None:
    path = tmp_path / "preds.jsonl"
    path.write_bytes(content)
    out = tmp_path / "scored.jsonl"
    assert main(["rescore", str(path), "--task", "vc", "--output", str(out)]) == 2
    err = _err(capsys)
    assert str(path) in err and expected in err
    assert not out.exists()


def test_verdicts_are_booleans_not_truthy_strings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = tmp_path / "res.json"
    item = {"ground_truth": "3", "model_output": "<answer>3</answer>", "is_correct": "false"}
    ref.write_text(json.dumps({"results": [item]}))
    assert main(["rescore", str(ref), "--task", "vc"]) == 2
    err = _err(capsys)
    assert f"{ref}: results[0]" in err and "'is_correct' is a string" in err
    rec = tmp_path / "records.jsonl"
    rec.write_text('{"gold": "3", "output": "<answer>3</answer>"}\n'
                   '{"gold": "3", "output": "<answer>3</answer>", "correct": "yes"}\n')  # fmt: skip
    assert main(["rescore", str(rec), "--task", "vc"]) == 2
    assert f"{rec}:2: 'correct' is a string" in _err(capsys)


def test_golds_that_are_not_answers_are_gold_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = [
        {"ground_truth": g, "model_output": o}
        for g, o in [
            ({"x": 1}, "<answer>1</answer>"),
            ([3], "<answer>3</answer>"),
            (-3, "<answer>3</answer>"),
            (True, "<answer>1</answer>"),
            (None, "<answer>1</answer>"),
            (3, "<answer>3</answer>"),  # a JSON number is a fine gold
            ("4", "<answer>5</answer>"),
        ]
    ]
    ref = tmp_path / "res.json"
    ref.write_text(json.dumps({"results": results}))
    out = tmp_path / "scored.jsonl"
    assert main(["rescore", str(ref), "--task", "vc", "--json", "--output", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows"], summary["n"], summary["gold_errors"]) == (7, 2, 5)
    assert summary["accuracy"] == pytest.approx(0.5)  # over the scored samples, as `run`
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["error_kind"] for r in rows[:5]] == ["gold"] * 5
    assert "an object" in rows[0]["error"] and "a list" in rows[1]["error"]
    assert "'-3'" in rows[2]["error"]
    assert rows[5]["correct"] is True and rows[5]["gold"] == "3"


def test_only_unverifiable_golds_is_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = tmp_path / "res.json"
    ref.write_text(json.dumps({"results": [{"ground_truth": [3], "model_output": "3"}]}))
    assert main(["rescore", str(ref), "--task", "vc"]) == 1
    assert "no sample" in _err(capsys)


# -- run folders and the task from the records --------------------------------------------------


def _run_folder(root: Path, task: str = "vc-synth") -> Path:
    from othink_bench.records import Manifest, ModelInfo, RunRecord, append_records, write_manifest

    run = root / "run"
    run.mkdir()
    write_manifest(run, Manifest(run_id="run", model=ModelInfo(name="tiny"), task=task,
                                 task_version="1.0", source="synthetic", split="test"))  # fmt: skip
    append_records(run / "records.jsonl", [
        RunRecord(sample_id=f"s{i}", index=i, task=task, task_version="1.0", gold=str(g),
                  output=f"<think>.</think><answer>{o}</answer>")
        for i, (g, o) in enumerate([(3, 3), (4, 4), (5, 4), (6, 6)])
    ])  # fmt: skip
    return run


def test_rescore_a_run_folder_takes_its_task_and_prints_percent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _run_folder(tmp_path)
    assert main(["rescore", str(run)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"vc-synth v{get_task('vc-synth').version}: {run / 'records.jsonl'}")
    assert "75.0 [" in out and "format %" in out and "100.0" in out  # percent, as `run` prints
    assert main(["rescore", str(run / "records.jsonl"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["task"] == "vc-synth"


def test_rescore_with_another_task_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _run_folder(tmp_path)
    assert main(["rescore", str(run), "--task", "vc", "--json"]) == 0
    captured = capsys.readouterr()
    assert "records of task vc-synth, rescored here with vc" in captured.err
    assert json.loads(captured.out)["task"] == "vc"


def test_a_task_is_needed_when_the_file_names_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = tmp_path / "res.json"
    ref.write_text(json.dumps({"results": [{"ground_truth": "3", "model_output": "3"}]}))
    assert main(["rescore", str(ref)]) == 2
    assert "give --task" in _err(capsys)


def test_a_damaged_manifest_names_the_file_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _run_folder(tmp_path)
    manifest = run / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:40])  # truncated
    assert main(["rescore", str(run)]) == 2
    err = _err(capsys)
    assert str(manifest) in err and "delete the run folder" in err


def test_line_separators_inside_strings_and_a_partial_last_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "records.jsonl"
    good = json.dumps({"gold": "3", "output": "a\u2028b\x85<answer>3</answer>"}, ensure_ascii=False)
    rec.write_text(good + "\n" + good + "\n" + '{"gold": "4", "outp', encoding="utf-8")
    assert main(["rescore", str(rec), "--task", "vc", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["n"] == 2
    assert f"{rec}:3: left out a partial last line" in captured.err
    rec.write_text('{"gold": "4", "outp\n' + good + "\n", encoding="utf-8")  # not the last line
    assert main(["rescore", str(rec), "--task", "vc"]) == 2
    assert f"{rec}:1: not JSON" in capsys.readouterr().err
