"""The sample viewer's pages: one run's records (image, question, output with its ``<think>``
part folded, answers, verdicts), two runs side by side on the samples both have, and the index.
Every text is cut and every page kept under its byte bound as :mod:`leaderboard.viewer.bounds`
explains.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from leaderboard.samples import Recovered
from leaderboard.viewer.bounds import RowBudget, TextStore, bound_note
from leaderboard.viewer.data import RunView, shared_pairs
from leaderboard.viewer.template import INDEX_FILE, compare_name, esc, filters_html, page, page_name
from othink_bench.records import Manifest, RunRecord

# -- one record --------------------------------------------------------------------------------


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


def clipped_html(text: str, texts: TextStore, tag: str, cls: str = "") -> str:
    """``text`` cut at the store's limit in ``<tag class=cls>``, followed by the cut note."""
    shown, note = texts.clip(text)
    attr = f' class="{cls}"' if cls else ""
    return f"<{tag}{attr}>{esc(shown)}</{tag}>{note}"


def output_html(output: str | None, texts: TextStore) -> str:
    if output is None:
        return '<span class="muted">no output</span>'
    shown, note = texts.clip(output)
    return _split_html(output, shown) + (f"<br>{note}" if note else "")


def left_out_html(output: str | None, texts: TextStore) -> str:
    """The output of a row past the page bound: a link to its side file."""
    if output is None:
        return '<span class="muted">no output</span>'
    return (
        f'<span class="note">output ({len(output)} characters) left out at the page bound '
        f"(--max-page-mb); full text: {texts.link(output)}</span>"
    )


def _split_html(output: str, shown: str) -> str:
    """``shown`` (``output`` or its start) with the ``<think>`` part folded."""
    before, think, after = split_think(shown)
    parts = []
    if before.strip():
        parts.append(f'<pre class="pre">{esc(before)}</pre>')
    if think is not None:
        closed = "" if after or shown.rstrip().endswith("</think>") else ", not closed"
        if shown != output:
            closed = ", cut"
        parts.append(
            f'<details class="think"><summary>&lt;think&gt; ({len(think)} chars{closed})</summary>'
            f"<pre>{esc(think)}</pre></details>"
        )
    if after.strip():
        parts.append(f'<pre class="post">{esc(after)}</pre>')
    return "".join(parts) or '<span class="muted">empty output</span>'


def _yes_no(flag: bool, yes: str, no: str) -> str:
    return f'<span class="ok">{esc(yes)}</span>' if flag else f'<span class="bad">{esc(no)}</span>'


def verdict_html(r: RunRecord, texts: TextStore) -> str:
    parts = [
        _yes_no(r.correct, "correct", "wrong"),
        _yes_no(r.format_ok, "format ok", "format failure"),
        _yes_no(r.lenient_correct, "lenient correct", "lenient wrong"),
    ]
    if r.error is not None:
        parts.append(f'<span class="bad">error ({esc(r.error_kind or "other")})</span>')
        parts.append(clipped_html(r.error, texts, "pre", "error"))
    extra = []
    if r.tokens is not None:
        extra.append(f"{r.tokens} tokens")
    if r.latency_s is not None:
        extra.append(f"{r.latency_s:.3f} s")
    if extra:
        parts.append(f'<span class="muted">{esc(", ".join(extra))}</span>')
    return "<br>".join(parts)


def answers_html(r: RunRecord, texts: TextStore) -> str:
    def code(x: str | None) -> str:
        return clipped_html(x, texts, "code") if x is not None else '<span class="muted">none</span>'

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


def question_html(
    sample_id: str, k: int, rec: Recovered, breakdown: str, texts: TextStore
) -> str:
    head = f"<code>{esc(sample_id)}</code>" + (f" k={k}" if k else "")
    if breakdown:
        head += f' <span class="muted">{esc(breakdown)}</span>'
    if rec.question is not None:
        body = clipped_html(rec.question, texts, "pre", "question")
    else:
        body = f'<span class="note">question not recovered: {esc(rec.note or "")}</span>'
    if rec.question is not None and rec.note:
        body += f'<br><span class="note">{esc(rec.note)}</span>'
    return head + body


# -- one run -----------------------------------------------------------------------------------


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


Row = tuple[list[str], Callable[[], str], Callable[[], str]]  # classes, full row, row sans output


def _bounded_page(
    title: str,
    head: list[str],
    filters: Sequence[tuple[str, str]],
    table: tuple[str, str],
    items: Sequence[Row],
    texts: TextStore,
    max_bytes: int,
) -> str:
    """A page of ``head``, the bound note, the filter bar and the rows of ``items`` in the
    ``table`` (opening, closing), its rows filling what ``max_bytes`` leaves (see
    :class:`~leaderboard.viewer.bounds.RowBudget`)."""

    def assemble(note: str, counts: dict[str, int], rows: list[str]) -> str:
        return page(title, [*head, note, filters_html(filters, counts), table[0], *rows, table[1]])

    widest = {key: len(items) for key, _ in filters}  # no count has more digits
    frame = assemble(bound_note(max_bytes, texts.max_chars, None), widest, [])
    budget = RowBudget(max_bytes - len(frame.encode("utf-8")))
    if budget.left < 0:
        raise ValueError(
            f"--max-page-mb {max_bytes / 2**20:g} is below the {len(frame.encode('utf-8'))} bytes "
            f"of the page {title!r} without rows: raise it"
        )
    rows: list[str] = []
    counts = {"all": 0}
    for classes, full, compact in items:
        row = budget.take(full, compact)
        if row is None:
            continue
        rows.append(row)
        counts["all"] += 1
        for c in classes:
            counts[c[3:]] = counts.get(c[3:], 0) + 1
    return assemble(bound_note(max_bytes, texts.max_chars, budget), counts, rows)


def _run_row(view: RunView, r: RunRecord, classes: list[str], texts: TextStore, full: bool) -> str:
    rec = view.samples.get(r.sample_id)
    out = output_html(r.output, texts) if full else left_out_html(r.output, texts)
    return (
        f'<tr class="sample {" ".join(classes)}" data-sample="{esc(r.sample_id)}" '
        f'data-k="{r.k}">'
        f'<td class="img">{image_html(view, r.sample_id)}</td>'
        f'<td class="q">{question_html(r.sample_id, r.k, rec, r.breakdown, texts)}</td>'
        f'<td class="out">{out}</td>'
        f'<td class="ans">{answers_html(r, texts)}</td>'
        f'<td class="verdict">{verdict_html(r, texts)}</td>'
        "</tr>"
    )


def render_run_page(view: RunView, texts: TextStore, max_bytes: int) -> str:
    """One run's records, the page under ``max_bytes`` (UTF-8), texts cut by ``texts``."""
    items: list[Row] = []
    for r in view.records:
        classes = run_classes(r)
        items.append((
            classes,
            partial(_run_row, view, r, classes, texts, True),
            partial(_run_row, view, r, classes, texts, False),
        ))
    head = [
        f'<p><a href="{INDEX_FILE}">all runs</a></p>',
        f"<h1>{esc(view.title)} on {esc(view.manifest.task)}</h1>",
        f"<p>run <code>{esc(view.run_id)}</code></p>",
        _describe(view.manifest),
    ]
    if view.samples.note:
        head.append(f'<p class="note">{esc(view.samples.note)}</p>')
    table = (
        f'<p class="muted">{esc(RUN_FILTER_HELP)}</p>\n'
        '<table id="samples"><thead><tr><th>image</th><th>sample and question</th>'
        "<th>output</th><th>answers</th><th>verdicts</th></tr></thead><tbody>",
        "</tbody></table>",
    )
    title = f"{view.title} on {view.manifest.task}: samples"
    return _bounded_page(title, head, RUN_FILTERS, table, items, texts, max_bytes)


# -- two runs ----------------------------------------------------------------------------------

COMPARE_FILTERS = (
    ("all", "all"),
    ("disagree", "disagree"),
    ("a-only", "only A correct"),
    ("b-only", "only B correct"),
    ("both-right", "both correct"),
    ("both-wrong", "both wrong"),
)


def compare_classes(ra: RunRecord, rb: RunRecord) -> list[str]:
    if ra.correct and rb.correct:
        return ["is-both-right"]
    if not ra.correct and not rb.correct:
        return ["is-both-wrong"]
    return ["is-disagree", "is-a-only" if ra.correct else "is-b-only"]


def _side_html(r: RunRecord, texts: TextStore, full: bool) -> str:
    out = output_html(r.output, texts) if full else left_out_html(r.output, texts)
    return f"{out}{answers_html(r, texts)}<br>{verdict_html(r, texts)}"


def _compare_row(
    a: RunView, ra: RunRecord, rb: RunRecord, classes: list[str], texts: TextStore, full: bool
) -> str:
    rec = a.samples.get(ra.sample_id)
    return (
        f'<tr class="sample {" ".join(classes)}" data-sample="{esc(ra.sample_id)}" '
        f'data-k="{ra.k}">'
        f'<td class="img">{image_html(a, ra.sample_id)}</td>'
        f'<td class="q">{question_html(ra.sample_id, ra.k, rec, ra.breakdown, texts)}</td>'
        f'<td class="a">{_side_html(ra, texts, full)}</td>'
        f'<td class="b">{_side_html(rb, texts, full)}</td>'
        "</tr>"
    )


def render_compare_page(a: RunView, b: RunView, texts: TextStore, max_bytes: int) -> str:
    """Two runs side by side on their shared records, bounded as :func:`render_run_page`."""
    pairs = shared_pairs(a, b)
    items: list[Row] = []
    for ra, rb in pairs:
        classes = compare_classes(ra, rb)
        items.append((
            classes,
            partial(_compare_row, a, ra, rb, classes, texts, True),
            partial(_compare_row, a, ra, rb, classes, texts, False),
        ))
    notes = []
    if a.manifest.task_version != b.manifest.task_version:
        notes.append(
            f"the runs scored different task versions ({a.manifest.task_version} vs "
            f"{b.manifest.task_version}): verdicts may differ for that reason alone"
        )
    only_a = len({r.key for r in a.records} - {r.key for r in b.records})
    only_b = len({r.key for r in b.records} - {r.key for r in a.records})
    head = [
        f'<p><a href="{INDEX_FILE}">all runs</a></p>',
        f"<h1>{esc(a.title)} vs {esc(b.title)} on {esc(a.manifest.task)}</h1>",
        f'<p>A: <a href="{esc(page_name(a.run_id))}"><code>{esc(a.run_id)}</code></a></p>',
        _describe(a.manifest),
        f'<p>B: <a href="{esc(page_name(b.run_id))}"><code>{esc(b.run_id)}</code></a></p>',
        _describe(b.manifest),
        f"<p>{len(pairs)} shared records (sample id and k); {only_a} only in A, {only_b} only "
        "in B. Rows where exactly one run is correct come first.</p>",
        *(f'<p class="note">{esc(n)}</p>' for n in notes),
    ]
    table = (
        '<table id="samples"><thead><tr><th>image</th><th>sample and question</th>'
        f"<th>A: {esc(a.title)}</th><th>B: {esc(b.title)}</th></tr></thead><tbody>",
        "</tbody></table>",
    )
    title = f"{a.title} vs {b.title} on {a.manifest.task}"
    return _bounded_page(title, head, COMPARE_FILTERS, table, items, texts, max_bytes)


# -- the index ---------------------------------------------------------------------------------


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
    return page("othink-bench samples", body)
