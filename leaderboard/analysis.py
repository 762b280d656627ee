"""The board's analysis: a :class:`~leaderboard.collect.Collection` turned into typed tables.

Which run fills which cell of the paper's Table 1, which cell is best, relative changes and
their paired tests (:mod:`leaderboard.comparisons`), the cross-task matrices, the breakdowns and
the step curves. JSON and CSV outputs (:mod:`leaderboard.export`) and the plots read these; the
display tables (:mod:`leaderboard.displays`) turn them into text cells.

Conventions (the paper's, made explicit):
- accuracy is strict (the task's verifier on the last ``<answer>`` block), in percent, with a
  95% Wilson interval and n, the number of scored samples;
- the bold and underline marks compare the rows of a block on the samples all of them scored;
- a trained model's Table 1 cell is its last checkpoint evaluated on the task it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import leaderboard.reported as rep
from leaderboard.benchmark_metrics import metrics_for
from leaderboard.collect import Collection
from leaderboard.comparisons import COMPARED_WITH, Comparison, compare, fraction_on, shared_keys
from leaderboard.keys import EvalKey, ModelKey, natural_key
from leaderboard.runs import Run

DEFAULT_PROPOSED: tuple[str, ...] = ("grpod",)


@dataclass(frozen=True)
class MarkNote:
    """How one (base model, column) block's bold/underline marks were decided, when not plain."""

    base: str
    column: EvalKey
    n_shared: int  # samples every row of the block scored
    n_rows: int


@dataclass
class Table1Row:
    model: ModelKey
    cells: dict[EvalKey, Run] = field(default_factory=dict)
    comparisons: dict[EvalKey, dict[str, Comparison]] = field(default_factory=dict)
    best: set[EvalKey] = field(default_factory=set)
    strongest_baseline: set[EvalKey] = field(default_factory=set)


@dataclass
class Table1:
    columns: list[EvalKey]
    rows: list[Table1Row]
    reported: list[rep.ReportedNumber]
    proposed: tuple[str, ...]
    mark_notes: list[MarkNote] = field(default_factory=list)


def _baseline_row(rows: list[Table1Row], base: str, method: str, like: ModelKey) -> Table1Row | None:
    """The first row of a method within a base model's block (rows are sorted); of a method
    trained with several seeds or swept values, the row of ``like``'s seed and values where
    there is one."""
    found = [row.model for row in rows if row.model.base == base and row.model.method == method]
    pick = _closest(found, like)
    return next((row for row in rows if row.model == pick), None)


def _closest(found: list[ModelKey], like: ModelKey) -> ModelKey | None:
    """The first of ``found`` with ``like``'s seed and swept values, else its seed, else any."""
    same = [m for m in found if (m.train_seed, m.sweep) == (like.train_seed, like.sweep)]
    same_seed = [m for m in found if m.train_seed == like.train_seed]
    pick = same or same_seed or found
    return pick[0] if pick else None


def same_task_run(coll: Collection, model: ModelKey, column: EvalKey) -> Run | None:
    """The run for a Table 1 cell: trained on the column's task, else one never trained."""
    if model.method != "base":
        run = coll.final(model, column.task, column)
        if run is not None:
            return run
    return coll.final(model, None, column)


def build_table1(coll: Collection, proposed: tuple[str, ...] = DEFAULT_PROPOSED) -> Table1:
    columns = coll.columns
    rows: list[Table1Row] = []
    for model in coll.models:
        row = Table1Row(model)
        for column in columns:
            run = same_task_run(coll, model, column)
            if run is not None:
                row.cells[column] = run
        if row.cells:
            rows.append(row)
    for row in rows:
        for column, run in row.cells.items():
            comps: dict[str, Comparison] = {}
            for against in COMPARED_WITH:
                if against == row.model.method:
                    continue
                if row.model.method == "base":
                    continue
                other = _baseline_row(rows, row.model.base, against, row.model)
                if other is None or column not in other.cells:
                    continue
                comps[against] = compare(run, other.cells[column], against)
            row.comparisons[column] = comps
    notes: list[MarkNote] = []
    for base in coll.bases:
        block = [r for r in rows if r.model.base == base]
        for column in columns:
            filled = [r for r in block if column in r.cells and r.cells[column].accuracy.n]
            if len(filled) < 2:
                continue
            # Marks compare rows on the samples all of them scored, never across sample sets.
            keys = shared_keys([r.cells[column] for r in filled])
            if any(len(r.cells[column].outcomes) != len(keys) for r in filled):
                notes.append(MarkNote(base, column, len(keys), len(filled)))
            if not keys:
                continue
            score = {id(r): fraction_on(r.cells[column], keys) for r in filled}
            top = max(score.values())
            for r in filled:
                if score[id(r)] == top:
                    r.best.add(column)
            baselines = [r for r in filled if r.model.method not in proposed]
            if baselines:
                top_b = max(score[id(r)] for r in baselines)
                for r in baselines:
                    if score[id(r)] == top_b:
                        r.strongest_baseline.add(column)
    return Table1(columns, rows, rep.table1_for(columns), proposed, notes)


@dataclass
class CrossEntry:
    train_task: str
    column: EvalKey
    run: Run
    base: Run | None
    sft: Run | None
    vs_base: Comparison | None
    vs_sft: Comparison | None
    reported: list[rep.ReportedNumber]


@dataclass
class CrossTable:
    """One trained model: train task x eval column, with the untrained base beside it."""

    model: ModelKey
    train_tasks: list[str]
    columns: list[EvalKey]
    cells: dict[tuple[str, EvalKey], Run]
    base_cells: dict[EvalKey, Run]
    entries: list[CrossEntry]  # cross-task pairs only (train task != eval task)


def build_cross_tables(coll: Collection) -> list[CrossTable]:
    columns = coll.columns
    tables: list[CrossTable] = []
    for model in coll.models:
        if model.method == "base":
            continue
        tasks = [t for t in coll.train_tasks(model) if t is not None]
        cells: dict[tuple[str, EvalKey], Run] = {}
        for task in tasks:
            for column in columns:
                run = coll.final(model, task, column)
                if run is not None:
                    cells[(task, column)] = run
        if not any(task != column.task for task, column in cells):
            continue  # nothing cross-task: Table 1 already shows it
        base_model = model.base_key
        base_cells = {}
        for column in columns:
            b = coll.final(base_model, None, column)
            if b is not None:
                base_cells[column] = b
        sft_model = _first_model(coll, model.base, "sft", model)
        entries: list[CrossEntry] = []
        for (task, column), run in sorted(
            cells.items(), key=lambda kv: (natural_key(kv[0][0]), kv[0][1].sort_key())
        ):
            if task == column.task:
                continue
            base_run = base_cells.get(column)
            sft_run = None
            if sft_model is not None and model.method != "sft":
                sft_run = coll.final(sft_model, task, column)
            entries.append(
                CrossEntry(
                    train_task=task,
                    column=column,
                    run=run,
                    base=base_run,
                    sft=sft_run,
                    vs_base=compare(run, base_run, "base") if base_run else None,
                    vs_sft=compare(run, sft_run, "sft") if sft_run else None,
                    reported=rep.cross_task_for(model.method, task, column),
                )
            )
        used_columns = [c for c in columns if any(c == col for _, col in cells)]
        tables.append(CrossTable(model, tasks, used_columns, cells, base_cells, entries))
    return tables


def _first_model(coll: Collection, base: str, method: str, like: ModelKey) -> ModelKey | None:
    """The first model of a method (rows are sorted); of one seeded or swept, ``like``'s."""
    return _closest([m for m in coll.models if m.base == base and m.method == method], like)


@dataclass
class Breakdown:
    """Accuracy by the task's breakdown label (true count, answer form) for Table 1's runs."""

    column: EvalKey
    labels: list[str]
    runs: list[tuple[ModelKey, Run]]
    counts: dict[tuple[str, str], tuple[int, int]]  # (run ref, label) -> (correct, n)


def _label_key(label: str) -> tuple[int, float, tuple[object, ...]]:
    try:
        return (0, float(label), ())
    except ValueError:
        return (1, 0.0, natural_key(label))


def build_breakdowns(table1: Table1) -> list[Breakdown]:
    out: list[Breakdown] = []
    for column in table1.columns:
        if metrics_for(column.task) is not None:
            continue  # a battery benchmark: its own metrics table splits its labels
        runs = [(row.model, row.cells[column]) for row in table1.rows if column in row.cells]
        labels = {r.breakdown for _, run in runs for r in run.records if r.breakdown}
        if not labels:
            continue
        counts: dict[tuple[str, str], tuple[int, int]] = {}
        for _, run in runs:
            for r in run.records:
                if not r.breakdown:
                    continue
                k, n = counts.get((run.ref, r.breakdown), (0, 0))
                counts[(run.ref, r.breakdown)] = (k + int(run.correct(r)), n + 1)
        out.append(Breakdown(column, sorted(labels, key=_label_key), runs, counts))
    return out


@dataclass
class StepCurve:
    """Accuracy of one training's checkpoints on the column of its own task."""

    model: ModelKey
    column: EvalKey
    runs: list[Run]  # by step; only runs with a known step


@dataclass
class StepPanel:
    base: str
    column: EvalKey
    base_run: Run | None
    curves: list[StepCurve]


def build_step_panels(coll: Collection) -> list[StepPanel]:
    panels: list[StepPanel] = []
    for base in coll.bases:
        for column in coll.columns:
            curves = []
            for model in coll.models:
                if model.base != base or model.method == "base":
                    continue
                runs = [r for r in coll.steps(model, column.task, column) if r.step is not None]
                if runs:
                    curves.append(StepCurve(model, column, runs))
            if any(len(c.runs) > 1 for c in curves):  # a single checkpoint is no curve
                base_run = coll.final(ModelKey(base, "base"), None, column)
                panels.append(StepPanel(base, column, base_run, curves))
    return panels


@dataclass
class Analysis:
    """Everything a board shows, computed once from a collection."""

    collection: Collection
    table1: Table1
    cross: list[CrossTable]
    breakdowns: list[Breakdown]
    steps: list[StepPanel]


def analyse(coll: Collection, proposed: tuple[str, ...] = DEFAULT_PROPOSED) -> Analysis:
    table1 = build_table1(coll, proposed)
    return Analysis(
        collection=coll,
        table1=table1,
        cross=build_cross_tables(coll),
        breakdowns=build_breakdowns(table1),
        steps=build_step_panels(coll),
    )
