"""The HTML page template of the sample viewer: the inline CSS, the filter script and the
Content-Security-Policy that runs only that script (by hash), escaping, and the file names of
the pages. Model output is untrusted: every text goes through :func:`esc`.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections.abc import Sequence

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


def filters_html(filters: Sequence[tuple[str, str]], counts: dict[str, int]) -> str:
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


def page(title: str, body: list[str]) -> str:
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
