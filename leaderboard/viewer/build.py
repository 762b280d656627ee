"""A static HTML sample browser for run directories (``othink-bench view``).

One page per run shows every record: the sample's image and question (recovered as
:mod:`leaderboard.samples` explains), the model's output with its ``<think>`` part folded, the
extracted answer, the gold answer, the verdicts and any error, with filters for correct, wrong,
format failure and error. Two runs also get a side-by-side page on the samples both have, where
they disagree first. Pages need no server and no network: the CSS and a few lines of plain
JavaScript are inline, images are small PNG files in ``images/`` next to the pages (one file per
distinct image, named by its content hash). Each page stays under a stated size: long texts are
cut with the full text in ``texts/`` (plain ``.txt`` files named by content hash), and rows past
the page's byte bound are listed without output or not at all, as the page says
(:mod:`leaderboard.viewer.bounds`). Model output is untrusted: every text is escaped,
and each page's Content-Security-Policy runs only the page's own script (by hash) and loads
nothing from elsewhere. The same runs give the same files byte for byte.

This module writes the folder; the runs are read by :mod:`leaderboard.viewer.data`, the pages
built by :mod:`leaderboard.viewer.pages` in the template of :mod:`leaderboard.viewer.template`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from leaderboard.viewer.bounds import (
    DEFAULT_MAX_OUTPUT_CHARS,
    DEFAULT_MAX_PAGE_MB,
    TEXTS_DIR,
    TextStore,
    mib_to_bytes,
)
from leaderboard.viewer.data import (
    IMAGES_DIR,
    ImageStore,
    Recovery,
    RunView,
    load_view,
    shared_pairs,
)
from leaderboard.viewer.pages import render_compare_page, render_index, render_run_page
from leaderboard.viewer.template import INDEX_FILE, compare_name, page_name
from othink_bench.records import remove_stale_temps, write_atomic


@dataclass
class Viewer:
    out: Path
    pages: dict[str, Path]  # run id -> page
    compares: list[Path]
    index: Path
    images: ImageStore
    texts: TextStore
    notes: list[str] = field(default_factory=list)


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
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    max_page_bytes: int = mib_to_bytes(DEFAULT_MAX_PAGE_MB),
) -> Viewer:
    """Write one page per run, a side-by-side page per pair, and an index into ``out``.

    ``compare`` names the pairs (default: the two runs when exactly two are given). Texts
    longer than ``max_output_chars`` are cut (full text in ``texts/``); each page stays under
    ``max_page_bytes``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for folder in (out, out / IMAGES_DIR, out / TEXTS_DIR):
        remove_stale_temps(folder)  # left by a write that was killed
    store = ImageStore(out, max_bytes=max_image_bytes)
    texts = TextStore(out, max_chars=max_output_chars)
    dirs = list(dict.fromkeys(Path(os.path.normpath(d)) for d in run_dirs))  # as given
    memo: dict[tuple[object, ...], Recovery] = {}
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
        write_atomic(path, render_run_page(v, texts, max_page_bytes))
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
        write_atomic(path, render_compare_page(va, vb, texts, max_page_bytes))
        compares.append(path)
    index = out / INDEX_FILE
    write_atomic(index, render_index(views, pairs))
    if store.skipped:
        notes.append(
            f"{store.skipped} images left out: the images reached the {max_image_bytes} byte "
            "limit (--max-image-mb)"
        )
    if texts.written:
        notes.append(
            f"{len(texts.written)} texts longer than {max_output_chars} characters "
            f"(--max-output-chars) or past a page's bound (--max-page-mb) are in {TEXTS_DIR}/"
        )
    return Viewer(out, pages, compares, index, store, texts, notes)
