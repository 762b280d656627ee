"""One training, whatever the method: recipe -> config -> data -> TRL trainer -> checkpoints.

Why one pipeline: SFT, GRPO and GRPO-D differ only in the TRL trainer and its dataset; the
steps around them (resolving the task and its settings family, the recipe, the model path and
an image-only processor where torchvision is missing, checkpoint metadata, the final marker,
reusing a finished training) must be identical so that the matrix compares methods, not
pipelines. :mod:`trainers.grpo` and :mod:`trainers.sft` supply only the trainer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from othink_bench.task import Task
from trainers.checkpoints import (
    CheckpointMetadataCallback,
    checkpoint_meta,
    finished_training,
    list_checkpoints,
    save_final,
    write_training_marker,
)
from trainers.config import SFTRecipeConfig, check_method, task_family
from trainers.config_checks import check_output_dir
from trainers.console import install_console
from trainers.finite_guard import FiniteGuardCallback
from trainers.plan import (
    check_plan,
    known_train_rows,
    make_plan,
    samples_per_step,
    world_size_from_env,
)
from trainers.recipes import ConfigError, default_recipe
from trainers.recipes.resolve import ResolvedRecipe, resolve_recipe
from trainers.resume import (
    DataOrderCallback,
    check_same_resume,
    clear_stale,
    load_resume_weights,
    resume_point,
    settings_diff,
)

log = logging.getLogger(__name__)

TrainerHook = Callable[[Any], None]
RewardWrapper = Callable[[Callable[..., list[float]]], Callable[..., list[float]]]


@dataclass
class TrainResult:
    """What a training produced (or, with ``reused``, what an earlier one had produced)."""

    method: str
    task: str
    base_model: str
    output_dir: Path
    final_checkpoint: Path
    checkpoints: list[Path]
    steps: int
    reused: bool = False
    beta_history: list[tuple[int, float]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    trainer: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "task": self.task,
            "base_model": self.base_model,
            "output_dir": str(self.output_dir),
            "final_checkpoint": self.final_checkpoint.name,
            "checkpoints": [p.name for p in self.checkpoints],
            "steps": self.steps,
            "beta_history": [list(x) for x in self.beta_history],
            "data": self.data,
            "metrics": self.metrics,
        }


def slug(text: str) -> str:
    """A folder-safe name for a model or task (``Qwen/Qwen2-VL-2B-Instruct`` -> ``Qwen2-VL-...``)."""
    name = Path(str(text).rstrip("/")).name or str(text)
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"


def default_output_dir(model: str, task: str, method: str, root: str | Path = "runs/train") -> Path:
    return Path(root) / slug(model) / slug(task) / method


def resolve_model_path(model: str) -> str:
    """``tiny`` to the bundled (or cached) tiny checkpoint; other names unchanged."""
    from othink_bench.models.tiny import resolve_model

    return resolve_model(str(model))


def load_training_processor(model_path: str, recipe: ResolvedRecipe) -> Any:
    """The checkpoint's processor (image-only without torchvision), with the recipe's pixels.

    ``max_pixels``/``min_pixels`` are an image-area budget, written through the family's own
    image-processor keys by :func:`othink_bench.models.image_settings.apply_image_budget` (the
    one place that knows them; evaluation uses it too). The checkpoints saved by the trainer
    carry that processor, as R1-V's did.
    """
    from othink_bench.models.image_settings import apply_image_budget
    from othink_bench.models.processor import load_processor

    options = recipe.options
    processor = load_processor(model_path)
    if options.max_pixels is None and options.min_pixels is None:
        return processor
    applied = apply_image_budget(
        processor, max_pixels=options.max_pixels, min_pixels=options.min_pixels
    )
    log.info("image size for %s (%s): %s", model_path, applied.family, applied.settings)
    return processor


def _reused(method: str, task: Task, base_model: str, output_dir: Path, marker: dict[str, Any]
            ) -> TrainResult:
    return TrainResult(
        method=method,
        task=task.id,
        base_model=base_model,
        output_dir=output_dir,
        final_checkpoint=output_dir / str(marker["final_checkpoint"]),
        checkpoints=[c.path for c in list_checkpoints(output_dir)],
        steps=int(marker.get("steps", 0)),
        reused=True,
        beta_history=[(int(s), float(b)) for s, b in marker.get("beta_history", [])],
        data=dict(marker.get("data", {})),
        metrics=dict(marker.get("metrics", {})),
    )


def _check_same_training(
    out: Path, marker: dict[str, Any], method: str, task: str, model: str,
    resolved: ResolvedRecipe,
) -> None:
    """Refuse to reuse a finished training that was made differently from what is asked."""
    keys = ("method", "task", "base_model")
    old = {**{k: marker.get(k) for k in keys}, "recipe": marker.get("recipe")}
    new = {"method": method, "task": task, "base_model": model, "recipe": resolved.to_dict()}
    details = settings_diff(old, new)
    if details:
        raise ConfigError(
            f"{out} holds a finished training made with other settings ({details}); pass "
            "--overwrite to train again there, or choose another output folder"
        )


def train(
    method: str,
    task: Task | str,
    model: str,
    *,
    recipe: str | Path | Mapping[str, Any] | None = None,
    output_dir: str | Path | None = None,
    train_samples: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    resume: bool = True,
    callbacks: Sequence[Any] = (),
    trainer_hook: TrainerHook | None = None,
    reward_wrapper: RewardWrapper | None = None,
    train_seed: int | None = None,
    sweep: Mapping[str, Any] | None = None,
) -> TrainResult:
    """Train ``model`` on ``task`` with ``method`` (sft, grpo or grpod) and save checkpoints.

    A finished training in ``output_dir`` (its marker and final checkpoint present) is reused
    unless ``overwrite``. ``overrides`` are recipe keys (``{"max_steps": 3}``) applied last;
    ``train_samples`` is the few-shot limit. ``trainer_hook`` sees the TRL trainer before it
    trains; ``reward_wrapper`` wraps each reward function (GRPO methods), e.g. to record calls.
    ``train_seed`` (train-and-eval ``--seeds``, which also sets the recipe's ``seed``) is
    written into each checkpoint's metadata, so evaluating one later keeps its seed's row;
    ``sweep`` (train-and-eval ``--sweep``: the swept settings of this training, already in
    ``overrides``) likewise, so ``run`` on a checkpoint of a sweep keeps its value's row.
    """
    from othink_bench.registry import get_task

    check_method(method)
    task_obj = get_task(task) if isinstance(task, str) else task
    family = task_family(task_obj)
    all_overrides = dict(overrides or {})
    if train_samples is not None:
        all_overrides["train_samples"] = train_samples
    resolved = resolve_recipe(recipe or default_recipe(model), method, family, all_overrides)
    out = Path(output_dir) if output_dir is not None else default_output_dir(
        model, task_obj.id, method
    )
    marker = None if overwrite else finished_training(out)
    if marker is not None:
        _check_same_training(out, marker, method, task_obj.id, model, resolved)
        log.info("reusing finished training in %s", out)
        return _reused(method, task_obj, model, out, marker)

    check_output_dir(out)  # a system or read-only folder: refused before anything is written
    config = resolved.build_config(out)
    options = resolved.options
    world = world_size_from_env()

    def check_rows(rows: int, origin: str) -> None:
        check_plan(make_plan(config, method=method, task=task_obj.id, recipe=resolved.name,
                             train_rows=rows, train_rows_from=origin, world_size=world,
                             values=resolved.values))

    rows, origin = known_train_rows(task_obj, options.train_samples, options.source)
    if rows is not None:  # refused before any data or model is loaded
        check_rows(rows, origin)
    model_path = resolve_model_path(model)
    schedule = config.schedule if method != "sft" else None  # type: ignore[union-attr]
    base_meta = checkpoint_meta(
        method=method,
        task=task_obj.id,
        task_version=task_obj.version,
        base_model=model,
        step=0,
        total_steps=None,
        beta=None,
        schedule=schedule.to_dict() if schedule is not None else None,
        recipe=resolved.to_dict(),
        train_seed=train_seed,
    )
    if sweep:
        base_meta["sweep"] = dict(sweep)
    # what a board needs to put this training's checkpoints on a samples-seen axis
    base_meta["world_size"] = world
    base_meta["samples_per_step"] = samples_per_step(config, method, world)
    resume_from = resume_point(out) if resume and not overwrite else None
    if resume_from is not None:
        check_same_resume(resume_from, base_meta)
    if config.save_only_model:
        log.warning("save_only_model=true: checkpoints hold no optimizer state, so an "
                    "interrupted training in %s restarts from step 0", out)
    from trainers.data import task_dataset

    dataset, report = task_dataset(
        task_obj,
        for_sft=method == "sft",
        source=options.source,
        data=options.data,
        image_root=options.image_root,
        train_samples=options.train_samples,
        seed=options.data_seed,
        max_pixels=options.max_pixels,
        target_style=options.sft_target,
    )
    check_rows(len(dataset), "the loaded training set")  # exact, before the model loads
    processor = load_training_processor(model_path, resolved)
    meta_cb = CheckpointMetadataCallback(base_meta, keep_resume_state=options.keep_resume_state,
                                         data=report.to_dict())
    own_callbacks = [meta_cb, DataOrderCallback(), FiniteGuardCallback(), *callbacks]
    if method == "sft":
        from trainers.sft import build_sft_trainer

        assert isinstance(config, SFTRecipeConfig)
        trainer, beta_cb = build_sft_trainer(
            model_path, processor, config, dataset, callbacks=own_callbacks
        ), None
    else:
        from trainers.grpo import build_grpo_trainer

        trainer, beta_cb = build_grpo_trainer(
            task_obj,
            model_path,
            processor,
            config,  # type: ignore[arg-type]
            dataset,
            callbacks=own_callbacks,
            reward_wrapper=reward_wrapper,
        )
    meta_cb.trainer = trainer
    install_console(trainer, out)
    if trainer_hook is not None:
        trainer_hook(trainer)

    if resume_from is not None:
        log.info("resuming %s on %s from %s", method, task_obj.id, resume_from)
        load_resume_weights(trainer, resume_from)
    if trainer.is_world_process_zero():
        clear_stale(out, keep_upto=int(resume_from.name.split("-")[-1]) if resume_from else 0)
    trainer.accelerator.wait_for_everyone()
    output = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    final = save_final(trainer, out, meta_cb)
    history = list(beta_cb.history) if beta_cb is not None else []
    result = TrainResult(
        method=method,
        task=task_obj.id,
        base_model=model,
        output_dir=out,
        final_checkpoint=final,
        checkpoints=[c.path for c in list_checkpoints(out)],
        steps=int(trainer.state.global_step),
        beta_history=history,
        data=report.to_dict(),
        metrics={k: v for k, v in (output.metrics or {}).items() if isinstance(v, (int, float))},
        trainer=trainer,
    )
    if trainer.is_world_process_zero():
        write_training_marker(
            out,
            {
                **result.to_dict(),
                "task_version": task_obj.version,
                "recipe": resolved.to_dict(),
                "schedule": schedule.to_dict() if schedule is not None else None,
            },
        )
    trainer.accelerator.wait_for_everyone()
    return result


__all__ = ["ConfigError", "TrainResult", "default_output_dir", "slug", "train"]
