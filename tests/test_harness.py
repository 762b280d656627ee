"""The harness end to end: exact accuracies from a scripted model, per-sample errors and the
error guard, resume (limits, partial lines, SIGKILL of a real CLI process), run ids, K draws,
the manifest, and the tiny real Qwen2-VL through the hf backend on toy and built-in tasks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from harness_fixtures import ToyCount, cli, expected_counts, gold_of, install, pattern_output

from othink_bench.backends import GenRequest, GenResult, ScriptedBackend
from othink_bench.harness import (
    RunLocked,
    RunSummary,
    TooManyErrors,
    evaluate,
    format_summary,
    load_run_records,
)
from othink_bench.records import RECORDS_FILE, ModelInfo, read_manifest, read_records
from othink_bench.registry import get_task, unregister
from othink_bench.task import Sample

HERE = Path(__file__).resolve().parent


def index_of(sample_id: str) -> int:
    return int(sample_id.rsplit("-", 1)[1])


def pattern(request: GenRequest) -> str:
    i = index_of(request.sample_id)
    return pattern_output(i, str(gold_of(i)))


@pytest.fixture
def toy():
    """Register a fresh toy task per test (tests may replace it with broken variants)."""
    task = install(ToyCount(n=40))
    yield task
    unregister(task.id)


def run(out: Path, backend: Any = None, tasks: str = "toy-count", **kw: Any) -> RunSummary:
    be = backend if backend is not None else ScriptedBackend(pattern)
    kw.setdefault("progress", False)
    (summary,) = evaluate("scripted-model", tasks, backend=be, out=out, **kw)
    return summary


def keys_in(path: Path) -> list[tuple[str, int]]:
    return [r.key for r in read_records(path)]


# -- scoring ----------------------------------------------------------------------------------


def test_scripted_outputs_give_exact_accuracies(toy: ToyCount, tmp_path: Path) -> None:
    s = run(tmp_path)
    want = expected_counts(40)
    m = s.metrics
    assert (m.n, m.scored, m.errors) == (40, 40, 0)
    assert m.accuracy.k == want["correct"] == 20
    assert m.lenient.k == want["lenient"] == 30
    assert m.format_rate.k == want["format"] == 20
    assert s.status == "complete" and s.n_new == 40 and s.n_resumed == 0
    # per-breakdown: golds cycle 3..7, outputs cycle right/right/untagged/wrong
    for label, p in m.by_breakdown.items():
        g = int(label.split("=")[1])
        idx = [i for i in range(40) if gold_of(i) == g]
        assert (p.k, p.n) == (sum(i % 4 in (0, 1) for i in idx), len(idx))
    records = {r.sample_id: r for r in read_records(s.run_dir / RECORDS_FILE)}
    r2 = records["toy-count-0002"]
    assert (r2.extracted, r2.lenient_extracted, r2.correct, r2.lenient_correct) == (
        None,
        str(gold_of(2)),
        False,
        True,
    )
    r3 = records["toy-count-0003"]
    assert r3.format_ok and not r3.correct and r3.extracted == str(gold_of(3) + 1)
    assert all(
        r.task == "toy-count" and r.task_version == "1" and r.k == 0 for r in records.values()
    )
    assert all(r.tokens is not None and r.latency_s is not None for r in records.values())
    table = format_summary([s])
    assert "toy-count v1" in table and "50.0 [35.2, 64.8]" in table and str(s.run_dir) in table


def test_manifest_records_model_info_and_settings(toy: ToyCount, tmp_path: Path) -> None:
    info = ModelInfo(
        name="ckpt",
        method="grpod",
        train_task="vc",
        step=100,
        base_model="tiny",
        label="GRPO-D (vc)",
    )
    (s,) = evaluate(
        "ckpt",
        ["toy-count"],
        model_info=info,
        backend=ScriptedBackend(pattern),
        out=tmp_path,
        progress=False,
        limit=5,
        seed=3,
    )
    m = read_manifest(s.run_dir)
    assert m.model.method == "grpod" and m.model.step == 100 and m.model.label == "GRPO-D (vc)"
    assert m.model.train_task == "vc" and m.model.base_model == "tiny"
    assert (m.task, m.task_version, m.source, m.split, m.seed) == (
        "toy-count",
        "1",
        "synthetic",
        "test",
        3,
    )
    assert m.generation == {
        "max_new_tokens": 16,
        "do_sample": False,
        "temperature": 0.0,
        "top_p": 1.0,
        "samples": 1,
    }
    assert m.status == "complete" and m.n_samples == 5 and m.limit == 5
    assert m.started and m.finished and m.backend == "scripted"
    assert "python" in m.packages and "pydantic" not in m.packages
    assert "cpu_count" in m.hardware
    extra = json.loads((s.run_dir / "manifest.json").read_text())
    assert extra["run_key"]["task_version"] == "1" and "limit" not in extra["run_key"]
    assert s.run_id.startswith("ckpt--toy-count-v1-") and s.run_dir.name == s.run_id
    assert m.data_seed == 0  # --seed is the sampling seed only


# -- errors -----------------------------------------------------------------------------------


def test_bad_samples_are_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    install(ToyCount(n=12, missing_image=[2], corrupt_image=[4], bad_gold=[6], bad_row=[7]))
    outputs: dict[str, Any] = {
        f"toy-count-{i:04d}": f"<think>.</think><answer>{gold_of(i)}</answer>" for i in range(12)
    }
    outputs["toy-count-0009"] = {"error": "HTTP 500: upstream died"}
    be = ScriptedBackend(outputs)
    s = run(tmp_path, be, max_errors=1.0)
    by_id = {r.sample_id: r for r in read_records(s.run_dir / RECORDS_FILE)}
    assert len(by_id) == 12
    kinds = {sid[-2:]: (r.error_kind, r.error) for sid, r in by_id.items() if r.error}
    assert kinds["02"][0] == "image" and "not found" in kinds["02"][1]
    assert kinds["04"][0] == "image" and "cannot decode" in kinds["04"][1]
    assert kinds["06"][0] == "gold" and "'many'" in kinds["06"][1]
    assert kinds["07"] == ("data", "row 7: malformed")
    assert kinds["09"] == ("generation", "HTTP 500: upstream died")
    assert len(kinds) == 5
    # samples that could not be prompted never reached the backend
    asked = {k for call in be.calls for k in call}
    assert {
        "toy-count-0002#0",
        "toy-count-0004#0",
        "toy-count-0006#0",
        "toy-count-0007#0",
    }.isdisjoint(asked)
    m = s.metrics
    # data errors leave the denominator; the generation error counts as a wrong answer
    assert (m.n, m.scored, m.errors, m.accuracy.k) == (12, 8, 5, 7)
    assert m.errors_by_kind == {"data": 1, "generation": 1, "gold": 1, "image": 2}
    unregister("toy-count")


def test_wholesale_failure_stops_with_a_message_naming_the_cause(tmp_path: Path) -> None:
    install(ToyCount(n=60, missing_image=range(0, 60, 2)))  # half the images are missing
    install(ToyCount("toy-count-v2", n=30, version="2"))
    with pytest.raises(TooManyErrors) as err:
        evaluate(
            "m",
            "toy-count,toy-count-v2",
            backend=ScriptedBackend(pattern),
            out=tmp_path,
            progress=False,
        )
    msg = str(err.value)
    assert "stopping task toy-count" in msg and "image" in msg and "--image-root" in msg
    assert "--max-errors 0.1" in msg and "/nonexistent/toy/0.png" in msg
    stopped, other = err.value.summaries
    assert stopped.status == "aborted" and stopped.error == msg
    assert other.status == "complete" and other.metrics.n == 30  # the other task still ran
    assert read_manifest(stopped.run_dir).status == "aborted"
    kept = read_records(stopped.run_dir / RECORDS_FILE)
    assert 20 <= len(kept) < 60  # stopped early, what was written is kept
    # a guard that tolerates the failures lets the run finish
    s = run(tmp_path, max_errors=0.6)
    assert s.run_dir == stopped.run_dir
    assert s.status == "complete" and s.metrics.errors == 30 and s.metrics.scored == 30
    unregister("toy-count")
    unregister("toy-count-v2")


def test_a_few_early_errors_do_not_stop_a_run(tmp_path: Path) -> None:
    install(ToyCount(n=15, missing_image=range(3)))  # 20% fail, but fewer than 20 samples
    s = run(tmp_path)
    assert s.status == "complete" and s.metrics.errors == 3
    unregister("toy-count")


def test_a_small_source_where_every_sample_fails_is_stopped(tmp_path: Path) -> None:
    # Before: the guard waited for 20 samples, so 15 of 15 failing was "complete", exit 0.
    install(ToyCount(n=15, missing_image=range(15)))
    with pytest.raises(TooManyErrors, match="15 of 15 samples failed") as info:
        run(tmp_path)
    (s,) = info.value.summaries
    assert s.status == "aborted" and read_manifest(s.run_dir).status == "aborted"
    unregister("toy-count")


def test_generation_errors_are_redone_on_the_next_run(toy: ToyCount, tmp_path: Path) -> None:
    failed: set[str] = set()

    def flaky(request: GenRequest) -> str:
        if request.sample_id == "toy-count-0005" and request.sample_id not in failed:
            failed.add(request.sample_id)
            raise TimeoutError("read timed out")
        return pattern(request)

    be = ScriptedBackend(flaky)
    first = run(tmp_path, be, limit=10)
    assert first.metrics.errors_by_kind == {"generation": 1}
    second = run(tmp_path, be, limit=10)
    assert second.run_dir == first.run_dir
    assert second.n_new == 1 and second.metrics.errors == 0 and second.metrics.n == 10
    keys = keys_in(first.run_dir / RECORDS_FILE)
    assert len(keys) == len(set(keys)) == 10  # the retried record replaced the error
    third = run(tmp_path, be, limit=10)
    assert third.n_new == 0


# -- resume and run ids -------------------------------------------------------------------------


def test_resume_skips_finished_samples_and_a_larger_limit_extends(
    toy: ToyCount, tmp_path: Path
) -> None:
    be = ScriptedBackend(pattern, batch_size=4)
    a = run(tmp_path, be, limit=10)
    assert a.n_new == 10
    be.calls.clear()
    b = run(tmp_path, be, limit=25)
    assert b.run_dir == a.run_dir and b.n_new == 15 and b.n_resumed == 10
    asked = [k for call in be.calls for k in call]
    assert asked == [f"toy-count-{i:04d}#0" for i in range(10, 25)]
    be.calls.clear()
    c = run(tmp_path, be, limit=10)  # a smaller limit reports on its own samples only
    assert be.calls == [] and c.n_new == 0 and c.metrics.n == 10
    assert read_manifest(a.run_dir).limit == 25 and read_manifest(a.run_dir).n_samples == 25
    d = run(tmp_path, be)
    assert d.n_new == 15 and d.metrics.n == 40 and read_manifest(a.run_dir).limit is None
    keys = keys_in(a.run_dir / RECORDS_FILE)
    assert len(keys) == len(set(keys)) == 40


def test_partial_last_line_is_repaired_before_appending(toy: ToyCount, tmp_path: Path) -> None:
    a = run(tmp_path, limit=5)
    path = a.run_dir / RECORDS_FILE
    with path.open("ab") as fh:
        fh.write(b'{"sample_id": "toy-count-0005", "index": 5, "task": "toy-c')  # killed mid-line
    assert len(read_records(path)) == 5
    b = run(tmp_path, limit=8)
    assert b.n_new == 3
    lines = path.read_text().splitlines()
    assert len(lines) == 8 and all(json.loads(line)["task"] == "toy-count" for line in lines)


def test_run_id_covers_what_determines_results_and_nothing_else(
    toy: ToyCount, tmp_path: Path
) -> None:
    install(ToyCount("toy-count-v2", n=40, version="2"))
    base = run(tmp_path, limit=2).run_id
    same = [
        run(tmp_path, limit=3).run_id,
        run(tmp_path, limit=2, batch_size=1).run_id,
        run(tmp_path, limit=2, max_errors=0.5).run_id,
        run(tmp_path, ScriptedBackend(pattern, batch_size=2), limit=2).run_id,
    ]
    assert set(same) == {base}
    different = [
        run(tmp_path, limit=2, seed=1).run_id,
        run(tmp_path, limit=2, max_new_tokens=32).run_id,
        run(tmp_path, limit=2, temperature=0.7).run_id,
        run(tmp_path, limit=2, temperature=0.7, samples=2).run_id,
        run(tmp_path, ScriptedBackend({}, default="<answer>3</answer>"), limit=2).run_id,
        run(tmp_path, limit=2, tasks="toy-count-v2").run_id,
        run(tmp_path, limit=2, split="train").run_id,
    ]
    assert base not in different and len(set(different)) == len(different)
    unregister("toy-count-v2")


def test_two_processes_cannot_write_one_run(toy: ToyCount, tmp_path: Path) -> None:
    import fcntl

    a = run(tmp_path, limit=2)
    with (a.run_dir / ".lock").open("a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RunLocked, match="another process"):
            run(tmp_path, limit=4)
    assert run(tmp_path, limit=4).n_new == 2


def test_k_sampled_draws_per_prompt(toy: ToyCount, tmp_path: Path) -> None:
    seeds: dict[tuple[str, int], int | None] = {}

    def draw(request: GenRequest) -> str:
        seeds[(request.sample_id, request.k)] = request.seed
        assert request.temperature == 0.7 and request.top_p == 0.9
        g = gold_of(index_of(request.sample_id))
        return f"<think>.</think><answer>{g if request.k == 0 else g + 1}</answer>"

    s = run(tmp_path, ScriptedBackend(draw), limit=6, temperature=0.7, top_p=0.9, samples=3)
    assert sorted(Counter(k for _, k in seeds).items()) == [(0, 6), (1, 6), (2, 6)]
    assert len(set(seeds.values())) == 18  # one seed per (sample, draw)
    m = s.metrics
    assert (m.n, m.k, m.n_samples, m.accuracy.k) == (18, 3, 6, 6)
    assert m.pass_at_k is not None and m.pass_at_k.k == 6
    assert "18 (6x3)" in format_summary([s])
    with pytest.raises(ValueError, match="--temperature > 0"):
        run(tmp_path, limit=2, samples=2)


def test_unknown_settings_are_rejected(toy: ToyCount, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="unknown run setting.*batchsize"):
        run(tmp_path, batchsize=4)


# -- the CLI --------------------------------------------------------------------------------------


def test_cli_run_prints_table_and_resumes(
    toy: ToyCount, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps({f"toy-count-{i:04d}": pattern_output(i, str(gold_of(i))) for i in range(40)})
    )
    argv = [
        "run",
        "--backend",
        "scripted",
        "--model",
        str(script),
        "--tasks",
        "toy-count",
        "--out",
        str(tmp_path / "runs"),
        "--limit",
        "20",
        "--no-progress",
        "--label",
        "demo",
    ]
    assert cli(argv) == 0
    out = capsys.readouterr().out
    assert "accuracy % [95% CI]" in out and "50.0 [29.9, 70.1]" in out
    assert "toy-count v1" in out and "(20 new)" in out
    assert "by breakdown" not in out
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert str(run_dir) in out and read_manifest(run_dir).model.label == "demo"
    assert cli([*argv, "--breakdown"]) == 0
    out = capsys.readouterr().out
    assert "toy-count by breakdown" in out and "count=3" in out and "count=7" in out
    assert cli([*argv, "--json"]) == 0
    (summary,) = json.loads(capsys.readouterr().out)
    assert summary["n_new"] == 0 and summary["n_resumed"] == 20
    assert summary["metrics"]["accuracy"]["k"] == 10


def test_cli_errors_are_one_line(
    toy: ToyCount, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "s.json"
    script.write_text("{}")
    base = ["run", "--backend", "scripted", "--model", str(script), "--out", str(tmp_path)]
    assert cli([*base, "--tasks", "toy-count", "--samples", "2"]) == 2
    assert "--temperature > 0" in capsys.readouterr().err
    assert cli([*base, "--tasks", "no-such-task"]) == 2
    assert "unknown task 'no-such-task'" in capsys.readouterr().err
    install(ToyCount(n=30, missing_image=range(30)))
    assert cli([*base, "--tasks", "toy-count", "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: stopping task toy-count")
    assert "Traceback" not in captured.err
    assert "aborted" in captured.out and "(image " in captured.out  # the table still shows


# -- SIGKILL mid-run --------------------------------------------------------------------------


def test_sigkilled_run_loses_nothing_and_resumes_without_duplicates(tmp_path: Path) -> None:
    """Kill ``python -m othink_bench.cli run`` with SIGKILL mid-run, then run it again."""
    try:
        get_task("vc-synth")
    except KeyError:
        pytest.skip("the built-in vc-synth task is not registered")
    n = 200
    answer = "<think>I count them.</think><answer>5</answer>"
    slow = tmp_path / "slow" / "script.json"
    fast = tmp_path / "fast" / "script.json"
    for path, delay in ((slow, 0.01), (fast, 0.0)):  # same script, same run id; only speed
        path.parent.mkdir()
        path.write_text(json.dumps({"outputs": {}, "default": answer, "delay_s": delay}))
    out = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}

    def command(script: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "othink_bench.cli",
            "run",
            "--backend",
            "scripted",
            "--model",
            str(script),
            "--tasks",
            "vc-synth",
            "--limit",
            str(n),
            "--out",
            str(out),
            "--batch-size",
            "3",
            "--no-progress",
        ]

    proc = subprocess.Popen(
        command(slow), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
    )
    deadline = time.time() + 90
    records: list[Path] = []
    while time.time() < deadline:
        records = list(out.glob(f"*/{RECORDS_FILE}"))
        if records and len(read_records(records[0])) >= 30:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    path = records[0]
    before = {r.key: r for r in read_records(path)}
    assert 30 <= len(before) < n, "the run was killed mid-way"
    assert read_manifest(path.parent).status == "running"
    # the worst case as well: the kill landed in the middle of writing a line
    with path.open("ab") as fh:
        fh.write(b'{"sample_id": "vc-synth/test/0/1')

    done = subprocess.run(
        command(fast), env=env, capture_output=True, text=True, timeout=180, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    after = read_records(path)
    keys = [r.key for r in after]
    assert len(keys) == len(set(keys)) == n  # nothing lost, nothing twice
    assert sorted(r.index for r in after) == list(range(n))
    assert all(r == before[r.key] for r in after if r.key in before)  # written records kept
    assert f"({n - len(before)} new, {len(before)} resumed)" in done.stdout
    assert read_manifest(path.parent).status == "complete"


# -- the tiny real model -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory):
    import torch

    from othink_bench.models.tiny import build_tiny

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # see test_backends: avoid OpenMP oversubscription on 2 cores
    yield build_tiny(tmp_path_factory.mktemp("tiny") / "ckpt", seed=0)
    torch.set_num_threads(threads)


def test_tiny_model_end_to_end_via_hf(toy: ToyCount, tiny_dir: Path, tmp_path: Path) -> None:
    (s,) = evaluate(
        str(tiny_dir),
        "toy-count",
        out=tmp_path,
        limit=6,
        batch_size=4,
        max_new_tokens=6,
        progress=False,
    )
    assert s.status == "complete" and s.metrics.n == 6 and s.metrics.errors == 0
    records = load_run_records(s.run_dir)
    assert all(
        r.output is not None and r.tokens is not None and 1 <= r.tokens <= 6 for r in records
    )
    m = read_manifest(s.run_dir)
    assert m.backend == "hf" and m.model.path == str(tiny_dir.resolve())
    assert m.model.revision and len(m.model.revision) == 16  # the weights' fingerprint
    info = json.loads((s.run_dir / "manifest.json").read_text())["backend_info"]
    assert info["dtype"] == "float32" and info["device"] == "cpu"
    assert info["model_class"] and info["parameters"] > 0
    time.sleep(1.1)  # a rewritten "finished" would differ
    again = evaluate(
        str(tiny_dir),
        "toy-count",
        out=tmp_path,
        limit=6,
        batch_size=2,
        max_new_tokens=6,
        progress=False,
    )[0]
    assert again.run_id == s.run_id and again.n_new == 0
    # meeting the finished run again (as a matrix reusing it does) loses nothing: the backend
    # that made the records is still described (its model class and size), and it finished when
    # it did
    after = read_manifest(s.run_dir)
    assert json.loads((s.run_dir / "manifest.json").read_text())["backend_info"] == info
    assert after.finished == m.finished and after.status == "complete"


def test_a_megabyte_question_is_a_per_sample_error_not_a_forward_pass(
    tiny_dir: Path, tmp_path: Path
) -> None:
    # Before: a prompt 15x the model's context ran for minutes at gigabytes of memory.
    install(ToyCount(n=2, question_len=[0, 65_000]))  # sample 1: a 1 MB question
    start = time.perf_counter()
    (s,) = evaluate(str(tiny_dir), "toy-count", out=tmp_path, max_new_tokens=6, progress=False)
    elapsed = time.perf_counter() - start
    ok, long = sorted(load_run_records(s.run_dir), key=lambda r: r.index)
    assert ok.error is None and ok.output is not None
    assert long.error_kind == "prompt_too_long" and long.output is None
    assert "context of 4096 tokens minus max_new_tokens 6 leaves 4090" in (long.error or "")
    print(f"1 MB question recorded as prompt_too_long; run took {elapsed:.1f}s")
    unregister("toy-count")


@pytest.mark.parametrize("task_id", ["vc-synth", "gr-synth"])
def test_tiny_model_on_builtin_synthetic_tasks(
    task_id: str, tiny_dir: Path, tmp_path: Path
) -> None:
    try:
        task = get_task(task_id)
    except KeyError:
        pytest.skip(f"task {task_id} is not registered")
    (s,) = evaluate(
        str(tiny_dir),
        task_id,
        out=tmp_path,
        limit=4,
        batch_size=4,
        max_new_tokens=8,
        progress=False,
    )
    assert s.status == "complete" and s.metrics.n == 4
    assert s.metrics.errors == 0, load_run_records(s.run_dir)
    assert s.settings["max_new_tokens"] == 8 and task.max_new_tokens in (256, 1024)
    records = load_run_records(s.run_dir)
    assert all(r.breakdown for r in records) and {r.task_version for r in records} == {task.version}


def test_a_backend_that_breaks_fails_its_requests_not_the_run(
    toy: ToyCount, tmp_path: Path
) -> None:
    class Breaks(ScriptedBackend):
        def generate(self, requests):  # type: ignore[no-untyped-def]
            yield [(0, GenResult(text=pattern(requests[0])))]
            raise ConnectionError("engine died")

    s = run(tmp_path, Breaks(pattern, batch_size=4), limit=8, max_errors=1.0)
    assert (s.metrics.n, s.metrics.errors, s.metrics.errors_by_kind) == (8, 6, {"generation": 6})
    errors = [r.error for r in load_run_records(s.run_dir) if r.error]
    assert all("engine died" in (e or "") for e in errors)


def test_repeated_sample_ids_get_a_stable_suffix(tmp_path: Path) -> None:
    class Repeats(ToyCount):
        def load(self, *args: Any, **kwargs: Any) -> list[Sample]:
            first = self.sample(0)
            return [first, self.sample(1), first, first]

    install(Repeats(n=4))
    be = ScriptedBackend({}, default="<answer>3</answer>")
    s = run(tmp_path, be)
    ids = sorted(r.sample_id for r in load_run_records(s.run_dir))
    assert ids == ["toy-count-0000", "toy-count-0000~2", "toy-count-0000~3", "toy-count-0001"]
    assert s.metrics.errors == 0 and run(tmp_path, be).n_new == 0
    unregister("toy-count")


def test_a_model_that_cannot_load_stops_the_run_with_its_error(
    toy: ToyCount, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken-ckpt"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "qwen2_vl"}')
    (broken / "model.safetensors").write_bytes(b"not weights")
    out = tmp_path / "runs"
    argv = ["run", "--model", str(broken), "--tasks", "toy-count", "--out", str(out)]
    assert cli([*argv, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(broken) in err and "Traceback" not in err
    assert "cannot load model" in err
    # a model that never loaded leaves no run folder (no "failed" run, no sample charged)
    assert not out.exists() or list(out.iterdir()) == []
