"""Stop a training whose loss, gradient norm or weights stop being finite.

Why: with ``learning_rate=inf`` (or any divergence) the transformers loop keeps stepping on NaN
weights, saves them and reports success; the project then wrote its "finished" marker and the
evaluation scored ``!!!!!!!!`` outputs as a normal 0 %. :class:`FiniteGuardCallback` uses only the
public callback hooks (no change to TRL): ``on_log`` checks the logged ``loss`` and
``grad_norm``; ``on_step_end``, which runs before the step's log and save, checks the weights
whenever a checkpoint is about to be saved or the training is about to end - so no checkpoint
and no final model with non-finite weights is written, and :func:`trainers.run.train` never
reaches its marker. Checking weights once per save (one device sync) keeps it cheap.
"""

from __future__ import annotations

import math
from typing import Any

from transformers import TrainerCallback

#: Logged values that must stay finite.
WATCHED_LOGS = ("loss", "grad_norm", "train_loss")


class TrainingDiverged(RuntimeError):
    """The loss, gradient norm or weights of a training became NaN or infinite."""


def _fix_hint(args: Any) -> str:
    lr = getattr(args, "learning_rate", None)
    return (f"No checkpoint past this point and no finished marker were written. Fix: lower "
            f"learning_rate (now {lr!r}), check the reward weights (alpha, reward_weights) and "
            f"max_grad_norm, then train again with --overwrite")


def nonfinite_parameters(model: Any, limit: int = 3) -> list[str]:
    """Names of up to ``limit`` parameters holding NaN or infinity ([] when all are finite)."""
    import torch

    params = [(n, p) for n, p in model.named_parameters() if p.numel()]
    if not params:
        return []
    with torch.no_grad():
        flags = torch.stack([torch.isfinite(p.detach()).all() for _, p in params])
        if bool(flags.all()):  # the one device sync in the common case
            return []
        bad = (~flags).nonzero().flatten().tolist()
    return [params[i][0] for i in bad[:limit]]


class FiniteGuardCallback(TrainerCallback):
    """Raise :class:`TrainingDiverged` at the first non-finite loss, grad norm or weight."""

    def __init__(self, model: Any = None) -> None:
        self.model = model

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        for key in WATCHED_LOGS:
            value = (logs or {}).get(key)
            if isinstance(value, (int, float)) and not math.isfinite(value):
                raise TrainingDiverged(
                    f"training diverged at step {state.global_step}: {key} = {value}. "
                    + _fix_hint(args)
                )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not (control.should_save or control.should_training_stop
                or state.global_step >= state.max_steps):
            return
        model = kwargs.get("model") or self.model
        if model is None:
            return
        bad = nonfinite_parameters(model)
        if bad:
            raise TrainingDiverged(
                f"training diverged at step {state.global_step}: non-finite weights in "
                f"{', '.join(bad)}. " + _fix_hint(args)
            )
