"""Where a board's numbers come from: the Runs table (the rN every cell names), the skipped
runs, and the environment the runs recorded (packages, revisions, generation settings)."""

from __future__ import annotations

import json

from leaderboard.blocks import Block, Heading, Paragraph, TableBlock, compress_refs
from leaderboard.cells import DisplayCell, DisplayTable, fmt_pct
from leaderboard.collect import Collection
from leaderboard.keys import method_name, natural_key, short_model_name
from othink_bench.truncation import rate_text, truncation_warning


def runs_blocks(coll: Collection) -> list[Block]:
    """Runs: every run the board was built from, with its ref (the rN of the cells)."""
    header = [
        "ref",
        "run id",
        "path",
        "base model",
        "method",
        "train task",
        "step",
        "task",
        "version",
        "source",
        "split",
        "n",
        "excluded",
        "strict",
        "lenient",
        "format",
        "cut off",
        "think open",
        "status",
        "finished",
    ]
    rows = []
    warnings: list[str] = []
    for run in coll.runs:
        m = run.manifest
        model = run.model
        cut = run.truncation
        warning = truncation_warning(f"{run.ref} (`{run.run_id}`)", cut)
        if warning:
            warnings.append(warning.removeprefix("warning: "))
        method = method_name(model.method) + (f" ({model.variant})" if model.variant else "")
        status = m.status + (f", superseded by {run.superseded_by}" if run.superseded_by else "")
        rows.append(
            [
                DisplayCell(run.ref),
                DisplayCell(f"`{run.run_id}`"),
                DisplayCell(f"`{run.path}`"),
                DisplayCell(short_model_name(model.base)),
                DisplayCell(method),
                DisplayCell(run.train_task or "—"),
                DisplayCell("—" if run.step is None else str(run.step)),
                DisplayCell(m.task),
                DisplayCell(m.task_version),
                DisplayCell(m.source),
                DisplayCell(m.split),
                DisplayCell(str(run.accuracy.n)),
                DisplayCell(str(run.excluded)),
                DisplayCell(fmt_pct(run.accuracy.value)),
                DisplayCell(fmt_pct(run.lenient_accuracy.value)),
                DisplayCell(fmt_pct(run.format_rate.value)),
                DisplayCell(rate_text(cut.truncated, cut.known)),
                DisplayCell(rate_text(cut.think_open, cut.with_text)),
                DisplayCell(status),
                DisplayCell(m.finished or "—"),
            ]
        )
    align = ["l"] * 11 + ["r"] * 7 + ["l", "l"]
    cutoff: list[Block] = []
    if warnings:
        cutoff = [Paragraph("Runs with more than 5% of their outputs cut off at the token budget "
                            "(scored as given): " + "; ".join(warnings) + ".")]
    return [
        Heading(2, "Runs"),
        Paragraph(
            "Every run the board was built from. strict, lenient and format are percentages of "
            "the n scored samples (lenient falls back to the last number when the `<answer>` "
            "tag is missing; format is the `<think>`/`<answer>` layout); excluded counts "
            "samples left out for a data error (unverifiable gold answer or unreadable image); "
            "cut off is the percentage of outputs that reached max_new_tokens before a stop "
            "token (of those whose records say: `-` for runs recorded before the field), think "
            "open the percentage that open a `<think>` and never close it."
        ),
        TableBlock(DisplayTable(header, rows, align), tuple(r.ref for r in coll.runs)),
        *cutoff,
    ]


def skipped_blocks(coll: Collection) -> list[Block]:
    """Skipped runs: run folders that fill no cell (none when every run scored)."""
    if not coll.skipped:
        return []
    rows = [
        [DisplayCell(f"`{x.run_id}`"), DisplayCell(f"`{x.path}`"), DisplayCell(x.status),
         DisplayCell(x.reason)]
        for x in coll.skipped
    ]  # fmt: skip
    return [
        Heading(2, "Skipped runs"),
        Paragraph(
            "Run folders that scored no sample, whose model produced no output at all, or whose "
            "records do not verify (refused: the reason names the file, the line and the fix): "
            "they fill no cell, take no part in marks or comparisons, and never bring in the "
            "paper's reported rows."
        ),
        TableBlock(DisplayTable(["run id", "path", "status", "why skipped"], rows)),
    ]


def _group_refs(values: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(v, compress_refs(refs)) for v, refs in sorted(values.items(), key=lambda kv: kv[0])]


def environment_blocks(coll: Collection) -> list[Block]:
    """Environment: package versions, git revisions, backends and generation settings."""
    packages: dict[str, dict[str, list[str]]] = {}
    revisions: dict[str, list[str]] = {}
    backends: dict[str, list[str]] = {}
    generation: dict[str, list[str]] = {}
    for run in coll.runs:
        m = run.manifest
        for name, version in m.packages.items():
            packages.setdefault(name, {}).setdefault(str(version), []).append(run.ref)
        revisions.setdefault(m.git_revision or "unknown", []).append(run.ref)
        backends.setdefault(m.backend, []).append(run.ref)
        key = json.dumps(m.generation, sort_keys=True, ensure_ascii=False)
        generation.setdefault(key, []).append(run.ref)
    rows = []
    for name in sorted(packages, key=natural_key):
        for version, refs in _group_refs(packages[name]):
            rows.append([DisplayCell(name), DisplayCell(version), DisplayCell(refs)])
    for version, refs in _group_refs(revisions):
        rows.append([DisplayCell("git revision"), DisplayCell(f"`{version}`"), DisplayCell(refs)])
    for version, refs in _group_refs(backends):
        rows.append([DisplayCell("backend"), DisplayCell(version), DisplayCell(refs)])
    for settings, refs in _group_refs(generation):
        rows.append([DisplayCell("generation"), DisplayCell(f"`{settings}`"), DisplayCell(refs)])
    return [
        Heading(2, "Environment"),
        Paragraph(
            "Package versions, code revisions and generation settings, as the runs' "
            "manifests recorded them."
        ),
        TableBlock(DisplayTable(["item", "value", "runs"], rows, ["l", "l", "l"])),
    ]
