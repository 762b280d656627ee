"""Each prompt's rewards at each step of a GRPO training: ``reward_groups.jsonl``.

Why: TRL logs a step's mean reward over that step's completions. On the tiny presets a step
holds two prompts, and which two is chance: prompt difficulty, not training, makes most of the
step-to-step spread (a quarter of the geometry groups are all right or all wrong). Whether
training raised the reward is better asked of the *same prompts* early and late, which needs
the reward of every completion with its prompt's sample id. This module records that through
the reward functions TRL already calls (no trainer code is touched): each reward function is
wrapped, and each call appends one line

    {"step": s, "fn": "accuracy_gr_synth_tiny", "weight": 1.0, "ids": [...], "values": [...]}

where ``s`` is the optimizer updates done when the completions were generated (the update
they train is ``s + 1``), ``weight`` is the function's reward weight (accuracy 1, format
alpha), and ``ids``/``values`` give one entry per completion, in TRL's order (the same order
for every function of a call). Recording reads nothing random, so a training is bit-identical
with and without it.

One process writes ``reward_groups.jsonl``; in a multi-process training rank r > 0 writes
``reward_groups.rank<r>.jsonl`` beside it. On a resumed training the lines from the resumed
step on (the work the interrupted run did after its last checkpoint) are dropped before the
first new line, so a step's lines are the ones its checkpoints were trained with.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from othink_bench.reward_groups import reward_groups_path
from othink_bench.rewards import RewardFn
from othink_bench.strict_json import dumps


def _rank() -> int:
    try:
        return int(os.environ.get("RANK", "0"))
    except ValueError:
        return 0


class RewardRecorder:
    """Wraps reward functions so that every call appends its rewards, by sample id, to a file."""

    def __init__(self, output_dir: str | Path, rank: int | None = None) -> None:
        self.path = reward_groups_path(output_dir, _rank() if rank is None else rank)
        self._trimmed = False

    def _trim(self, step: int) -> None:
        """Drop lines of steps >= ``step`` (a resumed training redoes them)."""
        self._trimmed = True
        if not self.path.is_file():
            return
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a kill: that step is redone
            if isinstance(row, dict) and isinstance(row.get("step"), int) and row["step"] < step:
                kept.append(line)
        self.path.write_text("".join(f"{k}\n" for k in kept), encoding="utf-8")

    def record(self, step: int, name: str, weight: float, ids: Sequence[Any],
               values: Sequence[float]) -> None:
        if not self._trimmed:
            self._trim(step)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        row = {"step": step, "fn": name, "weight": weight, "ids": [str(i) for i in ids],
               "values": [float(v) for v in values]}
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(dumps(row, where=str(self.path)) + "\n")

    def wrap(self, fn: RewardFn, weight: float) -> RewardFn:
        """``fn`` with its calls recorded (calls without ``trainer_state`` or ``id`` are not)."""

        @functools.wraps(fn)
        def recorded(*args: Any, **kwargs: Any) -> list[float]:
            values = fn(*args, **kwargs)
            state, ids = kwargs.get("trainer_state"), kwargs.get("id")
            if state is not None and ids is not None and len(ids) == len(values):
                self.record(int(state.global_step), fn.__name__, weight, ids, values)
            return values

        return recorded


def record_rewards(funcs: Sequence[RewardFn], weights: Sequence[float],
                   output_dir: str | Path) -> list[RewardFn]:
    """``funcs`` wrapped by one :class:`RewardRecorder` writing into ``output_dir``."""
    recorder = RewardRecorder(output_dir)
    return [recorder.wrap(fn, float(w)) for fn, w in zip(funcs, weights, strict=True)]


__all__ = ["RewardRecorder", "record_rewards"]
