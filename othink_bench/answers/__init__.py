"""The answer layer: one parser/verifier shared by training rewards and evaluation scoring.

Why one module: the reference code used different parsers for the reward and the score, so a
model could be trained towards answers the evaluation then marked wrong. Everything that turns
model text into a verdict lives here; see ``ANSWERS.md`` for the policy and the module
docstrings of :mod:`.extract`, :mod:`.mathexpr`, :mod:`.compare` and :mod:`.counting` for the
decisions taken where the policy leaves room.
"""

from __future__ import annotations

from .compare import GoldError, check_gold_math, math_equal
from .counting import count_equal, count_value
from .extract import extract_answer, has_format, lenient_answer
from .mathexpr import Value, parse_value

__all__ = [
    "GoldError",
    "Value",
    "check_gold_math",
    "count_equal",
    "count_value",
    "extract_answer",
    "has_format",
    "lenient_answer",
    "math_equal",
    "parse_value",
]
