"""A training plan: what a recipe will do, computed before any model or data is loaded.

Why: a recipe's arithmetic can silently make a training do nothing. The paper recipes' few-shot
counting SFT (100 samples / 128 per optimizer step) made one optimizer step, and its rounded-up
warm-up step ran it at learning rate 0. The plan resolves the recipe exactly as ``train`` does
(the same TRL config), and computes with the libraries' own rules:

* examples per optimizer step: ``per_device_train_batch_size x gradient_accumulation_steps x
  world size`` (SFT: samples; GRPO: completions, ``num_generations`` per prompt, so prompts per
  step are that over ``num_generations``);
* optimizer steps: ``max_steps`` if set, else ``ceil(epochs x steps per epoch)`` with
  transformers' steps per epoch (``ceil(batches per process / accumulation)``; a GRPO epoch is
  ``rows // prompts per generation batch`` generation batches, TRL's ``RepeatSampler`` drops the
  rest);
* warm-up steps: the config's own ``get_warmup_steps``; learning rates: transformers'
  ``get_scheduler`` stepped as the trainer steps it (step k runs at the rate after k-1 updates);
* save points: every ``save_steps`` (a fraction < 1 is a share of the steps) and the last;
  beta at each save point from the method's schedule (Eq. 3's beta(s)).

``check_plan`` refuses a plan in which no optimizer step reaches the configured learning rate
(steps <= warm-up steps).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from trainers.recipes import ConfigError


@dataclass
class TrainingPlan:
    """The numbers a training will run with; ``to_json`` is ``--plan --json``."""

    method: str
    task: str
    recipe: str
    world_size: int
    train_rows: int
    train_rows_from: str
    examples_per_step: int
    optimizer_steps: int
    warmup_steps: int
    lr_first: float
    lr_max: float
    lr_last: float
    save_steps: list[int]
    beta_at_saves: dict[int, float] = field(default_factory=dict)
    prompts_per_step: int | None = None
    completions_per_step: int | None = None
    epochs: float = 1.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["beta_at_saves"] = {str(k): v for k, v in self.beta_at_saves.items()}
        return data

    def render(self) -> str:
        per_step = f"{self.examples_per_step} samples"
        if self.completions_per_step and self.prompts_per_step:
            generations = self.completions_per_step // self.prompts_per_step
            per_step = (f"{self.completions_per_step} completions ({self.prompts_per_step} "
                        f"prompts x {generations} generations)")
        lines = [
            f"plan: {self.method} on {self.task}, recipe {self.recipe}, world size {self.world_size}",
            f"  training rows       {self.train_rows} ({self.train_rows_from}), "
            f"{self.epochs:g} epoch(s)",
            f"  per optimizer step  {per_step}",
            f"  optimizer steps     {self.optimizer_steps}",
            f"  warm-up steps       {self.warmup_steps}",
            f"  learning rate       first {self.lr_first:.3g}, peak {self.lr_max:.3g}, "
            f"last {self.lr_last:.3g}",
            f"  save points         {_short(self.save_steps)}",
        ]
        if self.beta_at_saves:
            betas = ", ".join(f"{s}: {b:.4g}" for s, b in self.beta_at_saves.items())
            lines.append(f"  beta at save points {betas}")
        return "\n".join(lines)


def _short(steps: list[int]) -> str:
    if len(steps) <= 12:
        return ", ".join(map(str, steps))
    return ", ".join(map(str, steps[:5])) + f", ... ({len(steps)} in all), " + ", ".join(
        map(str, steps[-3:]))


def world_size_from_env(env: Mapping[str, str] | None = None) -> int:
    """The launcher's world size (torchrun and accelerate set ``WORLD_SIZE``), else 1."""
    value = (env if env is not None else os.environ).get("WORLD_SIZE", "1")
    try:
        size = int(value)
    except ValueError as exc:
        raise ConfigError(f"WORLD_SIZE={value!r} is not a whole number") from exc
    if size < 1:
        raise ConfigError(f"WORLD_SIZE must be >= 1, got {size}")
    return size


def steps_per_epoch(config: Any, method: str, rows: int, world: int,
                    values: Mapping[str, Any]) -> int:
    """Optimizer steps in one pass over ``rows`` training rows, as the trainers count them.

    ``values`` are the recipe's settings: TRL derives ``steps_per_generation`` and
    ``generation_batch_size`` from the world size it runs in, so the ones the recipe did not
    set are derived here the same way for ``world`` (GRPOConfig.__post_init__'s rules).
    """
    ga = int(config.gradient_accumulation_steps)
    bs = int(config.per_device_train_batch_size)
    if method == "sft":
        batches = math.ceil(rows / (bs * world))  # per process; accelerate pads the last one
    else:
        gens = int(config.num_generations)
        gen_batch_set, spg_set = values.get("generation_batch_size"), values.get("steps_per_generation")
        if gen_batch_set is not None:
            gen_batch = int(gen_batch_set)
            spg = gen_batch // (bs * world)
        else:
            spg = int(spg_set) if spg_set is not None else ga
            gen_batch = bs * world * spg
        prompts = gen_batch // gens
        repeats = int(config.num_iterations) * spg
        sampler = (rows // prompts) * prompts * gens * repeats
        batches = math.ceil(sampler / (bs * spg) / world)
    return max(batches // ga + int(batches % ga > 0), 1)


def learning_rates(config: Any, total: int, warmup: int) -> list[float]:
    """The learning rate each optimizer step 1..total runs at (transformers' scheduler)."""
    import torch
    from transformers import get_scheduler

    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=float(config.learning_rate))
    scheduler = get_scheduler(
        config.lr_scheduler_type, optimizer, num_warmup_steps=warmup,
        num_training_steps=total, scheduler_specific_kwargs=config.lr_scheduler_kwargs or {},
    )
    rates = []
    for _ in range(total):
        rates.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    return rates


def save_points(config: Any, total: int) -> list[int]:
    """Optimizer steps that write a checkpoint: every ``save_steps`` and the last."""
    points: set[int] = {total}
    if str(getattr(config.save_strategy, "value", config.save_strategy)) == "steps":
        every = config.save_steps
        every = math.ceil(total * every) if every < 1 else int(every)
        points |= set(range(every, total + 1, max(every, 1)))
    return sorted(points)


def step_batch(config: Any, method: str, world: int) -> tuple[int, int | None]:
    """Examples per optimizer step (SFT: samples; GRPO: completions) and, for GRPO, the prompts
    they come from (``num_generations`` completions each; None for SFT)."""
    per_step = (int(config.per_device_train_batch_size)
                * int(config.gradient_accumulation_steps) * world)
    if method == "sft":
        return per_step, None
    return per_step, per_step // int(config.num_generations)


def samples_per_step(config: Any, method: str, world: int) -> int:
    """Training samples one optimizer step consumes: SFT samples, GRPO prompts (what a
    checkpoint records, so a board can put SFT and GRPO on one samples-seen axis)."""
    examples, prompts = step_batch(config, method, world)
    return examples if prompts is None else prompts


def make_plan(
    config: Any, *, method: str, task: str, recipe: str, train_rows: int,
    train_rows_from: str, world_size: int = 1, values: Mapping[str, Any] | None = None,
) -> TrainingPlan:
    """The plan of ``config`` (a built TRL config, from the recipe ``values``) on ``train_rows``
    rows over ``world_size`` processes."""
    if train_rows < 1:
        raise ConfigError(f"a training needs at least one row, got {train_rows}")
    epochs = float(config.num_train_epochs)
    if int(config.max_steps) > 0:
        total = int(config.max_steps)
    else:
        total = math.ceil(
            epochs * steps_per_epoch(config, method, train_rows, world_size, values or {}))
    warmup = int(config.get_warmup_steps(total))
    rates = learning_rates(config, total, warmup)
    saves = save_points(config, total)
    per_step, prompts = step_batch(config, method, world_size)
    plan = TrainingPlan(
        method=method, task=task, recipe=recipe, world_size=world_size,
        train_rows=train_rows, train_rows_from=train_rows_from,
        examples_per_step=per_step, optimizer_steps=total, warmup_steps=warmup,
        lr_first=rates[0], lr_max=max(rates), lr_last=rates[-1], save_steps=saves,
        epochs=epochs,
    )
    if method != "sft":
        plan.completions_per_step = per_step
        plan.prompts_per_step = prompts
        schedule = config.schedule
        plan.beta_at_saves = {s: float(schedule(s, total)) for s in saves}
    return plan


def check_plan(plan: TrainingPlan) -> None:
    """Refuse a training in which no optimizer step runs at the configured learning rate."""
    if plan.optimizer_steps > plan.warmup_steps:
        return
    raise ConfigError(
        f"{plan.method} on {plan.task} (recipe {plan.recipe}, world size {plan.world_size}) would "
        f"make {plan.optimizer_steps} optimizer step(s) with {plan.warmup_steps} warm-up step(s): "
        f"no step reaches the learning rate (the first runs at {plan.lr_first:g}). "
        f"{plan.train_rows} rows / {plan.examples_per_step} per step "
        "(per_device_train_batch_size x gradient_accumulation_steps x world size) x "
        f"num_train_epochs {plan.epochs:g}. Fix: lower per_device_train_batch_size or "
        "gradient_accumulation_steps, raise num_train_epochs or max_steps, or lower warmup_steps "
        "(e.g. sft.gradient_accumulation_steps=1 sft.num_train_epochs=3); `--plan` shows the "
        "numbers without training"
    )


def known_train_rows(task: Any, train_samples: int | None, source: str | None,
                     train_rows: int | None = None) -> tuple[int | None, str]:
    """The training rows a plan can know without loading data, and where the number came from.

    ``train_rows`` (``--train-rows``) wins; then the procedural size of a synthetic task or the
    hub size a paper task declares, capped by ``train_samples`` (the few-shot limit).
    """
    if train_rows is not None:
        if train_rows < 1:
            raise ConfigError(f"--train-rows must be >= 1, got {train_rows}")
        rows, origin = train_rows, "--train-rows"
    else:
        sizes = getattr(task, "sizes", None)
        hub_rows = getattr(task, "hub_train_rows", None)
        if isinstance(sizes, dict) and "train" in sizes and source in (None, "synthetic"):
            rows, origin = int(sizes["train"]), "procedural train split"
        elif hub_rows and source in (None, "hub"):
            rows, origin = int(hub_rows), (f"{getattr(task, 'hub_id', 'hub')}'s size as the task "
                                            "declares it; --train-rows N to correct")
        else:
            rows, origin = 0, ""
    if train_samples is not None and (not rows or train_samples <= rows):
        return train_samples, "train_samples (few-shot)"
    return (rows or None), origin


def plan_training(
    method: str,
    task: Any,
    model: str,
    *,
    recipe: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    train_samples: int | None = None,
    world_size: int | None = None,
    train_rows: int | None = None,
) -> TrainingPlan:
    """Resolve the recipe as ``train`` would and plan it; loads no model and no data.

    Raises :class:`ConfigError` when the number of training rows cannot be known without
    loading the data (local files): pass ``train_rows``.
    """
    from othink_bench.registry import get_task
    from trainers.config import check_method, task_family
    from trainers.recipes import default_recipe
    from trainers.recipes.resolve import resolve_recipe

    check_method(method)
    task_obj = get_task(task) if isinstance(task, str) else task
    values = dict(overrides or {})
    if train_samples is not None:
        values["train_samples"] = train_samples
    resolved = resolve_recipe(recipe or default_recipe(model), method, task_family(task_obj), values)
    options = resolved.options
    rows, origin = known_train_rows(task_obj, options.train_samples, options.source, train_rows)
    if rows is None:
        raise ConfigError(
            f"the number of training rows of {task_obj.id} (source {options.source or 'default'}) "
            "is not known without reading the data: pass --train-rows N"
        )
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:  # TRL configs want an output folder
        config = resolved.build_config(tmp)
    return make_plan(
        config, method=method, task=task_obj.id, recipe=resolved.name, train_rows=rows,
        train_rows_from=origin,
        world_size=world_size if world_size is not None else world_size_from_env(),
        values=resolved.values,
    )
