"""The generalisation section of a board: each trained model on the battery benchmarks (the
``@generalisation`` suite), as a train task x benchmark matrix with the relative changes vs the
untrained base model and vs SFT on shared samples with the paired test (the cross-task section's
tables, :mod:`leaderboard.analysis`, restricted to the battery's columns), then the benchmarks' own
breakdowns (:mod:`leaderboard.benchmark_metrics`).

Which columns belong to the battery is read from the task registry's ``generalisation`` suite (its
members and their presets, e.g. ``mathverse-vision-only``); a board without such columns has no
generalisation section.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from leaderboard.analysis import Analysis, CrossTable
from leaderboard.benchmark_metrics import Metric, metrics_for
from leaderboard.blocks import Block, Heading, Paragraph, TableBlock
from leaderboard.cells import EMPTY, DisplayCell, DisplayTable, acc_cell, column_labels, fmt_pct
from leaderboard.displays import cross_changes_display, cross_matrix_display
from leaderboard.keys import EvalKey, ModelKey, short_model_name
from leaderboard.runs import Run

SUITE = "generalisation"


def battery_members() -> tuple[str, ...]:
    """The ``@generalisation`` suite's task ids (empty when no package registers it)."""
    from othink_bench.registry import NoTasksRegisteredError, suites

    try:
        return suites().get(SUITE, ())
    except NoTasksRegisteredError:
        return ()


def is_battery(column: EvalKey, members: tuple[str, ...]) -> bool:
    return any(column.task == m or column.task.startswith(f"{m}-") for m in members)


@dataclass
class BenchmarkRow:
    """One run's benchmark metrics on one battery column."""

    label: str  # model (and train task)
    run: Run
    metrics: list[Metric]


@dataclass
class Generalisation:
    columns: list[EvalKey]
    tables: list[CrossTable]  # per trained model, battery columns only
    base_runs: dict[tuple[ModelKey, EvalKey], Run]
    breakdowns: dict[EvalKey, list[BenchmarkRow]]


def build_generalisation(an: Analysis, members: tuple[str, ...] | None = None) -> Generalisation:
    members = battery_members() if members is None else members
    coll = an.collection
    columns = [c for c in coll.columns if is_battery(c, members)]
    keep = set(columns)
    tables = []
    for ct in an.cross:
        cols = [c for c in ct.columns if c in keep]
        if not cols:
            continue
        tables.append(replace(
            ct,
            columns=cols,
            cells={k: v for k, v in ct.cells.items() if k[1] in keep},
            base_cells={k: v for k, v in ct.base_cells.items() if k in keep},
            entries=[e for e in ct.entries if e.column in keep],
        ))
    base_runs: dict[tuple[ModelKey, EvalKey], Run] = {}
    for model in coll.models:
        if model.method != "base":
            continue
        for column in columns:
            run = coll.final(model, None, column)
            if run is not None:
                base_runs[(model, column)] = run
    breakdowns: dict[EvalKey, list[BenchmarkRow]] = {}
    for column in columns:
        fn = metrics_for(column.task)
        if fn is None:
            continue
        rows = [BenchmarkRow(f"{short_model_name(model.base)} (untrained)", run,
                             fn(run.records))
                for (model, col), run in base_runs.items() if col == column]
        for ct in tables:
            for task in ct.train_tasks:
                run = ct.cells.get((task, column))
                if run is not None:
                    rows.append(BenchmarkRow(f"{ct.model.display}, trained on {task}", run,
                                             fn(run.records)))
        if rows:
            breakdowns[column] = rows
    return Generalisation(columns, tables, base_runs, breakdowns)


def _metric_cell(m: Metric) -> DisplayCell:
    if not m.n:
        return EMPTY
    k = f"{m.k:g}"
    return DisplayCell(f"{fmt_pct(m.k / m.n)} ({k}/{m.n})")


def breakdown_table(rows: list[BenchmarkRow]) -> DisplayTable:
    names: list[str] = []
    for row in rows:
        names.extend(m.name for m in row.metrics if m.name not in names)
    header = ["run", "accuracy", *names]
    body = []
    for row in rows:
        by = {m.name: m for m in row.metrics}
        body.append([DisplayCell(f"{row.label} [{row.run.ref}]"), acc_cell(row.run),
                     *[_metric_cell(by[n]) if n in by else EMPTY for n in names]])
    return DisplayTable(header, body, ["l"] * len(header))


def base_table(g: Generalisation) -> DisplayTable:
    labels = column_labels(g.columns)
    models = sorted({m for m, _ in g.base_runs}, key=ModelKey.sort_key)
    header = ["model", *[labels[c] for c in g.columns]]
    rows = [[DisplayCell(f"{short_model_name(m.base)} (untrained)", italic=True),
             *[acc_cell(g.base_runs[(m, c)]) if (m, c) in g.base_runs else EMPTY
               for c in g.columns]] for m in models]
    return DisplayTable(header, rows, ["l"] * len(header))


def generalisation_blocks(an: Analysis) -> list[Block]:
    g = build_generalisation(an)
    if not g.columns:
        return []
    labels = column_labels(g.columns)
    blocks: list[Block] = [
        Heading(2, "Generalisation (the battery)"),
        Paragraph(
            "The battery's benchmarks (`@generalisation`) as columns. For each trained model: "
            "train task (rows) by benchmark (columns) with the untrained base model on top, then "
            "the relative changes vs the base model and vs SFT, computed on the samples both "
            "runs scored, with the exact McNemar test (as in the cross-task section)."
        ),
    ]
    if not g.tables:
        blocks.append(Paragraph("No trained model was evaluated on the battery; the untrained "
                                "models:"))
        if g.base_runs:
            blocks.append(TableBlock(base_table(g)))
    for ct in g.tables:
        blocks.append(Heading(3, f"{ct.model.display} ({short_model_name(ct.model.base)})"))
        blocks.append(TableBlock(cross_matrix_display(ct)))
        if ct.entries:
            blocks.append(TableBlock(cross_changes_display(ct)))
    if g.breakdowns:
        blocks.append(Heading(3, "The benchmarks' own breakdowns"))
        blocks.append(Paragraph(
            "From the records (greedy draw): MathVerse by problem version; We-Math's "
            "four-dimensional metrics (IK, IG, CM, RM: strict and loose; RM as a share of CM + "
            "RM, the others of the multi-step problems scored with all their parts); "
            "HallusionBench's aAcc (per question), qAcc (per question over its figures) and fAcc "
            "(per figure). Each cell: percent (count/denominator)."))
        for column, rows in g.breakdowns.items():
            blocks.append(Paragraph(f"**{labels[column]}**"))
            blocks.append(TableBlock(breakdown_table(rows)))
    return blocks
