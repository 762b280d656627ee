"""Resuming an interrupted training exactly where its newest checkpoint left it.

Why a module of its own: transformers restores the weights, optimizer, scheduler, RNG states
and step counter from a checkpoint, but three things around that decide whether the resumed
training is the one that was interrupted, and transformers does none of them:

* which checkpoint to resume from: the newest one that is complete (has this project's
  metadata, written only after every process finished saving), still holds its optimizer
  state (see "Resume state" in :mod:`trainers.checkpoints`) and whose files are whole (a
  damaged newer one is named and passed over: :mod:`trainers.checkpoint_integrity`);
* that the training asked for now is the one that was interrupted: resuming a GRPO-D run with
  another beta range or step count would produce a model of neither recipe, so it is refused;
* the weights: transformers 5 reloads a checkpoint's ``model.safetensors`` with
  ``load_state_dict(strict=False)``, but ``save_pretrained`` writes models with a key conversion
  mapping (Qwen2-VL among them: ``visual.*``, ``model.layers.*``) in their original layout while
  the model in memory names them ``model.visual.*``, ``model.language_model.*``; no key matches,
  nothing is loaded, and the "resumed" training silently continues from the base weights with
  the restored optimizer state (huggingface/transformers#43701, open).
  :func:`load_resume_weights` loads them through ``from_pretrained``, which applies the mapping,
  and fails loudly if any key is left over. (DeepSpeed and FSDP restore their own shards, in
  the in-memory layout, and are left to transformers.)
* the data order of the epochs after the first: TRL's GRPO sampler (``RepeatSampler``) draws
  each epoch's permutation from one seeded generator, one draw per epoch, and has no
  ``set_epoch``; transformers 5 resumes into epoch e without replaying the e earlier draws, so a
  resumed run would see epoch 0's order again. :class:`DataOrderCallback` replays them (the
  sampler's generator only; nothing else is touched), which keeps an uninterrupted training's
  data order unchanged. (SFT's sampler, accelerate's ``SeedableRandomSampler``, is reseeded
  from the seed and the epoch and needs nothing.)
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from trainers.checkpoint_integrity import checkpoint_damage
from trainers.checkpoints import (
    CHECKPOINT_META,
    CHECKPOINT_PREFIX,
    TRAINING_MARKER,
    has_resume_state,
    list_checkpoints,
    partial_resume_state,
)
from trainers.recipes import ConfigError

log = logging.getLogger(__name__)

#: Recipe keys that change what is kept on disk or reported, never the trained weights: a
#: training may be reused or resumed across a change of these.
NOT_TRAINING_KEYS = frozenset({
    "save_only_model", "keep_resume_state", "save_total_limit", "report_to", "logging_steps",
    "logging_first_step", "log_level", "dataloader_num_workers",
})


def settings_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """``key: old -> new`` for what differs between two trainings' identity and recipe values.

    Each side is a flat mapping (method, task, ...) plus ``recipe``: a resolved recipe's
    ``to_dict()``; recipe keys in :data:`NOT_TRAINING_KEYS` are not compared, nor ``vllm_*``
    keys when neither side sets ``use_vllm``.
    """

    def flat(m: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in m.items() if k != "recipe"}
        values = (m.get("recipe") or {}).get("values", {})
        out.update({f"recipe.{k}": v for k, v in values.items() if k not in NOT_TRAINING_KEYS})
        return out

    a, b = flat(old), flat(new)
    if not (a.get("recipe.use_vllm") or b.get("recipe.use_vllm")):
        # vLLM settings do nothing without vLLM (trainings made before the recipes set
        # vllm_importance_sampling_correction explicitly stay reusable)
        a = {k: v for k, v in a.items() if not k.startswith("recipe.vllm_")}
        b = {k: v for k, v in b.items() if not k.startswith("recipe.vllm_")}
    diff = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    return "; ".join(f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in diff[:6])


def resume_point(output_dir: Path) -> Path | None:
    """The newest complete checkpoint that holds optimizer state (a ``save_only_model`` one, or
    one whose state was pruned once a newer one was saved, cannot resume) and whose files are
    whole (:func:`trainers.checkpoint_integrity.checkpoint_damage`).

    A damaged newer checkpoint is passed over with a warning naming it and what is wrong (the
    training then redoes its steps, and :func:`clear_stale` replaces it); when checkpoints are
    damaged and none older can resume, a :class:`ConfigError` says so and how to start again.
    """
    damaged: list[str] = []
    for ckpt in reversed(list_checkpoints(output_dir)):
        if has_resume_state(ckpt.path):
            problem = checkpoint_damage(ckpt.path)
        elif partial_resume_state(ckpt.path):
            problem = "its optimizer state (optimizer.pt) is missing"
        else:
            continue
        if problem is None:
            if damaged:
                log.warning("resuming from %s instead: the newer %s (it will be replaced)",
                            ckpt.path, "; ".join(damaged))
            return ckpt.path
        damaged.append(f"{ckpt.path} is damaged: {problem}")
    if damaged:
        raise ConfigError(
            f"cannot resume the training in {output_dir}: {'; '.join(damaged)}, and no older "
            "checkpoint holds resume state (with keep_resume_state: last only the newest "
            "does). Restore the damaged files, or pass --overwrite to train again from step 0"
        )
    return None


def check_same_resume(ckpt: Path, new_meta: Mapping[str, Any]) -> None:
    """Refuse to resume, with other settings, the training a checkpoint belongs to."""
    path = ckpt / CHECKPOINT_META
    try:
        old_meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{path}: unreadable ({exc}); pass --overwrite to train again from step 0"
        ) from exc
    keys = ("method", "task", "task_version", "base_model", "recipe")
    details = settings_diff({k: old_meta.get(k) for k in keys},
                            {k: new_meta.get(k) for k in keys})
    if details:
        raise ConfigError(
            f"{ckpt.parent} holds an interrupted training made with other settings ({details}); "
            f"resuming it from {ckpt.name} would mix two trainings. Run again with the same "
            "settings to resume, pass --overwrite to train again from step 0, or choose another "
            "output folder"
        )


def clear_stale(out: Path, keep_upto: int) -> None:
    """Before (re)training: drop the checkpoints past the resume point (with or without
    metadata: a save cut by a kill has none), and the marker, so a folder never mixes
    checkpoints of two trainings."""
    (out / TRAINING_MARKER).unlink(missing_ok=True)
    if not out.is_dir():
        return
    for child in out.iterdir():
        step = child.name[len(CHECKPOINT_PREFIX):]
        if child.name.startswith(CHECKPOINT_PREFIX) and step.isdigit() and int(step) > keep_upto:
            shutil.rmtree(child, ignore_errors=True)


def load_resume_weights(trainer: Any, ckpt: Path) -> bool:
    """Load a checkpoint's weights into ``trainer.model`` in place (see the module doc).

    In place, so the optimizer state transformers then restores applies to these parameters;
    what transformers loads afterwards from the same file can only be the same values. Returns
    whether it loaded (False where DeepSpeed, FSDP or PEFT restore the weights themselves).
    """
    model = trainer.model
    if (getattr(trainer, "is_deepspeed_enabled", False) or getattr(trainer, "is_fsdp_enabled", False)
            or hasattr(model, "peft_config")):
        return False
    import torch

    param = next(model.parameters())
    fresh = type(model).from_pretrained(str(ckpt), dtype=param.dtype)
    try:
        with torch.no_grad():
            model.load_state_dict(fresh.state_dict(), strict=True)
    except RuntimeError as exc:
        raise ConfigError(
            f"{ckpt}: its weights do not fit the model being trained ({str(exc)[:300]}); pass "
            "--overwrite to train again from step 0"
        ) from exc
    finally:
        del fresh
    log.info("loaded the weights of %s (transformers' own reload of them, if it warned of "
             "missing keys, is superseded)", ckpt)
    return True


def _samplers(dataloader: Any) -> list[Any]:
    """The samplers behind a (possibly accelerate-wrapped) dataloader, outermost first."""
    out: list[Any] = []
    seen: list[Any] = [dataloader]
    for _ in range(4):  # DataLoaderShard -> BatchSampler(Shard) -> BatchSampler -> sampler
        nxt: list[Any] = []
        for obj in seen:
            for name in ("sampler", "batch_sampler"):
                child = getattr(obj, name, None)
                if child is not None and child is not obj and child not in out:
                    out.append(child)
                    nxt.append(child)
        seen = nxt
    return out


def _repeat_sampler(dataloader: Any) -> Any:
    """TRL's ``RepeatSampler`` behind a dataloader, or None."""
    try:
        from trl.trainer.utils import RepeatSampler
    except ImportError:  # pragma: no cover - trl is a dependency of trainers/
        return None
    return next((s for s in _samplers(dataloader) if isinstance(s, RepeatSampler)), None)


class DataOrderCallback(TrainerCallback):
    """On resume into epoch e > 0, advance the GRPO sampler's generator by e epochs' draws."""

    def __init__(self) -> None:
        self.replayed = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        dataloader = kwargs.get("train_dataloader")
        if int(state.global_step) <= 0 or dataloader is None or args.ignore_data_skip:
            return
        try:
            batches = len(dataloader)
        except TypeError:
            return  # an iterable dataset: transformers does not skip data for it either
        accumulation = int(args.gradient_accumulation_steps)
        per_epoch = max(batches // accumulation + int(batches % accumulation > 0), 1)
        epochs = int(state.global_step) // per_epoch  # as transformers' epochs_trained
        if epochs == 0:
            return
        sampler = _repeat_sampler(dataloader)
        if sampler is None:
            # accelerate's SeedableRandomSampler (SFT) reseeds from (seed, epoch) at set_epoch,
            # which transformers calls for the resumed epoch: nothing to replay
            epoch_seeded = any(hasattr(s, "set_epoch") for s in _samplers(dataloader))
            if not epoch_seeded and int(state.global_step) % per_epoch:
                log.warning("resuming inside epoch %d with a sampler this project cannot "
                            "replay: the rest of that epoch may see its samples in another "
                            "order than an uninterrupted training", epochs)
            return
        if not getattr(sampler, "shuffle", False):
            return
        import torch

        for _ in range(epochs):  # what each earlier epoch's iter(sampler) drew
            torch.randperm(sampler.num_samples, generator=sampler.generator)
        self.replayed = epochs
        log.info("resumed in epoch %d: replayed the sampler's %d earlier shuffles",
                 epochs, epochs)
