"""The GRPO-D callback: set TRL's KL weight from the schedule at every optimizer step.

Why a callback is enough: ``trl.GRPOTrainer`` reads ``self.beta`` each time it computes the
reference log-probabilities (when it generates) and the loss, and the transformers training
loop calls ``on_step_begin`` before the first micro-batch of every optimizer step. Setting
``trainer.beta = schedule(step, total)`` there gives Eq. 3 exactly, with no change to TRL's code.

Two conditions keep that exact, and are checked when training starts:

* one generation batch must not span optimizer steps whose betas switch between zero and
  non-zero: TRL computes reference log-probabilities only when beta != 0 at generation time, so a
  generation made at beta = 0 (the geometry schedule touches 0 at w) cannot serve a later step
  with beta > 0. That holds when ``gradient_accumulation_steps`` is a multiple of
  ``steps_per_generation * num_iterations`` (the default: one generation per optimizer step).
* the trainer must have a reference model whenever the schedule is not identically 0, which
  :class:`trainers.config.GRPODConfig` guarantees by starting ``beta`` non-zero.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from trainers.schedules import BetaSchedule

log = logging.getLogger(__name__)

BETA_LOG_FILE = "beta_schedule.jsonl"


class ScheduleAlignmentError(ValueError):
    """A schedule cannot be applied exactly with the trainer's generation settings."""


class BetaScheduleCallback(TrainerCallback):
    """Sets ``trainer.beta`` to ``schedule(global_step, max_steps)`` before every optimizer step.

    Steps are numbered as TRL's ``state.global_step`` and the ``checkpoint-N`` folders number
    them: step s = s optimizer updates done. ``beta(s)`` is the weight of the next update, the one
    from step s to step s+1 (the ``(s+1)``-th), set here when ``on_step_begin`` sees
    ``global_step == s``. ``history`` keeps ``(s, beta(s))`` for every update taken, which is also
    written to ``<output_dir>/beta_schedule.jsonl`` (main process) and is row s of
    ``othink-bench schedule``. The trainer's logs (console, ``train_log.jsonl``,
    ``trainer_state.json``, the reporting integrations) are written after an update, at step
    s+1: they get the ``beta`` that update used and ``beta_step`` = s, the schedule row it is.
    """

    def __init__(self, schedule: BetaSchedule, trainer: Any = None, *, write_log: bool = True):
        self.schedule = schedule
        self.trainer = trainer
        self.write_log = write_log
        self.history: list[tuple[int, float]] = []
        self.total_steps: int | None = None
        self._log_path: Path | None = None

    def bind(self, trainer: Any) -> BetaScheduleCallback:
        """Attach the trainer whose ``beta`` this callback drives, and run first among callbacks.

        Running first means the ``beta`` this callback adds in ``on_log`` reaches every
        callback after it, the reporting integrations included.
        """
        self.trainer = trainer
        handler = trainer.callback_handler
        if self not in handler.callbacks:
            handler.callbacks.insert(0, self)
        else:
            handler.callbacks.remove(self)
            handler.callbacks.insert(0, self)
        return self

    @property
    def current(self) -> float | None:
        return self.history[-1][1] if self.history else None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.trainer is None:
            raise RuntimeError(
                "BetaScheduleCallback has no trainer: call callback.bind(trainer) after building it"
            )
        total = int(state.max_steps)
        if total < 1:
            raise ScheduleAlignmentError("the trainer reports no optimizer steps to schedule")
        self.total_steps = total
        check_alignment(self.schedule, total, args)
        start = int(state.global_step)
        # A resumed run keeps the steps before its checkpoint (and drops those after it, which
        # the killed run began but never saved); a fresh one starts clean.
        self.history = [(s, self.schedule(s, total)) for s in range(min(start, total))]
        if args.output_dir and self.write_log and state.is_world_process_zero:
            self._log_path = Path(args.output_dir) / BETA_LOG_FILE
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            logged = {int(e["step"]): float(e["beta"]) for e in _read_log(self._log_path, start)}
            differ = [s for s, b in self.history if s in logged and logged[s] != b]
            if differ:
                log.warning("%s: the beta logged at step(s) %s differs from this schedule's; "
                            "rewriting the log from the schedule", self._log_path, differ[:5])
            # every step before the resume point once, a step a killed writer lost included
            self._log_path.write_text(
                "".join(json.dumps({"step": s, "beta": b}) + "\n" for s, b in self.history)
            )
        # The first step's value before anything else can read beta (e.g. eval_on_start).
        self.trainer.beta = self.schedule(min(start, total), total)

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        assert self.total_steps is not None
        step = int(state.global_step)
        beta = self.schedule(min(step, self.total_steps), self.total_steps)
        self.trainer.beta = beta
        self.history.append((step, beta))
        if self._log_path is not None:
            with self._log_path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"step": step, "beta": beta}) + "\n")
        log.debug("step %d: beta = %.6g", step, beta)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        if logs is None or self.current is None or "train_runtime" in logs:
            return
        if any(k.startswith("eval_") for k in logs):
            return
        step = self.history[-1][0]
        logs["beta"] = self.current
        logs["beta_step"] = step
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(beta=self.current, beta_step=step)


def _read_log(path: Path, before: int) -> list[dict[str, Any]]:
    """Entries of a beta log for steps < ``before`` (a resumed run's history)."""
    if not path.is_file() or before <= 0:
        return []
    out: dict[int, dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
            if int(entry["step"]) < before:
                out[int(entry["step"])] = {"step": int(entry["step"]), "beta": float(entry["beta"])}
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a killed writer
    return [out[k] for k in sorted(out)]


def zero_steps(schedule: BetaSchedule, total: int) -> list[int]:
    """Optimizer steps 0..total-1 at which the schedule is exactly 0."""
    return [s for s in range(total) if schedule(s, total) == 0.0]


def check_alignment(schedule: BetaSchedule, total: int, args: Any) -> None:
    """Refuse settings under which TRL would reuse a beta=0 generation for a beta>0 step."""
    if schedule.is_constant or schedule.is_zero:
        return
    zeros = zero_steps(schedule, total)
    if not zeros:
        return
    generate_every = int(getattr(args, "steps_per_generation", 1) or 1) * int(
        getattr(args, "num_iterations", 1) or 1
    )
    accumulation = int(args.gradient_accumulation_steps)
    if accumulation % generate_every:
        raise ScheduleAlignmentError(
            f"the {schedule.name} schedule is 0 at step(s) {zeros[:5]} of {total}, and one "
            f"generation batch serves several optimizer steps (steps_per_generation x "
            f"num_iterations = {generate_every} micro-batches > gradient_accumulation_steps = "
            f"{accumulation}). TRL skips reference log-probabilities when beta is 0 at "
            "generation time, so a later step with beta > 0 would have none. Use "
            "steps_per_generation = gradient_accumulation_steps and num_iterations = 1, or a "
            "beta_min > 0."
        )
