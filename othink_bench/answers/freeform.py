"""The free-form reading of prose answers (ANSWERS.md policy 1.2, rules 17-19).

Why: models that were not trained on this project's ``<answer>`` tags (any base or chat model)
answer in prose. Scoring them by the last number of the text credits guesses and echoes, and
the benchmarks' own scorers map anything, "N/A" included, to some option. This module finds the
one span of a prose output that states its answer, says when the output is a non-answer, and
reads numbers and yes/no from a span; :mod:`.typed` turns a span into a verdict.

Policy decisions
    * Continuations: the text is cut where the model starts inventing the next turn, a line
      starting with ``Question:``, ``Hint:``, ``Human:``, ``User:``, ``Problem:`` or ``Q:``
      (not at the very start: that is an echo).
    * The answer span, in order (:func:`answer_span`): the last complete ``<answer>`` block;
      else whichever comes later of the last ``\\boxed{}`` and the text after the last explicit
      answer phrase ("the
      answer is", "Answer:", "final answer:", "correct option is", "the answer should be")
      up to the end of its sentence (or the next non-empty line when the phrase ends a line);
      else the concluding sentence (the last sentence that has a letter or a digit).
    * Non-answers (:func:`is_non_answer`, rule 18), checked in this order: ``empty`` (nothing
      but spaces, tags and punctuation); ``refusal`` (the output opens with, or its span is,
      "I'm sorry", "I cannot", "I can't", "I am unable", "As an AI"); ``undetermined`` (the
      span says "cannot be determined", "not enough information", "impossible to tell",
      "N/A", "unknown", "none"); ``echo_question`` (the output is the question, or a long
      part of it, with nothing after it); ``echo_options`` (the span lists two or more
      option markers, ``Choices:``, or two or more option texts in a row).
    * Numbers (:func:`read_number`): the span is first read as one math value (``x = 18``,
      ``\\frac{3}{4}``, ``2\\sqrt{3}``, ``40°``, ``1,000``, ``12 cm``); else its number tokens
      are read: digits with ``1,000``-style separators, decimals, ``a/b``, percents (``25%``
      reads as 25, the number the question's unit names), English number words. From an
      answer phrase, a tag or a box the first number is the answer; from a concluding
      sentence the last number that the question does not already state (a span whose
      numbers all echo the question has no answer).
    * Rounding: :func:`rounds_equal` rounds both sides half-up to the task's precision;
      nothing is ever truncated.
    * Yes/no (:func:`yes_no`, rule 19): the polarity of the first sentence that answers (a
      standalone yes/no word, "correct"/"incorrect", "true"/"false"); a sentence with both is
      no answer; "equal"/"the same" answers a comparative question ("is A more than B") with
      no.
    * Bounds: only the last :data:`TAIL_CHARS` characters of an output are searched for a span
      (the first :data:`HEAD_CHARS` for refusals and yes/no); every regular expression is
      linear, so a call stays far under 1 s on 1 MB of text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from fractions import Fraction
from functools import lru_cache

from .counting import NUMBER_WORDS
from .extract import extract_answer
from .mathexpr import parse_value

__all__ = [
    "HEAD_CHARS",
    "NON_ANSWER_CLASSES",
    "TAIL_CHARS",
    "answer_span",
    "cut_continuation",
    "format_number",
    "is_non_answer",
    "read_number",
    "read_numbers",
    "rounds_equal",
    "yes_no",
]

TAIL_CHARS = 4000
"""A prose answer is looked for in this many characters at the end of the output."""
HEAD_CHARS = 2000
"""Refusals and yes/no polarity are looked for in this many characters at the start."""
MAX_SPAN_CHARS = 2000
"""An answer span longer than this is cut to its end (a tagged or boxed essay is no answer)."""
"""Refusals and yes/no polarity are looked for in this many characters at the start."""

NON_ANSWER_CLASSES = ("empty", "refusal", "undetermined", "echo_question", "echo_options")

Number = Fraction | float

_CONTINUATION = re.compile(r"\n[ \t]*(?:#+\s*)?(?:Question|Hint|Human|User|Problem|Q)\s*[:：]")
# an explicit answer phrase; "the", "final", "correct" before it need no matching
_PHRASE = re.compile(
    r"(?:answer|option|choice)\s*(?:\*\*)?\s*(?:is|should\s+be|would\s+be|will\s+be|must\s+be|=|[:：])"
    r"\s*(?:\*\*)?\s*[:：]?\s*(?:\*\*)?"
    r"|答案\s*(?:是|为|為|应为|應為|[:：])\s*[:：]?\s*|故选\s*[:：]?\s*",
    re.IGNORECASE,
)
# a sentence ends at . ! ? or a line break; never at a lone capital's period ("B. 6 cm")
_SENTENCE_END = re.compile(r"(?<!^[A-Z])(?<![^A-Za-z][A-Z])[.!?。](?=\s|$)|\n")
_TAGS = re.compile(r"</?(?:think|answer)>")
_ALNUM = re.compile(r"[A-Za-z0-9\u3400-\u9fff]")
_REFUSAL = re.compile(
    r"^\W*(?:I'?\s*a?m\s+sorry|sorry,|I\s+apologi[sz]e|I\s*(?:cannot|can't|can not|am unable|"
    r"'m unable|am not able|'m not able)|As an? (?:text-based |language |large language )?(?:AI|model)"
    r"|Unfortunately,? I\s*(?:cannot|can't|'m unable|am unable))",
    re.IGNORECASE,
)
_UNDETERMINED = re.compile(
    r"cannot\s+be\s+(?:determined|answered|known|calculated|found)|can'?t\s+be\s+(?:determined|"
    r"answered|known|calculated)|(?:not|insufficient)\s+enough\s+information|insufficient\s+"
    r"(?:information|data)|impossible\s+to\s+(?:tell|determine|say|know|provide|answer|give)"
    r"|(?:cannot|can't|can\s+not)\s+(?:provide|give)\s+(?:a|an|the)\s+(?:\w+\s+)?answer|unable\s+to\s+"
    r"(?:determine|tell|answer)|(?:is|are)\s+not\s+(?:possible|able)\s+to\s+(?:determine|tell)"
    r"|no\s+(?:correct\s+)?answer|(?:does\s+not|doesn't|do\s+not|don't)\s+provide\s+(?:enough\s+|"
    r"sufficient\s+|any\s+)?(?:information|details|context|data)|please\s+provide"
    r"|without\s+(?:additional|more|further)\s+(?:context|information)"
    r"|(?:answer|it)\s+cannot\s+be\s+provided|not\s+(?:available|among|in)\s+(?:in\s+)?the\s+"
    r"(?:choices|options)|(?:question|image)\s+is\s+(?:not\s+clear|unclear|incomplete)",
    re.IGNORECASE,
)
_UNDETERMINED_ALONE = re.compile(
    r"\W*(?:n/?a|none|unknown|undetermined|indeterminate|not\s+applicable|no\s+answer|"
    r"undefined|unanswerable)\W*",
    re.IGNORECASE,
)
_MARKER = re.compile(r"(?<![^\s,;(\[])(?:\(([A-Za-z])\)|([A-Z])[.:)])(?=\s|$|[^\s.])")
_CHOICES_WORD = re.compile(r"(?<![A-Za-z])(?:choices|options)\s*[:：]", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_LAST_IS = re.compile(r"(?:\bis|\bbe|\bequals|\bequal\s+to)\s+(?:approximately\s+|about\s+)?([^\s,;]{1,30})\s*$",
                      re.IGNORECASE)
_RANGE = re.compile(r"\bbetween\s+\S+\s+and\b|\d\s*(?:or|to)\s+-?\d", re.IGNORECASE)
_COURTESY = re.compile(
    r"\W*(?:is\s+there\s+anything\s+else|i\s+hope\s+(?:this|that)|let\s+me\s+know|"
    r"do\s+you\s+have\s+(?:any\s+)?(?:other|more|further)|feel\s+free|if\s+you\s+have\s+any|"
    r"please\s+let\s+me|thank\s+you|happy\s+to\s+help)",
    re.IGNORECASE,
)

_WORDS = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_UNITS_WORDS = "one|two|three|four|five|six|seven|eight|nine"
_NUMBER_TOKEN = re.compile(
    r"(?<![\w.])(-?\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|-?\d+(?:\.\d+)?(?:\s*/\s*\d+(?!\.\d))?"
    r"|-?\.\d+)(\s*(?:%|percent))?"
    rf"|\b((?:{_WORDS})(?:[\s-](?:{_UNITS_WORDS}))?)\b",
    re.IGNORECASE,
)
_YES = re.compile(r"(?<![A-Za-z])(?:yes|yeah)(?![A-Za-z])", re.IGNORECASE)
_NO = re.compile(r"(?<![A-Za-z])(?:no|nope)(?![A-Za-z])", re.IGNORECASE)
_TRUE = re.compile(r"(?<![A-Za-z])(?:correct|true|right)(?![A-Za-z])", re.IGNORECASE)
_FALSE = re.compile(
    r"(?<![A-Za-z])(?:incorrect|false|wrong|not\s+(?:correct|true|right))(?![A-Za-z])",
    re.IGNORECASE,
)
_EQUAL = re.compile(r"(?<![A-Za-z])(?:equal|the\s+same|identical)(?![A-Za-z])", re.IGNORECASE)
_COMPARATIVE = re.compile(
    r"(?<![A-Za-z])(?:more|less|fewer|greater|larger|smaller|bigger|taller|shorter|higher|lower|"
    r"longer|wider|heavier|lighter|older|younger|[a-z]+er\s+than)(?![A-Za-z])",
    re.IGNORECASE,
)


def cut_continuation(text: str) -> str:
    """The text before the first turn the model invented (``Question:``, ``Human:`` ...)."""
    m = _CONTINUATION.search(text)
    if m is not None and text[: m.start()].strip():
        return text[: m.start()]
    return text


def _tail(text: str) -> str:
    if len(text) <= TAIL_CHARS:
        return text
    t = text[-TAIL_CHARS:]
    cut = t.find(" ")
    return t[cut + 1 :] if cut >= 0 else t


def _last_boxed(text: str) -> tuple[str | None, int]:
    """The content of the last complete ``\\boxed{}`` and where it starts (``-1``: none)."""
    i = text.rfind("\\boxed")
    while i >= 0:
        j = i + len("\\boxed")
        while j < len(text) and text[j] == " ":
            j += 1
        if j < len(text) and text[j] == "{":
            depth = 0
            for k in range(j, len(text)):
                if text[k] == "{":
                    depth += 1
                elif text[k] == "}":
                    depth -= 1
                    if depth == 0:
                        return text[j + 1 : k].strip(), i
            return None, -1
        i = text.rfind("\\boxed", 0, i)
    return None, -1


def _sentence_from(text: str, start: int) -> str:
    """The text from ``start`` to the end of its sentence; the next line if the line is empty."""
    rest = text[start:]
    stripped = rest.lstrip(" \t*")
    if stripped.startswith("\n") or not stripped.strip():
        lines = [ln for ln in rest.split("\n") if ln.strip(" \t*")]
        rest = lines[0] if lines else ""
    m = _SENTENCE_END.search(rest.lstrip())
    out = rest.lstrip()
    if m is not None:
        out = out[: m.start()]
    return out.strip(" \t*")[:500]


def _concluding_sentence(text: str) -> str | None:
    """The last sentence with a letter or digit that is not a closing courtesy."""
    lines = [ln for ln in text.split("\n") if _ALNUM.search(ln)]
    for line in reversed(lines[-50:]):
        for part in reversed(_SENTENCE_END.split(line)):
            part = part.strip(" \t*")
            if _ALNUM.search(part) and not _COURTESY.match(part):
                return part
    return None


def answer_span(text: str) -> tuple[str | None, str]:
    """The span that states the answer and how it was found (``tag``, ``boxed``, ``phrase``,
    ``sentence``), or ``(None, "none")``; see the module doc for the order. A span is at most
    :data:`MAX_SPAN_CHARS` long (the end of a longer one)."""
    if not isinstance(text, str) or not text.strip():
        return None, "none"
    span, how = _answer_span(text)
    if span is not None and len(span) > MAX_SPAN_CHARS:
        span = span[-MAX_SPAN_CHARS:]
    return span, how


@lru_cache(maxsize=256)
def _answer_span(text: str) -> tuple[str | None, str]:
    tagged = extract_answer(text)
    if tagged:
        return tagged, "tag"
    text = _tail(cut_continuation(text))
    text = _TAGS.sub(" ", text)
    boxed, at = _last_boxed(text)
    last = None
    for m in _PHRASE.finditer(text):
        last = m
    if boxed and (last is None or at >= last.start()):  # the later of a box and a phrase
        return boxed, "boxed"
    if last is not None:
        span = _sentence_from(text, last.end())
        if span:
            return span, "phrase"
    sentence = _concluding_sentence(text)
    return (sentence, "sentence") if sentence else (None, "none")


def _collapse(s: str) -> str:
    return _SPACES.sub(" ", s).strip().lower()


def _echoes_question(text: str, question: str) -> bool:
    t, q = _collapse(text), _collapse(question)
    if not t or not q:
        return False
    for prefix in ("question:", "q:"):
        if t.startswith(prefix):
            t = t[len(prefix) :].strip()
    if t == q or (len(t) >= 20 and t in q):
        return True
    if t.startswith(q):
        return not _ALNUM.search(t[len(q) :])
    return False


def _listed_lines(text: str) -> bool:
    """The text ends with two or more lines that each start with a different option marker."""
    letters: set[str] = set()
    for line in reversed([ln for ln in text.split("\n") if _ALNUM.search(ln)][-50:]):
        m = _MARKER.match(line.strip())
        if m is None:
            break
        letters.add((m.group(1) or m.group(2)).upper())
    return len(letters) >= 2


def _echoes_options(span: str, options: Sequence[str] | None) -> bool:
    if _CHOICES_WORD.search(span):
        return True
    letters = {(a or b).upper() for a, b in _MARKER.findall(span)}
    if len(letters) >= 2:
        return True
    if options and len(options) >= 2:
        keys = [_collapse(o) for o in options]
        parts = [_collapse(p) for p in re.split(r"[,;\n]", span) if p.strip()]
        named = {keys.index(p) for p in parts if p in keys}
        if len(named) >= 2:
            return True
    return False


def is_non_answer(
    text: str | None,
    question: str | None = None,
    options: Sequence[str] | None = None,
) -> str | None:
    """The rule-18 class of a non-answer (:data:`NON_ANSWER_CLASSES`), or ``None``."""
    if not isinstance(text, str) or not _ALNUM.search(_TAGS.sub(" ", text)):
        return "empty"
    head = _TAGS.sub(" ", text[:HEAD_CHARS])
    span, how = answer_span(text)
    if span is None:
        return "empty"
    listed = how == "sentence" and _listed_lines(_tail(cut_continuation(text)))
    if options and not listed and any(_collapse(span).strip(".") == _collapse(o) for o in options):
        return None  # the span is an option's text ("None of the above"): an answer
    explicit = how in ("tag", "boxed", "phrase")
    if _REFUSAL.search(span) or (not explicit and _REFUSAL.search(head)):
        return "refusal"
    if _UNDETERMINED_ALONE.fullmatch(span) or _UNDETERMINED.search(span):
        return "undetermined"
    if question and _echoes_question(cut_continuation(text), question):
        return "echo_question"
    if listed or _echoes_options(span, options):
        return "echo_options"
    return None


def _token_value(m: re.Match[str]) -> Number | None:
    digits, _percent, word = m.groups()
    if word is not None:
        parts = re.split(r"[\s-]", word.lower())
        total = 0
        for p in parts:
            total += NUMBER_WORDS.get(p, 0)
        return Fraction(total)
    s = digits.replace(",", "").replace(" ", "")
    try:
        if "/" in s:
            a, b = s.split("/")
            return Fraction(Fraction(a), Fraction(b)) if Fraction(b) else None
        return Fraction(s)
    except (ValueError, ZeroDivisionError):
        return None


def _operand(span: str, start: int, end: int) -> bool:
    """Whether the number at ``span[start:end]`` is a piece of a larger expression (under a root,
    a power, a fraction's braces, before a root or pi): not an answer by itself."""
    before = span[max(0, start - 1) : start]
    after = span[end : end + 2].lstrip()[:1]
    return before in ("√", "{", "^", "_", "\\") or after in ("√", "^", "π", "\\")


def _echo(span: str, start: int, end: int, question: str | None) -> bool:
    """Whether the number at ``span[start:end]`` restates the question: the question holds the
    number together with the words just before it (``AB = 12`` in "If AB = 12, ..."). A bare
    number with nothing before it is never an echo."""
    if not question:
        return False
    left = _collapse(span[max(0, start - 12) : start])
    if not _ALNUM.search(left):
        return False
    words = left.split(" ")
    context = words[-1] if len(words[-1]) >= 3 or len(words) < 2 else " ".join(words[-2:])
    return f"{context} {_collapse(span[start:end])}".strip() in _collapse(question) or (
        f"{context}{_collapse(span[start:end])}" in _collapse(question)
    )


def _math_value(span: str) -> Number | None:
    if len(span) > 300 or not re.search(r"\d|π|\\pi|√|\\sqrt", span):
        return None
    v = parse_value(span.rstrip("."))
    if v is None:
        return None
    q = v.rational()
    if q is not None:
        return q
    f = v.to_float()
    return f if f == f and abs(f) != float("inf") else None


def read_numbers(span: str) -> list[Number]:
    """Every number token of a span, in order (digits, fractions, percents, number words)."""
    out: list[Number] = []
    for m in _NUMBER_TOKEN.finditer(span[:TAIL_CHARS]):
        v = _token_value(m)
        if v is not None:
            out.append(v)
    return out


def read_number(span: str | None, how: str = "phrase", question: str | None = None) -> Number | None:
    """The number a span states (see the module doc), or ``None``.

    ``how`` is :func:`answer_span`'s second value: from a ``sentence`` the last number that does
    not restate the question wins; otherwise the first number.
    """
    if not span:
        return None
    if how != "sentence":
        v = _math_value(span)
        if v is not None:
            return v
    if how == "sentence":  # "..., so the height is 2√3": the value after the last "is"
        m_is = _LAST_IS.search(span[-200:])
        if m_is is not None:
            v = _math_value(m_is.group(1).strip())
            if v is not None:
                return v
    if "=" in span and len(span[span.rindex("=") + 1 :].split()) <= 3:  # "so x = 18 cm"
        eq = span.rindex("=")
        right = span[eq + 1 :]
        v = _math_value(right.strip())
        first = next(iter(_NUMBER_TOKEN.finditer(right)), None)
        if v is None and first is not None:
            v = _token_value(first)
        echo = how == "sentence" and first is not None and _echo(
            span, eq + 1 + first.start(), eq + 1 + first.end(), question
        )
        if v is not None and not echo:
            return v
    if how != "sentence":
        if _RANGE.search(span):  # "an integer between 40 and 60": no single answer
            return None
        nums = read_numbers(span)
        return nums[0] if nums else None
    tokens = list(_NUMBER_TOKEN.finditer(span[:TAIL_CHARS]))
    fresh = [
        v for m in tokens
        if (v := _token_value(m)) is not None and not _operand(span, m.start(), m.end())
        and not _echo(span, m.start(), m.end(), question)
    ]
    if fresh:
        return fresh[-1]
    return _math_value(span) if not tokens and len(span) <= 40 else None


def format_number(x: Number) -> str:
    """A number as answer text: ``7``, ``3/4``, or a float's shortest repr."""
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return str(x.numerator)
        d = x.denominator
        for f in (2, 5):
            while d % f == 0:
                d //= f
        if d == 1:  # a terminating decimal: written as one
            return format(_to_decimal(x).normalize(), "f")
        return f"{x.numerator}/{x.denominator}"
    return repr(x)


def _to_decimal(x: Number) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 60
        if isinstance(x, Fraction):
            return Decimal(x.numerator) / Decimal(x.denominator)
        return Decimal(repr(x))


def round_half_up(x: Number, precision: int) -> Decimal:
    """``x`` rounded half away from zero to ``precision`` decimals (never truncated)."""
    with localcontext() as ctx:
        ctx.prec = 80
        try:
            return _to_decimal(x).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
        except InvalidOperation:
            return Decimal("NaN")


def rounds_equal(pred: Number, gold: Number, precision: int | None) -> bool:
    """Whether ``pred`` equals ``gold`` once both are rounded half-up to ``precision`` decimals;
    with no precision, exact equality (a float within 1e-9 relative)."""
    if precision is None:
        if isinstance(pred, Fraction) and isinstance(gold, Fraction):
            return pred == gold
        return abs(float(pred) - float(gold)) <= 1e-9 * max(1.0, abs(float(gold)))
    a, b = round_half_up(pred, precision), round_half_up(gold, precision)
    return a == b and not a.is_nan()


def _first_answering_sentence(text: str) -> str | None:
    for sentence in re.split(r"(?<=[.!?。])\s+|\n", text):
        if any(p.search(sentence) for p in (_YES, _NO, _TRUE, _FALSE, _EQUAL)):
            return sentence
    return None


def yes_no(text: str | None, question: str | None = None) -> bool | None:
    """The polarity of the first sentence that answers (rule 19); ``None`` if none does."""
    if not isinstance(text, str):
        return None
    span, how = answer_span(text)
    if how in ("tag", "boxed", "phrase") and span:
        source = span
    else:
        source = _TAGS.sub(" ", cut_continuation(text)[:HEAD_CHARS])
    sentence = _first_answering_sentence(source)
    if sentence is None:
        return None
    yes, no = bool(_YES.search(sentence)), bool(_NO.search(sentence))
    if yes != no:
        return yes
    if yes:  # both
        return None
    false = bool(_FALSE.search(sentence))
    true = bool(_TRUE.search(_FALSE.sub(" ", sentence)))
    if true != false:
        return true
    if true:
        return None
    if question and _COMPARATIVE.search(question) and not _EQUAL.search(question):
        return False
    return None
