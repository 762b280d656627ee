"""The model card (``README.md``) of a trained checkpoint and of its training folder.

Why our own: TRL writes ``<output_dir>/README.md`` at every checkpoint save from the model's
config, and with a local base model (a folder, ``tiny``) it knows no base model, so the card
reads "fine-tuned version of [None]" and says nothing of the method, the task or the KL schedule.
This card is written from the checkpoint's own metadata (``othink_checkpoint.json``, see
:mod:`trainers.checkpoints`): base model, method, recipe and its settings, training task and
data, seed, steps and beta schedule. It replaces TRL's after each save (the metadata callback's
``on_save`` runs after TRL wrote its card) and goes into each checkpoint folder as well; nothing
of TRL is patched. Where a checkpoint has been evaluated, :func:`add_board_lines` appends its
accuracies, in the form the train-and-eval matrix shows them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

CARD_FILE = "README.md"
RESULTS_HEADING = "## Evaluation (othink-bench)"

METHOD_WORDS = {
    "sft": "SFT (supervised fine-tuning on the task's reference answers)",
    "grpo": "GRPO (constant KL weight)",
    "grpod": "GRPO-D (OThink-MR1's dynamic KL weight, Eq. 3)",
}

#: Recipe values a reader of the card wants first; the rest is in othink_checkpoint.json.
KEY_SETTINGS = (
    "learning_rate", "per_device_train_batch_size", "gradient_accumulation_steps",
    "num_generations", "num_train_epochs", "max_steps", "max_completion_length", "temperature",
    "loss_type", "use_bias_correction_kl", "alpha", "bf16", "max_pixels", "use_peft",
)


def _schedule_text(schedule: Mapping[str, Any] | None, total: int | None) -> str:
    if not schedule:
        return "none (no KL term)"
    from trainers.schedules import BetaSchedule

    sched = BetaSchedule(**schedule)
    params = ", ".join(f"{k}={v:g}" for k, v in sched.params.items())
    text = f"{sched.name} ({params})"
    if total:
        text += (f"; beta(0) = {sched(0, total):.6g}, beta({total}) = {sched(total, total):.6g}"
                 " (step s = updates done; beta(s) weights update s+1)")
    return text


def _data_text(data: Mapping[str, Any] | None) -> str:
    if not data:
        return "not recorded"
    text = f"{data.get('used')} samples used of {data.get('loaded')} loaded"
    dropped = {k: v for k, v in (data.get("dropped") or {}).items() if v}
    if dropped:
        text += " (left out: " + ", ".join(f"{k} {v}" for k, v in dropped.items()) + ")"
    return text


def render_training_card(meta: Mapping[str, Any], data: Mapping[str, Any] | None = None,
                         *, weights: str = ".") -> str:
    """A card from a checkpoint's metadata (``othink_checkpoint.json``) and its data report;
    ``weights`` is where the checkpoint lies relative to the card (``.`` in its own folder)."""
    recipe = meta.get("recipe") or {}
    values = recipe.get("values") or {}
    method = str(meta.get("method"))
    base = str(meta.get("base_model"))
    task = f"{meta.get('task')} v{meta.get('task_version')}"
    step, total = meta.get("step"), meta.get("total_steps")
    where = "final checkpoint" if meta.get("final") else "checkpoint"
    hub_base = base if "/" in base and not os.path.isabs(base) and not Path(base).exists() else None
    front = ["---", "library_name: transformers", "pipeline_tag: image-text-to-text",
             "tags: [othink-bench, " + method + ", vision-language]"]
    if hub_base:
        front.append(f"base_model: {hub_base}")
    front.append("---")
    settings = [f"| `{k}` | {values[k]} |" for k in KEY_SETTINGS if k in values]
    lines = [
        *front,
        "",
        f"# {method} of {Path(base).name or base} on {meta.get('task')}, step {step}",
        "",
        f"Trained with othink-bench's {METHOD_WORDS.get(method, method)} trainer on TRL.",
        "",
        "| | |",
        "|---|---|",
        f"| base model | `{base}` |",
        f"| method | {METHOD_WORDS.get(method, method)} |",
        f"| recipe | {recipe.get('name')} ({recipe.get('family')} settings) |",
        f"| training task | `{task}` |",
        f"| training data | {_data_text(data)} |",
        f"| seed | {values.get('seed', 'not set')} (data seed {values.get('data_seed', 0)}) |",
        f"| steps | {where} at step {step} of {total} (optimizer updates done) |",
        f"| KL weight (beta) schedule | {_schedule_text(meta.get('schedule'), total)} |",
        *([f"| beta of the last update | beta({int(step) - 1}) = {meta['beta']:.6g} |"]
          if isinstance(meta.get("beta"), (int, float)) and isinstance(step, int) and step > 0
          else []),
        "",
        "## Recipe settings",
        "",
        "| setting | value |",
        "|---|---|",
        *settings,
        "",
        "The complete resolved recipe, schedule and provenance are in `othink_checkpoint.json`.",
        *(["The `tiny` recipe was calibrated on the validation stream (train split, data seed "
           "1), never the test split: its learning rate, data and KL weights, and what each "
           "choice measured, are in the recipe's comments and othink-bench's "
           "`docs/testbed-calibration.md`."] if recipe.get("name") == "tiny" else []),
        "",
        "## Evaluate",
        "",
        "```",
        f"othink-bench run --model {'<this folder>' if weights == '.' else f'<this folder>/{weights}'}"
        f" --tasks {meta.get('task')}",
        "```",
        "",
    ]
    return "\n".join(lines)


def write_training_card(folders: Sequence[Path], meta: Mapping[str, Any],
                        data: Mapping[str, Any] | None = None) -> None:
    """Write the card into each of ``folders`` (atomically). It is written when weights are
    saved, so an evaluation section of earlier weights (:func:`add_board_lines`) is dropped."""
    for folder in folders:
        step_dir = f"checkpoint-{meta.get('step')}"
        text = render_training_card(meta, data,
                                    weights="." if Path(folder).name == step_dir else step_dir)
        _write(Path(folder) / CARD_FILE, text)


def add_board_lines(folder: Path, lines: Sequence[str]) -> None:
    """Add (or replace) the evaluation section of a checkpoint's card with ``lines``."""
    path = Path(folder) / CARD_FILE
    old = _read(path)
    if not old:
        return
    head = old[: old.index(RESULTS_HEADING)].rstrip() + "\n" if RESULTS_HEADING in old else old
    _write(path, head + "\n" + "\n".join([RESULTS_HEADING, "", *lines]) + "\n")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


__all__ = ["CARD_FILE", "add_board_lines", "render_training_card", "write_training_card"]
