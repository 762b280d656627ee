"""The answer layer: one parser/verifier shared by training rewards and evaluation scoring.

Why one module: the reference code used different parsers for the reward and the score, so a
model could be trained towards answers the evaluation then marked wrong. Everything that turns
model text into a verdict lives here; see ``ANSWERS.md`` for the policy and the module
docstrings of :mod:`.extract`, :mod:`.mathexpr`, :mod:`.compare` and :mod:`.counting` for the
decisions taken where the policy leaves room; policy 1.2 (choices, the free-form reading,
non-answers, typed answers, scoring profiles) is in :mod:`.choices`, :mod:`.freeform`,
:mod:`.typed` and :mod:`.profiles`.
"""

from __future__ import annotations

from .choices import letter, match_choice
from .compare import GoldError, check_gold_math, math_equal
from .counting import count_equal, count_value
from .extract import extract_answer, has_format, lenient_answer
from .freeform import answer_span, is_non_answer, yes_no
from .mathexpr import Value, parse_value

__all__ = [
    "GoldError",
    "Value",
    "answer_span",
    "check_gold_math",
    "count_equal",
    "count_value",
    "extract_answer",
    "has_format",
    "is_non_answer",
    "lenient_answer",
    "letter",
    "match_choice",
    "math_equal",
    "parse_value",
    "yes_no",
]
