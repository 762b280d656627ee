"""What a training shows on the terminal, and where the full logs go.

Left alone, TRL prints every log dict (about 30 fields, one per logging step) and the libraries
add progress bars of their own (casting the dataset, loading weights twice, writing shards) whose
carriage returns interleave with the training bar. A researcher watching a run wants one bar per
phase and a short line per logging step; the full dicts belong in a file next to the
checkpoints, where they can be read back. This module does that through the Trainer's public
callback API (``remove_callback`` / ``add_callback``), never by patching TRL.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from transformers.trainer_callback import PrinterCallback, ProgressCallback

from othink_bench.strict_json import dumps

#: The full log dicts of a training, one JSON object per line, in its output folder.
TRAIN_LOG = "train_log.jsonl"

#: Fields of the one-line summary, in order, with their short names.
SUMMARY_FIELDS = (
    ("loss", "loss"),
    ("reward", "reward"),
    ("kl", "kl"),
    ("beta", "beta"),
    ("learning_rate", "lr"),
    ("mean_token_accuracy", "tok_acc"),
)


def summary_line(logs: dict[str, Any], step: int, max_steps: int) -> str | None:
    """One short line for a training log dict, or None for dicts without training numbers.

    ``step`` is TRL's global step, the updates done (``checkpoint-<step>``); a GRPO-D beta is
    shown with the schedule row it came from, ``beta(step - 1)``: the update that ended at
    ``step`` began at ``step - 1`` (:class:`trainers.callbacks.BetaScheduleCallback`)."""
    parts = []
    for key, short in SUMMARY_FIELDS:
        value = logs.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if key == "beta" and isinstance(logs.get("beta_step"), int):
                short = f"beta({logs['beta_step']})"  # the schedule row the update used
            parts.append(f"{short} {value:.4g}")
    if not parts:
        return None
    return f"step {step}/{max_steps}: " + ", ".join(parts)


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class ConsoleLogCallback(ProgressCallback):
    """The training bar, a one-line summary per logging step, full logs to ``train_log.jsonl``."""

    def __init__(self, log_path: str | Path | None = None) -> None:
        super().__init__()
        self.log_path = Path(log_path) if log_path is not None else None

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        if not logs or not state.is_world_process_zero:
            return
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            row = {"step": int(state.global_step), **{k: _jsonable(v) for k, v in logs.items()}}
            with self.log_path.open("a", encoding="utf-8") as fh:
                fh.write(dumps(row, where=str(self.log_path), sort_keys=True) + "\n")
        line = summary_line(logs, int(state.global_step), int(state.max_steps))
        if line is None:
            return
        if self.training_bar is not None:
            self.training_bar.write(line)
        else:
            print(line)


def install_console(trainer: Any, output_dir: str | Path) -> ConsoleLogCallback:
    """Replace the trainer's printing callbacks with :class:`ConsoleLogCallback`."""
    for cls in (ProgressCallback, PrinterCallback):
        trainer.remove_callback(cls)
    callback = ConsoleLogCallback(Path(output_dir) / TRAIN_LOG)
    if getattr(trainer.args, "disable_tqdm", False):
        callback = _NoBar(Path(output_dir) / TRAIN_LOG)
    trainer.add_callback(callback)
    return callback


class _NoBar(ConsoleLogCallback):
    """``disable_tqdm=True``: the summary lines without a bar."""

    def on_train_begin(self, *args: Any, **kwargs: Any) -> None:
        self.current_step = 0

    def on_step_end(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_train_end(self, *args: Any, **kwargs: Any) -> None:
        return None

    def on_prediction_step(self, *args: Any, **kwargs: Any) -> None:
        return None


__all__ = ["TRAIN_LOG", "ConsoleLogCallback", "install_console", "summary_line"]
