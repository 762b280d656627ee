"""Every JSON file the project writes is strict JSON: no NaN, Infinity or -Infinity
(issue 28: markers were written with ``NaN``/``Infinity``, which strict parsers reject)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from othink_bench.records import RECORDS_FILE, RunRecord, append_records, write_json_atomic
from othink_bench.strict_json import dumps, finite_copy


def strict_load(text: str) -> Any:
    """json.loads that fails on NaN/Infinity, as JavaScript's JSON.parse does."""
    def refuse(word: str) -> Any:
        raise ValueError(f"non-standard JSON constant {word}")

    return json.loads(text, parse_constant=refuse)


NONFINITE = {"loss": float("nan"), "m": {"grad_norm": float("inf")}, "xs": [1.0, float("-inf")],
             "ok": 2.5, "name": "nan"}


def test_dumps_writes_null_and_names_the_fields(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        text = dumps(NONFINITE, where="x/marker.json", sort_keys=True)
    assert strict_load(text) == {"loss": None, "m": {"grad_norm": None}, "xs": [1.0, None],
                                 "ok": 2.5, "name": "nan"}
    assert "x/marker.json" in caplog.text and "$.loss, $.m.grad_norm, $.xs[1]" in caplog.text
    assert finite_copy({"a": [1, 2.0]}) == ({"a": [1, 2.0]}, [])
    with pytest.raises(ValueError):
        json.dumps(NONFINITE, allow_nan=False)  # what dumps guards against


def test_manifest_results_and_records_are_strict(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    write_json_atomic(path, {"generation": {"temperature": float("inf")}, "elapsed": float("nan")})
    assert strict_load(path.read_text()) == {"elapsed": None, "generation": {"temperature": None}}
    rec = RunRecord(sample_id="s", index=0, task="t", task_version="1", gold="3",
                    latency_s=float("nan"))
    append_records(tmp_path / RECORDS_FILE, [rec])
    assert strict_load((tmp_path / RECORDS_FILE).read_text())["latency_s"] is None


def test_training_marker_and_train_log_are_strict(tmp_path: Path) -> None:
    pytest.importorskip("trl")
    from types import SimpleNamespace

    from trainers.checkpoints import TRAINING_MARKER, write_training_marker
    from trainers.console import ConsoleLogCallback

    write_training_marker(tmp_path, {"metrics": {"train_loss": float("nan")}, "steps": 3})
    marker = strict_load((tmp_path / TRAINING_MARKER).read_text())
    assert marker["metrics"]["train_loss"] is None and marker["steps"] == 3
    log_path = tmp_path / "train_log.jsonl"
    cb = ConsoleLogCallback(log_path)
    state = SimpleNamespace(is_world_process_zero=True, global_step=1, max_steps=2)
    cb.on_log(SimpleNamespace(), state, SimpleNamespace(),
              logs={"loss": float("nan"), "grad_norm": float("inf"), "learning_rate": 1e-5})
    row = strict_load(log_path.read_text().splitlines()[0])
    # the training log keeps the word (a string, valid JSON): it records what was logged
    assert row["loss"] == "nan" and row["grad_norm"] == "inf" and row["learning_rate"] == 1e-5


def test_board_json_is_strict() -> None:
    from leaderboard.blocks import Board
    from leaderboard.formats import render_json

    board = Board(title="t", blocks=[], data={"accuracy": float("nan"), "n": 0}, rows=[])
    assert strict_load(render_json(board)) == {"accuracy": None, "n": 0}
