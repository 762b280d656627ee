"""JSON as the standard defines it: never ``NaN``, ``Infinity`` or ``-Infinity``.

Why: Python's ``json.dumps`` writes non-finite floats as those bare words by default, which
strict parsers (JavaScript's ``JSON.parse``, jq, Go, Rust's serde_json) reject, so one NaN
metric made a marker, a manifest or a board unreadable outside Python. Every JSON file the
project writes goes through :func:`dumps`: a non-finite number becomes ``null`` (JSON's "no
value", which is what a NaN accuracy of an empty run or a NaN loss means to a reader) and a
warning names the file and the fields, so the replacement is never silent. Settings can no
longer be non-finite (they are refused before a model loads), so this only ever touches
measured values. Records are pydantic models, whose ``model_dump_json`` already writes ``null``.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

log = logging.getLogger(__name__)


def finite_copy(obj: Any, path: str = "$") -> tuple[Any, list[str]]:
    """``obj`` with every non-finite float replaced by None, and the paths replaced."""
    if isinstance(obj, float):
        return (obj, []) if math.isfinite(obj) else (None, [path])
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        bad: list[str] = []
        for key, value in obj.items():
            out[key], sub = finite_copy(value, f"{path}.{key}")
            bad += sub
        return out, bad
    if isinstance(obj, (list, tuple)):
        items, bad = [], []
        for i, value in enumerate(obj):
            item, sub = finite_copy(value, f"{path}[{i}]")
            items.append(item)
            bad += sub
        return items, bad
    return obj, []


def dumps(obj: Any, *, where: str = "JSON output", **kwargs: Any) -> str:
    """``json.dumps`` that never writes NaN/Infinity: they become null, with a warning naming
    ``where`` (the file) and the fields. Other keyword arguments go to ``json.dumps``."""
    clean, bad = finite_copy(obj)
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        log.warning("%s: non-finite number(s) at %s written as null (JSON has no NaN or "
                    "Infinity)", where, shown)
    return json.dumps(clean, allow_nan=False, **kwargs)
