"""The integer policy for counting tasks (ANSWERS.md, policies 5 and 13).

Why not the math parser: a counting answer is "how many", so the rule is simpler and
stricter — find every number the answer mentions, digits or English words, and accept it
only if they all name the same integer. ``<answer>There are 7 objects</answer>`` is 7,
``<answer>seven (7)</answer>`` is 7, ``<answer>3 cubes and 4 spheres</answer>`` is no answer.

Policy decisions (ANSWERS.md, policies 5 and 13)
    * Digits: runs of ``0-9``, optionally with a decimal part; ``7.0`` is 7, while a
      non-integer such as ``3.5`` or ``.5`` makes the answer ``None``. Full-width digits are
      read; ``1,000`` (groups of exactly three digits) is one thousand.
    * Words: zero..nineteen, the tens twenty..ninety and "twenty-one"/"twenty one" compounds,
      case-insensitive, as whole words. "no"/"none"/"a"/"single" are *not* numbers, nor are
      Chinese numerals.
    * A count is a plain non-negative integer: alone, after a choice letter (``C. 8``), or in
      a short sentence. An integer used in an operation is not a count, so an answer holding
      any operation is ``None``: a sign or a subtraction (``-7``, ``10 - 3``), a factorial
      (``7!``), a power (``2^{7}``, ``7²``), a root (``√49``, ``\\sqrt{-7}``), a fraction or
      another LaTeX command (``\\frac{14}{2}``), ``+ * / × ÷ · % ±``, a ratio (``7:7``) and the
      words plus/minus/times/squared/cubed/factorial/divided/multiplied/power/root.
      ``\\boxed{}``, ``\\text{}``-like wrappers, ``$``, ``\\(``/``\\)``, spacing commands
      and markdown bold (``**7**``) are only wrappers; braced groups side by side
      (``{2}{7}``, two ``\\boxed{}`` in a row) are no answer.
    * Letters used as choice markers (``C. 8``) are ignored, as is other text.
    * Answers over :data:`MAX_COUNT_CHARS` characters, or a digit run over 12 digits, give
      ``None``.
"""

from __future__ import annotations

import re

from .compare import GoldError

__all__ = ["MAX_COUNT_CHARS", "NUMBER_WORDS", "count_equal", "count_value"]

MAX_COUNT_CHARS = 1000

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_UNITS)} | _TENS
"""Single English number words and their values."""

_DIGIT_WORDS = "|".join(_UNITS[1:10])
_NUMBER_RE = re.compile(
    r"(\d+(?:\.\d+)?)"
    rf"|\b({'|'.join(_TENS)})(?:[\s-]+({_DIGIT_WORDS}))?\b"
    rf"|\b({'|'.join(_UNITS)})\b",
    re.IGNORECASE,
)
_FULLWIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **dict.fromkeys("−–—‐‑﹣－", "-"),
        "＋": "+",
        "！": "!",
        "／": "/",
        "：": ":",
        "＾": "^",
        "，": ",",
    }
)
_WRAPPERS = re.compile(
    r"\\(?:(?:boxed|text|textnormal|textbf|mathrm|mathbf|mbox|displaystyle|quad|qquad)"
    r"(?![A-Za-z])|[,;:! ()\[\]])|\$"
    r"|(?<![0-9A-Za-z)}\]])\*\*|\*\*(?![0-9A-Za-z({\[])"  # markdown bold, not a power
)
_ADJACENT_GROUPS = re.compile(r"\}\s*\{")
_OPERATION = re.compile(
    r"\\[A-Za-z]|[+*^×÷·⋅√∛%⁰¹²³⁴⁵⁶⁷⁸⁹±]"
    r"|-\s*[\d({\[]"  # a sign or a subtraction
    rf"|(?<![A-Za-z])-\s*(?:{'|'.join(NUMBER_WORDS)})\b"  # "-seven", not "twenty-one"
    r"|[\d)}\]]\s*!"  # a factorial
    r"|[\d)}\]]\s*/|/\s*[\d({\[]"  # a division
    r"|\d\s*:\s*\d"  # a ratio
    r"|(?<![A-Za-z\d])\.\d"  # a decimal without its integer part
    r"|\b(?:plus|minus|times|squared|cubed|factorial|divided|multiplied|power|root)\b",
    re.IGNORECASE,
)
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")


def _values(text: str) -> list[int] | None:
    out: list[int] = []
    for m in _NUMBER_RE.finditer(text):
        digits, tens, unit, word = m.groups()
        if digits is not None:
            ip, _, fp = digits.partition(".")
            if len(ip) > 12 or (fp and fp.strip("0")):
                return None
            out.append(int(ip))
        elif tens is not None:
            out.append(_TENS[tens.lower()] + (NUMBER_WORDS[unit.lower()] if unit else 0))
        else:
            out.append(NUMBER_WORDS[word.lower()])
    return out


def count_value(text: str | None) -> int | None:
    """The single integer an answer states (digits or an English word), else ``None``.

    Several distinct integers, a non-integer number, an operation on a number, no number at
    all, or over-size input all give ``None``. Never raises.
    """
    if not isinstance(text, str) or len(text) > MAX_COUNT_CHARS:
        return None
    s = _WRAPPERS.sub(" ", text.translate(_FULLWIDTH))
    if _ADJACENT_GROUPS.search(s) or _OPERATION.search(s):
        return None
    if "," in s:
        s = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), s)
    vals = _values(s)
    if not vals:
        return None
    first = vals[0]
    return first if all(v == first for v in vals) else None


def _gold_count(gold: int | str) -> int:
    if isinstance(gold, bool):
        raise GoldError(f"counting gold must be an integer, got {gold!r}")
    if isinstance(gold, int):
        if gold < 0:
            raise GoldError(f"counting gold must be non-negative, got {gold!r}")
        return gold
    if isinstance(gold, float) and gold.is_integer() and gold >= 0:
        return int(gold)
    if isinstance(gold, str):
        v = count_value(gold)
        if v is not None:
            return v
    raise GoldError(f"cannot read counting gold {str(gold)[:80]!r}")


def count_equal(pred: str | None, gold: int | str) -> bool:
    """Whether the extracted answer states exactly the gold count.

    Raises :class:`~othink_bench.answers.compare.GoldError` for an unreadable gold (also when
    ``pred`` is ``None``).
    """
    g = _gold_count(gold)
    return count_value(pred) == g
