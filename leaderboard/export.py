"""A board's numbers as data: the JSON document and the CSV rows, from an analysis.

The markdown and HTML renderers (:mod:`leaderboard.formats`) show the same analysis as text;
this module gives it as plain values, each number with the run it came from, and every
comparison with the n of samples both runs scored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import leaderboard.reported as rep
from leaderboard.across_seeds import RULE
from leaderboard.analysis import Analysis
from leaderboard.cells import column_labels
from leaderboard.comparisons import COMPARED_WITH, Comparison
from leaderboard.generalisation import build_generalisation
from leaderboard.keys import EvalKey, natural_key
from leaderboard.plots import PLOTS_DIR, Plot
from leaderboard.runs import RUN_COLUMNS, Run, run_fields
from leaderboard.seeds import SeedAnalysis, SeedCell, SeedComparison, build_seeds, t_interval


def finished_range(runs: Sequence[Run]) -> tuple[str | None, str | None]:
    finished = sorted(r.manifest.finished for r in runs if r.manifest.finished)
    return (finished[0], finished[-1]) if finished else (None, None)


def _num(x: float | None, digits: int = 6) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


def _col(c: EvalKey) -> dict[str, Any]:
    return {
        "task": c.task,
        "task_version": c.version,
        "source": c.source,
        "split": c.split,
        "data": c.data,
        "data_seed": c.data_seed,
    }


def _numbers(run: Run) -> dict[str, Any]:
    """A run's strict accuracy: k of n, with its Wilson interval."""
    acc = run.accuracy
    return {
        "k": acc.k,
        "n": acc.n,
        "accuracy": _num(acc.value),
        "low": _num(acc.low),
        "high": _num(acc.high),
    }


def _acc(run: Run) -> dict[str, Any]:
    return {"run": run.ref, "run_id": run.run_id, **_numbers(run)}


def _points(c: Comparison) -> float | None:  # the change in points on the shared samples
    a, b = c.accuracy, c.baseline_accuracy
    return None if a is None or b is None else _num(100 * (a - b), 4)


def _comp(c: Comparison | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {
        "baseline_run": c.baseline,
        "relative_percent": _num(c.relative, 4),
        "difference_points": _points(c),
        "p_value": _num(c.p_value, 8),
        "n_shared": c.n_shared,
        "accuracy_shared": _num(c.accuracy),
        "baseline_accuracy_shared": _num(c.baseline_accuracy),
        "why_not": c.why_not,
        "significant": c.significant,
        "diff_low": _num(c.diff_low),
        "diff_high": _num(c.diff_high),
    }


def _run_data(run: Run) -> dict[str, Any]:
    """A run's keys (:func:`~leaderboard.runs.run_fields`), its numbers and its provenance."""
    m = run.manifest
    fields = run_fields(run)
    if fields["train_seed"] is None:  # only a seeded run says its seed
        del fields["train_seed"]
    return {
        **fields,
        "model_name": m.model.name,
        **_numbers(run),
        "lenient_accuracy": _num(run.lenient_accuracy.value),
        "format_rate": _num(run.format_rate.value),
        "truncated_rate": run.truncation.truncated_share,
        "think_open_rate": run.truncation.think_open_share,
        "budget_p95": run.truncation.budget_p95,
        "overlap": run.overlap,
        "excluded": run.excluded,
        "status": m.status,
        "started": m.started,
        "finished": m.finished,
        "superseded_by": run.superseded_by,
        "generation": m.generation,
        "backend": m.backend,
        "packages": dict(sorted(m.packages.items())),
        "git_revision": m.git_revision,
    }


def _pooled_cell(cell: SeedCell) -> dict[str, Any]:
    pooled = cell.pooled
    if pooled is None:
        return {"n_questions": 0, "two_level_low": None, "two_level_high": None}
    return {
        "n_questions": pooled.n_questions,
        "two_level_low": _num(pooled.two_level.low),
        "two_level_high": _num(pooled.two_level.high),
    }


def _pooled_pairs(comp: SeedComparison) -> dict[str, Any]:
    """The across-seed numbers of a comparison (fractions, not points), see
    :mod:`leaderboard.across_seeds`; None where no sample every run scored."""
    pooled = comp.pooled
    if pooled is None:
        return {"n_questions": 0, **dict.fromkeys((
            "n_samples", "mean_difference", "difference_low", "difference_high",
            "two_level_low", "two_level_high", "cmh_better", "cmh_worse", "cmh_statistic",
            "cmh_p", "cmh_exact"))}
    _, low, high = t_interval(list(pooled.seed_means))
    cmh = pooled.cmh
    return {
        "n_questions": pooled.n_questions,
        "n_samples": pooled.n_samples,
        "mean_difference": _num(pooled.mean),
        "difference_low": _num(low),  # t interval over the seeds' differences
        "difference_high": _num(high),
        "two_level_low": _num(pooled.two_level.low),  # seeds and questions resampled
        "two_level_high": _num(pooled.two_level.high),
        "cmh_better": list(cmh.better),  # per seed, in the order of "seeds"
        "cmh_worse": list(cmh.worse),
        "cmh_statistic": _num(cmh.statistic),
        "cmh_p": _num(cmh.p_value, 8),
        "cmh_exact": cmh.exact,
    }


def seeds_data(sa: SeedAnalysis, labels: dict[EvalKey, str]) -> dict[str, Any]:
    """Across-seed cells and comparisons (see :mod:`leaderboard.seeds`)."""
    cells = []
    for cell in sa.cells:
        mean, low, high = cell.interval
        cells.append({
            "model": cell.model.display,
            "base_model": cell.model.base,
            "method": cell.model.method,
            "variant": cell.model.variant,
            "train_task": cell.train_task,
            "column": labels[cell.column],
            "mean": _num(mean),
            "low": _num(low),
            "high": _num(high),
            **_pooled_cell(cell),
            "seeds": [{"train_seed": r.train_seed, **_acc(r)} for r in cell.runs],
        })
    comparisons = []
    for comp in sa.comparisons:
        comparisons.append({
            "model": comp.cell.model.display,
            "method": comp.cell.model.method,
            "train_task": comp.cell.train_task,
            "column": labels[comp.cell.column],
            "against": comp.against,
            "seeds": [{"train_seed": seed, **(_comp(c) or {})} for seed, c in comp.pairs],
            **_pooled_pairs(comp),
            "better": comp.better,
            "worse": comp.worse,
            "mcnemar_significant_better": comp.significant_better,
            "mcnemar_significant_worse": comp.significant_worse,
            "mcnemar_every_seed": comp.unanimous,  # the old rule: shown, decides nothing
            "sign_test_p": _num(comp.sign_p, 8),
            "supported": comp.supported,
            "direction": comp.direction,
        })
    return {"supported_rule": RULE, "cells": cells, "comparisons": comparisons}


def benchmark_metrics_data(an: Analysis, labels: dict[EvalKey, str]) -> dict[str, Any]:
    """The battery benchmarks' own metrics (:mod:`leaderboard.generalisation`) by column and
    run; no key at all on boards without battery columns (their JSON stays as it was)."""
    g = build_generalisation(an)
    if not g.breakdowns:
        return {}
    return {"benchmark_metrics": {
        labels[column]: {
            row.run.ref: {"label": row.label,
                          "metrics": {m.name: {"k": m.k, "n": m.n} for m in row.metrics}}
            for row in rows}
        for column, rows in g.breakdowns.items()}}


def board_data(an: Analysis, title: str, plots: Sequence[Plot]) -> dict[str, Any]:
    """The board as JSON-ready data: every table, with the run behind each number."""
    coll = an.collection
    labels = column_labels(coll.columns)
    t1 = an.table1
    table1_rows = []
    for row in t1.rows:
        cells = {}
        for column, run in row.cells.items():
            cells[labels[column]] = {
                **_acc(run),
                "best": column in row.best,
                "strongest_baseline": column in row.strongest_baseline,
                "vs": {k: _comp(v) for k, v in sorted(row.comparisons.get(column, {}).items())},
            }
        table1_rows.append(
            {
                "model": row.model.display,
                "base_model": row.model.base,
                "method": row.model.method,
                "variant": row.model.variant,
                **({"train_seed": row.model.train_seed}
                   if row.model.train_seed is not None else {}),
                **({"sweep": dict(row.model.sweep)} if row.model.sweep else {}),
                "cells": dict(sorted(cells.items())),
            }
        )
    cross = []
    for ct in an.cross:
        cross.append(
            {
                "model": ct.model.display,
                "base_model": ct.model.base,
                "method": ct.model.method,
                "variant": ct.model.variant,
                "cells": [
                    {"train_task": t, "column": labels[c], **_acc(run)}
                    for (t, c), run in sorted(
                        ct.cells.items(),
                        key=lambda kv: (natural_key(kv[0][0]), kv[0][1].sort_key()),
                    )
                ],
                "base": [{"column": labels[c], **_acc(r)} for c, r in ct.base_cells.items()],
                "pairs": [
                    {
                        "train_task": e.train_task,
                        "column": labels[e.column],
                        "run": e.run.ref,
                        "base_run": e.base.ref if e.base else None,
                        "sft_run": e.sft.ref if e.sft else None,
                        "vs_base": _comp(e.vs_base),
                        "vs_sft": _comp(e.vs_sft),
                    }
                    for e in ct.entries
                ],
            }
        )
    breakdowns = []
    for bd in an.breakdowns:
        breakdowns.append(
            {
                "column": labels[bd.column],
                "labels": bd.labels,
                "runs": {
                    run.ref: {
                        label: dict(zip(("k", "n"), bd.counts[(run.ref, label)], strict=True))
                        for label in bd.labels
                        if (run.ref, label) in bd.counts
                    }
                    for _, run in bd.runs
                },
            }
        )
    steps = [
        {
            "base_model": p.base,
            "column": labels[p.column],
            "base_run": _acc(p.base_run) if p.base_run else None,
            "curves": [
                {
                    "model": c.model.display,
                    "method": c.model.method,
                    "points": [{"step": r.step, **_acc(r)} for r in c.runs],
                }
                for c in p.curves
            ],
        }
        for p in an.steps
    ]
    reported = [
        {
            "model": r.model,
            "method": r.method,
            "task": r.task,
            "split": r.split,
            "train_task": r.train_task,
            "accuracy": r.accuracy,
            "where": r.where,
            "approx": r.approx,
            "rel_vs_base": r.rel_vs_base,
            "rel_vs_sft": r.rel_vs_sft,
        }
        for r in [*t1.reported, *(x for ct in an.cross for e in ct.entries for x in e.reported)]
    ]
    first, last = finished_range(coll.runs)
    sa = build_seeds(coll)
    seeds = {"seeds": seeds_data(sa, labels)} if sa else {}  # boards without seeds: as before
    return {
        **seeds,
        **benchmark_metrics_data(an, labels),
        "title": title,
        "schema": 1,
        "finished_between": [first, last],
        "columns": [
            {"column": labels[c], **_col(c), "paper_numbers": rep.matches(c)} for c in coll.columns
        ],
        "table1": {"proposed": list(t1.proposed), "rows": table1_rows},
        "reported": reported,
        "cross_task": cross,
        "breakdowns": breakdowns,
        "steps": steps,
        "training_logs": [
            {
                "model": log.model.display,
                "base_model": log.model.base,
                "method": log.model.method,
                "train_task": log.train_task,
                "path": log.path,
                "runs": list(log.refs),
                "entries": len(log.history),
            }
            for log in coll.logs
        ],
        "runs": [_run_data(r) for r in coll.runs],
        "skipped": [
            {"run_id": x.run_id, "path": x.path, "status": x.status, "reason": x.reason,
             "refused": x.refused}
            for x in coll.skipped
        ],
        "table1_marks": [
            {
                "base_model": n.base,
                "column": labels[n.column],
                "n_shared": n.n_shared,
                "rows": n.n_rows,
            }
            for n in t1.mark_notes
        ],
        "plots": [f"{PLOTS_DIR}/{p.name}" for p in plots],
    }


CSV_COLUMNS = (
    "section",
    "row",
    "column",
    "breakdown",
    *(c for c in RUN_COLUMNS if c != "path"),  # the run's keys; its path comes last
    "k",
    "n",
    "accuracy",
    "low",
    "high",
    *(f"{kind}vs_{against}" for against in COMPARED_WITH for kind in ("", "pts_", "p_", "n_")),
    "best",
    "strongest_baseline",
    "path",
    "status",
    "finished",
)


def _csv_run(run: Run) -> dict[str, Any]:
    return {
        **run_fields(run),
        **_numbers(run),
        "status": run.manifest.status,
        "finished": run.manifest.finished,
    }


def _csv_comps(comps: dict[str, Comparison | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for against, c in comps.items():
        if c is not None:
            out[f"vs_{against}"] = _num(c.relative, 4)
            out[f"pts_vs_{against}"] = _points(c)
            out[f"p_vs_{against}"] = _num(c.p_value, 8)
            out[f"n_vs_{against}"] = c.n_shared
    return out


def board_rows(an: Analysis) -> list[dict[str, Any]]:
    """The board as CSV rows (see :data:`CSV_COLUMNS`), one per cell, breakdown and run."""
    labels = column_labels(an.collection.columns)
    rows: list[dict[str, Any]] = []
    for row in an.table1.rows:
        for column in an.table1.columns:
            run = row.cells.get(column)
            if run is None:
                continue
            rows.append(
                {
                    **_csv_run(run),
                    "section": "table1",
                    "row": row.model.display,
                    "column": labels[column],
                    "best": column in row.best,
                    "strongest_baseline": column in row.strongest_baseline,
                    **_csv_comps(dict(row.comparisons.get(column, {}))),
                }
            )
    for ct in an.cross:
        for e in ct.entries:
            rows.append(
                {
                    **_csv_run(e.run),
                    "section": "cross-task",
                    "row": f"{ct.model.display} ({e.train_task})",
                    "column": labels[e.column],
                    **_csv_comps({"base": e.vs_base, "sft": e.vs_sft}),
                }
            )
    for bd in an.breakdowns:
        for model, run in bd.runs:
            for label in bd.labels:
                k, n = bd.counts.get((run.ref, label), (0, 0))
                if not n:
                    continue
                rows.append(
                    {
                        **_csv_run(run),
                        "section": "breakdown",
                        "row": model.display,
                        "column": labels[bd.column],
                        "breakdown": label,
                        "k": k,
                        "n": n,
                        "accuracy": _num(k / n),
                        "low": None,
                        "high": None,
                    }
                )
    for run in an.collection.runs:
        rows.append(
            {
                **_csv_run(run),
                "section": "run",
                "row": run.model.display,
                "column": labels.get(run.column, ""),
            }
        )
    return rows


