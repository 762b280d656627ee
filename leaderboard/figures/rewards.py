"""The paper's Figure 5: accuracy reward and format reward per training step, as separate curves.

Why: ``rewards.png`` plots the logged total ``R_acc + alpha * R_format``, in which a model that
learns the format but not the answers looks the same as one that learns the answers. TRL logs
each reward function's mean on its own (``rewards/<function>/mean``; the project names them
``accuracy_<task>`` and ``format_reward``, :func:`othink_bench.rewards.reward_functions`), so
the two parts are drawn apart: one panel per training task, one colour per training (each seed
its own), accuracy solid and format dashed. A step's mean over a few completions is noisy, so
each line is a centred moving mean (:func:`smooth`) with the raw per-step points drawn faint.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from leaderboard.plots import (
    EXTRA_COLORS,
    Plot,
    method_color,
    new_figure,
    plot_style,
    png_bytes,
)
from leaderboard.training_logs import TrainingLog

FILE_NAME = "reward-parts.png"
PARTS = ("accuracy", "format")  # accuracy_<task> and format_reward


def reward_key(history: Sequence[dict[str, object]], part: str) -> str | None:
    """The log key of one reward part's per-step mean, e.g. ``rewards/accuracy_vc/mean``.

    TRL writes ``rewards/<name>/mean`` (older versions ``rewards/<name>``); the part is the
    function name's start. The first such key in sorted order wins, so the choice is stable.
    """
    keys: set[str] = set()
    for entry in history:
        for key in entry:
            if not key.startswith("rewards/"):
                continue
            parts = key.split("/")
            if len(parts) == 2 or (len(parts) == 3 and parts[2] == "mean"):
                if parts[1].startswith(part):
                    keys.add(key)
    return min(keys) if keys else None


def smooth_half_width(n: int) -> int:
    """Half the moving-mean window: about a tenth of the steps, at least 1."""
    return max(1, n // 20)


def smooth(values: Sequence[float], half: int) -> list[float]:
    """Centred moving mean over ``2 * half + 1`` values, the window cut at the ends."""
    out = []
    for i in range(len(values)):
        window = values[max(0, i - half): i + half + 1]
        out.append(statistics.fmean(window))
    return out


@dataclass(frozen=True)
class RewardCurve:
    """One reward part of one training: raw per-step means and their smoothed line."""

    label: str  # the training, as the board names its row
    method: str
    train_task: str
    part: str  # "accuracy" or "format"
    key: str  # the log key it was read from
    steps: list[float]
    raw: list[float]
    smoothed: list[float]


def reward_curves(logs: Sequence[TrainingLog]) -> list[RewardCurve]:
    """Every training's accuracy and format curves, in the logs' order (parts in PARTS order)."""
    curves: list[RewardCurve] = []
    for log in logs:
        for part in PARTS:
            key = reward_key(log.history, part)
            if key is None:
                continue
            steps, raw = log.series(key)
            if not steps:
                continue
            curves.append(
                RewardCurve(
                    label=log.model.display,
                    method=log.model.method,
                    train_task=log.train_task or "?",
                    part=part,
                    key=key,
                    steps=steps,
                    raw=raw,
                    smoothed=smooth(raw, smooth_half_width(len(raw))),
                )
            )
    return curves


def _colors(curves: Sequence[RewardCurve]) -> dict[str, str]:
    """One colour per training: the method's when it is the only one of its method, else a
    colour of its own (the seeds of one method)."""
    labels = list(dict.fromkeys(c.label for c in curves))
    method_of = {c.label: c.method for c in curves}
    per_method: dict[str, int] = {}
    for label in labels:
        per_method[method_of[label]] = per_method.get(method_of[label], 0) + 1
    out: dict[str, str] = {}
    extra = 0
    for label in labels:
        if per_method[method_of[label]] == 1:
            out[label] = method_color(method_of[label])
        else:
            out[label] = EXTRA_COLORS[extra % len(EXTRA_COLORS)]
            extra += 1
    return out


def reward_parts_plot(logs: Sequence[TrainingLog]) -> Plot | None:
    """Figure 5, one panel per training task; None when no log has the reward parts."""
    curves = reward_curves(logs)
    if not curves:
        return None
    tasks = sorted({c.train_task for c in curves})
    title = ("Accuracy reward (solid) and format reward (dashed) per step; "
             "moving mean, raw steps faint")
    with plot_style():
        fig = new_figure()
        axes = [fig.add_subplot(1, len(tasks), i + 1) for i in range(len(tasks))]
        for ax, task in zip(axes, tasks, strict=True):
            shown = [c for c in curves if c.train_task == task]
            colors = _colors(shown)
            for c in shown:
                color = colors[c.label]
                style = "-" if c.part == "accuracy" else "--"
                ax.plot(c.steps, c.raw, linestyle="none", marker=".", markersize=3,
                        color=color, alpha=0.25)
                ax.plot(c.steps, c.smoothed, linestyle=style, linewidth=1.5, color=color,
                        label=f"{c.label}: {c.part}")
            ax.set_title(f"trained on {task}")
            ax.set_xlabel("optimizer step")
            ax.set_ylim(-0.05, 1.05)
            ax.legend(loc="lower right")
        axes[0].set_ylabel("mean reward per step")
        fig.suptitle(title)
        fig.tight_layout()
        return Plot(FILE_NAME, title, png_bytes(fig))


__all__ = ["RewardCurve", "reward_curves", "reward_key", "reward_parts_plot", "smooth"]
