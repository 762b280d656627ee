"""Peers' scorers as profiles (issue 27, item 2): ``r1v-legacy`` (R1-V's counting and GeoQA
scripts) and ``math-verify-whole``; ``rescore --profile`` against a log's own verdicts,
``rescore --compare-profiles``, and ``run --profile`` recording verdicts beside the strict one.

The fixtures are constructed here in the layout of R1-V's logs (``{"accuracy", "results":
[{"question", "ground_truth", "model_output", "extracted_answer"[, "is_correct"]}]}``, integer
golds for counting), with verdicts worked out by hand from R1-V's scripts; no R1-V data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from othink_bench.answers.peers import parse_profiles, resolve_profile
from othink_bench.answers.r1v_legacy import r1v_count
from othink_bench.backends import ScriptedBackend
from othink_bench.cli import main
from othink_bench.harness import evaluate
from othink_bench.records import read_records
from othink_bench.registry import get_task
from othink_bench.task import ImageRef, Sample

pytest.importorskip("math_verify")


@pytest.mark.parametrize(
    ("output", "count"),
    [
        ("<answer>4</answer>", 4),
        ("<think>x</think>\n<answer>\n    7\n    </answer>", 7),  # white space around digits
        ("<answer>3</answer> then <answer>5</answer>", 3),  # re.search: the first block
        ("<answer>four</answer>", None),
        ("<answer>4.</answer>", None),
        ("<answer>4 objects</answer>", None),
        ("<think>4</think><answer>4", None),  # cut off before </answer>
        ("There are 4 objects.", None),
        ("<answer>-3</answer>", None),
    ],
)
def test_r1v_counting_extraction(output: str, count: int | None) -> None:
    assert r1v_count(output) == count


def _sample(gold: str) -> Sample:
    return Sample(id="s", question="q", gold=gold, image=ImageRef())


def test_r1v_legacy_counting_differs_from_strict_where_r1v_does() -> None:
    vc, profile = get_task("vc"), resolve_profile("r1v-legacy")
    # strict takes the LAST block, R1-V the first all-digit one
    out = "<answer>3</answer> no wait <answer>4</answer>"
    assert profile.score(vc, _sample("3"), out).correct is True
    assert vc.score(out, _sample("3")).correct is False
    # strict reads a number word; R1-V's regex wants digits
    assert profile.score(vc, _sample("4"), "<answer>four</answer>").correct is False
    assert vc.score("<answer>four</answer>", _sample("4")).correct is True


def test_math_verify_whole_reads_untagged_text() -> None:
    gr = get_task("gr")
    whole = resolve_profile("math-verify-whole")
    legacy = resolve_profile("r1v-legacy")
    out = "The angle is therefore 40 degrees, so the answer is $40$"
    assert whole.score(gr, _sample("40°"), out).correct is True
    assert legacy.score(gr, _sample("40°"), out).correct is True  # GeoQA: the same reading
    assert gr.score(out, _sample("40°")).correct is False  # strict: no <answer> block


def test_unknown_profile_lists_them() -> None:
    with pytest.raises(ValueError, match="free-form, math-verify-whole, r1v-legacy, strict"):
        parse_profiles(["r1v-legacy,r1v"])
    assert parse_profiles(["r1v-legacy", "math-verify-whole,r1v-legacy"]) == (
        "r1v-legacy", "math-verify-whole")


def counting_log(path: Path) -> Path:
    """R1-V's counting log layout: integer golds, the extraction, no verdict field."""
    rows = [
        (4, "<answer>4</answer>"),  # right
        (5, "<think>five</think>\n<answer>\n 5\n </answer>"),  # right
        (6, "<answer>7</answer>"),  # wrong
        (3, "<answer>three</answer>"),  # no answer for R1-V; strict reads 3
        (8, "<answer>2</answer><answer>8</answer>"),  # R1-V: 2 (first); strict: 8
        (9, "I see 9 things"),  # no answer anywhere tagged
    ]
    results = []
    for gold, out in rows:
        extracted = r1v_count(out)
        results.append({"question": {"question": "How many?", "ground_truth": gold},
                        "ground_truth": gold, "model_output": out,
                        "extracted_answer": extracted})
    path.write_text(json.dumps({"accuracy": 100 * 2 / 6, "results": results}))
    return path


def rescore_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    rc = main(["rescore", *args, "--json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    summary: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return summary


def test_rescore_r1v_legacy_reproduces_a_counting_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = counting_log(tmp_path / "counting.json")
    s = rescore_json([str(log), "--task", "vc", "--profile", "r1v-legacy"], capsys)
    p = s["profiles"]["r1v-legacy"]
    assert s["agreement"]["verdicts_from"] == ["implied"]
    assert p["n"] == 6 and p["correct"] == 2
    assert p["agreement"]["agree"] == p["agreement"]["n_with_verdicts"] == 6
    assert p["agreement"]["agree_extracted"] == p["agreement"]["n_with_extracted"] == 4
    assert p["agreement"]["agree_none"] == p["agreement"]["n_none_extracted"] == 2
    assert s["reported_accuracy"] == pytest.approx(100 * 2 / 6)
    assert s["accuracy"] == pytest.approx(4 / 6)  # strict: 4, 5, "three", the last block 8


def test_rescore_names_a_disagreement(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    log = counting_log(tmp_path / "counting.json")
    doc = json.loads(log.read_text())
    doc["results"][2]["extracted_answer"] = 6  # as if the script had read 6: implied right
    log.write_text(json.dumps(doc))
    s = rescore_json([str(log), "--task", "vc", "--profile", "r1v-legacy"], capsys)
    ag = s["profiles"]["r1v-legacy"]["agreement"]
    assert (ag["agree"], ag["n_with_verdicts"]) == (5, 6)
    (d,) = ag["first_disagreements"]
    assert d["where"].endswith("results[2]") and d["theirs"] is True and d["ours"] is False
    assert d["their_extracted"] == "6" and d["extracted"] == "7"


def test_rescore_r1v_legacy_reproduces_a_geoqa_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # is_correct as R1-V's GeoQA script sets it (math_verify on the whole output; math-verify
    # 0.9.0 reads a number after white space, not one glued to a tag)
    rows = [
        ("140°", "The answer is 140", True),  # no tags: credited all the same
        ("3", "<think>x</think>\n<answer> 3 </answer>", True),
        ("3", "<think>x</think>\n<answer>3</answer>", False),  # the glued 3 is not read
        ("40°", "<think>The exterior angle is 140 degrees.</think><answer>40</answer>", False),
        ("\\frac{12}{5}", "$\\frac{12}{5}$", True),
    ]
    results = [{"question": {}, "ground_truth": g, "model_output": o, "is_correct": c}
               for g, o, c in rows]
    log = tmp_path / "geoqa.json"
    log.write_text(json.dumps({"accuracy": 80.0, "results": results}))
    s = rescore_json([str(log), "--task", "gr", "--profile", "r1v-legacy", "--profile",
                      "math-verify-whole"], capsys)
    for name in ("r1v-legacy", "math-verify-whole"):
        ag = s["profiles"][name]["agreement"]
        assert (ag["agree"], ag["n_with_verdicts"]) == (5, 5), ag["first_disagreements"]
    assert s["agreement"]["verdicts_from"] == ["file"]
    assert s["profiles"]["r1v-legacy"]["correct"] == 3
    assert s["accuracy"] == pytest.approx(3 / 5)  # strict: rows 1, 2 and 3


def test_compare_profiles_counts_each_direction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = counting_log(tmp_path / "counting.json")
    s = rescore_json([str(log), "--task", "vc", "--compare-profiles", "strict,r1v-legacy"],
                     capsys)
    c = s["compare_profiles"]
    assert c["n"] == 6
    assert c["accuracy"] == {"strict": pytest.approx(4 / 6), "r1v-legacy": pytest.approx(2 / 6)}
    # strict only: "three" and the last block 8; r1v-legacy only: none
    assert c["right_only_under"] == {"strict": 2, "r1v-legacy": 0}
    wheres = [e["where"][-10:] for e in c["examples"]["strict"]]
    assert wheres == ["results[3]", "results[4]"]
    assert main(["rescore", str(log), "--task", "vc", "--compare-profiles",
                 "strict,r1v-legacy"]) == 0
    text = capsys.readouterr().out
    assert "right under strict only (wrong under r1v-legacy)  2" in text
    assert "first examples right under strict, wrong under r1v-legacy:" in text


def test_compare_profiles_refuses_a_bad_pair(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    log = counting_log(tmp_path / "counting.json")
    assert main(["rescore", str(log), "--task", "vc", "--compare-profiles", "strict"]) == 2
    assert "two different profile names" in capsys.readouterr().err


def test_run_records_profiles_beside_strict(tmp_path: Path) -> None:
    outputs = ["<answer>3</answer> <answer>GOLD</answer>", "<answer>GOLD</answer>"]

    def script(request: Any) -> str:
        i = int(request.sample_id.rsplit("/", 1)[1])
        return outputs[i % 2]

    task = get_task("vc-synth-tiny")
    golds = {s.id: s.gold for s in task.load("test", limit=4)}

    def answer(request: Any) -> str:
        return script(request).replace("GOLD", golds[request.sample_id])

    (s,) = evaluate("scripted", "vc-synth-tiny", backend=ScriptedBackend(answer), out=tmp_path,
                    limit=4, progress=False, profiles=("r1v-legacy",))
    records = read_records(s.run_dir / "records.jsonl")
    assert all(r.correct for r in records)  # strict: the last block
    for r in records:
        assert r.profiles is not None
        legacy = r.profiles["r1v-legacy"]
        assert legacy.correct == (r.index % 2 == 1 or r.gold == "3")
    legacy_right = sum(bool(r.profiles and r.profiles["r1v-legacy"].correct) for r in records)
    assert s.metrics.accuracy.k == 4
    assert s.metrics.profiles["r1v-legacy"].k == legacy_right
    results = json.loads((s.run_dir / "results.json").read_text())
    assert results["profiles"]["r1v-legacy"]["k"] == legacy_right
    assert results["accuracy"]["k"] == 4 and "prompt" not in results
    # run ids do not depend on the profiles recorded
    (again,) = evaluate("scripted", "vc-synth-tiny", backend=ScriptedBackend(answer),
                        out=tmp_path, limit=4, progress=False)
    assert again.run_dir == s.run_dir


def test_cli_refuses_an_unknown_profile(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["run", "--model", "tiny", "--tasks", "vc-synth-tiny", "--profile", "r1v-legacy",
               "--profile", "lmms-eval", "--out", str(tmp_path)])
    assert rc == 2
    assert "no scoring profile 'lmms-eval'" in capsys.readouterr().err


def test_a_failing_peer_scorer_is_an_error_of_that_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import othink_bench.answers.math_verify_whole as mvw
    from othink_bench.answers.mathverify_worker import MathVerifyTimeout

    class Stuck:
        def check(self, output: str, gold: str) -> tuple[str | None, bool]:
            raise MathVerifyTimeout("math_verify took over 60 s on one output")

    monkeypatch.setattr(mvw, "shared_worker", lambda: Stuck())
    (s,) = evaluate("scripted", "gr-synth-tiny",
                    backend=ScriptedBackend(lambda r: "<answer>30</answer>"), out=tmp_path,
                    limit=3, progress=False, profiles=("math-verify-whole",))
    for r in read_records(s.run_dir / "records.jsonl"):
        got = r.profiles["math-verify-whole"] if r.profiles else None
        assert got is not None and got.correct is False
        assert got.error == "MathVerifyTimeout: math_verify took over 60 s on one output"
        assert r.error is None  # the strict verdict stands


def test_worker_deadline_and_restart() -> None:
    from othink_bench.answers.mathverify_worker import MathVerifyTimeout, MathVerifyWorker

    worker = MathVerifyWorker(deadline_s=0.0)  # no child starts in no time
    with pytest.raises(MathVerifyTimeout, match="did not start"):
        worker.check("5", "5")
    worker.deadline_s = 60.0
    try:
        assert worker.check("so it is 5", "5") == ("5", True)
    finally:
        worker.close()
