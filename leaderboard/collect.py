"""Read run directories into a :class:`Collection`: every run, the run chosen for each cell,
the runs that fill none, and the trainer logs.

A board is a pure function of run records. :func:`collect` finds the run directories
(``manifest.json`` plus ``records.jsonl``), reads each into a :class:`~leaderboard.runs.Run`
(:mod:`leaderboard.runs`), keyed by everything that determines a number
(:mod:`leaderboard.keys`): the model (base model, method, label), how it was trained (train
task, step) and what it was scored on, the test set (task, task version, source, split, data
file, data seed). Those keys are what later code groups by, so records of different task
versions, sources or test sets can never meet in one cell. A run that scored no sample becomes
no cell: it is kept as a :class:`~leaderboard.runs.SkippedRun` with the reason. Reruns of one
cell give way to the finished, latest, largest run. The trainer logs (TRL's
``trainer_state.json``) next to the checkpoints are found by :mod:`leaderboard.training_logs`.
Together these are the only part of a board that reads files.

Nothing here formats text or draws; nothing here depends on the clock or on the order in which
directories were given.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leaderboard.keys import (
    METHOD_NAMES,
    METHOD_ORDER,
    CellKey,
    EvalKey,
    ModelKey,
    method_name,
    method_rank,
    natural_key,
    short_model_name,
    slugify,
    step_key,
)
from leaderboard.runs import (
    DATA_ERROR_KINDS,
    DONE_STATUSES,
    RUN_COLUMNS,
    Run,
    SkippedRun,
    data_seed,
    display_path,
    load_run,
    run_fields,
    skip_reason,
)
from leaderboard.training_logs import (
    TRAINER_STATE,
    TrainingLog,
    find_trainer_states,
    load_training_logs,
)
from othink_bench.records import find_run_dirs


@dataclass
class Collection:
    """Every run found, the run chosen for each cell, and the trainer logs."""

    runs: list[Run]
    anchor: Path
    cells: dict[CellKey, Run] = field(default_factory=dict)
    logs: list[TrainingLog] = field(default_factory=list)
    skipped: list[SkippedRun] = field(default_factory=list)  # runs that fill no cell

    @property
    def superseded(self) -> list[Run]:
        return [r for r in self.runs if r.superseded_by]

    @property
    def columns(self) -> list[EvalKey]:
        return sorted({k.column for k in self.cells}, key=EvalKey.sort_key)

    @property
    def models(self) -> list[ModelKey]:
        return sorted({k.model for k in self.cells}, key=ModelKey.sort_key)

    @property
    def bases(self) -> list[str]:
        return sorted({m.base for m in self.models}, key=natural_key)

    def final(self, model: ModelKey, train_task: str | None, column: EvalKey) -> Run | None:
        """The run of the last checkpoint (highest step; no step means the final model)."""
        best: Run | None = None
        for key, run in self.cells.items():
            if key.model == model and key.train_task == train_task and key.column == column:
                if best is None or step_key(key.step) > step_key(best.step):
                    best = run
        return best

    def steps(self, model: ModelKey, train_task: str | None, column: EvalKey) -> list[Run]:
        """Every checkpoint of one training evaluated on one column, by step."""
        found = [
            run
            for key, run in self.cells.items()
            if key.model == model and key.train_task == train_task and key.column == column
        ]
        return sorted(found, key=lambda r: step_key(r.step))

    def train_tasks(self, model: ModelKey) -> list[str | None]:
        tasks = {k.train_task for k in self.cells if k.model == model}
        return sorted(tasks, key=lambda t: (t is None, natural_key(t or "")))


def default_anchor(paths: Sequence[str | Path]) -> Path:
    """Where displayed paths start: the common folder above the given inputs."""
    parents = [str(Path(p).resolve().parent) for p in paths]
    return Path(os.path.commonpath(parents)) if parents else Path.cwd()


def assign_variants(runs: Sequence[Run]) -> None:
    """Give a run its label as variant only where labels tell apart runs of one cell.

    Runs of one base model and method that share train task, step and column but carry
    different labels are different models (two recipes, say): every label seen in such a clash
    becomes a variant, for all runs with that label. Otherwise the label is display text and
    the run joins its method's row.
    """
    groups: dict[tuple[Any, ...], set[str]] = {}
    for run in runs:
        model = run.model
        key = (model.base, model.method, run.train_task, run.step, run.column, run.train_seed,
               run.sweep)
        groups.setdefault(key, set()).add(run.label)
    distinct: set[tuple[str, str, str]] = set()
    for (base, method, *_), labels in groups.items():
        if len(labels) > 1:
            distinct.update((base, method, label) for label in labels)
    for run in runs:
        model = run.model
        if (model.base, model.method, run.label) in distinct:
            run.variant = run.label


def assign_seeds(runs: Sequence[Run]) -> None:
    """Make the training seed a row axis of the models trained with two or more seeds.

    A model (base, method, variant) whose runs record one training seed only (``--seeds 1``)
    stays one row, as a model trained without seeds: a board of one seed is today's board.
    """
    seeds: dict[tuple[Any, ...], set[int]] = {}
    for run in runs:
        if run.train_seed is not None:
            m = run.model
            seeds.setdefault((m.base, m.method, m.variant, m.sweep), set()).add(run.train_seed)
    for run in runs:
        m = run.model
        if len(seeds.get((m.base, m.method, m.variant, m.sweep), ())) > 1:
            run.seed_row = run.train_seed


def _preference(run: Run) -> tuple[Any, ...]:
    m = run.manifest
    return (run.done, m.finished or "", len(run.records), run.run_id)


def select_cells(runs: Iterable[Run]) -> dict[CellKey, Run]:
    """One run per cell key. Duplicates (reruns) give way to the finished, latest, largest run."""
    groups: dict[CellKey, list[Run]] = {}
    for run in runs:
        groups.setdefault(run.cell_key, []).append(run)
    chosen: dict[CellKey, Run] = {}
    for key in sorted(groups, key=CellKey.sort_key):
        group = sorted(groups[key], key=_preference)
        winner = group[-1]
        chosen[key] = winner
        for loser in group[:-1]:
            loser.superseded_by = winner.ref or winner.run_id
    return chosen


def collect(paths: Sequence[str | Path], root: str | Path | None = None) -> Collection:
    """Find and read every run under ``paths`` (run directories or folders holding them).

    ``root`` is where displayed paths start (default: the folder above the inputs), so a board
    names ``runs/<run-id>`` rather than a machine-specific absolute path.
    """
    if not paths:
        raise ValueError("no run directories or runs roots given")
    anchor = Path(root).resolve() if root is not None else default_anchor(paths)
    dirs = {d.resolve(): d for d in find_run_dirs(paths)}  # one run given twice is one run
    loaded = [load_run(d, anchor) for _, d in sorted(dirs.items())]
    ids: dict[str, Path] = {}
    for run in loaded:
        other = ids.setdefault(run.run_id, run.run_dir)
        if other != run.run_dir:  # two copies of a run would count its samples twice
            raise ValueError(
                f"run id {run.run_id!r} appears twice: {other} and {run.run_dir}; give one "
                "copy (two train-and-eval --out folders both evaluate the base model: run "
                "the later ones without it, e.g. --methods grpo)")
    runs: list[Run] = []
    skipped: list[SkippedRun] = []
    for run in loaded:
        reason = skip_reason(run)
        if reason is None:
            runs.append(run)
        else:
            skipped.append(SkippedRun(run.run_id, run.path, run.manifest.status, reason,
                                      refused=run.unverified is not None))
    skipped.sort(key=lambda x: (natural_key(x.path), x.run_id))
    assign_variants(runs)
    assign_seeds(runs)
    runs.sort(key=Run.sort_key)
    for no, run in enumerate(runs, 1):
        run.ref = f"r{no}"
    cells = select_cells(runs)
    logs = load_training_logs(runs, anchor)
    return Collection(runs=runs, anchor=anchor, cells=cells, logs=logs, skipped=skipped)


__all__ = [
    "DATA_ERROR_KINDS",
    "DONE_STATUSES",
    "METHOD_NAMES",
    "METHOD_ORDER",
    "RUN_COLUMNS",
    "TRAINER_STATE",
    "CellKey",
    "Collection",
    "EvalKey",
    "ModelKey",
    "Run",
    "SkippedRun",
    "TrainingLog",
    "assign_seeds",
    "assign_variants",
    "collect",
    "data_seed",
    "default_anchor",
    "display_path",
    "find_trainer_states",
    "load_run",
    "load_training_logs",
    "method_name",
    "method_rank",
    "natural_key",
    "run_fields",
    "select_cells",
    "short_model_name",
    "skip_reason",
    "slugify",
    "step_key",
]
