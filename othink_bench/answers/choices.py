"""Multiple-choice answers (ANSWERS.md policy 1.2, rule 16): which option a prediction names.

Why a module of its own: a choice verdict is a different question from a math verdict (the gold
is an option, not a value), and the benchmark scorers this project replaces get it wrong in
known ways: MathVista's maps any extraction, "N/A" included, to the nearest option by edit
distance; MATH-V's misses option text with units or ``$`` and letters glued to option text.

Policy decisions
    * A prediction may name a letter, an option's text, or both. Letter forms: ``B``, ``(B)``,
      ``[B]``, ``B.``, ``B)``, ``B:``, ``\\textbf{(B)}``, ``**B**``, "option B", "choice B"; a letter
      glued to option text (``B.3 cm``, ``(B)3 cm``) is a letter and a text. Letters are upper
      case (``a`` is an article); "option b" may be lower case.
    * Option text matches after the normalisation of rule 2 (:func:`.normalise.normalise`:
      units, degrees, roots, braces, spaces, ``$``, LaTeX wrappers), compared case-blind; when
      both sides read as one number, they match when the numbers are equal (``3 cm`` and
      ``$3$``, ``0.5`` and ``\\frac{1}{2}``).
    * A letter beyond the options, several different letters, or a letter and a text that name
      different options is no answer (``None``), unless the text matches an option exactly
      (the same normalised spelling): then the text wins.
    * A text that matches several different options (``5`` and ``5.0`` by value) is no answer;
      repeated options with the same text are one option, named by its first letter
      (:func:`same_options` lists the letters that name it). A prediction is never mapped to
      the nearest option by edit distance or by containment.
    * Bounds: predictions over :data:`MAX_CHOICE_CHARS` characters are no answer; every regular
      expression here is linear.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from .mathexpr import parse_values
from .normalise import normalise
from .values import Value

__all__ = ["MAX_CHOICE_CHARS", "letter", "letter_index", "match_choice", "option_key", "same_options"]

MAX_CHOICE_CHARS = 2000
"""A prediction longer than this names no option (a choice answer is short)."""

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_WRAP = re.compile(r"\\text(?:bf|rm|it|normal)?\s*\{([^{}]*)\}|\\mathbf\s*\{([^{}]*)\}")
# a whole prediction that is only a letter: "B", "(B)", "[B]", "B.", "B)", "B:", "option B"
_ONLY_LETTER = re.compile(
    r"(?:(?:option|choice)\s*)?[(\[]?\s*([A-Z])\s*[)\]]?\s*[.:)]?", re.IGNORECASE
)
# a letter that starts the prediction and is followed by text: "(B) 3 cm", "B. 3 cm", "B)3cm"
_LEAD_LETTER = re.compile(
    r"(?:(?:option|choice)\s*)?(?:[(\[]\s*([A-Z])\s*[)\]]|([A-Z])\s*[.:)])\s*(\S.*)",
    re.IGNORECASE | re.DOTALL,
)
# letters named inside a text: "option B", "choice (B)", "(B)", a list marker " B. " / " B) "
_INNER_LETTER = re.compile(
    r"(?<![A-Za-z])(?i:option|choice)\s*[(\[]?\s*([A-Za-z])(?![A-Za-z])|\(([A-Z])\)"
    r"|(?<![^\s,;])([A-Z])[.:)](?=\s|$)"
)
_EDGE = " \t\n.,;:!?\"'`*_"
_ANSWER_PREFIX = re.compile(
    r"(?:so\s+|thus\s+|therefore,?\s+|hence\s+)?(?:the\s+)?(?:final\s+|correct\s+|right\s+)?"
    r"(?:answer|option|choice)\s+(?:is|should\s+be|would\s+be)\s*:?\s*"
    r"|(?:final\s+)?answer\s*:\s*",
    re.IGNORECASE,
)


def letter(i: int) -> str:
    """The letter of option ``i`` (0 -> ``A``); ``ValueError`` beyond ``Z`` or below 0."""
    if not 0 <= i < len(_LETTERS):
        raise ValueError(f"option index {i} has no letter (0..{len(_LETTERS) - 1})")
    return _LETTERS[i]


def letter_index(ch: str) -> int:
    """The option index a letter names (``B`` -> 1), case-blind."""
    return _LETTERS.index(ch.upper())


def _unwrap(s: str) -> str:
    s = s.replace("$", "").replace("**", "")
    if "\\" in s:
        for _ in range(3):
            t = _WRAP.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), s)
            if t == s:
                break
            s = t
    return s.strip().strip(_EDGE)


@lru_cache(maxsize=8192)
def option_key(s: str) -> str:
    """The spelling compared for an exact text match (rule 2, then case and spaces)."""
    n = normalise(s).lower()
    for ch in "{} \t\n":
        n = n.replace(ch, "")
    return n.strip(".,;:!?\"'`*_")


@lru_cache(maxsize=8192)
def _value(s: str) -> Value | None:
    if len(s) > 200:
        return None
    vals = parse_values(s)
    # one piece only: an option like "X=0, Y=0" states two things, not the number 0
    return vals[0] if vals and len(vals) == 1 else None


def _text_match(text: str, options: Sequence[str]) -> tuple[int | None, bool]:
    """(index of the one option the text names, whether the match is exact), or (None, False)."""
    key = option_key(text)
    if not key:
        return None, False
    exact = [i for i, opt in enumerate(options) if option_key(opt) == key]
    if exact:  # repeated options (the data has some) spell the same text: the first names it
        return exact[0], True
    v = _value(text)
    if v is None:
        return None, False
    by_value = [i for i, opt in enumerate(options) if (ov := _value(opt)) is not None and ov.same_as(v)]
    same = len({option_key(options[i]) for i in by_value}) == 1
    return (by_value[0], False) if by_value and same else (None, False)


def same_options(i: int, options: Sequence[str]) -> set[int]:
    """The indexes of the options spelt as option ``i`` is (repeated options are one answer)."""
    key = option_key(options[i])
    return {j for j, o in enumerate(options) if option_key(o) == key}


def _letter_of(m: re.Match[str]) -> str:
    return next(g for g in m.groups() if g is not None).upper()


def match_choice(prediction: str, options: Sequence[str]) -> int | None:
    """The index of the option ``prediction`` names, or ``None`` (see the module doc)."""
    if not isinstance(prediction, str) or not options or len(prediction) > MAX_CHOICE_CHARS:
        return None
    s = _unwrap(prediction)
    m0 = _ANSWER_PREFIX.match(s)
    if m0 is not None:
        s = s[m0.end() :].strip()
    if not s:
        return None
    n = len(options)
    m = _ONLY_LETTER.fullmatch(s)
    keyword = s[:6].lower() in ("option", "choice")
    if m is not None and (m.group(1).isupper() or keyword or s[:1] in "(["):
        # a lone letter; an option whose text is that letter is matched by text first
        idx, exact = _text_match(s, options)
        if exact:
            return idx
        i = letter_index(m.group(1))
        return i if i < n else None
    letters: set[str] = set()
    rest = s
    m = _LEAD_LETTER.fullmatch(s)
    if m is not None:
        ch = m.group(1) or m.group(2)
        if ch.isupper() or keyword or m.group(1) is not None:
            letters.add(ch.upper())
            rest = m.group(3)
    letters.update(_letter_of(x) for x in _INNER_LETTER.finditer(rest))
    rest = _INNER_LETTER.sub(" ", rest).strip().strip(_EDGE) if letters else rest
    idx, exact = _text_match(rest, options) if rest else (None, False)
    if exact and idx is not None:
        return idx  # the text names an option exactly: it wins over any letter
    if len(letters) > 1:
        return None
    if letters:
        (ch,) = letters
        i = letter_index(ch)
        if i >= n:
            return None
        if idx is not None and idx != i:
            return None
        if idx is None and rest and _value(rest) is not None and _value(options[i]) is not None:
            return None  # "B. 7" where B is 6: a letter and a value naming different things
        return i
    return idx
