"""Find the answer in a model output: strict tag extraction, the format check, a lenient fallback.

Why strict by default: the reference code scored untagged outputs by reading whatever number
appeared in the reasoning, which credits guesses and hides format failures. Here the strict
answer is the content of the *last complete* ``<answer>...</answer>`` block and nothing else;
the lenient answer exists only to be recorded beside it, for comparison with papers that
scored untagged outputs.

Policy decisions
    * Tags are matched exactly and case-sensitively (``<answer>``, ``</answer>``, ``<think>``,
      ``</think>``), as the prompt asks for them.
    * A block is an ``<answer>`` and the first ``</answer>`` after it; the last such block wins
      (several blocks, a stray ``</answer>``, an output cut off mid-tag all resolve to the last
      block that closed). Its content is returned stripped, possibly ``""``.
    * :func:`has_format`: the whole text (surrounding whitespace allowed) is one
      ``<think>...</think>`` followed by one ``<answer>...</answer>``, with only whitespace
      between; neither part may contain another of the four tags. Empty parts are allowed
      (as in R1-V's regular expression; the accuracy reward judges the content).
    * :func:`lenient_answer`: the tagged answer when there is one; else, looking only at the
      last :data:`LENIENT_TAIL_CHARS` characters (policy 14), the content of the last
      ``\\boxed{...}``; else whichever comes last among (a) the last run of math characters
      that holds a digit, ``√`` or ``π`` and (b) the last English number word (returned as
      digits; "one" is skipped, being mostly a pronoun). In a run, ``1,000``-style groups of
      exactly three digits are one number (``12,000,023``), a leading ``.4`` is ``0.4``, LaTeX
      math delimiters ``\\(``/``\\)``/``\\[``/``\\]`` are dropped and brackets left open at the
      start or closed at the end are trimmed, so ``\\( (9+1) \\)`` reads as ``(9+1)``.
    * Bounds: tag search uses ``str.rfind``/``str.find`` only; every scan of the lenient path
      is linear in the tail, so any call stays far under 1 s on a 1 MB text.
"""

from __future__ import annotations

import re

from .counting import NUMBER_WORDS

__all__ = ["LENIENT_TAIL_CHARS", "extract_answer", "has_format", "lenient_answer"]

LENIENT_TAIL_CHARS = 4000
"""The lenient fallback reads only this many characters at the end of an untagged text."""

_OPEN, _CLOSE = "<answer>", "</answer>"
_T_OPEN, _T_CLOSE = "<think>", "</think>"
_TAGS = (_OPEN, _CLOSE, _T_OPEN, _T_CLOSE)


def extract_answer(text: str) -> str | None:
    """Stripped content of the last complete ``<answer>...</answer>`` block; ``None`` if none."""
    if not isinstance(text, str):
        return None
    last_close = text.rfind(_CLOSE)
    if last_close < 0:
        return None
    start = text.rfind(_OPEN, 0, last_close)
    if start < 0:
        return None
    start += len(_OPEN)
    end = text.find(_CLOSE, start)  # the first close after the last open that has one
    return text[start:end].strip()


def has_format(text: str) -> bool:
    """Whole text is ``<think>...</think>`` then ``<answer>...</answer>`` and nothing else."""
    if not isinstance(text, str):
        return False
    t = text.strip()
    if not (t.startswith(_T_OPEN) and t.endswith(_CLOSE)):
        return False
    mid = t.find(_T_CLOSE)
    if mid < 0:
        return False
    think = t[len(_T_OPEN) : mid]
    rest = t[mid + len(_T_CLOSE) :].lstrip()
    if not rest.startswith(_OPEN) or len(rest) < len(_OPEN) + len(_CLOSE):
        return False
    answer = rest[len(_OPEN) : -len(_CLOSE)]
    return not any(tag in think or tag in answer for tag in _TAGS)


_BOXED = "\\boxed{"
_MATH_RUN = re.compile(
    r"(?:(?<![\d,])\d{1,3}(?:,\d{3})+(?!,?\d)"
    r"|\\(?:sqrt|d?frac|tfrac|pi|cdot|times|circ|left|right)(?![A-Za-z])"
    r"|(?<![A-Za-z])(?:sqrt|pi)(?![A-Za-z])"
    r"|[0-9.√π°+\-*/^(){}×·−]"
    r"|[ \t](?=[0-9.√π°+\-*/^(){}×·−\\]))+"
)
_HAS_VALUE = re.compile(r"[0-9√π]|\\pi|\\sqrt|(?<![A-Za-z])(?:sqrt|pi)(?![A-Za-z])")
_DIGIT_WORDS = "one|two|three|four|five|six|seven|eight|nine"
_TENS_WORDS = "|".join(w for w, v in NUMBER_WORDS.items() if v >= 20)
_LENIENT_WORDS = re.compile(
    rf"\b({_TENS_WORDS})(?:[\s-]+({_DIGIT_WORDS}))?\b"
    r"|\b(" + "|".join(w for w, v in NUMBER_WORDS.items() if v < 20 and w != "one") + r")\b",
    re.IGNORECASE,
)
_LAST_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_LEAD_JUNK = ")]}*/^+,= \t"
_THOUSANDS = re.compile(r"(\d),(?=\d{3}(?!\d))")
_DELIMITERS = re.compile(r"\\[()\[\]]")
_TAIL_JUNK = "([{*/^+-=., \t−"


def _boxed(text: str) -> str | None:
    i = text.rfind(_BOXED)
    if i < 0:
        return None
    depth, start = 1, i + len(_BOXED)
    for j in range(start, len(text)):
        ch = text[j]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start:j].strip()
    return None


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _trim_brackets(s: str) -> str:
    """Cut the run between its last opener never closed and its first closer never opened."""
    depth, first_bad_close = 0, len(s)
    for i, ch in enumerate(s):
        if ch in "({":
            depth += 1
        elif ch in ")}":
            if depth:
                depth -= 1
            elif first_bad_close == len(s):
                first_bad_close = i
    depth, last_bad_open = 0, -1
    for i in range(len(s) - 1, -1, -1):
        ch = s[i]
        if ch in ")}":
            depth += 1
        elif ch in "({":
            if depth:
                depth -= 1
            elif last_bad_open < 0:
                last_bad_open = i
    if last_bad_open >= first_bad_close:
        return s
    return s[last_bad_open + 1 : first_bad_close].lstrip(_LEAD_JUNK).rstrip(_TAIL_JUNK)


def _clean_run(run: str) -> str | None:
    s = run.strip().lstrip(_LEAD_JUNK)
    while s.startswith(".") and not s[1:2].isdigit():
        s = s[1:].lstrip(_LEAD_JUNK)
    s = s.rstrip(_TAIL_JUNK)
    if s.startswith("."):
        s = "0" + s
    if "," in s:
        s = _THOUSANDS.sub(r"\1", s)
    if not s or not _HAS_VALUE.search(s):
        return None
    if not _balanced(s):
        s = _trim_brackets(s)
    if _balanced(s):
        return s
    nums = _LAST_NUMBER.findall(s)
    return nums[-1] if nums else None


def lenient_answer(text: str) -> str | None:
    """The tagged answer if present, else the final number or math expression of the text."""
    if not isinstance(text, str):
        return None
    tagged = extract_answer(text)
    if tagged is not None:
        return tagged
    if len(text) > LENIENT_TAIL_CHARS:
        text = text[-LENIENT_TAIL_CHARS:]
        cut = text.find(" ")  # drop the word the cut went through
        text = text[cut + 1 :] if cut >= 0 else ""
    if "\\" in text:
        text = _DELIMITERS.sub(" ", text)
    boxed = _boxed(text)
    if boxed:
        return boxed
    run_end, run = -1, None
    for m in reversed(list(_MATH_RUN.finditer(text))):
        cleaned = _clean_run(m.group(0))
        if cleaned is not None:
            run_end, run = m.end(), cleaned
            break
    word_end, word = -1, None
    for m in _LENIENT_WORDS.finditer(text):
        tens, unit, single = m.groups()
        if tens is not None:
            n = NUMBER_WORDS[tens.lower()] + (NUMBER_WORDS[unit.lower()] if unit else 0)
        else:
            n = NUMBER_WORDS[single.lower()]
        word_end, word = m.end(), str(n)
    if word is not None and word_end > run_end:
        return word
    return run
