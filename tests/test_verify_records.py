"""Boards, `compare` and `view` check the records they read against the run (issue 28, item 5).

Each case is a real 20-sample run (11 right: 55%) whose records.jsonl is then tampered with the
way the fault test did; the run must be refused by all three readers, never counted silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness_fixtures import ToyCount, cli, gold_of, install

from leaderboard.collect import collect
from leaderboard.viewer.data import load_view
from othink_bench.backends import GenRequest, ScriptedBackend
from othink_bench.compare import CompareError, compare_runs
from othink_bench.harness import evaluate
from othink_bench.records import read_manifest
from othink_bench.verify_records import UnverifiedRun, check_run, verified_records

RIGHT = set(range(11))  # 11 of 20: 55%


def scripted(name: str) -> ScriptedBackend:
    """A backend answering right on RIGHT; ``name`` makes its run folder its own."""

    def script(request: GenRequest) -> str:
        i = int(request.sample_id.rsplit("-", 1)[1])
        g = gold_of(i)
        return f"<think>.</think><answer>{g if i in RIGHT else g + 1}</answer>"

    script.__qualname__ = f"script_{name}"
    return ScriptedBackend(script)



def make(out: Path, name: str = "m", **kw: object) -> Path:
    kw.setdefault("limit", 20)
    (s,) = evaluate(name, "toy-count", backend=scripted(name), out=out, progress=False, **kw)
    return s.run_dir


def lines(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "records.jsonl").read_text().splitlines()]


def write(run: Path, rows: list[dict]) -> None:
    (run / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def board_accuracy(root: Path, run: Path) -> tuple[float | None, str | None]:
    """The board's accuracy of ``run``, or the reason it fills no cell."""
    got = collect([root])
    rid = read_manifest(run).run_id
    for r in got.runs:
        if r.run_id == rid:
            return r.accuracy.value, None
    (skip,) = [s for s in got.skipped if s.run_id == rid]
    return None, skip.reason


def refused_everywhere(root: Path, run: Path, honest: Path, *needles: str) -> None:
    """Board: no cell, the reason listed; compare and view: refused with the reason (the honest
    run beside it still counts and is still viewed)."""
    assert honest != run and board_accuracy(root, honest) == (pytest.approx(0.55), None)
    assert len(load_view(honest, None).records) == 20
    acc, reason = board_accuracy(root, run)
    assert acc is None and reason is not None and "do not verify" in reason
    for needle in needles:
        assert needle in reason
    with pytest.raises(CompareError, match="run B is refused, its records do not verify"):
        compare_runs(honest, run, n_boot=50)
    with pytest.raises(UnverifiedRun):
        load_view(run, None)


def test_an_honest_run_verifies_and_counts(toys: None, tmp_path: Path) -> None:
    run = make(tmp_path)
    check = check_run(run)
    assert check.ok, check.problems
    assert check.notes == []  # the installed task has the run's version: verdicts rechecked
    assert len(check.records) == 20
    assert board_accuracy(tmp_path, run) == (pytest.approx(0.55), None)


def test_a_second_record_for_a_sample_is_refused(toys: None, tmp_path: Path) -> None:
    honest, run = make(tmp_path, "a"), make(tmp_path, "b")
    rows = lines(run)
    wrong = next(r for r in rows if not r["correct"])
    fixed = dict(wrong, output=f"<think>.</think><answer>{wrong['gold']}</answer>",
                 extracted=wrong["gold"], lenient_extracted=wrong["gold"],
                 correct=True, lenient_correct=True)  # fmt: skip
    write(run, [*rows, fixed])  # wrong, then "correct" with a matching output: 60% if counted
    problems = check_run(run).problems
    assert len(problems) == 1 and "records.jsonl:21: a second record" in problems[0]
    assert "records.jsonl:" in problems[0] and "delete" in problems[0]
    refused_everywhere(tmp_path, run, honest, "records.jsonl:21")


def test_a_redone_error_followed_by_its_record_is_not_a_duplicate(toys: None, tmp_path: Path) -> None:
    run = make(tmp_path)
    rows = lines(run)
    errored = dict(rows[0], output=None, extracted=None, lenient_extracted=None, correct=False,
                   lenient_correct=False, format_ok=False, error="timeout", error_kind="generation")  # fmt: skip
    write(run, [errored, *rows])  # what a rerun leaves before records are merged
    check = check_run(run)
    assert check.ok, check.problems
    assert len(check.records) == 20 and board_accuracy(tmp_path, run)[0] == pytest.approx(0.55)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"index": 25, "sample_id": "toy-count-0025"}, "index 25, outside the run's 20"),
        ({"k": 3}, "draw k=3, but the run draws 1"),
        ({"sample_id": "toy-count-0033"}, "sample count"),
    ],
)
def test_a_record_outside_the_selection_is_refused(
    toys: None, tmp_path: Path, change: dict, needle: str
) -> None:
    honest, run = make(tmp_path, "a"), make(tmp_path, "b")
    rows = lines(run)
    extra = dict(rows[0], **change)
    write(run, [*rows, extra])  # n=21 for a 20-sample run if counted
    problems = check_run(run).problems
    assert problems and all("records.jsonl:21" in p or "21 samples" in p for p in problems)
    joined = " | ".join(problems)
    if needle == "sample count":  # same index, another id: both the id and the count are wrong
        assert "index 0 holds sample" in joined and "records for 21 samples" in joined
    else:
        assert needle in joined
    refused_everywhere(tmp_path, run, honest, "outside the manifest's selection")


def test_flipped_verdicts_are_refused_naming_the_lines(toys: None, tmp_path: Path) -> None:
    honest, run = make(tmp_path, "a"), make(tmp_path, "b")
    rows = lines(run)
    flipped = [n for n, r in enumerate(rows, 1) if not r["correct"]][:5]
    for n in flipped:
        rows[n - 1]["correct"] = True  # 80% on the board if trusted; rescore says 55%
    write(run, rows)
    problems = check_run(run).problems
    assert len(problems) == 5
    for n, p in zip(flipped, problems, strict=True):
        assert f"records.jsonl:{n}: stored verdict" in p and "othink-bench rescore" in p
    refused_everywhere(tmp_path, run, honest, f"records.jsonl:{flipped[0]}", "2 more problem(s)")


def test_an_error_record_stored_as_correct_is_refused(toys: None, tmp_path: Path) -> None:
    run = make(tmp_path)
    rows = lines(run)
    rows[12].update(error="boom", error_kind="generation", correct=True)
    write(run, rows)
    (p,) = check_run(run).problems
    assert "records.jsonl:13" in p and "is an error (generation) yet stored as correct" in p


def test_a_truncated_last_line_of_a_complete_run_is_refused(toys: None, tmp_path: Path) -> None:
    honest, run = make(tmp_path, "a"), make(tmp_path, "b")
    raw = (run / "records.jsonl").read_bytes()
    (run / "records.jsonl").write_bytes(raw[:-40])  # status stays "complete"
    assert read_manifest(run).status == "complete"
    problems = check_run(run).problems
    assert any("records.jsonl:20: a partial last line" in p and "'complete'" in p for p in problems)
    refused_everywhere(tmp_path, run, honest, "partial last line")


def test_a_partial_line_of_an_interrupted_run_is_a_note(toys: None, tmp_path: Path) -> None:
    run = make(tmp_path)
    data = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps(dict(data, status="interrupted")))
    raw = (run / "records.jsonl").read_bytes()
    (run / "records.jsonl").write_bytes(raw[:-40])
    check = check_run(run)
    assert check.ok and len(check.records) == 19
    assert any("partial last line" in n for n in check.notes)


def test_a_removed_line_of_a_complete_run_is_refused(toys: None, tmp_path: Path) -> None:
    run = make(tmp_path)
    write(run, lines(run)[:-1])
    (p,) = check_run(run).problems
    assert "20 requested samples, but the file holds 19" in p


def test_compare_refuses_records_of_another_task(toys: None, tmp_path: Path) -> None:
    honest, run = make(tmp_path, "a"), make(tmp_path, "b")
    write(run, [dict(r, task="toy-count-v2", task_version="2") for r in lines(run)])
    with pytest.raises(CompareError, match="records.jsonl:1: record .* is for task toy-count-v2 2"):
        compare_runs(honest, run, n_boot=50)
    refused_everywhere(tmp_path, run, honest, "a run holds one task version")


def test_verdicts_of_another_task_version_are_noted_not_checked(toys: None, tmp_path: Path) -> None:
    run = make(tmp_path)
    install(ToyCount(n=40, version="9"))  # the verifier changed since the run
    check = check_run(run)
    assert check.ok and any("installed task toy-count is version 9" in n for n in check.notes)
    assert len(verified_records(run)) == 20


def test_the_commands_refuse_a_tampered_run_naming_the_line(
    toys: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    honest, run = make(tmp_path, "a"), make(tmp_path, "b")
    rows = lines(run)
    rows[3]["correct"] = not rows[3]["correct"]
    write(run, rows)
    assert cli(["compare", str(honest), str(run)]) == 2
    assert "records.jsonl:4: stored verdict" in capsys.readouterr().err
    assert cli(["view", str(run), "--out", str(tmp_path / "view"), "--no-images"]) == 2
    assert "records.jsonl:4: stored verdict" in capsys.readouterr().err
    view = tmp_path / "board-view"
    assert cli(["leaderboard", str(tmp_path), "--out", str(tmp_path / "board"), "--no-plots",
                "--viewer", str(view)]) == 0  # fmt: skip
    board = (tmp_path / "board" / "README.md").read_text()
    assert "records.jsonl:4: stored verdict" in board and "do not verify" in board
    pages = {p.name for p in view.iterdir()}
    assert any(honest.name in p for p in pages) and not any(run.name in p for p in pages)


def test_a_sample_ids_run_verifies_and_a_swapped_id_does_not(toys: None, tmp_path: Path) -> None:
    ids = ("toy-count-0003", "toy-count-0007", "toy-count-0030")
    run = make(tmp_path, limit=None, sample_ids=ids)
    assert check_run(run).ok
    rows = lines(run)
    swap = next(r for r in rows if r["sample_id"] == "toy-count-0030")
    swap.update(sample_id="toy-count-0031", index=31)  # another sample, its record made right
    swap.update(gold=str(gold_of(31)), output=f"<think>.</think><answer>{gold_of(31)}</answer>",
                extracted=str(gold_of(31)), lenient_extracted=str(gold_of(31)), correct=True,
                lenient_correct=True, format_ok=True)  # fmt: skip
    write(run, rows)
    (p,) = check_run(run).problems
    assert "not the ones the run's --sample-ids selection names" in p
