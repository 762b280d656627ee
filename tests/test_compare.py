"""`othink-bench compare`: paired comparison on shared samples, and refusals that explain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness_fixtures import ToyCount, cli, gold_of, install

from othink_bench.backends import GenRequest, ScriptedBackend
from othink_bench.compare import CompareError, compare_runs
from othink_bench.harness import evaluate
from othink_bench.stats import mcnemar_exact


def answer(right: set[int]):
    def script(request: GenRequest) -> str:
        i = int(request.sample_id.rsplit("-", 1)[1])
        g = gold_of(i)
        return f"<think>.</think><answer>{g if i in right else g + 1}</answer>"

    script.__qualname__ = f"answer_{len(right)}_{min(right, default=-1)}"
    return script



def run_dir(out: Path, right: set[int], task: str = "toy-count", name: str = "m", **kw) -> Path:
    (s,) = evaluate(
        name, task, backend=ScriptedBackend(answer(right)), out=out, progress=False, **kw
    )
    return s.run_dir


def test_paired_counts_and_mcnemar(toys: None, tmp_path: Path) -> None:
    # A right on 0..19; B right on 10..37: B-only 18, A-only 10, both 10, neither 2
    a = run_dir(tmp_path, set(range(20)), name="base")
    b = run_dir(tmp_path, set(range(10, 38)), name="grpod")
    report = compare_runs(a, b, n_boot=500, seed=1)
    c = report["comparisons"]["strict"]
    assert report["shared"] == c.n == 40
    assert (c.only_a, c.only_b) == (10, 18)
    assert c.acc_a == pytest.approx(0.5) and c.acc_b == pytest.approx(0.7)
    assert c.diff == pytest.approx(0.2) and c.diff_low < 0.2 < c.diff_high
    assert c.p_value == pytest.approx(mcnemar_exact(10, 18))
    assert report["a"]["model"] == "base" and report["b"]["model"] == "grpod"


def test_compare_pairs_only_shared_scored_samples(toys: None, tmp_path: Path) -> None:
    a = run_dir(tmp_path, set(range(40)), limit=30)
    b = run_dir(tmp_path, set(), name="other")  # all 40
    report = compare_runs(a, b, n_boot=200)
    assert report["shared"] == 30 and report["only_in_b"] == 10 and report["only_in_a"] == 0
    assert report["comparisons"]["strict"].only_a == 30


def test_compare_refuses_different_task_versions_and_disjoint_runs(
    toys: None, tmp_path: Path
) -> None:
    a = run_dir(tmp_path, {1})
    v2 = run_dir(tmp_path, {1}, task="toy-count-v2")
    with pytest.raises(CompareError, match="different tasks"):
        compare_runs(a, v2)
    # same task id, another version: rewrite the manifest as if the task had been bumped
    manifest = json.loads((v2 / "manifest.json").read_text())
    manifest["task"] = "toy-count"
    (v2 / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CompareError, match="different versions of task toy-count"):
        compare_runs(a, v2)
    install(ToyCount(n=40, missing_image=range(40)))
    broken = run_dir(tmp_path, {1}, name="broken", max_errors=1.0, image_root="/elsewhere")
    with pytest.raises(CompareError, match="share no scored samples"):
        compare_runs(a, broken)


def test_compare_cli_prints_table_and_errors(
    toys: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = run_dir(tmp_path, set(range(20)), name="base")
    b = run_dir(tmp_path, set(range(10, 38)), name="grpod")
    assert cli(["compare", str(a), str(b), "--boot", "300"]) == 0
    out = capsys.readouterr().out
    assert "McNemar p" in out and "B-A pts [95% CI]" in out
    assert "strict" in out and "lenient" in out and "+20.0" in out
    # the relative change stands next to the points, labelled: 50% -> 70% is +40%
    assert "B vs A relative" in out and "+40.00%" in out
    strict_row = next(line for line in out.splitlines() if line.startswith("strict"))
    assert strict_row.index("+20.0 [") < strict_row.index("+40.00%")
    # run ids resolve under --out
    assert cli(["compare", a.name, b.name, "--out", str(tmp_path), "--json", "--boot", "100"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["comparisons"]["strict"]["only_b"] == 18
    assert data["comparisons"]["strict"]["diff_points"] == pytest.approx(20.0)
    assert data["comparisons"]["strict"]["relative_percent"] == pytest.approx(40.0)
    assert cli(["compare", str(a), str(tmp_path / "nope")]) == 2
    assert "no run directory" in capsys.readouterr().err


def test_compare_refuses_different_test_sets_and_names_a_damaged_manifest(
    toys: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = run_dir(tmp_path, set(range(20)), name="base")
    b = run_dir(tmp_path, set(range(10, 38)), name="grpod")
    manifest = json.loads((b / "manifest.json").read_text())
    manifest["data"] = "/elsewhere/other.jsonl"  # same sample ids, another file
    (b / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CompareError, match=r"different test sets \(data: None vs /elsewhere"):
        compare_runs(a, b)
    (b / "manifest.json").write_text(json.dumps(manifest)[:50])  # truncated
    assert cli(["compare", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert str(b / "manifest.json") in err and "delete the run folder" in err
    assert "Traceback" not in err


def test_compare_cli_says_what_n_is(
    toys: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = run_dir(tmp_path, set(range(40)), limit=30)
    b = run_dir(tmp_path, set(), name="other")
    assert cli(["compare", str(a), str(b), "--boot", "100"]) == 0
    out = capsys.readouterr().out
    assert "paired on the 30 samples both runs scored" in out
    assert "not paired: 0 scored only in A, 10 only in B" in out
