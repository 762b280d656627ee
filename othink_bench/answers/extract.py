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
    * :func:`lenient_answer`: the tagged answer when there is one; else the content of the
      last ``\\boxed{...}``; else whichever comes last in the text among (a) the last run of
      math characters that holds a digit, ``√`` or ``π`` and (b) the last English number word
      (returned as digits; "one" is skipped, being mostly a pronoun). All scans are linear.
"""

from __future__ import annotations

import re

from .counting import NUMBER_WORDS

__all__ = ["extract_answer", "has_format", "lenient_answer"]

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
    r"(?:\\(?:sqrt|d?frac|tfrac|pi|cdot|times|circ|left|right)(?![A-Za-z])"
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
_LEAD_JUNK = ")]}*/^+.,= \t"
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


def _clean_run(run: str) -> str | None:
    s = run.strip().lstrip(_LEAD_JUNK).rstrip(_TAIL_JUNK)
    if not s or not _HAS_VALUE.search(s):
        return None
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
