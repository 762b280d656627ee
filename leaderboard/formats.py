"""A board as text: the markdown (``README.md``), HTML, CSV and JSON renderers of a
:class:`~leaderboard.blocks.Board`."""

from __future__ import annotations

import csv
import html
import io
import re

from leaderboard.blocks import Board, Bullets, Heading, Image, Paragraph, TableBlock
from leaderboard.cells import DisplayCell, DisplayTable
from leaderboard.export import CSV_COLUMNS
from othink_bench.strict_json import dumps

FORMATS: dict[str, str] = {
    "md": "README.md",
    "html": "board.html",
    "csv": "board.csv",
    "json": "board.json",
}


#: The only HTML tags the board's own markdown uses; any other tag opening (a ``--method`` label
#: such as ``<img src=x onerror=...>``) is written as ``&lt;``, as the HTML board escapes it.
_MD_TAGS = re.compile(r"<(?=[A-Za-z/!?])(?!/?(?:u|br|sub|sup)>)")


_CODE_SPAN = re.compile(r"(`[^`]*`)")


def md_text(text: str) -> str:
    """Text for the markdown board: raw HTML in labels shown as text, the board's tags and
    code spans (where markdown shows ``<`` as is) kept."""
    parts = _CODE_SPAN.split(text)
    return "".join(p if i % 2 else _MD_TAGS.sub("&lt;", p) for i, p in enumerate(parts))


def _md_escape(text: str) -> str:
    return md_text(text).replace("|", "\\|").replace("\n", " ")


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
            parts.append(f"{'#' * block.level} {md_text(block.text)}")
        elif isinstance(block, Paragraph):
            parts.append(md_text(block.text))
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"- {md_text(item)}" for item in block.items))
        elif isinstance(block, TableBlock):
            parts.append(md_table(block.table))
        elif isinstance(block, Image):
            parts.append(f"![{md_text(block.alt)}]({block.path})")
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
    return dumps(board.data, where="board JSON", indent=2, sort_keys=True, ensure_ascii=False) + "\n"


RENDERERS = {"md": render_markdown, "html": render_html, "csv": render_csv, "json": render_json}
