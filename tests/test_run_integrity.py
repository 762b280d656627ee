"""Run integrity: `complete` means every requested sample has one record; every way a run stops
(SIGTERM, SIGINT, a full disk, a crash) leaves a manifest that says so; unwritable outputs,
over-long prompts and image paths outside the data folder are per-sample errors; sample
selection (--limit fraction, --offset, --sample-ids), the data seed, prompts kept per run and
run folder names."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from harness_fixtures import ToyCount, cli, gold_of, install, pattern_output

from othink_bench.backends import GenRequest, GenResult, ScriptedBackend
from othink_bench.backends.base import bounded_token_count
from othink_bench.data_sources import DataSourceError
from othink_bench.harness import (
    HarnessError,
    RunSettings,
    RunSummary,
    TooManyErrors,
    evaluate,
    load_run_records,
)
from othink_bench.harness.identity import make_run_id, run_key
from othink_bench.records import MANIFEST_FILE, RECORDS_FILE, read_manifest, read_records
from othink_bench.registry import get_task, unregister
from othink_bench.runstate import PROMPTS_FILE, parse_sample_ids, read_prompts

HERE = Path(__file__).resolve().parent


def pattern(request: GenRequest) -> str:
    i = int(request.sample_id.rsplit("-", 1)[1])
    return pattern_output(i, str(gold_of(i)))


@pytest.fixture
def toy() -> Iterator[ToyCount]:
    task = install(ToyCount(n=40))
    yield task
    unregister(task.id)


def run(out: Path, backend: Any = None, tasks: str = "toy-count", **kw: Any) -> RunSummary:
    be = backend if backend is not None else ScriptedBackend(pattern)
    kw.setdefault("progress", False)
    (summary,) = evaluate("scripted-model", tasks, backend=be, out=out, **kw)
    return summary


# -- 1. complete means every requested sample has exactly one record --------------------------


def test_an_output_with_a_lone_surrogate_is_repaired_not_lost(
    toy: ToyCount, tmp_path: Path
) -> None:
    # Before: the window's records failed to serialise; 10 of 12 written, manifest "complete".
    def script(request: GenRequest) -> str:
        if request.sample_id == "toy-count-0004":
            return json.loads('"<answer>\\ud800 4</answer>"')  # as an endpoint's JSON can say
        return pattern(request)

    s = run(tmp_path, ScriptedBackend(script), limit=12)
    records = {r.sample_id: r for r in read_records(s.run_dir / RECORDS_FILE)}
    assert len(records) == 12 and s.status == "complete"
    bad = records["toy-count-0004"]
    assert bad.output == "<answer>\ufffd 4</answer>" and bad.error is None
    assert (bad.repaired or "").startswith("1 lone surrogate(s) in output replaced with U+FFFD")
    assert bad.extracted == "\ufffd 4"  # what was scored is what is written
    assert all(r.repaired is None for k, r in records.items() if k != "toy-count-0004")


class DroppingBackend(ScriptedBackend):
    """Breaks the backend contract: never yields a result for one request."""

    def generate(self, requests: Sequence[GenRequest]) -> Iterator[list[tuple[int, GenResult]]]:
        for group in super().generate(requests):
            yield [(i, r) for i, r in group if requests[i].sample_id != "toy-count-0003"]


def test_a_run_with_a_missing_record_is_not_complete(toy: ToyCount, tmp_path: Path) -> None:
    with pytest.raises(TooManyErrors, match="1 of 8 requested samples have no record"):
        run(tmp_path, DroppingBackend(pattern), limit=8)
    (run_dir,) = tmp_path.iterdir()
    m = read_manifest(run_dir)
    assert (
        m.status == "failed"
        and "no record" in json.loads((run_dir / MANIFEST_FILE).read_text())["error"]
    )
    s = run(tmp_path, limit=8)  # a rerun redoes the missing sample
    assert s.status == "complete" and s.n_new == 1 and len(load_run_records(run_dir)) == 8


# -- 2. every exit path leaves a manifest that says what happened -----------------------------


def _cli_command(script: Path, out: Path, n: int) -> list[str]:
    return [
        sys.executable, "-m", "othink_bench.cli", "run", "--backend", "scripted",
        "--model", str(script), "--tasks", "vc-synth-tiny", "--limit", str(n),
        "--out", str(out), "--batch-size", "2", "--no-progress",
    ]  # fmt: skip


def _default_sigint() -> None:
    """A suite started in the background by a shell inherits SIGINT ignored, and so would the
    CLI (Python keeps an inherited SIG_IGN): give the child the default disposition."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 130)]
)
def test_sigterm_and_sigint_leave_an_interrupted_manifest_and_resume(
    tmp_path: Path, signum: int, code: int
) -> None:
    n = 200  # the whole test split; with 0.05 s per call, seconds of work remain after the 6th
    # record, so the signal lands mid-run even when a busy machine delays this loop
    answer = "<think>I count.</think><answer>5</answer>"
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"outputs": {}, "default": answer, "delay_s": 0.05}))
    out = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    proc = subprocess.Popen(
        _cli_command(script, out, n), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=tmp_path, text=True, preexec_fn=_default_sigint,
    )  # fmt: skip
    deadline = time.time() + 90
    records: list[Path] = []
    while time.time() < deadline:
        records = list(out.glob(f"*/{RECORDS_FILE}"))
        if records and len(read_records(records[0])) >= 6:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "Traceback" not in err and "rerun resumes" in err
    run_dir = records[0].parent
    m = read_manifest(run_dir)
    assert m.status == "interrupted" and m.finished
    written = len(read_records(records[0]))
    assert 6 <= written < n
    script.write_text(json.dumps({"outputs": {}, "default": answer}))  # same run id, faster
    done = subprocess.run(
        _cli_command(script, out, n), env=env, capture_output=True, text=True, timeout=120,
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert read_manifest(run_dir).status == "complete"
    keys = [r.key for r in read_records(records[0])]
    assert len(keys) == len(set(keys)) == n


class FullDisk:
    """``os.write`` of a disk with ``free`` bytes left: a write that needs new blocks past
    that fails with ENOSPC (as on a full filesystem: space a file already holds is usable)."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.real = os.write

    def __call__(self, fd: int, data: Any) -> int:
        st = os.fstat(fd)
        end = st.st_size if _flags(fd) & os.O_APPEND else os.lseek(fd, 0, os.SEEK_CUR)
        end += len(data)
        grow = max(0, end - st.st_blocks * 512)
        if grow > self.free:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.free -= grow
        return self.real(fd, data)


def _flags(fd: int) -> int:
    import fcntl

    return fcntl.fcntl(fd, fcntl.F_GETFL)


def test_a_full_disk_fails_the_run_with_one_line_and_a_manifest_that_says_so(
    toy: ToyCount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: the manifest stayed "running", a chained traceback, an empty manifest.json.tmp.
    run(tmp_path, limit=4)  # a run exists; now the disk fills up while it extends
    (run_dir,) = tmp_path.iterdir()
    monkeypatch.setattr("othink_bench.records.os.write", FullDisk(free=600))
    with pytest.raises(HarnessError, match=r"disk full \(ENOSPC\)") as info:
        run(tmp_path, limit=40)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert not list(run_dir.glob("*.tmp"))
    m = json.loads((run_dir / MANIFEST_FILE).read_text())
    assert m["status"] == "failed" and "ENOSPC" in m["error"]
    monkeypatch.undo()
    s = run(tmp_path, limit=40)  # space freed: the rerun resumes
    assert s.status == "complete" and s.n_resumed >= 4
    keys = [r.key for r in read_records(run_dir / RECORDS_FILE)]
    assert len(keys) == len(set(keys)) == 40


def test_a_full_disk_on_the_cli_is_one_line(
    toy: ToyCount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    script = tmp_path / "s.json"
    script.write_text(json.dumps({"outputs": {}, "default": "<answer>3</answer>"}))
    argv = ["run", "--backend", "scripted", "--model", str(script), "--tasks", "toy-count",
            "--out", str(tmp_path / "runs"), "--no-progress"]  # fmt: skip
    monkeypatch.setattr("othink_bench.records.os.write", FullDisk(free=5000))
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: task toy-count failed: disk full") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


class Crash(BaseException):
    """Something no handler expects (a bug, a SystemExit from a library)."""


def test_a_crash_leaves_a_failed_manifest(toy: ToyCount, tmp_path: Path) -> None:
    def script(request: GenRequest) -> str:
        if request.sample_id == "toy-count-0010":
            raise Crash("boom")
        return pattern(request)

    with pytest.raises(Crash):
        run(tmp_path, ScriptedBackend(script, batch_size=1))
    (run_dir,) = tmp_path.iterdir()
    m = json.loads((run_dir / MANIFEST_FILE).read_text())
    assert m["status"] == "failed" and m["error"] == "Crash: boom"
    assert len(read_records(run_dir / RECORDS_FILE)) == 10


def test_writing_a_manifest_that_fails_leaves_no_tmp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from othink_bench.records import write_json_atomic

    target = tmp_path / "m.json"
    write_json_atomic(target, {"status": "running", "pad": "x" * 100})
    if os.stat(target).st_blocks == 0:
        pytest.skip("this filesystem keeps small files inline (no blocks to reuse)")
    monkeypatch.setattr("othink_bench.records.os.write", FullDisk(free=0))
    write_json_atomic(target, {"status": "failed"})  # fits the old file's block: in place
    assert json.loads(target.read_text()) == {"status": "failed"}
    with pytest.raises(OSError, match="No space"):
        write_json_atomic(target, {"status": "x" * 10_000})
    with pytest.raises(OSError, match="No space"):
        write_json_atomic(tmp_path / "new.json", {"a": 1})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]


# -- 5. prompts longer than the model's context -----------------------------------------------


def test_prompts_past_the_context_are_per_sample_errors_before_generation(
    tmp_path: Path,
) -> None:
    install(ToyCount(n=10, question_len=[0, 60]))  # odd samples: 124 words
    backend = ScriptedBackend(pattern, context_length=100)  # budget 100 - 16 = 84
    s = run(tmp_path, backend)
    records = {r.index: r for r in load_run_records(s.run_dir)}
    assert s.status == "complete"
    long = [records[i] for i in range(1, 10, 2)]
    assert all(r.error_kind == "prompt_too_long" for r in long)
    assert "context of 100 tokens minus max_new_tokens 16 leaves 84" in long[0].error
    assert all(records[i].error is None for i in range(0, 10, 2))
    asked = {key.split("#")[0] for call in backend.calls for key in call}
    assert asked == {f"toy-count-{i:04d}" for i in range(0, 10, 2)}  # never generated for
    with pytest.raises(HarnessError, match="leaves no room"):
        run(tmp_path / "b", ScriptedBackend(pattern, context_length=10))
    unregister("toy-count")


def test_bounded_token_count_does_not_tokenize_a_megabyte() -> None:
    seen: list[int] = []

    def count(text: str) -> int:
        seen.append(len(text))
        return len(text.split())

    text = "word " * 200_000  # 1 MB
    assert bounded_token_count(count, text, 1000) > 1000
    assert max(seen) <= 8 * 1000 * 4  # a prefix, not the megabyte
    assert bounded_token_count(count, "a b c", 1000) == 3
    short = "word " * 900
    assert bounded_token_count(count, short, 1000) == 900


# -- 6. image paths outside the data folder ---------------------------------------------------


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_image_paths_are_confined_to_the_data_folder(tmp_path: Path) -> None:
    from PIL import Image

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for p in (tmp_path / "outside.png", data_dir / "inside.png"):
        Image.new("RGB", (16, 16), "red").save(p)
    rows = [
        {"image_path": "../outside.png", "question": "How many?", "ground_truth": 1},
        {"image_path": str(tmp_path / "outside.png"), "question": "Count?", "ground_truth": 2},
        {"image_path": "inside.png", "question": "How many now?", "ground_truth": 3},
        {"image_path": str(data_dir / "inside.png"), "question": "And?", "ground_truth": 4},
    ]
    data = data_dir / "test.jsonl"
    _write_rows(data, rows)
    be = ScriptedBackend({}, default="<think>.</think><answer>3</answer>")
    s = run(tmp_path / "runs", be, tasks="vc", data=str(data))
    recs = sorted(load_run_records(s.run_dir), key=lambda r: r.index)
    assert [r.error_kind for r in recs] == ["image_path", "image_path", None, None]
    assert f"{data}:1: image_path" in (recs[0].error or "")
    assert "--allow-outside-images" in (recs[1].error or "")
    s2 = run(tmp_path / "runs", be, tasks="vc", data=str(data), allow_outside_images=True)
    assert s2.run_id == s.run_id and s2.metrics.errors == 0  # the errors were redone
    # with --image-root, relative paths resolve against it and absolute ones must lie in it
    s3 = run(tmp_path / "runs", be, tasks="vc", data=str(data), image_root=str(tmp_path))
    recs = sorted(load_run_records(s3.run_dir), key=lambda r: r.index)
    assert [r.error_kind for r in recs] == ["image_path", None, "image", None]


# -- 7, 8. data seed vs sampling seed; run folder names ---------------------------------------


def test_seed_is_the_sampling_seed_and_data_seed_picks_the_test_set(tmp_path: Path) -> None:
    be = ScriptedBackend({}, default="<answer>3</answer>")
    a = run(tmp_path, be, tasks="vc-synth-tiny", limit=2, seed=3)
    assert {r.sample_id for r in load_run_records(a.run_dir)} == {
        "vc-synth-tiny/test/0/0", "vc-synth-tiny/test/0/1"}  # fmt: skip
    b = run(tmp_path, be, tasks="vc-synth-tiny", limit=2, data_seed=3)
    assert {r.sample_id for r in load_run_records(b.run_dir)} == {
        "vc-synth-tiny/test/3/0", "vc-synth-tiny/test/3/1"}  # fmt: skip
    c = run(tmp_path, be, tasks="vc-synth-tiny", limit=2)
    assert len({a.run_id, b.run_id, c.run_id}) == 3
    ma, mb = read_manifest(a.run_dir), read_manifest(b.run_dir)
    assert (ma.seed, ma.data_seed, mb.seed, mb.data_seed) == (3, 0, 0, 3)
    # default settings keep the run id they had before data_seed existed
    task = get_task("vc-synth-tiny")
    key = run_key(be.identity(), task, RunSettings(), "synthetic")
    assert "data_seed" not in key
    both = run_key(be.identity(), task, RunSettings(seed=2, data_seed=2), "synthetic")
    assert "data_seed" not in both and both["seed"] == 2  # = an old seed-2 run's key


def test_run_folder_names_cannot_be_read_as_another_task(tmp_path: Path) -> None:
    be = ScriptedBackend({}, default="<answer>3</answer>")
    (s,) = evaluate("tiny", "vc-synth", backend=be, out=tmp_path, limit=1, progress=False)
    version = get_task("vc-synth").version
    assert s.run_id.startswith(f"tiny--vc-synth-v{version}-")  # was "vc-synth-tiny-<hash>"
    key = {"task_version": "1"}
    assert make_run_id("t", "a--b", key).startswith("a-b--t-v1-")  # "--" only once
    again = evaluate("tiny", "vc-synth", backend=be, out=tmp_path, limit=2, progress=False)
    assert again[0].run_id == s.run_id and again[0].n_resumed == 1


# -- 9. prompts kept; selections ---------------------------------------------------------------


def test_records_reference_their_prompt_stored_once(toy: ToyCount, tmp_path: Path) -> None:
    s = run(tmp_path, limit=3, temperature=0.7, samples=2)
    records = load_run_records(s.run_dir)
    prompts = read_prompts(s.run_dir)
    assert len(records) == 6 and len(prompts) == 3  # K draws share their prompt
    for r in records:
        entry = prompts[r.prompt_hash or ""]
        assert entry["messages"] == toy.prompt(toy.sample(r.index))
        assert entry["image"]["sha256"]
    run(tmp_path, limit=4, temperature=0.7, samples=2)
    lines = (s.run_dir / PROMPTS_FILE).read_text().splitlines()
    assert len(lines) == 4  # one more sample, one more prompt; none twice


def test_records_of_valid_inputs_keep_their_bytes_but_for_new_fields(
    toy: ToyCount, tmp_path: Path
) -> None:
    s = run(tmp_path, limit=1)
    (line,) = (s.run_dir / RECORDS_FILE).read_text().splitlines()
    keys = list(json.loads(line))
    assert keys == [
        "sample_id", "index", "task", "task_version", "k", "gold", "breakdown", "output",
        "extracted", "correct", "lenient_extracted", "lenient_correct", "format_ok", "error",
        "error_kind", "tokens", "latency_s", "prompt_hash", "think_open",
    ]  # fmt: skip  (issue 27: think_open; truncated only where the backend can tell)


def test_limit_fraction_offset_and_sample_ids_extend_one_run(toy: ToyCount, tmp_path: Path) -> None:
    a = run(tmp_path, limit=0.25)  # 10 of 40
    assert sorted(r.index for r in load_run_records(a.run_dir)) == list(range(10))
    b = run(tmp_path, offset=30, limit=5)
    assert b.run_id == a.run_id and b.status == "complete"
    assert b.metrics.n == 5 and b.n_new == 5
    c = run(tmp_path, sample_ids=("toy-count-0003", "toy-count-0032", "toy-count-0020"))
    assert c.run_id == a.run_id and c.metrics.n == 3 and (c.n_new, c.n_resumed) == (1, 2)
    m = json.loads((a.run_dir / MANIFEST_FILE).read_text())
    assert m["selection"]["requested"] == 3 and m["status"] == "complete"
    assert len(load_run_records(a.run_dir)) == 16
    with pytest.raises(ValueError, match="not in the data"):
        run(tmp_path, sample_ids=("nope",))
    with pytest.raises(ValueError, match="fraction"):
        run(tmp_path, limit=1.5)
    with pytest.raises(DataSourceError, match="selection holds no sample"):
        run(tmp_path, offset=40)


def test_cli_selection_flags(toy: ToyCount, tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("toy-count-0001\ntoy-count-0005\n")
    assert parse_sample_ids(f"@{ids}") == ("toy-count-0001", "toy-count-0005")
    assert parse_sample_ids("a, b,a") == ("a", "b")
    script = tmp_path / "s.json"
    script.write_text(json.dumps({"outputs": {}, "default": "<answer>3</answer>"}))
    base = ["run", "--backend", "scripted", "--model", str(script), "--tasks", "toy-count",
            "--out", str(tmp_path / "runs"), "--no-progress", "--json"]  # fmt: skip
    assert cli([*base, "--limit", "0.1"]) == 0
    assert cli([*base, "--sample-ids", f"@{ids}"]) == 0
    assert cli([*base, "--offset", "38"]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    got = sorted(r.index for r in load_run_records(run_dir))
    assert got == [0, 1, 2, 3, 5, 38, 39]


def test_openai_output_with_a_lone_surrogate_keeps_every_record(
    toy: ToyCount, tmp_path: Path
) -> None:
    """The reported case: a real local endpoint returns one ``\\ud800`` among 12 answers."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    count = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                count["n"] += 1
                text = "<answer>3</answer>" + ("\ud800" if count["n"] == 5 else "")
            raw = json.dumps(
                {"choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": text}}]}
            ).encode()  # fmt: skip
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    lock = threading.Lock()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        (s,) = evaluate(
            "served-model", "toy-count", backend="openai", out=tmp_path, progress=False,
            limit=12, backend_options={"base_url": f"http://127.0.0.1:{httpd.server_address[1]}/v1",
                                       "api_key": "sk-test", "concurrency": 4},
        )  # fmt: skip
    finally:
        httpd.shutdown()
        httpd.server_close()
    records = read_records(s.run_dir / RECORDS_FILE)
    assert len(records) == 12 and s.status == "complete"  # was: 10 of 12, "complete"
    (fixed,) = [r for r in records if r.repaired]
    assert fixed.output == "<answer>3</answer>\ufffd" and fixed.error is None
