"""`othink-bench rescore` on the reference JSON layout and on our own records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from othink_bench.cli import main


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
