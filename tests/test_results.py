"""results.json: one per run folder, computed from the records, rewritten when a run resumes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness_fixtures import ToyCount, gold_of, install, pattern_output

from othink_bench.backends import GenRequest, ScriptedBackend
from othink_bench.harness import RunSummary, evaluate
from othink_bench.records import RECORDS_FILE, read_manifest, read_records
from othink_bench.registry import unregister
from othink_bench.results import RESULTS_FILE, RunResults, read_results
from othink_bench.stats import wilson


@pytest.fixture
def toy() -> Iterator[ToyCount]:
    task = install(ToyCount(n=40, missing_image=(5,)))
    yield task
    unregister(task.id)


def pattern(request: GenRequest) -> str:
    i = int(request.sample_id.rsplit("-", 1)[1])
    return pattern_output(i, str(gold_of(i)))


def run(out: Path, backend: Any = None, **kw: Any) -> RunSummary:
    be = backend if backend is not None else ScriptedBackend(pattern, batch_size=1)
    (summary,) = evaluate("scripted-model", "toy-count", backend=be, out=out, progress=False,
                          **kw)
    return summary


def _by_hand(run_dir: Path) -> dict[str, Any]:
    """The numbers recomputed from records.jsonl without othink_bench.metrics."""
    records = read_records(run_dir / RECORDS_FILE)
    scored = [r for r in records if r.error_kind != "image"]  # a missing image is the data's
    return {
        "n": len(records),
        "scored": len(scored),
        "errors": sum(r.error is not None for r in records),
        "correct": sum(r.correct for r in scored),
        "lenient": sum(r.lenient_correct for r in scored),
        "format": sum(r.format_ok for r in scored),
    }


def _check_against_records(run_dir: Path) -> RunResults:
    res = read_results(run_dir)
    want = _by_hand(run_dir)
    assert (res.n, res.scored, res.errors) == (want["n"], want["scored"], want["errors"])
    for rate, k in ((res.accuracy, want["correct"]), (res.lenient, want["lenient"]),
                    (res.format_rate, want["format"])):
        p = wilson(k, want["scored"])
        assert (rate.k, rate.n) == (k, want["scored"])
        assert rate.value == pytest.approx(p.value)
        assert (rate.low, rate.high) == (pytest.approx(p.low), pytest.approx(p.high))
    return res


def test_every_run_folder_gets_results_from_its_records(toy: ToyCount, tmp_path: Path) -> None:
    s = run(tmp_path, limit=20)
    res = _check_against_records(s.run_dir)
    assert (res.n, res.scored, res.errors, res.errors_by_kind) == (20, 19, 1, {"image": 1})
    assert res.accuracy.k == s.metrics.accuracy.k and res.accuracy.k > 0
    manifest = read_manifest(s.run_dir)
    raw = json.loads((s.run_dir / "manifest.json").read_text())
    assert (res.run_id, res.status, res.task, res.task_version) == (
        manifest.run_id, "complete", "toy-count", "1")
    assert res.model == manifest.model and res.run_key == raw["run_key"]
    assert res.settings["generation"] == manifest.generation
    assert res.settings["settings"]["batch_size"] == raw["settings"]["batch_size"]
    assert res.settings["limit"] == 20 and res.schema_version == 1
    assert res.interval == "wilson 95%"
    assert not list(s.run_dir.glob("*.tmp"))
    # a field that does not belong is a clear error naming the file
    bad = json.loads((s.run_dir / RESULTS_FILE).read_text())
    bad["accuracy"]["k"] = "many"
    (s.run_dir / RESULTS_FILE).write_text(json.dumps(bad))
    with pytest.raises(ValueError, match=r"results.json: not a valid results file \(accuracy.k"):
        read_results(s.run_dir)


class Interrupt(KeyboardInterrupt):
    pass


def test_an_interrupted_run_says_so_and_its_resumed_run_rewrites_results(
    toy: ToyCount, tmp_path: Path
) -> None:
    stop = {"at": "toy-count-0012"}

    def script(request: GenRequest) -> str:  # one backend (one run id) for both calls
        if request.sample_id == stop["at"]:
            raise Interrupt("stopped")
        return pattern(request)

    backend = ScriptedBackend(script, batch_size=1)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, backend)
    (run_dir,) = tmp_path.iterdir()
    first = _check_against_records(run_dir)
    assert first.status == "interrupted" and first.n == 12 < 40
    stop["at"] = ""
    s = run(tmp_path, backend)
    assert s.run_dir == run_dir and s.n_resumed == 11  # the missing image (5) is redone
    again = _check_against_records(run_dir)
    assert again.status == "complete" and (again.n, again.scored) == (40, 39)
    assert again.accuracy.k == s.metrics.accuracy.k
    assert again.accuracy.n > first.accuracy.n
