"""Size bounds of the sample viewer's pages: long texts cut, with the full text in a side file,
and each page kept under a stated number of bytes.

Why: a server that ignores ``max_tokens`` can send megabytes per answer, and the viewer used to
put every output inline (eight 50 MB answers made a 419 MB page no browser opens). Now each text
shown inline (output, extracted and gold answers, error, question) is cut at ``max_chars``
characters with a visible note "cut: N of M characters; full text: <link>"; the full text is
written once to ``texts/<content hash>.txt`` (plain text, never HTML, so it cannot run as a
page; the same text gives the same file, as images do). A page's rows then fill a byte budget
in order: rows that no longer fit are listed without their output (a link to its side file
instead), and rows past even that are not listed; the page says how many of each.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from leaderboard.viewer.template import esc
from othink_bench.records import write_atomic

TEXTS_DIR = "texts"
DEFAULT_MAX_OUTPUT_CHARS = 4000
DEFAULT_MAX_PAGE_MB = 20.0
MIN_OUTPUT_CHARS = 100
MIN_PAGE_MB = 0.1


@dataclass
class TextStore:
    """Cuts texts at ``max_chars`` and writes each full text once under ``out/texts/``."""

    out: Path
    max_chars: int = DEFAULT_MAX_OUTPUT_CHARS
    written: dict[str, str] = field(default_factory=dict)  # content hash -> relative path
    total: int = 0  # bytes written

    def add(self, text: str) -> str:
        """The relative path of ``text``'s side file (written on first use)."""
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()[:20]
        rel = self.written.get(digest)
        if rel is None:
            rel = f"{TEXTS_DIR}/{digest}.txt"
            path = self.out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
            self.total += len(data)
            self.written[digest] = rel
        return rel

    def link(self, text: str) -> str:
        """An HTML link to ``text``'s side file."""
        rel = self.add(text)
        return f'<a href="{esc(rel)}" type="text/plain">{esc(rel)}</a>'

    def clip(self, text: str) -> tuple[str, str]:
        """``(shown, note)``: ``text`` cut at ``max_chars`` and the HTML note naming the cut and
        linking the full text (``""`` when nothing was cut)."""
        if len(text) <= self.max_chars:
            return text, ""
        note = (
            f'<span class="note cut">cut: {self.max_chars} of {len(text)} characters; '
            f"full text: {self.link(text)}</span>"
        )
        return text[: self.max_chars], note


@dataclass
class RowBudget:
    """The bytes left for a page's rows, filled in order: full rows, then rows without output
    (``compact``), then none (``omitted``). Once a kind of row does not fit, later rows are not
    tried at that kind again, so the page reads as one prefix of full rows, one of short rows."""

    left: int
    full: bool = True
    compact: int = 0
    omitted: int = 0

    def take(self, full: Callable[[], str], compact: Callable[[], str]) -> str | None:
        """The row to put on the page (``None``: not listed): the full row while full rows
        fit, then the row without output while those fit. Rows are built only when tried."""
        if self.full:
            row = full()
            size = len(row.encode("utf-8"))
            if size <= self.left:
                self.left -= size
                return row
            self.full = False
        if self.omitted == 0:
            row = compact()
            size = len(row.encode("utf-8"))
            if size <= self.left:
                self.left -= size
                self.compact += 1
                return row
        self.omitted += 1
        return None


def bound_note(max_bytes: int, max_chars: int, budget: RowBudget | None) -> str:
    """The page's statement of its bounds, and what they left out (``budget`` ``None``: the
    widest form, used to reserve room before the rows are known)."""
    mib = max_bytes / 2**20
    text = (
        f"This page is kept under {mib:g} MiB (--max-page-mb); texts longer than {max_chars} "
        "characters are cut, with the full text one click away (--max-output-chars)."
    )
    extra = ""
    if budget is None or budget.compact or budget.omitted:
        compact = "9" * 12 if budget is None else str(budget.compact)
        omitted = "9" * 12 if budget is None else str(budget.omitted)
        extra = (
            f" At that bound, {compact} rows are listed without their output (linked instead) "
            f"and {omitted} rows are not listed."
        )
    return f'<p class="muted bound">{esc(text + extra)}</p>'


def mib_to_bytes(mib: float) -> int:
    return int(mib * 2**20)


__all__ = [
    "DEFAULT_MAX_OUTPUT_CHARS",
    "DEFAULT_MAX_PAGE_MB",
    "MIN_OUTPUT_CHARS",
    "MIN_PAGE_MB",
    "TEXTS_DIR",
    "RowBudget",
    "TextStore",
    "bound_note",
    "mib_to_bytes",
]
