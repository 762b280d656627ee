"""Checkpoints that say how they were made, and the marker that says a training finished.

Why: a checkpoint folder alone does not tell the leaderboard which method, task and step
produced it, and a folder that exists does not prove the training finished. Each checkpoint
(every ``save_steps`` optimizer steps, and the final one) gets ``othink_checkpoint.json`` with
(method, task, base model, step, beta, recipe; read back by
:mod:`othink_bench.models.provenance`); the run folder gets ``othink_training.json`` only after the
final checkpoint is complete on disk. ``train-and-eval`` reuses a training exactly when that
marker exists, so an interrupted matrix resumes without retraining finished cells.

Layout of a training output folder::

    <output>/checkpoint-<step>/          model, processor, othink_checkpoint.json (and, in the
                                         newest one, the optimizer/scheduler/RNG state that
                                         resuming needs: see "Resume state" below)
    <output>/checkpoint-<final step>/    the final checkpoint (saved even off the K-step grid)
    <output>/beta_schedule.jsonl         the KL weight applied at every step (GRPO / GRPO-D)
    <output>/othink_training.json        written last: the training finished
    <output>/README.md, checkpoint-*/README.md   the model card (:mod:`trainers.model_card`)

Resume state: an interrupted training continues from its newest checkpoint that holds the
optimizer, scheduler and RNG state (``save_only_model: false``, as every shipped recipe sets).
That state is several times the size of the weights (Adam keeps two fp32 moments per
parameter), so with ``keep_resume_state: last`` (the default) it is deleted from a checkpoint
as soon as a newer checkpoint is complete on disk; the older checkpoints keep their weights,
processor and metadata (what ``--eval-checkpoints all`` evaluates). ``all`` keeps it in every
checkpoint. TRL's ``save_total_limit`` would delete whole checkpoints instead.
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

from othink_bench.models.provenance import CHECKPOINT_META
from othink_bench.strict_json import dumps
from trainers.model_card import write_training_card

TRAINING_MARKER = "othink_training.json"
CHECKPOINT_PREFIX = "checkpoint-"
META_FORMAT = 1
KEEP_RESUME_STATE = ("last", "all")
_STEP_DIR = re.compile(rf"^{CHECKPOINT_PREFIX}(\d+)$")
#: What transformers' Trainer (and DeepSpeed through it) writes into a checkpoint besides the
#: model so that ``train(resume_from_checkpoint=...)`` can continue: optimizer (plain, per-rank,
#: FSDP-sharded), scheduler, grad scaler, RNG states (one per process), DeepSpeed's shards.
RESUME_STATE_PATTERNS = (
    "optimizer.pt", "optimizer.bin", "rank*-of-*-optimizer.pt", "optimizer_*", "scheduler.pt",
    "scaler.pt", "rng_state.pth", "rng_state_*.pth", "global_step*", "latest", "zero_to_fp32.py",
)
#: A checkpoint whose weights are in one of these can lose its resume state and still be
#: evaluated; one without (FSDP/ZeRO-3 shards only) keeps everything.
WEIGHT_FILES = (
    "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
    "pytorch_model.bin.index.json", "adapter_model.safetensors", "adapter_model.bin",
)


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(data, where=str(path), indent=2, sort_keys=True, ensure_ascii=False)
                   + "\n", "utf-8")
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
    train_seed: int | None = None,
) -> dict[str, Any]:
    """The metadata of one checkpoint; what ``othink-bench run`` reads back from it is
    :func:`othink_bench.models.provenance.read_provenance` (``train_seed`` only for the seeded
    trainings of ``train-and-eval --seeds``)."""
    meta = {
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
    if train_seed is not None:
        meta["train_seed"] = train_seed
    return meta


def has_resume_state(folder: str | Path) -> bool:
    """Whether a checkpoint holds the optimizer state a resumed training needs."""
    folder = Path(folder)
    return any(
        (folder / name).is_file() for name in ("optimizer.pt", "optimizer.bin")
    ) or any(folder.glob("rank*-of-*-optimizer.pt")) or any(folder.glob("optimizer_*")) or any(
        p.is_dir() for p in folder.glob("global_step*")
    )


def partial_resume_state(folder: str | Path) -> bool:
    """Whether a checkpoint holds some resume state (scheduler, RNG) but not the optimizer's:
    pruning removes all of it together, so such a checkpoint lost a file."""
    folder = Path(folder)
    if has_resume_state(folder):
        return False
    return any((folder / name).is_file() for name in ("scheduler.pt", "rng_state.pth")) or any(
        folder.glob("rng_state_*.pth")
    )


def _has_weights(folder: Path) -> bool:
    return any((folder / name).is_file() for name in WEIGHT_FILES)


def prune_resume_state(output_dir: str | Path, keep_step: int) -> list[Path]:
    """Delete the resume state of every checkpoint before ``keep_step``; return what went.

    Only checkpoints with metadata and loadable weights are touched, so a checkpoint is never
    left without a way to evaluate it, and a folder this project did not finish is left alone.
    """
    import shutil

    removed: list[Path] = []
    for ckpt in list_checkpoints(output_dir):
        if ckpt.step >= keep_step or not _has_weights(ckpt.path):
            continue
        for pattern in RESUME_STATE_PATTERNS:
            for path in sorted(ckpt.path.glob(pattern)):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(path)
    return removed


class CheckpointMetadataCallback(TrainerCallback):
    """Writes ``othink_checkpoint.json`` into every checkpoint the trainer saves, then (with
    ``keep_resume_state="last"``) deletes the resume state of the older checkpoints.

    The metadata is written only once every process has finished its part of the save, so a
    checkpoint with metadata is complete on disk: resuming trusts exactly those.
    """

    def __init__(self, base_meta: dict[str, Any], trainer: Any = None,
                 keep_resume_state: str = "last", data: dict[str, Any] | None = None) -> None:
        if keep_resume_state not in KEEP_RESUME_STATE:
            raise ValueError(
                f"keep_resume_state must be one of {KEEP_RESUME_STATE}, got {keep_resume_state!r}"
            )
        self.base_meta = dict(base_meta)
        self.trainer = trainer
        self.keep_resume_state = keep_resume_state
        self.data = data  # the training data's report, for the model card
        self.saved: list[Path] = []

    def current_beta(self) -> float | None:
        beta = getattr(self.trainer, "beta", None) if self.trainer is not None else None
        return None if beta is None else float(beta)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        folder = checkpoint_dir(args.output_dir, state.global_step)
        accelerator = getattr(self.trainer, "accelerator", None)
        if accelerator is not None:  # every rank's optimizer shard and RNG state are written
            accelerator.wait_for_everyone()
        if state.is_world_process_zero and folder.is_dir():
            meta = {
                **self.base_meta,
                "step": int(state.global_step),
                "total_steps": int(state.max_steps),
                "beta": self.current_beta(),
                "saved": _now(),
            }
            _write_json_atomic(folder / CHECKPOINT_META, meta)
            # after TRL's own card (written before the save): ours replaces it
            write_training_card([folder, Path(args.output_dir)], meta, self.data)
            self.saved.append(folder)
            if self.keep_resume_state == "last" and has_resume_state(folder):
                prune_resume_state(args.output_dir, keep_step=int(state.global_step))


def save_final(trainer: Any, output_dir: str | Path, meta_cb: CheckpointMetadataCallback) -> Path:
    """Save the final checkpoint (unless the K-step grid already did) and mark it final."""
    step = int(trainer.state.global_step)
    folder = checkpoint_dir(output_dir, step)
    saved = None
    if (folder / CHECKPOINT_META).is_file():
        # saved on the K-step grid (or by a training that resumes with nothing left to do):
        # the weights did not change, so neither does the time that identifies them
        try:
            saved = json.loads((folder / CHECKPOINT_META).read_text(encoding="utf-8")).get("saved")
        except ValueError:
            saved = None
    else:
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
            "saved": saved or _now(),
        }
        _write_json_atomic(folder / CHECKPOINT_META, meta)
        write_training_card([folder, Path(output_dir)], meta, meta_cb.data)
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
