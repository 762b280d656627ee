"""Checkpoints that say how they were made, and the marker that says a training finished.

Why: a checkpoint folder alone does not tell the leaderboard which method, task and step
produced it, and a folder that exists does not prove the training finished. Each checkpoint
(every ``save_steps`` optimizer steps, and the final one) gets ``othink_checkpoint.json`` with
(method, task, step, beta, recipe); the run folder gets ``othink_training.json`` only after the
final checkpoint is complete on disk. ``train-and-eval`` reuses a training exactly when that
marker exists, so an interrupted matrix resumes without retraining finished cells.

Layout of a training output folder::

    <output>/checkpoint-<step>/          model, processor, othink_checkpoint.json
    <output>/checkpoint-<final step>/    the final checkpoint (saved even off the K-step grid)
    <output>/beta_schedule.jsonl         the KL weight applied at every step (GRPO / GRPO-D)
    <output>/othink_training.json        written last: the training finished
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

CHECKPOINT_META = "othink_checkpoint.json"
TRAINING_MARKER = "othink_training.json"
CHECKPOINT_PREFIX = "checkpoint-"
META_FORMAT = 1
_STEP_DIR = re.compile(rf"^{CHECKPOINT_PREFIX}(\d+)$")


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, path)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass(frozen=True)
class CheckpointInfo:
    """One saved checkpoint and its metadata."""

    path: Path
    step: int
    meta: dict[str, Any]

    @property
    def final(self) -> bool:
        return bool(self.meta.get("final"))


def checkpoint_dir(output_dir: str | Path, step: int) -> Path:
    return Path(output_dir) / f"{CHECKPOINT_PREFIX}{step}"


def checkpoint_meta(
    *,
    method: str,
    task: str,
    task_version: str,
    base_model: str,
    step: int,
    total_steps: int | None,
    beta: float | None,
    schedule: dict[str, Any] | None,
    recipe: dict[str, Any],
    final: bool = False,
) -> dict[str, Any]:
    return {
        "format": META_FORMAT,
        "method": method,
        "task": task,
        "task_version": task_version,
        "base_model": base_model,
        "step": step,
        "total_steps": total_steps,
        "beta": beta,
        "schedule": schedule,
        "recipe": recipe,
        "final": final,
        "saved": _now(),
    }


class CheckpointMetadataCallback(TrainerCallback):
    """Writes ``othink_checkpoint.json`` into every checkpoint the trainer saves."""

    def __init__(self, base_meta: dict[str, Any], trainer: Any = None) -> None:
        self.base_meta = dict(base_meta)
        self.trainer = trainer
        self.saved: list[Path] = []

    def current_beta(self) -> float | None:
        beta = getattr(self.trainer, "beta", None) if self.trainer is not None else None
        return None if beta is None else float(beta)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        folder = checkpoint_dir(args.output_dir, state.global_step)
        if state.is_world_process_zero and folder.is_dir():
            meta = {
                **self.base_meta,
                "step": int(state.global_step),
                "total_steps": int(state.max_steps),
                "beta": self.current_beta(),
                "saved": _now(),
            }
            _write_json_atomic(folder / CHECKPOINT_META, meta)
            self.saved.append(folder)


def save_final(trainer: Any, output_dir: str | Path, meta_cb: CheckpointMetadataCallback) -> Path:
    """Save the final checkpoint (unless the K-step grid already did) and mark it final."""
    step = int(trainer.state.global_step)
    folder = checkpoint_dir(output_dir, step)
    if not (folder / CHECKPOINT_META).is_file():
        trainer.save_model(str(folder))
        if trainer.is_world_process_zero():
            trainer.state.save_to_json(str(folder / "trainer_state.json"))
    if trainer.is_world_process_zero():
        meta = {
            **meta_cb.base_meta,
            "step": step,
            "total_steps": int(trainer.state.max_steps),
            "beta": meta_cb.current_beta(),
            "final": True,
            "saved": _now(),
        }
        _write_json_atomic(folder / CHECKPOINT_META, meta)
    return folder


def write_training_marker(output_dir: str | Path, data: dict[str, Any]) -> Path:
    """Mark a training finished; call only after the final checkpoint is on disk."""
    path = Path(output_dir) / TRAINING_MARKER
    _write_json_atomic(path, {**data, "finished": _now()})
    return path


def read_training_marker(output_dir: str | Path) -> dict[str, Any] | None:
    path = Path(output_dir) / TRAINING_MARKER
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def list_checkpoints(output_dir: str | Path) -> list[CheckpointInfo]:
    """Complete checkpoints (with metadata) of a training folder, by step."""
    root = Path(output_dir)
    if not root.is_dir():
        return []
    out: list[CheckpointInfo] = []
    for child in root.iterdir():
        match = _STEP_DIR.match(child.name)
        meta_path = child / CHECKPOINT_META
        if not (match and child.is_dir() and meta_path.is_file()):
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        out.append(CheckpointInfo(path=child, step=int(match.group(1)), meta=meta))
    return sorted(out, key=lambda c: c.step)


def finished_training(output_dir: str | Path) -> dict[str, Any] | None:
    """The marker of a finished training whose final checkpoint is still complete, else None."""
    marker = read_training_marker(output_dir)
    if marker is None:
        return None
    final = Path(output_dir) / str(marker.get("final_checkpoint", ""))
    if not (final / CHECKPOINT_META).is_file() or not (final / "config.json").is_file():
        return None
    return marker
