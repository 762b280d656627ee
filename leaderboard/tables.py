"""Board tables: the paper's Table 1, cross-task matrices, breakdowns and step curves.

Two layers. The analysis layer turns a :class:`~leaderboard.collect.Collection` into typed
tables (which run fills which cell, which cell is best, relative changes and their paired tests)
and is what JSON and CSV outputs and the plots read. The display layer turns those into
:class:`DisplayTable` objects - text cells with bold / underline / italic flags and the run
each cell came from - that the markdown and HTML renderers draw without knowing what a
leaderboard is.

Conventions (the paper's, made explicit):
- accuracy is strict (the task's verifier on the last ``<answer>`` block), in percent, with a
  95% Wilson interval and n, the number of scored samples;
- every number that compares two runs (relative improvement, significance, the bold and
  underline marks) is computed from the samples both runs scored (same sample id and draw),
  never from two accuracies over different sample sets; the cell shows that n, or says why
  there is no number (no shared sample, a baseline at 0);
- relative improvement of a over b is ``(a - b) / b`` in percent;
- a difference is marked significant when the exact McNemar test on the shared samples gives
  p < 0.05;
- a trained model's Table 1 cell is its last checkpoint evaluated on the task it was trained on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import leaderboard.reported as rep
from leaderboard.collect import Collection
from leaderboard.keys import EvalKey, ModelKey, method_name, natural_key, short_model_name
from leaderboard.runs import Run
from othink_bench.stats import paired_compare, relative_change

ALPHA = 0.05
SIGNIFICANT = "†"
NOT_FINISHED = "‡"
COMPARED_WITH: tuple[str, ...] = ("base", "sft", "grpo")
DEFAULT_PROPOSED: tuple[str, ...] = ("grpod",)


# -- analysis ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """How one run compares with a baseline run on the same column, on their shared samples."""

    against: str  # the baseline's method
    baseline: str  # the baseline run's ref
    relative: float  # (a - b) / b in percent on the shared samples; inf/nan: baseline 0 or none
    p_value: float | None  # exact McNemar on shared samples; None when none are shared
    n_shared: int
    diff_low: float | None = None  # paired bootstrap 95% interval of a - b (fractions)
    diff_high: float | None = None
    accuracy: float | None = None  # the run's accuracy on the shared samples
    baseline_accuracy: float | None = None  # the baseline's, on the same samples

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    @property
    def why_not(self) -> str | None:
        """Why there is no relative number, if there is none."""
        if not self.n_shared:
            return "no shared samples"
        if not math.isfinite(self.relative):
            return "baseline 0"
        return None


def compare(run: Run, baseline: Run, against: str) -> Comparison:
    """Relative change of ``run`` over ``baseline`` and a paired test, on their shared samples.

    Two accuracies over different sample sets are never compared: a 40-sample base run and a
    12-sample trained run are compared on the 12 samples both scored.
    """
    shared = sorted(set(run.outcomes) & set(baseline.outcomes))
    if not shared:
        return Comparison(against, baseline.ref, math.nan, None, 0)
    ours = [run.outcomes[k] for k in shared]
    theirs = [baseline.outcomes[k] for k in shared]
    n = len(shared)
    acc, base_acc = sum(ours) / n, sum(theirs) / n
    pc = paired_compare(theirs, ours)
    return Comparison(
        against,
        baseline.ref,
        relative_change(acc, base_acc),
        pc.p_value,
        pc.n,
        pc.diff_low,
        pc.diff_high,
        acc,
        base_acc,
    )


def shared_keys(runs: list[Run]) -> set[tuple[str, int]]:
    """The (sample id, draw) pairs every one of ``runs`` scored."""
    keys = set(runs[0].outcomes)
    for run in runs[1:]:
        keys &= set(run.outcomes)
    return keys


def fraction_on(run: Run, keys: set[tuple[str, int]]) -> Fraction:
    """A run's accuracy on some of its samples, as an exact fraction (ties are ties)."""
    return Fraction(sum(run.outcomes[k] for k in keys), len(keys))


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


def _baseline_row(
    rows: list[Table1Row], base: str, method: str, train_seed: int | None = None
) -> Table1Row | None:
    """The first row of a method within a base model's block (rows are sorted); of a method
    trained with several seeds, the row of ``train_seed`` where there is one."""
    found = [row for row in rows if row.model.base == base and row.model.method == method]
    same_seed = [row for row in found if row.model.train_seed == train_seed]
    pick = same_seed or found
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
                other = _baseline_row(rows, row.model.base, against, row.model.train_seed)
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
        sft_model = _first_model(coll, model.base, "sft", model.train_seed)
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


def _first_model(
    coll: Collection, base: str, method: str, train_seed: int | None = None
) -> ModelKey | None:
    """The first model of a method (rows are sorted); of one seeded, ``train_seed``'s."""
    found = [m for m in coll.models if m.base == base and m.method == method]
    same_seed = [m for m in found if m.train_seed == train_seed]
    pick = same_seed or found
    return pick[0] if pick else None


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
                counts[(run.ref, r.breakdown)] = (k + int(r.correct), n + 1)
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


# -- display -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisplayCell:
    """A table cell: ``main`` carries the styling, ``rest`` follows it, ``ref`` names the run."""

    main: str = ""
    rest: str = ""
    bold: bool = False
    underline: bool = False
    italic: bool = False
    ref: str | None = None

    @property
    def plain(self) -> str:
        ref = f" {self.ref}" if self.ref else ""
        return f"{self.main}{self.rest}{ref}"


@dataclass
class DisplayTable:
    header: list[str]
    rows: list[list[DisplayCell]]
    align: list[str] = field(default_factory=list)  # "l" or "r" per column


EMPTY = DisplayCell("—")


def fmt_pct(x: float, digits: int = 2) -> str:
    return f"{100 * x:.{digits}f}" if math.isfinite(x) else "n/a"


def fmt_rel(rel: float) -> str:
    return f"{rel:+.2f}%" if math.isfinite(rel) else "n/a"


def column_labels(columns: list[EvalKey]) -> dict[EvalKey, str]:
    """Short, unambiguous column names: task and version, plus what tells apart test sets.

    Columns of one task version that differ in source or split get ``(source/split)``; in the
    data file, its name; in the data seed, ``data seed N``.
    """
    labels: dict[EvalKey, str] = {}
    for c in columns:
        clash = [o for o in columns if (o.task, o.version) == (c.task, c.version)]
        parts = []
        if len({(o.source, o.split) for o in clash}) > 1:
            parts.append(f"{c.source}/{c.split}")
        same_place = [o for o in clash if (o.source, o.split) == (c.source, c.split)]
        files = {o.data for o in same_place}
        if len(files) > 1:
            names = {Path(o.data).name for o in same_place if o.data}
            unique = len(names) == len(files - {""})
            parts.append((Path(c.data).name if unique else c.data) if c.data else "no data file")
        same_file = [o for o in same_place if o.data == c.data]
        if len({o.data_seed for o in same_file}) > 1:
            parts.append("no data seed" if c.data_seed is None else f"data seed {c.data_seed}")
        text = f"{c.task} {c.version_label}"
        labels[c] = text + (f" ({', '.join(parts)})" if parts else "")
    return labels


def acc_cell(run: Run, bold: bool = False, underline: bool = False) -> DisplayCell:
    acc = run.accuracy
    mark = "" if run.done else NOT_FINISHED
    if not acc.n:
        return DisplayCell("n/a", f" (0){mark}", ref=run.ref)
    return DisplayCell(
        main=fmt_pct(acc.value),
        rest=f" [{fmt_pct(acc.low, 1)}, {fmt_pct(acc.high, 1)}] ({acc.n}){mark}",
        bold=bold,
        underline=underline,
        ref=run.ref,
    )


def rel_cell(comp: Comparison | None) -> DisplayCell:
    """``+12.50%† (40)``: the change on the n shared samples, or why there is none."""
    if comp is None:
        return EMPTY
    why = comp.why_not
    if why is not None:
        return DisplayCell("n/a", f" ({why}" + (f", {comp.n_shared})" if comp.n_shared else ")"))
    mark = SIGNIFICANT if comp.significant else ""
    return DisplayCell(fmt_rel(comp.relative) + mark, f" ({comp.n_shared})")


def reported_cell(value: float | None, approx: bool = False) -> DisplayCell:
    if value is None:
        return EMPTY
    return DisplayCell(("≈" if approx else "") + f"{value:.2f}")


def table1_display(t1: Table1) -> DisplayTable:
    labels = column_labels(t1.columns)
    # Which relative columns carry anything (measured or reported)?
    shown: dict[EvalKey, list[str]] = {}
    rep_methods = {r.method for r in t1.reported}
    for column in t1.columns:
        kinds = []
        for against in COMPARED_WITH:
            measured = any(against in row.comparisons.get(column, {}) for row in t1.rows)
            reported = rep.matches(column) and against in rep_methods and len(rep_methods) > 1
            if measured or reported:
                kinds.append(against)
        shown[column] = kinds
    header = ["model"]
    align = ["l"]
    for column in t1.columns:
        header.append(labels[column])
        align.append("l")
        for against in shown[column]:
            header.append(f"vs {method_name(against)}")
            align.append("r")
    rows: list[list[DisplayCell]] = []
    for row in t1.rows:
        cells = [DisplayCell(row.model.display)]
        for column in t1.columns:
            run = row.cells.get(column)
            if run is None:
                cells.append(EMPTY)
            else:
                cells.append(acc_cell(run, column in row.best, column in row.strongest_baseline))
            comps = row.comparisons.get(column, {})
            for against in shown[column]:
                cells.append(rel_cell(comps.get(against)))
        rows.append(cells)
    # Reported rows: the paper's models, in our method order, only in matching columns.
    reported_models = sorted(
        {(r.model, r.method) for r in t1.reported},
        key=lambda mm: (natural_key(mm[0]), ModelKey(mm[0], mm[1]).sort_key()),
    )
    for model, method in reported_models:
        name = model if method == "base" else f"{model} + {method_name(method)}"
        cells = [DisplayCell(f"reported (paper): {name}", italic=True)]
        for column in t1.columns:
            value = _reported_value(t1.reported, model, method, column)
            cells.append(reported_cell(value))
            for against in shown[column]:
                base_value = _reported_value(t1.reported, model, against, column)
                if value is None or base_value is None or against == method or method == "base":
                    cells.append(EMPTY)
                else:
                    cells.append(DisplayCell(fmt_rel(relative_change(value, base_value))))
        rows.append(cells)
    return DisplayTable(header, rows, align)


def _reported_value(
    numbers: list[rep.ReportedNumber], model: str, method: str, column: EvalKey
) -> float | None:
    if not rep.matches(column):
        return None
    for r in numbers:
        if r.model == model and r.method == method and r.task == column.task:
            return r.accuracy
    return None


def cross_matrix_display(ct: CrossTable) -> DisplayTable:
    labels = column_labels(ct.columns)
    header = ["trained on ↓ · eval →", *[labels[c] for c in ct.columns]]
    base_name = short_model_name(ct.model.base)
    rows = [
        [
            DisplayCell(f"{base_name} (untrained)", italic=True),
            *[acc_cell(ct.base_cells[c]) if c in ct.base_cells else EMPTY for c in ct.columns],
        ]
    ]
    for task in ct.train_tasks:
        cells = [DisplayCell(task)]
        for column in ct.columns:
            run = ct.cells.get((task, column))
            cells.append(acc_cell(run) if run else EMPTY)
        rows.append(cells)
    return DisplayTable(header, rows, ["l"] * len(header))


def cross_changes_display(ct: CrossTable) -> DisplayTable:
    labels = column_labels(ct.columns)
    with_sft = ct.model.method != "sft"
    name = method_name(ct.model.method)
    header = ["train → eval", "base", *(["SFT"] if with_sft else []), name, "vs base"]
    if with_sft:
        header.append("vs SFT")
    rows: list[list[DisplayCell]] = []
    for e in ct.entries:
        cells = [
            DisplayCell(f"{e.train_task} → {labels[e.column]}"),
            acc_cell(e.base) if e.base else EMPTY,
        ]
        if with_sft:
            cells.append(acc_cell(e.sft) if e.sft else EMPTY)
        cells += [acc_cell(e.run), rel_cell(e.vs_base)]
        if with_sft:
            cells.append(rel_cell(e.vs_sft))
        rows.append(cells)
        for r in e.reported:
            base_r = rep.base_of(r.model, r.task)
            sft_r = rep.sft_cross_task(e.train_task, r.task)
            cells = [
                DisplayCell(f"reported (paper): {r.model}", italic=True),
                reported_cell(base_r.accuracy if base_r else None),
            ]
            if with_sft:
                cells.append(reported_cell(sft_r.accuracy if sft_r else None, approx=True))
            cells.append(reported_cell(r.accuracy, approx=r.approx))
            cells.append(
                DisplayCell(fmt_rel(r.rel_vs_base)) if r.rel_vs_base is not None else EMPTY
            )
            if with_sft:
                cells.append(
                    DisplayCell(fmt_rel(r.rel_vs_sft)) if r.rel_vs_sft is not None else EMPTY
                )
            rows.append(cells)
    align = ["l", *(["l"] * (len(header) - 3 if with_sft else len(header) - 2))]
    align += ["r"] * (len(header) - len(align))
    return DisplayTable(header, rows, align)


def breakdown_display(bd: Breakdown) -> DisplayTable:
    header = ["breakdown", *[f"{m.display} ({run.ref})" for m, run in bd.runs]]
    rows: list[list[DisplayCell]] = []
    for label in [*bd.labels, ""]:
        cells = [DisplayCell(label or "all", bold=not label)]
        for _, run in bd.runs:
            if label:
                k, n = bd.counts.get((run.ref, label), (0, 0))
            else:
                k, n = run.accuracy.k, run.accuracy.n
            text = f"{fmt_pct(k / n)} ({k}/{n})" if n else "—"
            cells.append(DisplayCell(text))
        rows.append(cells)
    return DisplayTable(header, rows, ["l"] + ["r"] * len(bd.runs))


def steps_display(panel: StepPanel) -> DisplayTable:
    header = ["step", *[c.model.display for c in panel.curves]]
    steps = sorted({r.step for c in panel.curves for r in c.runs if r.step is not None})
    rows: list[list[DisplayCell]] = []
    if panel.base_run is not None:
        base_cell = acc_cell(panel.base_run)
        rows.append([DisplayCell("0 (untrained)", italic=True), *[base_cell] * len(panel.curves)])
    for step in steps:
        cells = [DisplayCell(str(step))]
        for curve in panel.curves:
            run = next((r for r in curve.runs if r.step == step), None)
            cells.append(acc_cell(run) if run else EMPTY)
        rows.append(cells)
    return DisplayTable(header, rows, ["l"] * len(header))
