"""GRPO-D against GRPO, training by training: did the two take different trajectories?

Why: an audit found that with a KL term too weak to act, GRPO-D and GRPO of one training seed
were the same run (identical rewards and completion lengths step for step until step 83 or
never, identical final outputs), so any "GRPO-D vs GRPO" cell compared a run with itself. Both
methods of one seed draw the same data order and sampling random numbers, so their logs agree
exactly until the KL weight changes the weights enough to change a sampled token. This table
pairs the two logs of each (base model, train task, seed, swept setting) and shows the first
logged step at which their per-step mean reward or mean completion length differ, how many of
the shared steps differ, and the mean absolute per-step difference of reward and of KL.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from leaderboard.blocks import Block, Heading, Paragraph, TableBlock
from leaderboard.cells import DisplayCell, DisplayTable
from leaderboard.keys import short_model_name
from leaderboard.training_logs import TrainingLog

SERIES = ("reward", "completions/mean_length")


@dataclass(frozen=True)
class Divergence:
    """How the logs of GRPO-D and GRPO of one training differ, step by step."""

    label: str
    shared_steps: int
    first_differing_step: float | None  # None: identical on every shared step
    differing_steps: int
    reward_gap: float  # mean |reward_grpod - reward_grpo| over shared steps
    kl_gap: float | None  # the same for the logged KL (None when either has none)


def _by_step(log: TrainingLog, key: str) -> dict[float, float]:
    steps, values = log.series(key)
    return dict(zip(steps, values, strict=True))


def divergence(grpo: TrainingLog, grpod: TrainingLog, label: str) -> Divergence | None:
    """Compare two logs on the steps both logged (None when they share none)."""
    a = {key: _by_step(grpo, key) for key in (*SERIES, "kl")}
    b = {key: _by_step(grpod, key) for key in (*SERIES, "kl")}
    shared = sorted(set(a["reward"]) & set(b["reward"]))
    if not shared:
        return None
    differing = [
        s for s in shared
        if any(a[k].get(s) != b[k].get(s) for k in SERIES)
    ]
    gaps = [abs(a["reward"][s] - b["reward"][s]) for s in shared]
    kl_steps = [s for s in shared if s in a["kl"] and s in b["kl"]]
    kl_gap = (statistics.fmean(abs(a["kl"][s] - b["kl"][s]) for s in kl_steps)
              if kl_steps else None)
    return Divergence(
        label=label,
        shared_steps=len(shared),
        first_differing_step=differing[0] if differing else None,
        differing_steps=len(differing),
        reward_gap=statistics.fmean(gaps),
        kl_gap=kl_gap,
    )


def pair_logs(logs: Sequence[TrainingLog]) -> list[Divergence]:
    """Every (base, train task, seed, sweep) that has both a GRPO and a GRPO-D log."""
    index: dict[tuple[object, ...], dict[str, TrainingLog]] = {}
    for log in logs:
        key = (log.model.base, log.train_task, log.model.train_seed, log.model.sweep)
        index.setdefault(key, {})[log.model.method] = log
    found = []
    for (base, task, seed, sweep), methods in sorted(
        index.items(), key=lambda kv: tuple(str(x) for x in kv[0])
    ):
        if "grpo" not in methods or "grpod" not in methods:
            continue
        label = f"{short_model_name(str(base))}, trained on {task}"
        if seed is not None:
            label += f", seed {seed}"
        if sweep:
            label += ", " + ", ".join(f"{k}={v}" for k, v in sweep)
        d = divergence(methods["grpo"], methods["grpod"], label)
        if d is not None:
            found.append(d)
    return found


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.4g}"


def trajectory_blocks(logs: Sequence[TrainingLog]) -> list[Block]:
    """The board's "GRPO-D vs GRPO trajectories" section (nothing without such pairs)."""
    pairs = pair_logs(logs)
    if not pairs:
        return []
    rows = [
        [
            DisplayCell(d.label),
            DisplayCell(str(d.shared_steps)),
            DisplayCell("never" if d.first_differing_step is None
                        else _num(d.first_differing_step)),
            DisplayCell(f"{d.differing_steps} of {d.shared_steps}"),
            DisplayCell(_num(d.reward_gap)),
            DisplayCell(_num(d.kl_gap)),
        ]
        for d in pairs
    ]
    header = ["training", "shared steps", "first step that differs", "steps that differ",
              "mean abs. reward gap", "mean abs. KL gap"]
    return [
        Heading(2, "GRPO-D vs GRPO trajectories"),
        Paragraph(
            "GRPO-D and GRPO of one seed share the data order and the sampling random numbers, "
            "so their logs agree until their KL weights have changed the weights enough to "
            "change a sampled token. A step differs when its logged mean reward or mean "
            "completion length differ; the gaps are mean absolute per-step differences over "
            "the steps both logged."
        ),
        TableBlock(DisplayTable(header, rows, ["l"] + ["r"] * 5)),
    ]


__all__ = ["Divergence", "divergence", "pair_logs", "trajectory_blocks"]
