"""Build a board from run directories and render it as markdown, HTML, CSV or JSON.

A board is a pure function of the records and manifests it was built from: there is no clock
in it (dates come from the manifests), every collection is sorted before it is shown, and the
plots are byte-stable, so building twice gives the same files byte for byte and a published
board only changes when its runs do. Each board says what it was built from: the task versions,
sources and splits of its columns, the run behind every cell, the runs' dates, package versions,
git revisions and generation settings.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leaderboard import reported as rep
from leaderboard.collect import (
    Collection,
    TrainingLog,
    collect,
    method_name,
    natural_key,
    short_model_name,
    slugify,
)
from leaderboard.export import CSV_COLUMNS, board_data, board_rows, finished_range
from leaderboard.plots import PLOTS_DIR, Plot, board_plots
from leaderboard.seeds import CONVENTION as SEEDS_CONVENTION
from leaderboard.seeds import build_seeds, seed_cells_display, seed_comparisons_display
from leaderboard.tables import (
    DEFAULT_PROPOSED,
    EMPTY,
    NOT_FINISHED,
    SIGNIFICANT,
    Analysis,
    DisplayCell,
    DisplayTable,
    analyse,
    breakdown_display,
    column_labels,
    cross_changes_display,
    cross_matrix_display,
    fmt_pct,
    steps_display,
    table1_display,
)

DEFAULT_TITLE = "othink-bench leaderboard"
FORMATS: dict[str, str] = {
    "md": "README.md",
    "html": "board.html",
    "csv": "board.csv",
    "json": "board.json",
}


# -- board blocks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str  # a small markdown subset: `code`, **bold**, *italic*, [text](#anchor)


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class TableBlock:
    table: DisplayTable
    row_ids: tuple[str, ...] = ()  # HTML anchors for the rows (the runs table)


@dataclass(frozen=True)
class Image:
    path: str  # relative to the board's folder
    alt: str


Block = Heading | Paragraph | Bullets | TableBlock | Image


@dataclass
class Board:
    """A renderer-agnostic board: blocks for md/HTML, data for JSON, rows for CSV, plots."""

    title: str
    blocks: list[Block]
    data: dict[str, Any]
    rows: list[dict[str, Any]]
    plots: list[Plot] = field(default_factory=list)


# -- building ----------------------------------------------------------------------------------


def build_board(
    paths: Sequence[str | Path],
    *,
    title: str = DEFAULT_TITLE,
    root: str | Path | None = None,
    plots: bool = True,
    proposed: Sequence[str] = DEFAULT_PROPOSED,
) -> Board:
    """Build a board from run directories or folders holding them (e.g. ``runs/``).

    ``root`` is where the paths the board shows start (default: the folder above the inputs);
    ``proposed`` are the methods under study (not baselines, so never underlined).
    """
    coll = collect(paths, root=root)
    if not coll.runs and coll.skipped:
        reasons = "; ".join(f"{x.path}: {x.reason}" for x in coll.skipped[:5])
        raise ValueError(f"no run scored a sample, so there is nothing to show ({reasons})")
    if not coll.runs:
        raise ValueError(f"no run directories (manifest.json) under {', '.join(map(str, paths))}")
    return board_from_collection(coll, title=title, plots=plots, proposed=tuple(proposed))


def board_from_collection(
    coll: Collection,
    *,
    title: str = DEFAULT_TITLE,
    plots: bool = True,
    proposed: tuple[str, ...] = DEFAULT_PROPOSED,
) -> Board:
    analysis = analyse(coll, proposed)
    figures = board_plots(analysis) if plots else []
    blocks = _blocks(analysis, title, {p.name: p for p in figures})
    return Board(
        title=title,
        blocks=blocks,
        data=board_data(analysis, title, figures),
        rows=board_rows(analysis),
        plots=figures,
    )


def compress_refs(refs: Sequence[str]) -> str:
    """``r1, r2, r3, r5`` -> ``r1–r3, r5``."""
    nums = sorted({int(r[1:]) for r in refs if r[1:].isdigit()})
    parts: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(f"r{nums[i]}" if i == j else f"r{nums[i]}–r{nums[j]}")
        i = j + 1
    return ", ".join(parts)


def _proposed_names(proposed: tuple[str, ...]) -> str:
    return ", ".join(method_name(m) for m in proposed) or "none"


def _blocks(an: Analysis, title: str, plots: dict[str, Plot]) -> list[Block]:
    coll = an.collection
    runs = coll.runs
    n_records = sum(len(r.records) for r in runs)
    first, last = finished_range(runs)
    when = (
        f" that finished between {first} and {last}"
        if first and first != last
        else f" that finished {first}"
        if first
        else ""
    )
    blocks: list[Block] = [Heading(1, title)]
    blocks.append(
        Paragraph(
            f"Built by `othink-bench leaderboard` from {len(runs)} runs ({n_records} scored "
            f"samples){when}. Every number is computed from the runs' records; nothing is typed "
            "in except the rows marked *reported (paper)*. Each cell names the run it came from "
            "([rN](#runs)); the [Runs](#runs) table gives its id, path, task version, source "
            "and date."
        )
    )
    conventions = [
        "Accuracy is strict (the task's verifier on the last `<answer>` block), in percent, "
        "with its 95% Wilson interval and n, the number of scored samples.",
        "Relative improvement of a over b is (a − b) / b, as in the paper, computed on the "
        "samples both runs scored (same sample id and draw), whose number follows in "
        f"parentheses; {SIGNIFICANT} marks p < 0.05 in an exact McNemar test on those samples. "
        "n/a says why there is no number (no shared samples, or the baseline is 0 on them).",
        "Trained models are shown at their last evaluated checkpoint; Accuracy vs training step "
        "shows every checkpoint.",
    ]
    if any(r.seed_row is not None for r in runs):
        conventions.append(SEEDS_CONVENTION)
    if any(not r.done for r in runs):
        conventions.append(f"{NOT_FINISHED} marks a run that had not finished (status in Runs).")
    if coll.skipped:
        conventions.append(
            f"{len(coll.skipped)} runs scored no sample or their model produced no output; "
            "they fill no cell and are listed under [Skipped runs](#skipped-runs)."
        )
    superseded = coll.superseded
    if superseded:
        conventions.append(
            f"{len(superseded)} runs repeat a cell of another run and are listed in Runs but not "
            "shown (the finished, latest, largest run of a cell is shown)."
        )
    blocks.append(Bullets(tuple(conventions)))

    blocks += _columns_blocks(an)
    blocks += _table1_blocks(an)
    blocks += _seed_blocks(an)
    blocks += _cross_blocks(an, plots)
    blocks += _breakdown_blocks(an)
    blocks += _step_blocks(an, plots)
    blocks += _training_blocks(coll.logs, plots)
    blocks += _runs_blocks(coll)
    blocks += _skipped_blocks(coll)
    blocks += _environment_blocks(coll)
    return blocks


def _columns_blocks(an: Analysis) -> list[Block]:
    coll = an.collection
    columns = coll.columns
    labels = column_labels(columns)
    rows = []
    for c in columns:
        runs = [r for k, r in coll.cells.items() if k.column == c]
        ns = sorted({r.accuracy.n for r in runs})
        rows.append(
            [
                DisplayCell(labels[c]),
                DisplayCell(f"`{c.task}`"),
                DisplayCell(c.version),
                DisplayCell(c.source),
                DisplayCell(c.split),
                DisplayCell(f"`{c.data}`" if c.data else "—"),
                DisplayCell("—" if c.data_seed is None else str(c.data_seed)),
                DisplayCell(str(len(runs))),
                DisplayCell(", ".join(map(str, ns))),
                DisplayCell("yes" if rep.matches(c) else "no"),
            ]
        )
    header = [
        "column", "task", "version", "source", "split", "data", "data seed", "runs", "n",
        "paper numbers",
    ]  # fmt: skip
    return [
        Heading(2, "Evaluation columns"),
        Paragraph(
            "A column is one test set: records of different task versions, sources, splits, "
            "data files or data seeds (the seed a procedural task generates its samples from, "
            "read from the records' sample ids) are never pooled. These are the ones this "
            "board was built from; n lists the runs' numbers of scored samples."
        ),
        TableBlock(DisplayTable(header, rows, ["l"] * 6 + ["r", "r", "r", "l"])),
    ]


def _table1_blocks(an: Analysis) -> list[Block]:
    t1 = an.table1
    proposed = _proposed_names(t1.proposed)
    blocks: list[Block] = [
        Heading(2, "Same-task results (Table 1)"),
        Paragraph(
            "Rows are models and methods, columns are evaluation tasks; a trained model is "
            "evaluated on the task it was trained on. Within each base model, **bold** is the "
            f"best in its column and <u>underlined</u> the strongest baseline (every method "
            f"but {proposed}). The vs columns give the relative improvement over the base "
            "model, SFT and GRPO of the same base model."
        ),
        TableBlock(table1_display(t1)),
    ]
    labels = column_labels(t1.columns)
    notes = []
    for note in t1.mark_notes:
        where = f"{labels[note.column]} ({short_model_name(note.base)})"
        if note.n_shared:
            notes.append(
                f"{where}: the {note.n_rows} rows scored different samples; bold and underline "
                f"compare them on the {note.n_shared} samples all of them scored."
            )
        else:
            notes.append(
                f"{where}: the {note.n_rows} rows share no scored sample, so no cell is marked."
            )
    if notes:
        blocks.append(Bullets(tuple(notes)))
    if t1.reported:
        blocks.append(
            Paragraph(
                "*reported (paper)* rows are the OThink-MR1 paper's numbers (Table 1, "
                "Qwen2-VL-2B/7B-Instruct), shown only in columns of the paper's tasks "
                f"({', '.join(f'`{t}`' for t in rep.PAPER_TASKS)}) on the test split of the "
                "paper's data. They were not measured here and take no part in marks or tests."
            )
        )
    else:
        blocks.append(
            Paragraph(
                "No column is one of the paper's tasks "
                f"({', '.join(f'`{t}`' for t in rep.PAPER_TASKS)}) on the test split of the "
                "paper's data, so the paper's reported numbers are not shown."
            )
        )
    return blocks


def _seed_blocks(an: Analysis) -> list[Block]:
    """Across training seeds: only on a board with a model trained with two or more seeds."""
    sa = build_seeds(an.collection)
    if not sa:
        return []
    columns = an.collection.columns
    blocks: list[Block] = [
        Heading(2, "Across training seeds"),
        Paragraph(
            "Each (model, train task, eval task) trained with several seeds: the mean of the "
            "seeds' accuracies with a 95% Student-t interval over seeds, and every seed's value "
            "(n) and run. Same-task and cross-task cells alike; a seed's run is its last "
            "evaluated checkpoint."
        ),
        TableBlock(seed_cells_display(sa, columns)),
    ]
    if sa.comparisons:
        blocks += [
            Paragraph(
                "Method differences seed by seed: each seed against the same seed of the "
                "baseline (the untrained base model has one run for all seeds), relative change "
                f"on the shared samples with {SIGNIFICANT} for McNemar p < 0.05; the mean "
                "paired difference in accuracy points with its t interval over seeds; how many "
                "seeds are better and worse; the two-sided sign test over seeds. **Supported** "
                "needs a significant McNemar test in the same direction on every seed."
            ),
            TableBlock(seed_comparisons_display(sa, columns)),
        ]
    return blocks


def _cross_blocks(an: Analysis, plots: dict[str, Plot]) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Cross-task results")]
    if not an.cross:
        blocks.append(Paragraph("No trained model was evaluated on a task it was not trained on."))
        return blocks
    blocks.append(
        Paragraph(
            "For each trained model: train task (rows) by evaluation task (columns), with the "
            "untrained base model on top; the diagonal is same-task. Below each matrix, the "
            "cross-task pairs with the relative changes the paper reports (vs base, vs SFT)."
        )
    )
    for base in an.collection.bases:
        name = f"cross-task-{_slug(base)}.png"
        if name in plots:
            blocks.append(Image(f"{PLOTS_DIR}/{name}", plots[name].title))
    for ct in an.cross:
        blocks.append(Heading(3, f"{ct.model.display} ({short_model_name(ct.model.base)})"))
        blocks.append(TableBlock(cross_matrix_display(ct)))
        if ct.entries:
            blocks.append(TableBlock(cross_changes_display(ct)))
    return blocks


def _slug(base: str) -> str:
    return slugify(short_model_name(base))


def _breakdown_blocks(an: Analysis) -> list[Block]:
    if not an.breakdowns:
        return []
    labels = column_labels(an.table1.columns)
    blocks: list[Block] = [
        Heading(2, "Per-task breakdowns"),
        Paragraph(
            "Accuracy (correct/n) of the Table 1 runs by the task's breakdown label (counting: "
            "the true count; geometry: the form of the answer)."
        ),
    ]
    for bd in an.breakdowns:
        blocks.append(Heading(3, labels[bd.column]))
        blocks.append(TableBlock(breakdown_display(bd)))
    return blocks


def _step_blocks(an: Analysis, plots: dict[str, Plot]) -> list[Block]:
    if not an.steps:
        return []
    labels = column_labels(an.collection.columns)
    blocks: list[Block] = [
        Heading(2, "Accuracy vs training step"),
        Paragraph(
            "Each evaluated checkpoint on the task it was trained on (the paper's Figure 1); "
            "the untrained base model is the dashed line."
        ),
    ]
    for panel in an.steps:
        blocks.append(Heading(3, f"{short_model_name(panel.base)}: {labels[panel.column]}"))
        name = f"steps-{_slug(panel.base)}-{panel.column.slug}.png"
        if name in plots:
            blocks.append(Image(f"{PLOTS_DIR}/{name}", plots[name].title))
        blocks.append(TableBlock(steps_display(panel)))
    return blocks


def _fmt_num(x: float) -> str:
    return f"{x:.4g}"


def _training_blocks(logs: Sequence[TrainingLog], plots: dict[str, Plot]) -> list[Block]:
    blocks: list[Block] = [Heading(2, "Training logs")]
    if not logs:
        blocks.append(
            Paragraph(
                "No trainer logs (`trainer_state.json`) were found next to the evaluated "
                "checkpoints, so there are no reward or beta curves."
            )
        )
        return blocks
    rows = []
    for log in logs:
        steps, rewards = log.series("reward")
        _, betas = log.series("beta")
        last_step = max(
            (float(e["step"]) for e in log.history if _isnum(e.get("step"))), default=None
        )
        rows.append(
            [
                DisplayCell(f"{log.model.display} ({short_model_name(log.model.base)})"),
                DisplayCell(log.train_task or "—"),
                DisplayCell(f"`{log.path}`"),
                DisplayCell(compress_refs(log.refs) or "—"),
                DisplayCell(_fmt_num(last_step) if last_step is not None else "—"),
                DisplayCell(
                    f"{_fmt_num(rewards[0])} → {_fmt_num(rewards[-1])}" if rewards else "—"
                ),
                DisplayCell(f"{_fmt_num(betas[0])} → {_fmt_num(betas[-1])}" if betas else "—"),
            ]
        )
    header = ["training", "train task", "trainer log", "runs", "last step", "reward", "beta"]
    blocks.append(
        Paragraph(
            "TRL log histories found next to the evaluated checkpoints (the longest one per "
            "training); first → last logged value."
        )
    )
    blocks.append(TableBlock(DisplayTable(header, rows, ["l"] * 4 + ["r"] * 3)))
    for name in ("beta-schedule.png", "rewards.png"):
        if name in plots:
            blocks.append(Image(f"{PLOTS_DIR}/{name}", plots[name].title))
    return blocks


def _isnum(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _runs_blocks(coll: Collection) -> list[Block]:
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
        "status",
        "finished",
    ]
    rows = []
    for run in coll.runs:
        m = run.manifest
        model = run.model
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
                DisplayCell(status),
                DisplayCell(m.finished or "—"),
            ]
        )
    align = ["l"] * 11 + ["r"] * 5 + ["l", "l"]
    return [
        Heading(2, "Runs"),
        Paragraph(
            "Every run the board was built from. strict, lenient and format are percentages of "
            "the n scored samples (lenient falls back to the last number when the `<answer>` "
            "tag is missing; format is the `<think>`/`<answer>` layout); excluded counts "
            "samples left out for a data error (unverifiable gold answer or unreadable image)."
        ),
        TableBlock(DisplayTable(header, rows, align), tuple(r.ref for r in coll.runs)),
    ]


def _skipped_blocks(coll: Collection) -> list[Block]:
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
            "Run folders that scored no sample, or whose model produced no output at all: they "
            "fill no cell, take no part in marks or comparisons, and never bring in the "
            "paper's reported rows."
        ),
        TableBlock(DisplayTable(["run id", "path", "status", "why skipped"], rows)),
    ]


def _group_refs(values: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(v, compress_refs(refs)) for v, refs in sorted(values.items(), key=lambda kv: kv[0])]


def _environment_blocks(coll: Collection) -> list[Block]:
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


# -- renderers ---------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def md_cell(cell: DisplayCell) -> str:
    main = _md_escape(cell.main)
    if main and cell.underline:
        main = f"<u>{main}</u>"
    if main and cell.bold:
        main = f"**{main}**"
    if main and cell.italic:
        main = f"*{main}*"
    ref = f" [{cell.ref}](#runs)" if cell.ref else ""
    return f"{main}{_md_escape(cell.rest)}{ref}"


def md_table(table: DisplayTable) -> str:
    align = table.align or ["l"] * len(table.header)
    lines = [
        "| " + " | ".join(_md_escape(h) for h in table.header) + " |",
        "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|",
    ]
    for row in table.rows:
        lines.append("| " + " | ".join(md_cell(c) for c in row) + " |")
    return "\n".join(lines)


def render_markdown(board: Board) -> str:
    parts: list[str] = []
    for block in board.blocks:
        if isinstance(block, Heading):
            parts.append(f"{'#' * block.level} {block.text}")
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, TableBlock):
            parts.append(md_table(block.table))
        elif isinstance(block, Image):
            parts.append(f"![{block.alt}]({block.path})")
    return "\n\n".join(parts) + "\n"


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


_INLINE = re.compile(
    r"`(?P<code>[^`]+)`|\*\*(?P<bold>[^*]+)\*\*|\*(?P<italic>[^*]+)\*"
    r"|\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)|<u>(?P<u>[^<]+)</u>"
)


def inline_html(text: str) -> str:
    """The small markdown subset board paragraphs use, as HTML."""
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        out.append(_esc(text[pos : m.start()]))
        if m.group("code") is not None:
            out.append(f"<code>{_esc(m.group('code'))}</code>")
        elif m.group("bold") is not None:
            out.append(f"<b>{_esc(m.group('bold'))}</b>")
        elif m.group("italic") is not None:
            out.append(f"<i>{_esc(m.group('italic'))}</i>")
        elif m.group("text") is not None:
            out.append(f'<a href="{html.escape(m.group("href"))}">{_esc(m.group("text"))}</a>')
        else:
            out.append(f"<u>{_esc(m.group('u'))}</u>")
        pos = m.end()
    out.append(_esc(text[pos:]))
    return "".join(out)


def html_cell(cell: DisplayCell) -> str:
    main = inline_html(cell.main)
    if main and cell.underline:
        main = f"<u>{main}</u>"
    if main and cell.bold:
        main = f"<b>{main}</b>"
    if main and cell.italic:
        main = f"<i>{main}</i>"
    ref = f' <a href="#{cell.ref}">{cell.ref}</a>' if cell.ref else ""
    return f"{main}{_esc(cell.rest)}{ref}"


def html_anchor(text: str) -> str:
    """GitHub-style heading anchors, so [Runs](#runs) works in both formats."""
    slug = re.sub(r"[^\w\- ]", "", text.lower()).strip()
    return re.sub(r"\s", "-", slug)


STYLE_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.9em;}"
    "th,td{border:1px solid #ccc;padding:0.25em 0.5em;vertical-align:top;}"
    "th{background:#f4f4f4;}td.r{text-align:right;}img{max-width:100%;}"
    "code{font-size:0.9em;}"
)


def render_html(board: Board) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_esc(board.title)}</title>",
        f"<style>{STYLE_CSS}</style>",
        "</head>",
        "<body>",
    ]
    for block in board.blocks:
        if isinstance(block, Heading):
            tag = f"h{block.level}"
            parts.append(f'<{tag} id="{html_anchor(block.text)}">{_esc(block.text)}</{tag}>')
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{inline_html(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{inline_html(i)}</li>" for i in block.items)
            parts.append(f"<ul>{items}</ul>")
        elif isinstance(block, TableBlock):
            parts.append(_html_table(block))
        elif isinstance(block, Image):
            parts.append(
                f'<p><img src="{html.escape(block.path)}" alt="{html.escape(block.alt)}"></p>'
            )
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _html_table(block: TableBlock) -> str:
    table = block.table
    align = table.align or ["l"] * len(table.header)
    lines = ["<table>", "<thead><tr>"]
    lines.append("".join(f"<th>{_esc(h)}</th>" for h in table.header))
    lines.append("</tr></thead>")
    lines.append("<tbody>")
    for i, row in enumerate(table.rows):
        rid = f' id="{html.escape(block.row_ids[i])}"' if i < len(block.row_ids) else ""
        cells = "".join(
            (f'<td class="r">{html_cell(c)}</td>' if a == "r" else f"<td>{html_cell(c)}</td>")
            for c, a in zip(row, align, strict=False)
        )
        lines.append(f"<tr{rid}>{cells}</tr>")
    lines.append("</tbody>")
    lines.append("</table>")
    return "\n".join(lines)


def render_csv(board: Board) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in board.rows:
        writer.writerow({k: _csv_value(row.get(k)) for k in CSV_COLUMNS})
    return buf.getvalue()


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def render_json(board: Board) -> str:
    return json.dumps(board.data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


RENDERERS = {"md": render_markdown, "html": render_html, "csv": render_csv, "json": render_json}


def write_board(board: Board, out: str | Path, formats: Sequence[str] = ("md",)) -> list[Path]:
    """Write the board's files (README.md, board.html, board.csv, board.json) and plots/*.png."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in dict.fromkeys(formats):
        if fmt not in RENDERERS:
            raise ValueError(f"unknown board format {fmt!r}; choose from {', '.join(FORMATS)}")
        path = out / FORMATS[fmt]
        path.write_text(RENDERERS[fmt](board), encoding="utf-8", newline="\n")
        written.append(path)
    if board.plots:
        (out / PLOTS_DIR).mkdir(exist_ok=True)
        for plot in board.plots:
            path = out / PLOTS_DIR / plot.name
            path.write_bytes(plot.png)
            written.append(path)
    return written


__all__ = [
    "DEFAULT_TITLE",
    "EMPTY",
    "FORMATS",
    "Board",
    "board_from_collection",
    "build_board",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "write_board",
]
