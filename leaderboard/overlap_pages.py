"""An overlap report (:mod:`othink_bench.overlap`) as markdown and as a viewer page: the counts,
the thresholds, and the closest pairs side by side (questions, answers, images, distances)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from leaderboard.viewer.template import esc, filters_html, page

#: Longest side of the images on the page.
THUMB = 224


def _set_name(info: dict[str, Any]) -> str:
    name = f"{info.get('task', '?')}:{info.get('split', '?')}"
    if info.get("data"):
        name += f" ({info['data']})"
    elif info.get("source") == "synthetic":
        name += f" (seed {info.get('seed')})"
    return name


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def overlap_markdown(report: dict[str, Any]) -> str:
    """The report as markdown: what was compared, the counts, the thresholds, the closest pairs."""
    c = report["counts"]
    th = report["thresholds"]
    n = c.get("test_items", 0)
    lines = [
        f"# Overlap: {_set_name(report['test'])} against {_set_name(report['train'])}",
        "",
        f"{c.get('overlapping', 0)} of {n} test items overlap the training set "
        f"({c.get('train_items', 0)} items): {c.get('overlap_duplicate', 0)} duplicates (same "
        f"image and the same question up to its numbers), {c.get('overlap_image', 0)} with the "
        f"same image only, {c.get('overlap_text', 0)} with the same exact question only (not a "
        "template).",
        "",
        "| signal | test items with a training match |",
        "|---|---|",
        f"| exact question | {c.get('exact_text', 0)} |",
        f"| question with numbers masked | {c.get('masked_text', 0)} |",
        f"| question is a template (shared by >= {th['template_min']} training items) | "
        f"{c.get('template_text', 0)} |",
        f"| image ({th['image']}) | {c.get('image', 0)} |",
        f"| test items without a readable image | {c.get('no_image', 0)} |",
        "",
        f"Text: {th['text']}.",
        "",
        "## Closest pairs",
        "",
        "| test | train | kind | overlaps | text | pHash | dHash | test question | "
        "train question | golds |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in report["pairs"]:
        dp = "-" if p["phash_distance"] is None else p["phash_distance"]
        dd = "-" if p["dhash_distance"] is None else p["dhash_distance"]
        lines.append(
            f"| `{_cell(p['test_id'])}` | `{_cell(p['train_id'])}` | {p['kind']} | "
            f"{'yes' if p['overlaps'] else 'no'} | {p['text']} | {dp} | {dd} | "
            f"{_cell(p['test_question'])[:300]} | {_cell(p['train_question'])[:300]} | "
            f"{_cell(p['test_gold'])} / {_cell(p['train_gold'])} |"
        )
    if not report["pairs"]:
        lines.append("| - | - | - | - | - | - | - | no pairs | - | - |")
    return "\n".join(lines) + "\n"


def _thumb(image: Image.Image | None, folder: Path, name: str) -> str:
    if image is None:
        return '<span class="note">no image</span>'
    image = image.convert("RGB")
    image.thumbnail((THUMB, THUMB))
    folder.mkdir(parents=True, exist_ok=True)
    image.save(folder / name, format="PNG")
    return f'<img src="images/{esc(name)}" alt="{esc(name)}">'


def overlap_page(
    report: dict[str, Any],
    out: Path,
    image_of: Callable[[str, str], Image.Image | None],
) -> Path:
    """Write ``out/overlap.html`` (and its images under ``out/images/``): the closest pairs
    side by side. ``image_of(side, sample_id)`` gives a pair's images (side: train or test)."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    counts: dict[str, int] = {"all": 0}
    for k, p in enumerate(report["pairs"]):
        kind = str(p["kind"])
        counts["all"] += 1
        counts[kind] = counts.get(kind, 0) + 1
        flag = "overlap" if p["overlaps"] else "no overlap"
        if p["overlaps"]:
            counts["overlap"] = counts.get("overlap", 0) + 1
        left = _thumb(image_of("test", p["test_id"]), out / "images", f"pair{k}-test.png")
        right = _thumb(image_of("train", p["train_id"]), out / "images", f"pair{k}-train.png")
        cls = f"sample is-{esc(kind)}" + (" is-overlap" if p["overlaps"] else "")
        rows.append(
            f'<tr class="{cls}">'
            f"<td>{esc(kind)}<br>{esc(flag)}<br>text: {esc(p['text'])}<br>"
            f"pHash {esc(p['phash_distance'])}, dHash {esc(p['dhash_distance'])}</td>"
            f'<td class="img">{left}</td>'
            f'<td class="q"><code>{esc(p["test_id"])}</code><pre class="question">'
            f"{esc(p['test_question'])}</pre>gold: {esc(p['test_gold'])}</td>"
            f'<td class="img">{right}</td>'
            f'<td class="q"><code>{esc(p["train_id"])}</code><pre class="question">'
            f"{esc(p['train_question'])}</pre>gold: {esc(p['train_gold'])}</td></tr>"
        )
    c = report["counts"]
    title = f"Overlap: {_set_name(report['test'])} against {_set_name(report['train'])}"
    body = [
        f"<h1>{esc(title)}</h1>",
        f"<p>{esc(c.get('overlapping', 0))} of {esc(c.get('test_items', 0))} test items overlap "
        f"the training set ({esc(c.get('train_items', 0))} items). Image match: "
        f"{esc(report['thresholds']['image'])}.</p>",
        filters_html(
            [("all", "all"), ("overlap", "overlap"), ("duplicate", "duplicate"),
             ("image", "image"), ("text", "text"), ("none", "none")], counts,
        ),  # fmt: skip
        "<table><tr><th>match</th><th>test image</th><th>test question</th>"
        "<th>train image</th><th>train question</th></tr>",
        *rows,
        "</table>",
    ]
    path = out / "overlap.html"
    path.write_text(page(title, body), encoding="utf-8")
    return path
