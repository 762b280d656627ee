"""The paper's Figure 1 on an axis SFT and GRPO share: accuracy vs training samples seen.

Why: an optimizer step is not the same amount of data for every method. An SFT step consumes
``per_device_train_batch_size x gradient_accumulation_steps x world size`` samples; a GRPO step
consumes that many completions, ``num_generations`` per prompt, so far fewer prompts (16 vs 128
at the paper recipes' scale). Plotted against the step, the methods' curves are not comparable.

Each training records its samples per optimizer step (SFT: samples, GRPO: prompts) and world
size in every checkpoint's ``othink_checkpoint.json`` (written by :mod:`trainers.checkpoints`,
read here as plain JSON so the board needs no trainer code). A checkpoint at step s has then
seen ``s x samples_per_step`` training samples. Trainings whose checkpoints do not record it
(made before it was recorded) are left out of the figure and named under it, never guessed.
Accuracies carry their 95% Wilson intervals, as on the step plots.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from leaderboard.analysis import StepPanel
from leaderboard.cells import column_labels
from leaderboard.keys import short_model_name
from leaderboard.plots import Plot, Series, line_plot, model_slug
from leaderboard.runs import Run
from leaderboard.training_logs import checkpoint_candidates

CHECKPOINT_META = "othink_checkpoint.json"  # trainers.checkpoints.CHECKPOINT_META
SAMPLES_KEY = "samples_per_step"  # trainers.run writes it into the checkpoint metadata
X_LABEL = "training samples seen (SFT: samples; GRPO: prompts, each with its completions)"


def _meta_files(ckpt: Path) -> list[Path]:
    direct = ckpt / CHECKPOINT_META
    if direct.is_file():
        return [direct]
    return sorted(ckpt.glob(f"checkpoint-*/{CHECKPOINT_META}")) if ckpt.is_dir() else []


def samples_per_step(run: Run) -> int | None:
    """Samples per optimizer step of the training that made a run's checkpoint, from its
    ``othink_checkpoint.json``; None when no metadata records it."""
    for ckpt in checkpoint_candidates(run):
        for path in _meta_files(ckpt):
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            value = meta.get(SAMPLES_KEY) if isinstance(meta, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
    return None


@dataclass(frozen=True)
class SamplesSeen:
    """One panel's series on the samples-seen axis and the trainings left out of it."""

    series: list[Series]
    missing: list[str]  # display names of curves whose samples per step is not recorded


def samples_seen(panel: StepPanel) -> SamplesSeen:
    """Accuracy (in %, with its 95% interval) vs samples seen, one series per training."""
    series: list[Series] = []
    missing: list[str] = []
    for curve in panel.curves:
        per_step = next((n for n in map(samples_per_step, curve.runs) if n is not None), None)
        if per_step is None:
            missing.append(curve.model.display)
            continue
        series.append(
            Series(
                label=f"{curve.model.display} ({per_step} per step)",
                method=curve.model.method,
                x=[float((r.step or 0) * per_step) for r in curve.runs],
                y=[100 * r.accuracy.value for r in curve.runs],
                low=[100 * r.accuracy.low for r in curve.runs],
                high=[100 * r.accuracy.high for r in curve.runs],
            )
        )
    return SamplesSeen(series, missing)


def plot_name(panel: StepPanel) -> str:
    return f"samples-{model_slug(panel.base)}-{panel.column.slug}.png"


def samples_seen_plot(panel: StepPanel) -> Plot | None:
    """The panel's accuracy vs samples seen; None when no training records its batch."""
    data = samples_seen(panel)
    if not data.series:
        return None
    label = column_labels([panel.column])[panel.column]
    hlines = []
    if panel.base_run is not None:
        hlines.append(
            (f"{short_model_name(panel.base)} (untrained)", 100 * panel.base_run.accuracy.value)
        )
    title = f"{short_model_name(panel.base)}: accuracy on {label} vs training samples seen"
    png = line_plot(data.series, title=title, xlabel=X_LABEL, ylabel="accuracy (%)",
                    hlines=hlines)
    return Plot(plot_name(panel), title, png)


__all__ = ["SamplesSeen", "plot_name", "samples_per_step", "samples_seen", "samples_seen_plot"]
