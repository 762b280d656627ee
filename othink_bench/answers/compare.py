"""The comparison policy for math answers (ANSWERS.md, policy 2-4 and 7).

Why a separate module: extraction decides *which* text is the answer, :mod:`.mathexpr` decides
*what number* a text states, and this module decides whether that number counts as the gold.
Keeping the policy here, in a few named constants, is what lets the training reward, the
evaluation score and the data self-checks share one verdict.

Policy
    * Both sides are normalised and parsed the same way (:func:`.mathexpr.parse_values`).
    * Exact gold with a terminating decimal expansion (``40``, ``2.4``, ``\\frac{12}{5}cm``,
      ``17.5°``): the prediction must be exactly equal (``40.0`` == ``40``,
      ``27.1`` != ``27``).
    * Irrational or non-terminating gold (``10√{3}``, ``60π``, ``1/3``): exact equality, or a
      decimal literal with at least :data:`MIN_DECIMALS` places that is the gold correctly
      rounded to that many places (``17.32`` and ``17.3205`` for ``10√{3}``; ``17.3`` and
      ``17.33`` are wrong).
    * A side that only has a float form (division by a sum of several surds and the like)
      compares with relative tolerance :data:`.values.REL_TOL` (1e-9).
    * A prediction stating several values (``3, 4``; ``A. 7 B. 6``; ``10√3 ≈ 17.32``) is correct
      only if *every* value is accepted against the gold by the rules above; so distinct values
      are wrong, while an exact form followed by its correctly rounded decimal is right.
    * A prediction with free symbols, or one that cannot be read, is wrong (``False``).
    * A gold that cannot be read, has free symbols or states several distinct values raises
      :class:`GoldError`: a data error to report, never a silent 0 or 1.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from .mathexpr import parse_values
from .values import Value, close, rounds_to

__all__ = ["MIN_DECIMALS", "GoldError", "check_gold_math", "gold_value", "math_equal"]

MIN_DECIMALS = 2
"""Fewest decimal places a rounded decimal needs to match an irrational/non-terminating gold."""

GOLD_BUDGET_S = 2.0
"""Time guard for parsing one gold; generous, so a busy machine cannot turn a gold into an
error (the size limits keep real golds in the microseconds)."""


class GoldError(ValueError):
    """The ground truth cannot be parsed: an error in the data, never a silent 0 or 1."""


@lru_cache(maxsize=16384)
def _gold_cached(gold: str) -> Value | None:
    vals = parse_values(gold, budget_s=GOLD_BUDGET_S)
    if not vals:
        return None
    first = vals[0]
    if any(not first.same_as(v) for v in vals[1:]):
        return None
    return first


def gold_value(gold: str | int | float | Fraction) -> Value:
    """The parsed gold (cached); raises :class:`GoldError` if it is not one closed value."""
    if isinstance(gold, bool) or not isinstance(gold, (str, int, float, Fraction)):
        raise GoldError(f"gold must be a string or a number, got {type(gold).__name__}")
    text = gold if isinstance(gold, str) else str(gold)
    value = _gold_cached(text)
    if value is None:
        raise GoldError(f"cannot parse gold answer {text[:80]!r}")
    return value


def check_gold_math(gold: str) -> None:
    """Raise :class:`GoldError` if ``gold`` is not a single closed value."""
    gold_value(gold)


def _accepts(pred: Value, gold: Value) -> bool:
    if pred.terms is not None and gold.terms is not None:
        if pred.terms == gold.terms:
            return True
        if gold.is_terminating():
            return False
        dec = pred.decimals
        return dec is not None and dec >= MIN_DECIMALS and rounds_to(gold, pred)
    if close(pred.to_float(), gold.to_float()):
        return True
    if gold.terms is not None and gold.is_terminating():
        return False
    dec = pred.decimals
    return dec is not None and dec >= MIN_DECIMALS and rounds_to(gold, pred)


def math_equal(pred: str | None, gold: str) -> bool:
    """Whether the extracted answer ``pred`` is the gold under the policy in the module doc.

    ``pred=None`` (no answer) is ``False``. Raises :class:`GoldError` for an unreadable gold,
    also when ``pred`` is ``None``, so data errors surface on the first call.
    """
    g = gold_value(gold)
    if pred is None:
        return False
    preds = parse_values(pred)
    if not preds:
        return False
    return all(_accepts(p, g) for p in preds)
