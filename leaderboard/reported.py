"""The paper's reported numbers (OThink-MR1, restated in PAPER.md) as data.

Boards show them beside measured numbers so a reader can see how a reproduction compares, but
only where the comparison is meaningful: the board column must be the paper's task (``vc`` or
``gr``) on its test split, scored on the paper's data (any source but ``synthetic``). A synthetic
task, a training split or another task never gets a reported row, and reported numbers never
enter a measured cell, a best-per-column mark or a significance test.
"""

from __future__ import annotations

from dataclasses import dataclass

from leaderboard.keys import EvalKey

SOURCE = "OThink-MR1 (paper)"
PAPER_TASKS: dict[str, str] = {
    "vc": "visual counting: SuperCLEVR, 200 counting questions",
    "gr": "geometry reasoning: GeoQA test (paper: 753 questions)",
}
PAPER_SPLIT = "test"


@dataclass(frozen=True)
class ReportedNumber:
    """One number the paper reports (accuracy in percent; relative changes in percent)."""

    model: str  # the backbone, e.g. "Qwen2-VL-2B-Instruct"
    method: str  # base | sft | grpo | grpod
    task: str  # the evaluation task id
    accuracy: float
    where: str  # "Table 1" or "cross-task"
    train_task: str | None = None  # None for base; the training task otherwise
    split: str = PAPER_SPLIT
    approx: bool = False  # implied from relative figures, not printed by the paper
    rel_vs_base: float | None = None  # as printed by the paper (cross-task)
    rel_vs_sft: float | None = None


def _t1(model: str, method: str, vc: float, gr: float) -> tuple[ReportedNumber, ...]:
    return (
        ReportedNumber(model, method, "vc", vc, "Table 1", None if method == "base" else "vc"),
        ReportedNumber(model, method, "gr", gr, "Table 1", None if method == "base" else "gr"),
    )


TABLE1: tuple[ReportedNumber, ...] = (
    *_t1("Qwen2-VL-2B-Instruct", "base", 42.50, 15.52),
    *_t1("Qwen2-VL-2B-Instruct", "sft", 68.50, 32.49),
    *_t1("Qwen2-VL-2B-Instruct", "grpo", 64.50, 30.24),
    *_t1("Qwen2-VL-2B-Instruct", "grpod", 76.50, 34.35),
    *_t1("Qwen2-VL-7B-Instruct", "base", 76.00, 33.16),
    *_t1("Qwen2-VL-7B-Instruct", "sft", 74.50, 43.50),
    *_t1("Qwen2-VL-7B-Instruct", "grpo", 76.50, 42.04),
    *_t1("Qwen2-VL-7B-Instruct", "grpod", 78.00, 45.49),
)

# Cross-task (Qwen2-VL-2B): the paper prints relative changes; absolute values are implied from
# Table 1's base row and are marked approximate.
CROSS_TASK: tuple[ReportedNumber, ...] = (
    ReportedNumber("Qwen2-VL-2B-Instruct", "sft", "vc", 43.0, "cross-task", "gr", approx=True),
    ReportedNumber(
        "Qwen2-VL-2B-Instruct",
        "grpod",
        "vc",
        69.5,
        "cross-task",
        "gr",
        approx=True,
        rel_vs_base=63.53,
        rel_vs_sft=61.63,
    ),
    ReportedNumber(
        "Qwen2-VL-2B-Instruct",
        "sft",
        "gr",
        3.45,
        "cross-task",
        "vc",
        approx=True,
        rel_vs_base=-77.77,
    ),
    ReportedNumber(
        "Qwen2-VL-2B-Instruct",
        "grpod",
        "gr",
        16.18,
        "cross-task",
        "vc",
        approx=True,
        rel_vs_base=4.25,
        rel_vs_sft=368.99,
    ),
)


def matches(column: EvalKey) -> bool:
    """Whether a board column is the paper's task and split on the paper's data."""
    return (
        column.task in PAPER_TASKS and column.split == PAPER_SPLIT and column.source != "synthetic"
    )


def table1_for(columns: list[EvalKey]) -> list[ReportedNumber]:
    """Table 1 numbers for the columns that match (empty when none does)."""
    tasks = {c.task for c in columns if matches(c)}
    return [r for r in TABLE1 if r.task in tasks]


def cross_task_for(method: str, train_task: str, column: EvalKey) -> list[ReportedNumber]:
    """Reported cross-task numbers for one (method, train task, eval column), if they match."""
    if not matches(column) or train_task == column.task:
        return []
    return [
        r
        for r in CROSS_TASK
        if (r.method, r.train_task, r.task) == (method, train_task, column.task)
    ]


def sft_cross_task(train_task: str, task: str) -> ReportedNumber | None:
    """The paper's (implied) SFT number for a cross-task pair."""
    for r in CROSS_TASK:
        if (r.method, r.train_task, r.task) == ("sft", train_task, task):
            return r
    return None


def base_of(model: str, task: str) -> ReportedNumber | None:
    for r in TABLE1:
        if r.model == model and r.method == "base" and r.task == task:
            return r
    return None
