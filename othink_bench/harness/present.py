"""The end-of-run table of :func:`~othink_bench.harness.evaluate`'s summaries, and their JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from othink_bench.harness.settings import RunSummary
from othink_bench.metrics import error_summary, pct, pct_ci
from othink_bench.truncation import rate_text, truncation_warning

SUMMARY_HEADERS = [
    "task",
    "n",
    "accuracy % [95% CI]",
    "lenient %",
    "format %",
    "cut off %",
    "think open %",
    "errors",
    "samples/s",
    "status",
]


def summary_rows(summaries: Sequence[RunSummary]) -> list[list[Any]]:
    rows = []
    for s in summaries:
        m = s.metrics
        n = f"{m.scored}" if m.k == 1 else f"{m.scored} ({m.n_samples}x{m.k})"
        rows.append(
            [
                f"{s.task} v{s.task_version}",
                n,
                pct_ci(m.accuracy),
                pct(m.lenient),
                pct(m.format_rate),
                rate_text(m.truncation.truncated, m.truncation.known),
                rate_text(m.truncation.think_open, m.truncation.with_text),
                error_summary(m),
                f"{s.samples_per_s:.2f}" if s.samples_per_s else "-",
                f"{s.status}, DEGENERATE" if m.is_degenerate else s.status,
            ]
        )
    return rows


def format_breakdown(summary: RunSummary) -> str:
    """Accuracy per breakdown label (counting: true count; geometry: answer form)."""
    from tabulate import tabulate

    rows = [[label, p.n, pct_ci(p)] for label, p in summary.metrics.by_breakdown.items()]
    return f"{summary.task} by breakdown\n" + tabulate(
        rows, headers=["breakdown", "n", "accuracy % [95% CI]"], disable_numparse=True
    )


def format_summary(summaries: Sequence[RunSummary], breakdown: bool = False) -> str:
    """The end-of-run table (optionally per-breakdown tables), then each run directory."""
    from tabulate import tabulate

    table = tabulate(summary_rows(summaries), headers=SUMMARY_HEADERS, disable_numparse=True)
    lines = [table, ""]
    if breakdown:
        for s in summaries:
            if s.metrics.by_breakdown:
                lines += [format_breakdown(s), ""]
    for s in summaries:
        if s.metrics.is_degenerate:
            lines.append(degenerate_warning(s.task, s.metrics.degenerate, s.metrics.n
                                            - s.metrics.errors))
    for s in summaries:
        warning = truncation_warning(s.task, s.metrics.truncation)
        if warning:
            lines.append(warning)
        if s.metrics.profiles:
            said = ", ".join(f"{name} {pct_ci(p)}" for name, p in s.metrics.profiles.items())
            lines.append(f"{s.task}: accuracy % under scoring profiles (beside strict): {said}")
    for s in summaries:
        resumed = f", {s.n_resumed} resumed" if s.n_resumed else ""
        lines.append(f"{s.task}: {s.run_dir}  ({s.n_new} new{resumed})")
    return "\n".join(lines)


def degenerate_warning(task: str, degenerate: int, outputs: int) -> str:
    """The line under the run table for a run whose outputs are degenerate."""
    return (f"warning: {task}: {degenerate} of {outputs} outputs are empty or one character or "
            "token repeated (e.g. '!!!!!!!!'): the model is broken (non-finite weights, a wrong "
            "tokenizer or chat template?), so its accuracy says nothing about the method")


def summary_json(s: RunSummary) -> dict[str, Any]:
    """One summary as ``othink-bench run --json`` prints it."""
    return {
        "run_id": s.run_id,
        "run_dir": str(s.run_dir),
        "task": s.task,
        "task_version": s.task_version,
        "model": s.model.model_dump(),
        "status": s.status,
        "n_new": s.n_new,
        "n_resumed": s.n_resumed,
        "elapsed_s": s.elapsed_s,
        "samples_per_s": s.samples_per_s,
        "settings": s.settings,
        "metrics": s.metrics.as_dict(),
    }
