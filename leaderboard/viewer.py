"""A static HTML sample browser for run directories (``othink-bench view``).

One page per run shows every record: the sample's image and question (recovered as
:mod:`leaderboard.samples` explains), the model's output with its ``<think>`` part folded, the
extracted answer, the gold answer, the verdicts and any error, with filters for correct, wrong,
format failure and error. Two runs also get a side-by-side page on the samples both have, where
they disagree first. Pages need no server and no network: the CSS and a few lines of plain
JavaScript are inline, images are small PNG files in ``images/`` next to the pages (one file per
distinct image, named by its content hash). Model output is untrusted: every text is escaped,
and each page's Content-Security-Policy runs only the page's own script (by hash) and loads
nothing from elsewhere. The same runs give the same files byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from leaderboard.samples import Recovered, RunSamples, png_bytes, recover_samples
from othink_bench.metrics import dedupe
from othink_bench.records import Manifest, RunRecord, read_manifest

IMAGES_DIR = "images"
INDEX_FILE = "index.html"

CSS = (
    "body{font-family:system-ui,sans-serif;margin:1em 2em;color:#222;}"
    "table{border-collapse:collapse;width:100%;font-size:0.9em;}"
    "th,td{border:1px solid #ccc;padding:0.35em 0.5em;vertical-align:top;text-align:left;}"
    "th{background:#f4f4f4;position:sticky;top:0;}"
    "pre{white-space:pre-wrap;word-break:break-word;margin:0.2em 0;font-size:0.95em;}"
    "td.img img{max-width:260px;height:auto;}td.q{max-width:26em;}td.out{min-width:22em;}"
    "pre.question{font-family:inherit;font-size:1em;}"
    "details.think{background:#f7f7fb;border-left:3px solid #99c;padding:0 0.4em;}"
    "details.think summary{cursor:pointer;color:#557;}"
    ".ok{color:#176f2c;font-weight:600;}.bad{color:#b3261e;font-weight:600;}"
    ".note{color:#8a5a00;font-style:italic;}.muted{color:#777;}"
    "#filters button{margin:0 0.3em 0.3em 0;padding:0.25em 0.7em;cursor:pointer;}"
    "#filters button[aria-pressed=true]{background:#335;color:#fff;}"
    "tr.sample[hidden]{display:none;}"
)

# Filters: each button shows the rows carrying class ``is-<filter>`` ("all" shows every row).
SCRIPT = (
    "(function(){"
    "var bar=document.getElementById('filters');"
    "var shown=document.getElementById('shown');"
    "function apply(f){var n=0;"
    "document.querySelectorAll('tr.sample').forEach(function(r){"
    "var on=f==='all'||r.classList.contains('is-'+f);r.hidden=!on;if(on){n++;}});"
    "shown.textContent=String(n);"
    "bar.querySelectorAll('button').forEach(function(b){"
    "b.setAttribute('aria-pressed',b.getAttribute('data-filter')===f?'true':'false');});}"
    "bar.addEventListener('click',function(e){"
    "var b=e.target.closest('button[data-filter]');if(b){apply(b.getAttribute('data-filter'));}});"
    "apply('all');"
    "})();"
)
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
CSP = (
    "default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
)


def esc(text: object) -> str:
    """Escape any text for HTML content and attribute values."""
    return html.escape(str(text), quote=True)


def page_name(run_id: str) -> str:
    """The file name of a run's page (safe on every file system)."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in run_id).strip(".") or "run"
    return f"{safe}.html"


def compare_name(a: str, b: str) -> str:
    return "compare-" + page_name(a)[: -len(".html")] + "--" + page_name(b)


# -- images ------------------------------------------------------------------------------------


@dataclass
class ImageStore:
    """Writes each distinct image once under ``out/images/``; stops at ``max_bytes`` in all."""

    out: Path
    max_bytes: int = 200 * 2**20
    written: dict[str, str] = field(default_factory=dict)  # content hash -> relative path
    total: int = 0
    skipped: int = 0

    def add(self, image: Image.Image) -> str | None:
        data = png_bytes(image)
        digest = hashlib.sha256(data).hexdigest()[:20]
        if digest in self.written:
            return self.written[digest]
        if self.total + len(data) > self.max_bytes:
            self.skipped += 1
            return None
        rel = f"{IMAGES_DIR}/{digest}.png"
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.total += len(data)
        self.written[digest] = rel
        return rel


# -- one run -----------------------------------------------------------------------------------


@dataclass
class RunView:
    run_dir: Path
    manifest: Manifest
    records: list[RunRecord]
    samples: RunSamples
    images: dict[str, tuple[str, int, int] | None]  # sample id -> (path, width, height)

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def title(self) -> str:
        m = self.manifest.model
        return m.label or m.name


@dataclass
class _Recovery:
    """What was recovered of one data source: shared by every run that read the same data."""

    samples: RunSamples = field(default_factory=RunSamples)
    images: dict[str, tuple[str, int, int] | None] = field(default_factory=dict)


def _data_key(m: Manifest) -> tuple[object, ...]:
    extra = m.model_extra or {}
    return (m.task, m.task_version, m.source, m.split, m.data, extra.get("image_root"),
            extra.get("data_seed", m.seed))


def load_view(
    run_dir: Path,
    store: ImageStore | None,
    *,
    max_side: int = 448,
    max_samples: int | None = None,
    memo: dict[tuple[object, ...], _Recovery] | None = None,
    hub: bool = False,
) -> RunView:
    """Read a run and recover its samples; images go into ``store`` (``None``: no images).

    Runs that read the same data share ``memo``, so each sample is recovered once.
    """
    from othink_bench.harness import load_run_records

    try:
        manifest = read_manifest(run_dir)
    except ValueError as exc:
        raise ValueError(f"{Path(run_dir) / 'manifest.json'}: not a valid run manifest ({exc})") from exc
    records = sorted(dedupe(load_run_records(run_dir)), key=lambda r: (r.index, r.k, r.sample_id))
    if max_samples is not None:
        kept = set(sorted({r.index for r in records})[:max_samples])
        records = [r for r in records if r.index in kept]
    shared = _Recovery() if memo is None else memo.setdefault(_data_key(manifest), _Recovery())
    missing = [r for r in records if r.sample_id not in shared.samples.by_id]
    if missing:
        got = recover_samples(
            manifest, missing, max_side=max_side, with_images=store is not None, hub=hub
        )
        shared.samples.note = got.note
        for sid, rec in got.by_id.items():
            if rec.image is not None and store is not None:
                rel = store.add(rec.image)
                shared.images[sid] = (rel, *rec.image.size) if rel else None
                rec.image = None  # written; do not keep every image in memory
            shared.samples.by_id[sid] = rec
    return RunView(run_dir, manifest, records, shared.samples, shared.images)


def split_think(output: str) -> tuple[str, str | None, str]:
    """``(before, think, after)``: the text of the first ``<think>`` block is ``think``
    (``None`` without one; an unclosed block runs to the end, as when output is cut off)."""
    start = output.find("<think>")
    if start < 0:
        return output, None, ""
    body = start + len("<think>")
    end = output.find("</think>", body)
    if end < 0:
        return output[:start], output[body:], ""
    return output[:start], output[body:end], output[end + len("</think>") :]


def output_html(output: str | None) -> str:
    if output is None:
        return '<span class="muted">no output</span>'
    before, think, after = split_think(output)
    parts = []
    if before.strip():
        parts.append(f'<pre class="pre">{esc(before)}</pre>')
    if think is not None:
        closed = "" if after or output.rstrip().endswith("</think>") else ", not closed"
        parts.append(
            f'<details class="think"><summary>&lt;think&gt; ({len(think)} chars{closed})</summary>'
            f"<pre>{esc(think)}</pre></details>"
        )
    if after.strip():
        parts.append(f'<pre class="post">{esc(after)}</pre>')
    return "".join(parts) or '<span class="muted">empty output</span>'


def _yes_no(flag: bool, yes: str, no: str) -> str:
    return f'<span class="ok">{esc(yes)}</span>' if flag else f'<span class="bad">{esc(no)}</span>'


def verdict_html(r: RunRecord) -> str:
    parts = [
        _yes_no(r.correct, "correct", "wrong"),
        _yes_no(r.format_ok, "format ok", "format failure"),
        _yes_no(r.lenient_correct, "lenient correct", "lenient wrong"),
    ]
    if r.error is not None:
        parts.append(f'<span class="bad">error ({esc(r.error_kind or "other")})</span>')
        parts.append(f'<pre class="error">{esc(r.error)}</pre>')
    extra = []
    if r.tokens is not None:
        extra.append(f"{r.tokens} tokens")
    if r.latency_s is not None:
        extra.append(f"{r.latency_s:.3f} s")
    if extra:
        parts.append(f'<span class="muted">{esc(", ".join(extra))}</span>')
    return "<br>".join(parts)


def answers_html(r: RunRecord) -> str:
    def code(x: str | None) -> str:
        return f"<code>{esc(x)}</code>" if x is not None else '<span class="muted">none</span>'

    return (
        f"extracted: {code(r.extracted)}<br>lenient: {code(r.lenient_extracted)}"
        f"<br>gold: {code(r.gold)}"
    )


def image_html(view: RunView, sample_id: str) -> str:
    found = view.images.get(sample_id)
    if found is not None:
        rel, w, h = found
        return f'<img src="{esc(rel)}" width="{w}" height="{h}" alt="image of {esc(sample_id)}">'
    rec = view.samples.get(sample_id)
    return f'<span class="note">no image: {esc(rec.note or "not recovered")}</span>'


def question_html(sample_id: str, k: int, rec: Recovered, breakdown: str) -> str:
    head = f"<code>{esc(sample_id)}</code>" + (f" k={k}" if k else "")
    if breakdown:
        head += f' <span class="muted">{esc(breakdown)}</span>'
    if rec.question is not None:
        body = f'<pre class="question">{esc(rec.question)}</pre>'
    else:
        body = f'<span class="note">question not recovered: {esc(rec.note or "")}</span>'
    if rec.question is not None and rec.note:
        body += f'<br><span class="note">{esc(rec.note)}</span>'
    return head + body


def run_classes(r: RunRecord) -> list[str]:
    """The filters a record belongs to (see :data:`RUN_FILTERS`)."""
    if r.error is not None:
        return ["is-error"]
    out = ["is-correct" if r.correct else "is-wrong"]
    if not r.format_ok:
        out.append("is-format")
    return out


RUN_FILTERS = (
    ("all", "all"),
    ("correct", "correct"),
    ("wrong", "wrong"),
    ("format", "format failure"),
    ("error", "error"),
)
RUN_FILTER_HELP = (
    "wrong: scored and not correct; format failure: scored without the "
    "<think>/<answer> layout; error: no valid score (image, generation, gold, data or scorer)."
)


def _filters_html(filters: Sequence[tuple[str, str]], counts: dict[str, int]) -> str:
    buttons = "".join(
        f'<button type="button" data-filter="{esc(key)}">{esc(label)} ({counts.get(key, 0)})'
        "</button>"
        for key, label in filters
    )
    total = counts.get("all", 0)
    return (
        f'<div id="filters">{buttons}</div>'
        f'<p class="muted"><span id="shown">{total}</span> of {total} rows shown</p>'
    )


def _page(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
            f"<title>{esc(title)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            *body,
            f"<script>{SCRIPT}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _describe(m: Manifest) -> str:
    model = m.model
    bits = [
        f"model <code>{esc(model.name)}</code>",
        f"method {esc(model.method or 'base')}",
        f"task <code>{esc(m.task)}</code> v{esc(m.task_version)}",
        f"{esc(m.source)}/{esc(m.split)}",
        f"status {esc(m.status)}",
    ]
    if model.step is not None:
        bits.insert(2, f"step {model.step}")
    return "<p>" + " · ".join(bits) + "</p>"


def render_run_page(view: RunView) -> str:
    rows = []
    counts = {"all": len(view.records)}
    for r in view.records:
        classes = run_classes(r)
        for c in classes:
            counts[c[3:]] = counts.get(c[3:], 0) + 1
        rec = view.samples.get(r.sample_id)
        rows.append(
            f'<tr class="sample {" ".join(classes)}" data-sample="{esc(r.sample_id)}" '
            f'data-k="{r.k}">'
            f'<td class="img">{image_html(view, r.sample_id)}</td>'
            f'<td class="q">{question_html(r.sample_id, r.k, rec, r.breakdown)}</td>'
            f'<td class="out">{output_html(r.output)}</td>'
            f'<td class="ans">{answers_html(r)}</td>'
            f'<td class="verdict">{verdict_html(r)}</td>'
            "</tr>"
        )
    body = [
        f'<p><a href="{INDEX_FILE}">all runs</a></p>',
        f"<h1>{esc(view.title)} on {esc(view.manifest.task)}</h1>",
        f"<p>run <code>{esc(view.run_id)}</code></p>",
        _describe(view.manifest),
    ]
    if view.samples.note:
        body.append(f'<p class="note">{esc(view.samples.note)}</p>')
    body += [
        _filters_html(RUN_FILTERS, counts),
        f'<p class="muted">{esc(RUN_FILTER_HELP)}</p>',
        '<table id="samples"><thead><tr><th>image</th><th>sample and question</th>'
        "<th>output</th><th>answers</th><th>verdicts</th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
    ]
    return _page(f"{view.title} on {view.manifest.task}: samples", body)


# -- two runs ----------------------------------------------------------------------------------

COMPARE_FILTERS = (
    ("all", "all"),
    ("disagree", "disagree"),
    ("a-only", "only A correct"),
    ("b-only", "only B correct"),
    ("both-right", "both correct"),
    ("both-wrong", "both wrong"),
)


def shared_pairs(a: RunView, b: RunView) -> list[tuple[RunRecord, RunRecord]]:
    """Records of both runs on the same (sample id, k): disagreements first, then in order."""
    rb = {r.key: r for r in b.records}
    pairs = [(r, rb[r.key]) for r in a.records if r.key in rb]
    pairs.sort(key=lambda p: (p[0].correct == p[1].correct, p[0].index, p[0].k, p[0].sample_id))
    return pairs


def compare_classes(ra: RunRecord, rb: RunRecord) -> list[str]:
    if ra.correct and rb.correct:
        return ["is-both-right"]
    if not ra.correct and not rb.correct:
        return ["is-both-wrong"]
    return ["is-disagree", "is-a-only" if ra.correct else "is-b-only"]


def _side_html(r: RunRecord) -> str:
    return f"{output_html(r.output)}{answers_html(r)}<br>{verdict_html(r)}"


def render_compare_page(a: RunView, b: RunView) -> str:
    pairs = shared_pairs(a, b)
    counts = {"all": len(pairs)}
    rows = []
    for ra, rb in pairs:
        classes = compare_classes(ra, rb)
        for c in classes:
            counts[c[3:]] = counts.get(c[3:], 0) + 1
        rec = a.samples.get(ra.sample_id)
        rows.append(
            f'<tr class="sample {" ".join(classes)}" data-sample="{esc(ra.sample_id)}" '
            f'data-k="{ra.k}">'
            f'<td class="img">{image_html(a, ra.sample_id)}</td>'
            f'<td class="q">{question_html(ra.sample_id, ra.k, rec, ra.breakdown)}</td>'
            f'<td class="a">{_side_html(ra)}</td>'
            f'<td class="b">{_side_html(rb)}</td>'
            "</tr>"
        )
    notes = []
    if a.manifest.task_version != b.manifest.task_version:
        notes.append(
            f"the runs scored different task versions ({a.manifest.task_version} vs "
            f"{b.manifest.task_version}): verdicts may differ for that reason alone"
        )
    only_a = len({r.key for r in a.records} - {r.key for r in b.records})
    only_b = len({r.key for r in b.records} - {r.key for r in a.records})
    body = [
        f'<p><a href="{INDEX_FILE}">all runs</a></p>',
        f"<h1>{esc(a.title)} vs {esc(b.title)} on {esc(a.manifest.task)}</h1>",
        f'<p>A: <a href="{esc(page_name(a.run_id))}"><code>{esc(a.run_id)}</code></a></p>',
        _describe(a.manifest),
        f'<p>B: <a href="{esc(page_name(b.run_id))}"><code>{esc(b.run_id)}</code></a></p>',
        _describe(b.manifest),
        f"<p>{len(pairs)} shared records (sample id and k); {only_a} only in A, {only_b} only "
        "in B. Rows where exactly one run is correct come first.</p>",
        *(f'<p class="note">{esc(n)}</p>' for n in notes),
        _filters_html(COMPARE_FILTERS, counts),
        '<table id="samples"><thead><tr><th>image</th><th>sample and question</th>'
        f"<th>A: {esc(a.title)}</th><th>B: {esc(b.title)}</th></tr></thead><tbody>",
        *rows,
        "</tbody></table>",
    ]
    return _page(f"{a.title} vs {b.title} on {a.manifest.task}", body)


# -- the folder --------------------------------------------------------------------------------


@dataclass
class Viewer:
    out: Path
    pages: dict[str, Path]  # run id -> page
    compares: list[Path]
    index: Path
    images: ImageStore
    notes: list[str] = field(default_factory=list)


def _accuracy(records: Sequence[RunRecord]) -> str:
    scored = [r for r in records if r.error is None]
    if not scored:
        return "—"
    return f"{100 * sum(r.correct for r in scored) / len(scored):.1f}%"


def render_index(views: Sequence[RunView], compares: Sequence[tuple[RunView, RunView]]) -> str:
    rows = "".join(
        f'<tr><td><a href="{esc(page_name(v.run_id))}">{esc(v.title)}</a></td>'
        f"<td><code>{esc(v.run_id)}</code></td><td>{esc(v.manifest.task)} "
        f"v{esc(v.manifest.task_version)}</td><td>{len(v.records)}</td>"
        f"<td>{_accuracy(v.records)}</td></tr>"
        for v in views
    )
    body = [
        "<h1>Samples</h1>",
        "<p>Built by <code>othink-bench view</code> from the runs' records.</p>",
        "<table><thead><tr><th>model</th><th>run</th><th>task</th><th>records</th>"
        f"<th>strict accuracy (of records without error)</th></tr></thead><tbody>{rows}"
        "</tbody></table>",
    ]
    if compares:
        items = "".join(
            f'<li><a href="{esc(compare_name(a.run_id, b.run_id))}">{esc(a.title)} vs '
            f"{esc(b.title)} ({esc(a.manifest.task)})</a></li>"
            for a, b in compares
        )
        body.append(f"<h2>Side by side</h2><ul>{items}</ul>")
    # The index has no filters; an empty bar keeps the shared script harmless.
    body.append('<div id="filters" hidden></div><span id="shown" hidden></span>')
    return _page("othink-bench samples", body)


def build_viewer(
    run_dirs: Sequence[Path],
    out: str | Path,
    *,
    compare: Sequence[tuple[Path, Path]] | None = None,
    max_side: int = 448,
    max_samples: int | None = None,
    images: bool = True,
    max_image_bytes: int = 200 * 2**20,
    hub: bool = False,
) -> Viewer:
    """Write one page per run, a side-by-side page per pair, and an index into ``out``.

    ``compare`` names the pairs (default: the two runs when exactly two are given).
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    store = ImageStore(out, max_bytes=max_image_bytes)
    dirs = list(dict.fromkeys(Path(os.path.normpath(d)) for d in run_dirs))  # as given
    memo: dict[tuple[object, ...], _Recovery] = {}
    views = [
        load_view(
            d,
            store if images else None,
            max_side=max_side,
            max_samples=max_samples,
            memo=memo,
            hub=hub,
        )
        for d in dirs
    ]
    by_dir = {v.run_dir.resolve(): v for v in views}
    seen: dict[str, Path] = {}
    for v in views:
        other = seen.setdefault(page_name(v.run_id), v.run_dir)
        if other != v.run_dir:
            raise ValueError(f"run id {v.run_id!r} appears twice: {other} and {v.run_dir}")
    pages: dict[str, Path] = {}
    for v in views:
        path = out / page_name(v.run_id)
        path.write_text(render_run_page(v), encoding="utf-8", newline="\n")
        pages[v.run_id] = path
    if compare is None:
        compare = [(views[0].run_dir, views[1].run_dir)] if len(views) == 2 else []
    pairs: list[tuple[RunView, RunView]] = []
    notes: list[str] = []
    for da, db in compare:
        va, vb = by_dir.get(Path(da).resolve()), by_dir.get(Path(db).resolve())
        if va is None or vb is None:
            raise ValueError(f"--compare names runs that were not given: {da}, {db}")
        if not shared_pairs(va, vb):
            notes.append(f"{va.run_id} and {vb.run_id} share no samples: no side-by-side page")
            continue
        pairs.append((va, vb))
    compares = []
    for va, vb in pairs:
        path = out / compare_name(va.run_id, vb.run_id)
        path.write_text(render_compare_page(va, vb), encoding="utf-8", newline="\n")
        compares.append(path)
    index = out / INDEX_FILE
    index.write_text(render_index(views, pairs), encoding="utf-8", newline="\n")
    if store.skipped:
        notes.append(
            f"{store.skipped} images left out: the images reached the {max_image_bytes} byte "
            "limit (--max-image-mb)"
        )
    return Viewer(out, pages, compares, index, store, notes)
