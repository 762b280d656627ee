"""A short arithmetic scratchpad from a problem's reasoning chain, for tiny models' SFT targets.

``"∠A = 180° - ∠B - ∠C = 180° - 40° - 70° = 70°"`` becomes ``"180-40-70=70"``: of each
reasoning step, only the numeric equation that computes its value (names replaced by values
derived in earlier steps, ``½X`` written ``X/2``, ``×``/``÷`` as ``*``/``/``, degrees dropped).
A step that only copies a value (``∠2 = ∠1 = 65°``) adds nothing; a chain that computes
nothing becomes the bare value. The text is built from the generator's own reasoning strings,
so it is exactly as right as they are (tests/test_geoproblems.py checks every equation).
"""

from __future__ import annotations

import re

_NAME = re.compile(r"∠[A-Z]{1,3}|∠\d")
_NUMERIC = re.compile(r"^[\d.+\-*/() ]+$")
_OPERATOR = re.compile(r"\d\s*[-+*/]\s*[\d(]|\)\s*[-+*/]")
_REASON = re.compile(r"\s+\([a-z][a-z -]*\)$")  # a trailing "(corresponding angles)"
_HALF = re.compile(r"½\(([^()]*)\)|½([\d.]+)")


def _plain(text: str) -> str:
    text = text.replace("°", "").replace("×", "*").replace("÷", "/").strip()
    return _HALF.sub(lambda m: f"({m.group(1)})/2" if m.group(1) else f"{m.group(2)}/2", text)


def arithmetic_scratchpad(reasoning: str) -> str:
    """The numeric equations of ``reasoning`` (steps joined by ``"; "``), joined by ``"; "``."""
    known: dict[str, str] = {}
    lines: list[str] = []
    value = ""
    for step in reasoning.split("; "):
        clause = _REASON.sub("", step.split(", so ")[-1].strip())
        parts = [p.strip() for p in clause.split(" = ")]
        value = _plain(parts[-1])
        if not _NUMERIC.match(value):
            continue  # "∠B = ∠C": nothing computed yet
        if _NAME.fullmatch(parts[0]):
            known[parts[0]] = value
        expr = ""
        for part in parts[1:-1]:
            sub = _NAME.sub(lambda m: known.get(m.group(0), m.group(0)), part)
            sub = _plain(sub).replace(" ", "")
            if _NUMERIC.match(sub) and _OPERATOR.search(sub):
                expr = sub
        if expr:
            lines.append(f"{expr}={value}")
    return "; ".join(lines) if lines else value
