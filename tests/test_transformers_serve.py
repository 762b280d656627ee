"""The openai backend against a real ``transformers serve`` endpoint on 127.0.0.1.

transformers serve parses Qwen-family outputs with its response template and returns the
``<think>`` text in ``message.reasoning_content``; read as ``content`` only, every output would
fail the format check. Served the same tiny checkpoint, the openai backend must score like the
hf backend in process: byte for byte the same outputs (so the same answers and format rate),
with the rebuilt outputs marked ``think_from``. Also checked: what the server's ``/v1/models`` gives for the identity.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from othink_bench.harness import evaluate
from othink_bench.models.tiny import is_bundled_tiny, resolve_model
from othink_bench.records import read_records

pytest.importorskip("fastapi", reason="transformers serve needs othink-bench[dev] (fastapi)")
pytest.importorskip("uvicorn", reason="transformers serve needs othink-bench[dev] (uvicorn)")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not is_bundled_tiny(), reason="needs the bundled (trained) tiny, which "
                       "writes <think> blocks for the server to split"),
]

HERE = Path(__file__).resolve().parent
N = 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    model = resolve_model("tiny")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "serve_fixtures.py"), model, "--host", "127.0.0.1",
             "--port", str(port), "--device", "cpu", "--dtype", "float32"],
            stdout=fh, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"transformers serve exited: {log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(url + "/health", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"transformers serve not up in 180 s: {log.read_text()[-2000:]}")
                time.sleep(0.5)
        yield url + "/v1", model
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_served_model_scores_like_the_in_process_one(
    served: tuple[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    base_url, model = served
    (local,) = evaluate("tiny", "vc-synth-tiny", out=tmp_path, progress=False, limit=N)
    with caplog.at_level("WARNING"):
        (remote,) = evaluate(
            model, "vc-synth-tiny", backend="openai", out=tmp_path, progress=False, limit=N,
            backend_options={"base_url": base_url, "concurrency": 1},
        )
    (raw,) = evaluate(
        model, "vc-synth-tiny", backend="openai", out=tmp_path, progress=False, limit=N,
        backend_options={"base_url": base_url, "concurrency": 1, "merge_reasoning": False},
    )
    ours = {r.sample_id: r for r in read_records(local.run_dir / "records.jsonl")}
    theirs = {r.sample_id: r for r in read_records(remote.run_dir / "records.jsonl")}
    assert local.metrics.format_rate.k == N  # the bundled tiny writes <think>...</think><answer>
    assert remote.metrics.format_rate.k == local.metrics.format_rate.k
    assert remote.metrics.accuracy.k == local.metrics.accuracy.k
    assert {k: r.output for k, r in theirs.items()} == {k: r.output for k, r in ours.items()}
    assert {r.think_from for r in theirs.values()} == {"reasoning_content"}
    # the server really split the text: without the merge, no output has its think block
    assert raw.metrics.format_rate.k == 0 and raw.metrics.accuracy.k == local.metrics.accuracy.k
    assert raw.run_id != remote.run_id
    # transformers serve lists the name, owned_by "local" and created 0: a weak identity
    key = json.loads((remote.run_dir / "manifest.json").read_text())["run_key"]["backend"]
    assert key["model"] == {"name": model, "served": {"id": model, "owned_by": "local"}}
    assert any("weak run identity" in r.getMessage() for r in caplog.records)
