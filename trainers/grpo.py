"""GRPO and GRPO-D on ``trl.GRPOTrainer``, through its public constructor and callbacks only.

Why no subclass: everything the paper changes is reachable from outside TRL. The loss
(``loss_type="grpo"``, k3 KL without bias correction) and the reward weights are config
fields; the rewards are the task's own verifier and format check
(:func:`othink_bench.rewards.reward_functions`); the dynamic KL weight is a callback that sets
``trainer.beta`` each optimizer step; each prompt's rewards are recorded by wrapping the reward
functions (:mod:`trainers.reward_log`). So ``trl.GRPOTrainer`` runs unmodified, vLLM generation
(``use_vllm``, ``vllm_mode="colocate"|"server"``) included, and a TRL upgrade is not a merge.

GRPO is the ``constant`` schedule (the callback sets the same beta every step, which costs a
Python attribute write); GRPO-D is the ``grpod`` schedule (Eq. 3).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from othink_bench.rewards import RewardFn, reward_functions
from othink_bench.task import Task
from trainers.callbacks import BetaScheduleCallback
from trainers.config import GRPODConfig
from trainers.recipes import ConfigError
from trainers.reward_log import record_rewards


def task_rewards(
    task: Task, config: GRPODConfig, wrapper: Callable[[RewardFn], RewardFn] | None = None
) -> list[RewardFn]:
    """The task's accuracy and format rewards, weighted [1, alpha] by ``config.reward_weights``."""
    funcs, weights = reward_functions(task, config.alpha)
    if config.reward_weights is None or len(config.reward_weights) != len(funcs):
        raise ConfigError(
            f"reward_weights must have {len(funcs)} entries (accuracy, format), got "
            f"{config.reward_weights}"
        )
    if wrapper is None:
        return list(funcs)
    out: list[RewardFn] = []
    for fn in funcs:
        wrapped = wrapper(fn)
        # TRL names reward columns in its logs after the function; keep the task's names.
        functools.update_wrapper(wrapped, fn, updated=())
        out.append(wrapped)
    del weights  # the weights TRL applies are config.reward_weights ([1, alpha] by default)
    return out


def build_grpo_trainer(
    task: Task,
    model: Any,
    processor: Any,
    config: GRPODConfig,
    dataset: Any,
    *,
    callbacks: Sequence[Any] = (),
    reward_wrapper: Callable[[RewardFn], RewardFn] | None = None,
) -> tuple[Any, BetaScheduleCallback]:
    """A ``trl.GRPOTrainer`` for a task, with the schedule callback bound and running first.

    ``model`` is a checkpoint path (TRL loads it, and its reference copy, with
    ``model_init_kwargs``; right for DDP and DeepSpeed) or a loaded model.
    """
    from trl import GRPOTrainer

    if not isinstance(config, GRPODConfig):
        raise ConfigError(
            f"GRPO training needs a trainers.config.GRPODConfig, got {type(config).__name__}"
        )
    schedule = config.schedule
    if not schedule.is_zero and config.beta == 0.0:  # pragma: no cover - guarded by the config
        raise ConfigError("a non-zero schedule needs a non-zero initial beta (reference model)")
    beta_cb = BetaScheduleCallback(schedule)
    rewards: list[Any] = task_rewards(task, config, reward_wrapper)
    if config.output_dir and config.reward_weights:  # each prompt's rewards beside the logs
        rewards = record_rewards(rewards, config.reward_weights, config.output_dir)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=rewards,
        args=config,
        train_dataset=dataset,
        processing_class=processor,
        callbacks=[beta_cb, *callbacks],
    )
    if not schedule.is_zero and trainer.ref_model is None and not _is_peft(trainer.model):
        raise ConfigError(  # pragma: no cover - TRL loads one whenever beta != 0
            "TRL built no reference model although the KL schedule is not identically 0"
        )
    beta_cb.bind(trainer)
    return trainer, beta_cb


def _is_peft(model: Any) -> bool:
    return hasattr(model, "peft_config")
