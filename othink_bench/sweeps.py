"""How a swept setting's values are written and ordered, the same for the trainer and the board.

A ``train-and-eval --sweep`` training records its swept settings in its manifest
(``model.sweep``, e.g. ``{"beta": 0.05}``). The training folder (``sweep-beta=0.05``), the
matrix's labels and the board's rows all show that dict as the same text, and order values
numerically (``beta=0.01`` before ``beta=0.05`` before ``beta=0.1``), so they live here, in the
core, where both the trainers and the leaderboard can reach them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

#: the characters a swept value's text may hold: it names a folder
VALUE_TEXT = re.compile(r"[A-Za-z0-9._+-]+")


def value_text(value: Any) -> str:
    """One value as a folder, label and board show it: ``0.05``, ``1e-05``, ``true``, ``cosine``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return repr(value) if isinstance(value, float) else str(value)


def sweep_text(point: Mapping[str, Any] | None) -> str:
    """``alpha=0.5,beta=0.05`` (settings by name); empty for no sweep."""
    if not point:
        return ""
    return ",".join(f"{key}={value_text(point[key])}" for key in sorted(point))


def value_sort_key(value: Any) -> tuple[int, float, str]:
    """Numbers by value (before text), text by its characters."""
    if isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value):
        return (0, float(value), "")
    return (1, 0.0, value_text(value))


def sweep_sort_key(point: Mapping[str, Any] | None) -> tuple[Any, ...]:
    """No sweep first, then by each setting's name and value (numerically)."""
    if not point:
        return ()
    return tuple((key, value_sort_key(point[key])) for key in sorted(point))
