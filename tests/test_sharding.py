"""Sharded evaluation over 2 CPU processes: disjoint shards, one merged records file.

Each process labels the records it scores with its rank (``RankedToyCount``), so the merged
file shows which process did what. Two launchers: ``accelerate launch`` and bare
``RANK``/``WORLD_SIZE`` environments; in both the main process waits for every shard's records
on disk and merges them (no collective barrier, see ``othink_bench.harness.sharding.Dist``).

Note: accelerate 1.x starts a single process for ``accelerate launch --cpu --num_processes 2``
(its simple launcher; several CPU processes need mpirun), so the test launches with
``--multi_gpu``, which on a machine without GPUs runs torch.distributed's launcher with CPU
processes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from othink_bench.records import RECORDS_FILE, read_manifest, read_records

HERE = Path(__file__).resolve().parent
N = 30


def script(tmp_path: Path) -> Path:
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"outputs": {}, "default": "<think>.</think><answer>4</answer>"}))
    return path


def args(tmp_path: Path, out: Path) -> list[str]:
    return [
        "run",
        "--backend",
        "scripted",
        "--model",
        str(script(tmp_path)),
        "--tasks",
        "toy-count-ranked",
        "--out",
        str(out),
        "--no-progress",
        "--batch-size",
        "4",
    ]


def env() -> dict[str, str]:
    e = {**os.environ, "TOY_N": str(N), "PYTHONPATH": str(HERE.parent), "OMP_NUM_THREADS": "1"}
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        e.pop(k, None)
    return e


def check_merged(out: Path) -> Path:
    (run_dir,) = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    records = read_records(run_dir / RECORDS_FILE)
    assert sorted(r.index for r in records) == list(range(N))  # all, once each
    assert all(r.breakdown == f"rank={r.index % 2}" for r in records)  # index % world == rank
    assert Counter(r.breakdown for r in records) == {"rank=0": N // 2, "rank=1": N // 2}
    assert not list(run_dir.glob("records.rank*.jsonl"))  # shards merged away
    m = read_manifest(run_dir)
    assert m.status == "complete" and m.n_samples == N
    assert json.loads((run_dir / "manifest.json").read_text())["settings"]["world_size"] == 2
    return run_dir


@pytest.mark.skipif(shutil.which("accelerate") is None, reason="accelerate CLI not on PATH")
def test_accelerate_launch_two_cpu_processes(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    cmd = [
        "accelerate",
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "--main_process_port",
        "0",
        str(HERE / "harness_fixtures.py"),
        *args(tmp_path, out),
    ]
    done = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = check_merged(out)
    assert done.stdout.count("toy-count-ranked v1") == 1  # only the main process prints
    assert f"{N}" in done.stdout and str(run_dir) in done.stdout


def test_rank_environment_without_rendezvous(tmp_path: Path) -> None:
    out = tmp_path / "runs"
    procs = []
    for rank in (0, 1):
        e = {**env(), "RANK": str(rank), "WORLD_SIZE": "2", "LOCAL_RANK": str(rank)}
        procs.append(
            subprocess.Popen(
                [sys.executable, str(HERE / "harness_fixtures.py"), *args(tmp_path, out)],
                env=e,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1][-2000:] for r in results]
    check_merged(out)
    assert "toy-count-ranked v1" in results[0][0] and results[1][0] == ""
    # a rerun in the same layout finds everything done
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "harness_fixtures.py"), *args(tmp_path, out), "--json"],
            env={**env(), "RANK": str(r), "WORLD_SIZE": "2", "LOCAL_RANK": str(r)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in (0, 1)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1][-2000:] for r in results]
    (summary,) = json.loads(results[0][0])
    assert summary["n_new"] == 0 and summary["n_resumed"] == N
    check_merged(out)
