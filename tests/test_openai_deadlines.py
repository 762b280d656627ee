"""The openai backend against hostile servers (issue 28): deadlines that hold, cancellation on
SIGTERM, a response-size cap, and malformed answers that fail only their own sample.

All against the fake chat server of ``test_openai_backend`` on 127.0.0.1; every test is bounded
in time by an assertion, not by luck.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness_fixtures import ToyCount, install
from test_openai_backend import ChatServer, backend, requests

from othink_bench.backends import generate_all
from othink_bench.backends.deadline_http import Watchdog
from othink_bench.backends.openai import response_cap
from othink_bench.harness import evaluate
from othink_bench.records import read_manifest, read_records
from othink_bench.registry import unregister

HERE = Path(__file__).resolve().parent


@pytest.fixture
def server() -> Iterator[ChatServer]:
    s = ChatServer()
    yield s
    s.close()


def test_a_trickling_server_cannot_hold_a_request_past_its_deadline(server: ChatServer) -> None:
    # a byte every 0.2 s: no socket read ever times out, so urlopen(timeout=) alone waits forever
    server.script = {i: ["trickle"] * 9 for i in range(4)}
    be = backend(server, timeout=1.0, max_retries=2, concurrency=4)
    start = time.monotonic()
    out = generate_all(be, requests(4))
    elapsed = time.monotonic() - start
    assert elapsed < 5.0, elapsed  # per-sample budget: 1 s x 3 attempts, with backoff inside it
    assert all(not r.ok and "gave up after" in (r.error or "") for r in out)
    assert all("DeadlineExceeded" in (r.error or "") for r in out), out[0].error
    assert all(r.latency_s is not None and r.latency_s <= 3.3 for r in out)


def test_a_run_against_a_trickling_server_ends_with_per_sample_errors(
    server: ChatServer, tmp_path: Path
) -> None:
    # the case through evaluate(): --timeout 3 --max-retries 2 held requests for 431 s
    install(ToyCount(n=12))
    try:
        server.script = {i: ["trickle"] * 9 for i in range(6)}  # 6 of 12 samples trickle
        start = time.monotonic()
        (s,) = evaluate(
            "served-model", "toy-count", backend="openai", out=tmp_path, progress=False,
            limit=12, max_errors=1.0,
            backend_options={"base_url": server.url, "api_key": "k", "timeout": 3,
                             "max_retries": 2, "backoff_s": 0.01},
        )  # fmt: skip
        took = time.monotonic() - start
    finally:
        unregister("toy-count")
    assert took < 15.0, took  # one budget of 3 s x 3 attempts, the 6 trickled run in parallel
    records = read_records(s.run_dir / "records.jsonl")
    failed = sorted(r.index for r in records if r.error)
    assert failed == [0, 1, 2, 3, 4, 5]
    assert all(r.error_kind == "generation" and "DeadlineExceeded" in (r.error or "")
               for r in records if r.error)  # fmt: skip
    assert s.status == "complete" and read_manifest(s.run_dir).status == "complete"


def test_retries_stay_within_the_per_sample_budget(server: ChatServer) -> None:
    server.script = {0: ["trickle"] * 20}
    be = backend(server, timeout=0.5, max_retries=10, backoff_s=0.2)
    assert be.sample_budget_s == pytest.approx(5.5)
    start = time.monotonic()
    (out,) = generate_all(be, requests(1))
    assert time.monotonic() - start < be.sample_budget_s + 1.0
    assert not out.ok and "gave up after" in (out.error or "")


def test_a_huge_answer_is_capped_and_fails_only_its_sample(server: ChatServer) -> None:
    server.script = {1: ["huge"]}
    out = generate_all(backend(server), requests(3))
    assert out[0].ok and out[2].ok
    assert not out[1].ok and out[1].error_kind == "response_too_large"
    assert f"cap of {response_cap(64)}" in (out[1].error or "")
    assert server.attempts[1] == 1  # not retried: the server would do it again
    assert response_cap(64) == 64 * 64 + (1 << 20)


def test_malformed_fields_fail_only_their_sample(
    server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script = {2: ["message_str"], 5: ["bad_usage"]}
    with caplog.at_level(logging.WARNING):
        out = generate_all(backend(server), requests(8))
    assert [r.ok for r in out] == [True, True, False, True, True, True, True, True]
    assert "malformed chat completion" in (out[2].error or "")
    assert "'message' is a str" in (out[2].error or "")
    # a bad token count leaves the good text standing, without a count, and says so once
    assert out[5].text is not None and out[5].tokens is None and out[4].tokens == 9
    assert "usage.completion_tokens='n/a'" in caplog.text


def test_unparseable_created_in_models_is_named_and_left_out(
    server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.models = [{"id": "served-model", "owned_by": "vllm", "created": "yesterday"}]
    be = backend(server)
    with caplog.at_level(logging.WARNING):
        ident = be.identity()
    assert "created" not in ident["model"]["served"]
    assert "created='yesterday', not a Unix time" in caplog.text
    server.models = [{"id": "served-model", "created": "1700000000"}]  # a numeric string is one
    assert backend(server).identity()["model"]["served"]["created"] == "1700000000"


def test_a_trickled_models_listing_holds_its_deadline(server: ChatServer) -> None:
    # the listing is read through the same deadline transport: a stuck GET cannot block a run
    server.trickle_models = True
    be = backend(server, timeout=0.5, max_retries=1)
    start = time.monotonic()
    with pytest.raises(ValueError, match="cannot reach the endpoint .*DeadlineExceeded"):
        be.identity()
    assert time.monotonic() - start < 2.5  # two attempts of 0.5 s, and a short backoff


class _Alarm(Exception):
    pass


def _raise_alarm(signum: int, frame: object) -> None:
    raise _Alarm


def test_an_interrupt_cuts_requests_in_flight_and_drops_the_queued(server: ChatServer) -> None:
    server.script = {i: ["never"] for i in range(16)}
    be = backend(server, timeout=60, concurrency=4)
    previous = signal.signal(signal.SIGALRM, _raise_alarm)
    signal.setitimer(signal.ITIMER_REAL, 1.0)  # as SIGTERM does in the harness's main thread
    start = time.monotonic()
    try:
        with pytest.raises(_Alarm):
            list(be.generate(requests(16)))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - start < 2.0
    time.sleep(0.5)
    assert len(server.bodies) == 4  # four were in flight; the twelve queued were never sent
    alive = [t for t in threading.enumerate() if t.name.startswith("othink-openai")]
    assert not alive, alive  # the workers saw their connections cut and ended


def test_watchdog_sleep_wakes_on_cancel() -> None:
    dog = Watchdog()
    start = time.monotonic()
    dog.cancel()
    assert dog.sleep(30) is True and time.monotonic() - start < 1.0


def _run_cli(
    srv: ChatServer, out: Path, n: int, extra_path: tuple[str, ...] = ()
) -> subprocess.Popen[str]:
    cmd = [
        sys.executable, "-m", "othink_bench.cli", "run", "--backend", "openai",
        "--base-url", srv.url, "--api-key", "sk-test", "--model", "served-model",
        "--tasks", "vc-synth-tiny", "--limit", str(n), "--out", str(out), "--timeout", "60",
        "--concurrency", "4", "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), *extra_path])}
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=out.parent,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


class NeverAnswers(ChatServer):
    """Takes every chat request and never answers (the `/models` listing works)."""

    def _respond(self, h: object) -> None:
        with self.lock:
            self.bodies.append({})
        self.closing.wait(120)


def test_sigterm_against_a_server_that_never_answers_exits_in_seconds(tmp_path: Path) -> None:
    srv = NeverAnswers()
    try:
        out = tmp_path / "runs"
        proc = _run_cli(srv, out, 12)
        deadline = time.monotonic() + 90
        while len(srv.bodies) < 4 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert len(srv.bodies) == 4, "the run never got its requests in flight"
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        exit_s = time.monotonic() - sent
    finally:
        srv.close()
    assert exit_s < 5.0, exit_s
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    (run_dir,) = [p.parent for p in out.glob("*/manifest.json")]
    m = read_manifest(run_dir)
    assert m.status == "interrupted" and m.finished
    assert not (run_dir / "records.jsonl").exists() or not read_records(run_dir / "records.jsonl")
    with (run_dir / ".lock").open("a+") as fh:  # the lock is free: a rerun would not be refused
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert len(srv.bodies) == 4  # the 8 queued requests were dropped, not sent
    json.loads((run_dir / "manifest.json").read_text())  # and the manifest is whole JSON
