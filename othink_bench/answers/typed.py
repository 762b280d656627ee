"""Typed answers: verify a span against a gold of a declared type (choice, number, yes/no ...).

Why: the benchmark battery states, per sample, what kind of answer it expects (MathVista's
``answer_type`` and ``precision``, MATH-V's options); the verdict depends on that type, not on
the gold's spelling. Both scoring profiles (:mod:`othink_bench.answers.profiles`) read a span
(the strict ``<answer>`` block, or the free-form span of :mod:`.freeform`) and call
:func:`read_typed` then :func:`typed_equal`.

The sample metadata contract (documented on :class:`othink_bench.task.Sample`):
``meta["answer_type"]`` is one of :data:`ANSWER_TYPES`; ``meta["options"]`` the option texts in
letter order (choice tasks); ``meta["precision"]`` decimals a float answer is rounded to, or
``None``; ``meta["unit"]`` the unit the question asks for, or ``None`` (units are stripped by
the normalisation of rule 2 either way).

Policy decisions
    * ``choice``: the gold is a letter or an option's text; the prediction names one option
      (:func:`.choices.match_choice`); a span that names none is no answer. In a concluding
      sentence, "is B" / ": B" / "(B)" also name a letter.
    * ``integer``: the number read must be an integer (``7.0`` is 7, ``7.5`` is not 7 nor 8).
    * ``float``: both sides rounded half-up to the precision (never truncated); with no
      precision, the math comparison of rule 3.
    * ``list``: a gold like ``[2, 3.5]``; the prediction must state the same numbers in the
      same order (each rounded to the precision when one is given).
    * ``text``: the same normalised spelling (rule 2), or the same value when both are one
      number.
    * ``yes_no``: the polarity (:func:`.freeform.yes_no`) equals the gold's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from .choices import letter, match_choice, option_key, same_options
from .compare import GoldError, math_equal
from .freeform import Number, format_number, read_number, read_numbers, rounds_equal, yes_no
from .normalise import normalise

__all__ = ["ANSWER_TYPES", "AnswerSpec", "check_gold_typed", "read_typed", "typed_equal"]

ANSWER_TYPES = ("integer", "float", "text", "list", "yes_no", "choice")

_WORD_EDGE = re.compile(r"[\s.,;:!?()\[\]\"'*]+")
_LETTER_IN_SENTENCE = re.compile(r"(?:\bis|\bbe|[:：=])\s*\(?([A-Z])\)?(?=[\s.,;!$]|$)")


@dataclass(frozen=True)
class AnswerSpec:
    """What a sample's answer must look like (from ``Sample.meta``)."""

    answer_type: str
    options: tuple[str, ...] = ()
    precision: int | None = None
    unit: str | None = None

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> AnswerSpec | None:
        """The spec a sample's metadata declares, ``None`` when it declares none; a malformed
        declaration raises ``ValueError`` naming the field."""
        kind = meta.get("answer_type")
        if kind is None:
            return None
        if kind not in ANSWER_TYPES:
            raise ValueError(
                f"sample meta 'answer_type' is {kind!r}; expected one of {', '.join(ANSWER_TYPES)}"
            )
        options = meta.get("options") or ()
        if not isinstance(options, Sequence) or isinstance(options, str) or not all(
            isinstance(o, str) for o in options
        ):
            raise ValueError("sample meta 'options' must be a list of strings (choice texts)")
        if kind == "choice" and not options:
            raise ValueError("sample meta 'answer_type' is 'choice' but 'options' is empty")
        precision = meta.get("precision")
        if precision is not None and (
            not isinstance(precision, int) or isinstance(precision, bool) or precision < 0
        ):
            raise ValueError(f"sample meta 'precision' is {precision!r}; expected an int >= 0 or null")
        unit = meta.get("unit")
        return cls(kind, tuple(options), precision, unit if isinstance(unit, str) and unit else None)


def _gold_number(gold: str) -> Number:
    v = read_number(gold, "tag")
    if v is None:
        raise GoldError(f"cannot read a number in gold answer {gold[:80]!r}")
    return v


def _gold_list(gold: str) -> list[Number]:
    nums = read_numbers(gold)
    if not nums:
        raise GoldError(f"cannot read a list of numbers in gold answer {gold[:80]!r}")
    return nums


def _gold_polarity(gold: str) -> bool:
    g = gold.strip().lower().rstrip(".")
    if g in ("yes", "true", "1"):
        return True
    if g in ("no", "false", "0"):
        return False
    raise GoldError(f"yes/no gold answer {gold[:80]!r} is not yes or no")


def check_gold_typed(gold: str, spec: AnswerSpec) -> None:
    """Raise :class:`GoldError` if ``gold`` cannot be verified against under ``spec``."""
    _check_gold_cached(gold, spec)


@lru_cache(maxsize=16384)
def _check_gold_cached(gold: str, spec: AnswerSpec) -> None:
    if spec.answer_type == "choice":
        if match_choice(gold, spec.options) is None:
            raise GoldError(f"choice gold {gold[:80]!r} names none of the options {list(spec.options)!r}")
    elif spec.answer_type in ("integer", "float"):
        v = _gold_number(gold)
        if spec.answer_type == "integer" and not (isinstance(v, Fraction) and v.denominator == 1):
            raise GoldError(f"integer gold answer {gold!r} is not an integer")
    elif spec.answer_type == "list":
        _gold_list(gold)
    elif spec.answer_type == "yes_no":
        _gold_polarity(gold)
    elif not gold.strip():
        raise GoldError("text gold answer is empty")


def _choice_in_prose(
    span: str, options: Sequence[str], how: str, question: str | None, full: str | None
) -> int | None:
    """The option a prose sentence names, when exactly one reading names exactly one option: a
    letter ("is B"), the polarity of yes/no options, the value of numeric options, or the
    whole-word text of one option (never the nearest option)."""
    letters = set(_LETTER_IN_SENTENCE.findall(span))
    if len(letters) == 1:
        j = ord(letters.pop()) - ord("A")
        return j if j < len(options) else None
    if len(letters) > 1:
        return None
    keys = [o.strip().lower().rstrip(".") for o in options]
    if set(keys) <= {"yes", "no"}:
        p = yes_no(full if full is not None else span, question)
        want = None if p is None else ("yes" if p else "no")
        return keys.index(want) if want in keys else None
    values = [read_number(o, "tag") for o in options]
    text = " " + _WORD_EDGE.sub(" ", normalise(span).lower()) + " "
    # option texts named in the sentence; numeric options are read as numbers instead
    found = [k for k, o in enumerate(options)
             if values[k] is None and len(t := _WORD_EDGE.sub(" ", normalise(o).lower()).strip()) >= 2
             and f" {t} " in text]
    # an option inside a longer option that is also found ("large" in "larger than") is not named
    found = [k for k in found if not any(
        option_key(options[k]) != option_key(options[m])
        and option_key(options[k]) in option_key(options[m]) for m in found)]
    if len({option_key(options[k]) for k in found}) == 1:
        return found[0]
    if all(v is not None for v in values):
        v = read_number(span, how, question)
        hits = [k for k, w in enumerate(values) if v is not None and w == v]
        if hits and len({option_key(options[k]) for k in hits}) == 1:
            return hits[0]
    return None


def read_typed(
    span: str | None, spec: AnswerSpec, how: str = "tag", question: str | None = None,
    full: str | None = None,
) -> str | None:
    """The canonical answer a span states under ``spec`` (a letter, a number, ``yes``/``no``,
    the text), or ``None`` when it states none. ``full`` is the whole output, whose first
    answering sentence gives a yes/no polarity (rule 19) when the span is a concluding
    sentence."""
    if not span:
        return None
    kind = spec.answer_type
    if kind == "choice":
        i = match_choice(span, spec.options)
        if i is None and how in ("sentence", "phrase"):
            i = _choice_in_prose(span, spec.options, how, question, full)
        return letter(i) if i is not None else None
    if kind in ("integer", "float"):
        v = read_number(span, how, question)
        return format_number(v) if v is not None else None
    if kind == "list":
        nums = read_numbers(span)
        return "[" + ", ".join(format_number(n) for n in nums) + "]" if nums else None
    if kind == "yes_no":
        p = yes_no(full if full is not None and how == "sentence" else span, question)
        return None if p is None else ("yes" if p else "no")
    return span.strip()


def typed_equal(answer: str | None, gold: str, spec: AnswerSpec) -> bool:
    """Whether the canonical answer of :func:`read_typed` is the gold under ``spec``.

    Raises :class:`GoldError` for a gold that cannot be verified against (also when
    ``answer`` is ``None``), so data errors surface on the first call.
    """
    check_gold_typed(gold, spec)
    if answer is None:
        return False
    kind = spec.answer_type
    if kind == "choice":
        i, gi = match_choice(answer, spec.options), match_choice(gold, spec.options)
        return i is not None and gi is not None and i in same_options(gi, spec.options)
    if kind in ("integer", "float"):
        pred = read_number(answer, "tag")
        if pred is None:
            return False
        gv = _gold_number(gold)
        if kind == "integer":
            return isinstance(pred, Fraction) and pred == gv
        if spec.precision is None:
            return math_equal(answer, gold) if isinstance(gv, Fraction) else rounds_equal(pred, gv, None)
        return rounds_equal(pred, gv, spec.precision)
    if kind == "list":
        preds, golds = read_numbers(answer), _gold_list(gold)
        return len(preds) == len(golds) and all(
            rounds_equal(p, g, spec.precision) for p, g in zip(preds, golds, strict=True)
        )
    if kind == "yes_no":
        p = yes_no(answer)
        return p is not None and p == _gold_polarity(gold)
    if option_key(answer) == option_key(gold):
        return True
    try:
        return math_equal(answer, gold)
    except GoldError:
        return False
