"""Normalise short math answers and split them into the value pieces they state.

Why a module of its own: golds and predictions must be spelt the same way before parsing, and
which pieces an answer states (lists, choice markers, labels, chains) decides verdicts; keeping
these rules together, apart from the arithmetic (:mod:`.values`) and the parser
(:mod:`.mathexpr`), keeps each small. See :mod:`.mathexpr` for the policy as a whole.
"""

from __future__ import annotations

import re

__all__ = ["normalise", "pieces"]

_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f$", ""),
        **dict.fromkeys(
            "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u202f\u205f\u3000\t\n\r\f\v~",
            " ",
        ),
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **{chr(0xFF21 + i): chr(ord("A") + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(ord("a") + i) for i in range(26)},
        "（": "(",
        "）": ")",
        "［": "[",
        "］": "]",
        "｛": "{",
        "｝": "}",
        "，": ",",
        "；": ";",
        "：": ":",
        "．": ".",
        "。": ".",
        "＋": "+",
        "＝": "=",
        "／": "/",
        "＊": "*",
        "＾": "^",
        "−": "-",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "﹣": "-",
        "－": "-",
        "×": "*",
        "✕": "*",
        "∙": "*",
        "·": "*",
        "⋅": "*",
        "÷": "/",
        "∕": "/",
        "²": "^2",
        "³": "^3",
        "º": "°",
        "˚": "°",
        "∘": "°",
        "≒": "≈",
        "≃": "≈",
        "≅": "≈",
        "⁄": "/",
        "∶": ":",
        "｜": "|",
        "∣": "|",
    }
)

_LATEX_SPACE = re.compile(
    r"\\(?:[,;:! ()\[\]]|q?quad\b|left\b|right\b|displaystyle\b|limits\b|boxed\b|bm\b"
    r"|mathbf\b|boldsymbol\b|mathit\b|big\b|Big\b|bigg\b|Bigg\b)"
)
_LATEX_TEXT = re.compile(
    r"\\(?:text|textnormal|mathrm|textrm|textbf|textit|mathsf|mbox|operatorname|rm)\s*\{([^{}]*)\}"
)
_LATEX_FRAC = re.compile(r"\\[cdt]frac(?![A-Za-z])")
_LATEX_DEG = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ\b|\\circ\b|\\degree\b")
_LATEX_PI = re.compile(r"\\pi(?![A-Za-z])")
_FRAC_TWO_DIGITS = re.compile(r"\\frac\s*(\d)\s*(\d)")
_FRAC_DIGIT_FIRST = re.compile(r"\\frac\s*(\d)\s*(?=\{)")
_FRAC_DIGIT_SECOND = re.compile(r"\\frac\s*(\{[^{}]*\})\s*(\d)")
_SQRT_DIGIT = re.compile(r"\\sqrt\s*(\d)")
_DEG_WORD = re.compile(r"(?<![A-Za-z])(?:degrees?|deg)(?![A-Za-z])", re.IGNORECASE)
_PI_WORD = re.compile(r"(?<![A-Za-z\\])pi(?![A-Za-z])", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?!\d)")
_PREFIX = re.compile(
    r"^\s*(?:(?:the\s+)?(?:final\s+)?answer(?:\s+is)?\s*[:：]?|答案?\s*[是为:：])\s*",
    re.IGNORECASE,
)
_CHOICE = re.compile(r"(?<![^\s,;])(?:\(([A-H])\)|([A-H])[.:)、])")
_LIST_SPLIT = re.compile(r"[,;、]|(?<![A-Za-z])(?:or|and)(?![A-Za-z])|或|和|以及")
_APPROX_SPLIT = re.compile(
    r"≈|约|(?<![A-Za-z])(?:approximately|approx\.?|about|around|roughly)(?![A-Za-z])",
    re.IGNORECASE,
)
_LABEL = re.compile(r"(?:[∠△⊙]\s*[A-Za-z0-9]|[A-Za-z])[A-Za-z0-9_{}'′∠△\s]*")
_WORDY = re.compile(r"[A-Za-z\u3400-\u9fff]")
_UNIT_END = re.compile(
    r"(?:(?<![A-Za-z\\])(?:square|sq|units?|cm|mm|km|dm|m|centimet(?:er|re)s?"
    r"|millimet(?:er|re)s?|kilomet(?:er|re)s?|decimet(?:er|re)s?|met(?:er|re)s?|inch(?:es)?"
    r"|feet|foot|ft|hours?|hrs?|h|minutes?|mins?|seconds?|secs?|s|(?:nautical\s+)?miles?"
    r"|degrees?|deg|radians?|rad)"
    r"|平方厘米|平方分米|平方千米|平方公里|平方米|平方单位|立方厘米|立方分米|立方米|厘米|分米|毫米"
    r"|千米|公里|海里|米|小时|分钟|秒|度|个|单位)"
    r"\s*(?:\^?\s*\{?\s*[23]\s*\}?\s*\^?)?\s*\.?\s*$",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    """The canonical spelling both golds and predictions are parsed from (see module doc)."""
    s = text.translate(_TRANSLATE)
    if "\\" in s:
        s = s.replace("\\\\", " ")  # a LaTeX line break, e.g. a trailing one
        s = _LATEX_TEXT.sub(r"\1", s)
        s = _LATEX_SPACE.sub(" ", s)
        s = _LATEX_FRAC.sub(r"\\frac", s)
        s = _LATEX_DEG.sub("", s)
        s = (
            s.replace("\\cdot", "*")
            .replace("\\times", "*")
            .replace("\\div", "/")
            .replace("\\approx", "≈")
            .replace("\\angle", "∠")
            .replace("\\triangle", "△")
        )
        s = _LATEX_PI.sub("π", s)
        if "\\frac" in s:
            s = _FRAC_TWO_DIGITS.sub(r"\\frac{\1}{\2}", s)
            s = _FRAC_DIGIT_FIRST.sub(r"\\frac{\1}", s)
            s = _FRAC_DIGIT_SECOND.sub(r"\\frac\1{\2}", s)
        if "\\sqrt" in s:
            s = _SQRT_DIGIT.sub(r"√{\1}", s)
            s = s.replace("\\sqrt", "√")
    if "°" in s:
        s = s.replace("°", "")
    if "{}" in s:
        s = s.replace("{}", "")
    if "deg" in s or "DEG" in s or "Deg" in s:
        s = _DEG_WORD.sub("", s)
    if "pi" in s or "PI" in s or "Pi" in s:
        s = _PI_WORD.sub("π", s)
    if "," in s:
        s = s.replace("{,}", ",")
        s = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), s)
    return s.strip()


def _strip_units(part: str) -> str:
    part = part.strip()
    while part.endswith("."):
        part = part[:-1].rstrip()
    for _ in range(4):
        if not _WORDY.search(part):
            break
        m = _UNIT_END.search(part)
        if m is None:
            break
        part = part[: m.start()].rstrip()
        while part.endswith("."):
            part = part[:-1].rstrip()
    return part


def pieces(s: str) -> list[str]:
    """Split a normalised answer into the value pieces it states (see policy in module doc)."""
    m = _PREFIX.match(s)
    if m:
        s = s[m.end() :]
    chunks: list[str]
    if _CHOICE.search(s):
        cuts = [(m.start(), m.end()) for m in _CHOICE.finditer(s)]
        chunks = [s[: cuts[0][0]]] if s[: cuts[0][0]].strip() else []
        for j, (_, stop) in enumerate(cuts):
            nxt = cuts[j + 1][0] if j + 1 < len(cuts) else len(s)
            chunks.append(s[stop:nxt])
    else:
        chunks = [s]
    pieces: list[str] = []
    for chunk in chunks:
        for item in _LIST_SPLIT.split(chunk):
            sides = [side for side in item.split("=") if side.strip()]
            if not sides:
                continue
            # an equality chain reads as its last side (a label or working before it is
            # dropped); if that side has free names the piece fails to parse (policy 11)
            approx = _APPROX_SPLIT.split(sides[-1])
            if len(approx) > 1 and _LABEL.fullmatch(approx[0].strip()):
                approx = approx[1:]
            for raw in approx:
                piece = _ratio(_strip_units(raw))
                if piece:
                    pieces.append(piece)
    return pieces


def _ratio(piece: str) -> str:
    """``a:b`` reads as ``(a)/(b)`` (policy 10); any other use of ``:`` fails to parse."""
    if ":" not in piece:
        return piece
    parts = piece.split(":")
    if len(parts) != 2:
        return piece
    a, b = _strip_units(parts[0]), _strip_units(parts[1])
    return f"({a})/({b})" if a and b else piece
