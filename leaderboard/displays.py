"""The display tables of an analysis: Table 1, the cross-task matrices and changes, the
breakdowns and the step tables, as :class:`~leaderboard.cells.DisplayTable` objects."""

from __future__ import annotations

import leaderboard.reported as rep
from leaderboard.analysis import Breakdown, CrossTable, StepPanel, Table1
from leaderboard.cells import (
    EMPTY,
    DisplayCell,
    DisplayTable,
    acc_cell,
    column_labels,
    fmt_change,
    fmt_pct,
    fmt_rel,
    rel_cell,
    reported_cell,
)
from leaderboard.comparisons import COMPARED_WITH
from leaderboard.keys import EvalKey, ModelKey, method_name, natural_key, short_model_name


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
                    cells.append(DisplayCell(fmt_change(value, base_value)))
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
            cells.append(_reported_change(r.accuracy, base_r, r.rel_vs_base, r.approx))
            if with_sft:
                cells.append(_reported_change(r.accuracy, sft_r, r.rel_vs_sft, True))
            rows.append(cells)
    align = ["l", *(["l"] * (len(header) - 3 if with_sft else len(header) - 2))]
    align += ["r"] * (len(header) - len(align))
    return DisplayTable(header, rows, align)


def _reported_change(
    value: float, baseline: rep.ReportedNumber | None, rel: float | None, approx: bool
) -> DisplayCell:
    """The paper's printed relative change, after the points it implies (``≈`` where one of
    the two accuracies is itself implied, not printed)."""
    if rel is None:
        return EMPTY
    if baseline is None:
        return DisplayCell(fmt_rel(rel))
    mark = "≈" if approx or baseline.approx else ""
    return DisplayCell(f"{mark}{value - baseline.accuracy:+.2f} pts ({fmt_rel(rel)})")


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
