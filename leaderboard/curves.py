"""The curves of a board: accuracy vs training step (the paper's Figure 1) and the training
logs (reward and KL weight beta per step, from the trainers' ``trainer_state.json``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from leaderboard.analysis import Analysis
from leaderboard.blocks import Block, Heading, Image, Paragraph, TableBlock, compress_refs
from leaderboard.cells import DisplayCell, DisplayTable, column_labels
from leaderboard.displays import steps_display
from leaderboard.keys import short_model_name
from leaderboard.plots import PLOTS_DIR, Plot, model_slug
from leaderboard.training_logs import TrainingLog


def step_blocks(an: Analysis, plots: dict[str, Plot]) -> list[Block]:
    """Accuracy vs training step: every evaluated checkpoint, a plot and a table per panel."""
    if not an.steps:
        return []
    labels = column_labels(an.collection.columns)
    blocks: list[Block] = [
        Heading(2, "Accuracy vs training step"),
        Paragraph(
            "Each evaluated checkpoint on the task it was trained on (the paper's Figure 1); "
            "the untrained base model is the dashed line."
        ),
    ]
    for panel in an.steps:
        blocks.append(Heading(3, f"{short_model_name(panel.base)}: {labels[panel.column]}"))
        name = f"steps-{model_slug(panel.base)}-{panel.column.slug}.png"
        if name in plots:
            blocks.append(Image(f"{PLOTS_DIR}/{name}", plots[name].title))
        blocks.append(TableBlock(steps_display(panel)))
    return blocks


def _fmt_num(x: float) -> str:
    return f"{x:.4g}"


def _isnum(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def training_blocks(logs: Sequence[TrainingLog], plots: dict[str, Plot]) -> list[Block]:
    """Training logs: the TRL histories next to the checkpoints, with reward and beta curves."""
    blocks: list[Block] = [Heading(2, "Training logs")]
    if not logs:
        blocks.append(
            Paragraph(
                "No trainer logs (`trainer_state.json`) were found next to the evaluated "
                "checkpoints, so there are no reward or beta curves."
            )
        )
        return blocks
    rows = []
    for log in logs:
        steps, rewards = log.series("reward")
        _, betas = log.series("beta")
        last_step = max(
            (float(e["step"]) for e in log.history if _isnum(e.get("step"))), default=None
        )
        rows.append(
            [
                DisplayCell(f"{log.model.display} ({short_model_name(log.model.base)})"),
                DisplayCell(log.train_task or "—"),
                DisplayCell(f"`{log.path}`"),
                DisplayCell(compress_refs(log.refs) or "—"),
                DisplayCell(_fmt_num(last_step) if last_step is not None else "—"),
                DisplayCell(
                    f"{_fmt_num(rewards[0])} → {_fmt_num(rewards[-1])}" if rewards else "—"
                ),
                DisplayCell(f"{_fmt_num(betas[0])} → {_fmt_num(betas[-1])}" if betas else "—"),
            ]
        )
    header = ["training", "train task", "trainer log", "runs", "last step", "reward", "beta"]
    blocks.append(
        Paragraph(
            "TRL log histories found next to the evaluated checkpoints (the longest one per "
            "training); first → last logged value."
        )
    )
    blocks.append(TableBlock(DisplayTable(header, rows, ["l"] * 4 + ["r"] * 3)))
    for name in ("beta-schedule.png", "rewards.png"):
        if name in plots:
            blocks.append(Image(f"{PLOTS_DIR}/{name}", plots[name].title))
    return blocks
