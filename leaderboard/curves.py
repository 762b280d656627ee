"""The curves of a board: accuracy vs training step (the paper's Figure 1) and the training
logs (reward and KL weight beta per step, from the trainers' ``trainer_state.json``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from leaderboard.analysis import Analysis
from leaderboard.blocks import Block, Heading, Image, Paragraph, TableBlock, compress_refs
from leaderboard.cells import DisplayCell, DisplayTable, column_labels
from leaderboard.displays import steps_display
from leaderboard.figures.rewards import FILE_NAME as REWARD_PARTS
from leaderboard.figures.samples_seen import plot_name, samples_seen
from leaderboard.keys import short_model_name
from leaderboard.log_summary import (
    prompt_rise,
    prompt_rise_text,
    quarter_text,
    range_text,
    rise_text,
)
from leaderboard.plots import PLOTS_DIR, Plot, model_slug
from leaderboard.training_logs import TrainingLog


def step_blocks(an: Analysis, plots: dict[str, Plot]) -> list[Block]:
    """Accuracy vs training step: every evaluated checkpoint, a plot and a table per panel."""
    if not an.steps:
        return []
    labels = column_labels(an.collection.columns)
    intro = ("Each evaluated checkpoint on the task it was trained on (the paper's Figure 1); "
             "the untrained base model is the dashed line.")
    if any(plot_name(p) in plots for p in an.steps):
        intro += (" The second plot puts the same checkpoints on an axis of training samples "
                  "seen (step x samples per optimizer step: SFT samples, GRPO prompts), on which "
                  "SFT and GRPO compare; bands are 95% intervals.")
    elif plots:
        intro += (" No training's checkpoints record their samples per optimizer step, so "
                  "there is no samples-seen plot.")
    blocks: list[Block] = [Heading(2, "Accuracy vs training step"), Paragraph(intro)]
    for panel in an.steps:
        blocks.append(Heading(3, f"{short_model_name(panel.base)}: {labels[panel.column]}"))
        name = f"steps-{model_slug(panel.base)}-{panel.column.slug}.png"
        if name in plots:
            blocks.append(Image(f"{PLOTS_DIR}/{name}", plots[name].title))
        seen = plot_name(panel)
        if seen in plots:
            blocks.append(Image(f"{PLOTS_DIR}/{seen}", plots[seen].title))
        missing = samples_seen(panel).missing
        if missing and seen in plots:
            blocks.append(Paragraph(
                f"Not on the samples-seen axis: {', '.join(missing)} (the checkpoints do not "
                "record samples per optimizer step; trained before it was recorded)."))
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
        _, rewards = log.series("reward")
        _, betas = log.series("beta")
        _, kls = log.series("kl")
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
                DisplayCell(quarter_text(rewards)),
                DisplayCell(rise_text(rewards)),
                DisplayCell(prompt_rise_text(prompt_rise(log.groups) if log.groups else None)),
                DisplayCell(quarter_text(kls)),
                DisplayCell(range_text(betas)),
            ]
        )
    header = ["training", "train task", "trainer log", "runs", "last step",
              "reward (first → last quarter)", "p (rise)", "same prompts (first → last quarter)",
              "KL (first → last quarter)", "beta"]
    blocks.append(
        Paragraph(
            "TRL log histories found next to the evaluated checkpoints (the longest one per "
            "training). Reward: mean ± s.d. of the first and the last quarter of the logged "
            "steps (one step's mean over a few completions is noisy); p (rise): one-sided Welch "
            "t-test that the last quarter's per-step rewards are above the first quarter's. "
            "Same prompts: from the training's `reward_groups.jsonl`, each prompt's mean reward "
            "in the first and the last quarter of the steps, averaged over the prompts seen in "
            "both, with the one-sided paired t-test over those prompts (which prompts a step "
            "draws is chance, and prompt difficulty is most of the step-to-step spread; — where "
            "the training has no such file). KL: "
            "the logged per-token KL to the reference model, the same quarters. Beta: first → "
            "last logged value, with its minimum and maximum."
        )
    )
    blocks.append(TableBlock(DisplayTable(header, rows, ["l"] * 4 + ["r"] * 6)))
    for name in ("beta-schedule.png", "rewards.png", REWARD_PARTS):
        if name in plots:
            blocks.append(Image(f"{PLOTS_DIR}/{name}", plots[name].title))
    return blocks
