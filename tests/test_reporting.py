"""Eval logging (`othink-bench run --report-to`): the numbers are read back from the files
TensorBoard and W&B (offline) write, and compared with the run's own metrics."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from viewer_fixtures import SYNTH, N, kind_a, script_a

from othink_bench.backends.scripted import ScriptedBackend
from othink_bench.cli import main
from othink_bench.harness import RunSummary, evaluate
from othink_bench.reporting import reporters, scalars, write_tensorboard, write_wandb


@pytest.fixture(scope="module")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> list[RunSummary]:
    out = tmp_path_factory.mktemp("report-runs")
    return evaluate(
        "model-a",
        SYNTH,
        backend=ScriptedBackend(script_a),  # type: ignore[arg-type]
        limit=N,
        out=str(out),
        progress=False,
        max_errors=1.0,
    )


def expected(summary: RunSummary) -> dict[str, float]:
    """The metrics worked out from the script, independently of the metrics code."""
    kinds = [kind_a(i) for i in range(N)]
    errors = kinds.count("error")  # generation errors: counted, as wrong answers
    return {
        f"eval/{SYNTH}/accuracy": kinds.count("right") / N,
        f"eval/{SYNTH}/format_rate": (kinds.count("right") + kinds.count("wrong")) / N,
        f"eval/{SYNTH}/n": float(N),
        f"eval/{SYNTH}/scored": float(N),
        f"eval/{SYNTH}/errors": float(errors),
    }


def read_tensorboard(folder: Path) -> dict[str, list[tuple[int, float]]]:
    pytest.importorskip("tensorboard", reason="tensorboard is not installed (dev extra)")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder))
    acc.Reload()
    return {
        tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]
    }


def test_scalars_are_the_runs_metrics(summaries: list[RunSummary]) -> None:
    (s,) = summaries
    got = scalars(summaries)
    for tag, value in expected(s).items():
        assert got[tag] == pytest.approx(value), tag
    m = s.metrics
    assert got[f"eval/{SYNTH}/lenient"] == pytest.approx(m.lenient.value)
    assert got[f"eval/{SYNTH}/accuracy_low"] < got[f"eval/{SYNTH}/accuracy"]
    assert got[f"eval/{SYNTH}/accuracy"] < got[f"eval/{SYNTH}/accuracy_high"]


def test_tensorboard_event_file_reads_back(summaries: list[RunSummary], tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="tensorboard is not installed (dev extra)")
    folder = write_tensorboard(summaries, tmp_path / "tb" / "model-a", step=75)
    got = read_tensorboard(folder)
    assert set(got) == set(scalars(summaries))
    for tag, value in expected(summaries[0]).items():
        ((step, logged),) = got[tag]
        assert step == 75 and logged == pytest.approx(value, abs=1e-6), tag


def test_cli_run_reports_to_tensorboard(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("tensorboard", reason="tensorboard is not installed (dev extra)")
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"outputs": {}, "default": "<think>x</think><answer>5</answer>"}))
    out = tmp_path / "runs"
    args = ["run", "--model", str(script), "--backend", "scripted", "--tasks", SYNTH,
            "--limit", "6", "--out", str(out), "--no-progress", "--label", "ckpt",
            "--step", "25", "--report-to", "tensorboard"]
    assert main(args) == 0
    assert f"tensorboard: {out / 'tensorboard' / 'ckpt'}" in capsys.readouterr().out
    got = read_tensorboard(out / "tensorboard" / "ckpt")
    ((step, n),) = got[f"eval/{SYNTH}/n"]
    assert (step, n) == (25, 6.0)
    ((_, acc),) = got[f"eval/{SYNTH}/accuracy"]
    records = [json.loads(line) for p in out.glob("*/records.jsonl") for line in p.read_text().splitlines()]
    assert acc == pytest.approx(sum(r["correct"] for r in records) / 6)


def test_report_to_is_checked_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"outputs": {}, "default": "<answer>5</answer>"}))
    base = ["run", "--model", str(script), "--backend", "scripted", "--tasks", SYNTH,
            "--limit", "2", "--out", str(tmp_path / "runs"), "--no-progress"]
    assert main([*base, "--report-to", "tensorbored"]) == 2
    assert "choose from tensorboard, wandb" in capsys.readouterr().err
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "wandb" else real(name, *a)
    )
    assert main([*base, "--report-to", "tensorboard,wandb"]) == 2
    assert "pip install 'othink-bench[wandb]'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()  # nothing was evaluated
    assert reporters(["tensorboard,wandb", "wandb", "none"]) == ["tensorboard", "wandb"]


def _wandb_records(path: Path) -> list[Any]:
    """Records of a wandb transaction log (LevelDB log format: 32 KiB blocks of chunks)."""
    from wandb.proto import wandb_internal_pb2 as pb

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, block, out, pending = 7, 32768, [], b""
    while pos + 7 <= len(data):
        if block - pos % block < 7:
            pos += block - pos % block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        chunk, pos = data[pos + 7 : pos + 7 + length], pos + 7 + length
        if kind == 1:
            out.append(chunk)
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            out.append(pending + chunk)
    records = []
    for chunk in out:
        r = pb.Record()
        r.ParseFromString(chunk)
        records.append(r)
    return records


def _finished_records(log: Path, timeout_s: float = 60.0) -> list[Any]:
    """wandb's service writes the log shortly after ``finish()`` returns: wait for its exit."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            records = _wandb_records(log)
        except Exception:  # a chunk being written
            records = []
        if any(r.WhichOneof("record_type") == "exit" for r in records):
            return records
        if time.monotonic() > deadline:
            raise AssertionError(f"{log}: no exit record after {timeout_s} s")
        time.sleep(0.1)


def test_wandb_offline_run_reads_back(
    summaries: list[RunSummary], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("wandb", reason="wandb is not installed (pip install 'othink-bench[wandb]')")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    run_id = write_wandb(summaries, project="othink-test", name="model-a", directory=tmp_path, step=50)
    (log,) = (tmp_path / "wandb").glob(f"offline-run-*-{run_id}/run-{run_id}.wandb")
    records = _finished_records(log)
    history = {}
    for r in records:
        if r.WhichOneof("record_type") == "history":
            for item in r.history.item:
                history["/".join(item.nested_key) or item.key] = json.loads(item.value_json)
    for tag, value in expected(summaries[0]).items():
        assert history[tag] == pytest.approx(value), tag
    assert history["checkpoint_step"] == 50
    (run,) = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    assert run.display_name == "model-a" and run.project == "othink-test"
    config = {u.key: json.loads(u.value_json) for u in run.config.update}
    assert config["task_versions"] == {SYNTH: summaries[0].task_version}
