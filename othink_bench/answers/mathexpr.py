"""Normalise and parse short math answers to exact values, without evaluating text as code.

Why this module exists: the training reward and the evaluation score must agree on every
answer, so both call this one parser. It must be *exact* (``2.4`` and ``\\frac{12}{5}`` are
the same number, ``27.1`` and ``27`` are not), *safe* (model text is never handed to ``eval``
or ``sympify``), *bounded* (every call finishes quickly in any thread or worker process, so
no signal-based timeouts) and *fast* (it runs once per sampled completion during GRPO).
Sympy is therefore kept out of the hot path: values are held in a tiny exact arithmetic of
our own.

Layout
    :mod:`.values` holds the exact arithmetic (value model and bounds), :mod:`.normalise` the
    spelling rules and the split into pieces; this module tokenises and parses each piece.

Normalisation (applied to golds and predictions alike)
    * zero-width characters removed; odd spaces, full-width digits/punctuation, unicode minus,
      ``×``/``·``/``÷``, ``²``/``³`` mapped to ASCII (``cm²`` -> ``cm^2``).
    * LaTeX: ``$``, ``\\(``/``\\)``/``\\[``/``\\]``, spacing commands, ``\\left``/``\\right``,
      ``\\boxed``, ``\\text{..}``/``\\textnormal{..}``/``\\mathrm{..}``-like wrappers, a LaTeX
      line break ``\\\\`` and ``~`` are dropped; ``\\cfrac``/``\\dfrac``/``\\tfrac`` read as
      ``\\frac``; ``\\frac12`` and ``\\sqrt2`` use LaTeX's one-digit argument rule
      (``\\sqrt32`` is ``2*sqrt(3)``); ``\\cdot``/``\\times`` are products;
      ``\\sqrt[n]{x}`` is an n-th root.
    * degree markers (``°``, ``^\\circ``, ``^{\\circ}``, ``\\circ``, ``degrees``) are removed
      anywhere; units (``cm``, ``cm²``, ``cm^{2}``, ``5cm^2^``, ``m``, ``mm``, ``米``, ``厘米``,
      ``平方米``, ``海里``, ``秒``, ``小时`` and similar English words) are removed only at the
      *end* of a value, so a letter inside an expression stays a free symbol.
    * ``√{n}``, ``√n``, ``√(n)``, ``\\sqrt{n}``, ``sqrt(n)``, ``∛``, ``π``, ``pi``, ``\\pi``,
      ``\\frac{a}{b}``, ``a/b``, powers (``^2``, ``^{2}``, right-associative), parentheses,
      braces, brackets, unary signs and decimals are read.
    * implicit products (``8√{3}``, ``65π``, ``2(√3+1)``, ``\\frac{1}{6}π``) bind like ``*``,
      left to right: ``1/2π`` is ``π/2``. Two bare numbers in a row (``3 4``) are an error.
    * an integer directly before ``\\frac`` is a mixed number (``3\\frac{1}{4}`` is 13/4,
      ``-3\\frac{1}{4}`` is -13/4), never a product; a decimal there is an error (policy 8).
    * braced groups side by side (``{2}{7}``, ``\\sqrt{5}{3}``, ``\\boxed{2}\\boxed{7}``) are an
      error, never a product (policy 9).

Policy decisions (documented here because the verdicts depend on them)
    * Several values: the answer is split at ``,`` ``;`` ``、`` ``or`` ``and`` ``或`` ``和``,
      at multiple-choice markers (``A.``, ``(B)``, ``C:``, ``D)``, ``E、``) and at ``≈``,
      ``\\approx``, ``约``, "approximately". :func:`parse_value` returns ``None`` unless
      all the pieces are the same value; :func:`parse_values` returns every piece.
    * Labels and chains (policy 11): an item with ``=`` reads as its last side, so
      ``x = 5``, ``AB = 5cm``, ``∠CED = 40°``, ``|PQ| = 4``, ``\\frac{BE}{BC} = \\frac{2}{5}`` and
      ``x = 2 * 3.5 = 7`` state 5, 5, 40, 4, 2/5 and 7; a last side with free names
      (``7 = x``) is ``None``. Before ``≈`` a bare label is dropped (``x ≈ 17.32``).
    * Ratios (policy 10): ``a:b`` reads as ``a/b`` (``3:5``; ``PQ:QR = 3:5`` by the rule above);
      ``1:2:3`` is ``None``.
    * A single leading choice marker is stripped (``C. 8`` -> 8); a bare letter (``Q``) is a
      free symbol -> ``None``. Text before the first marker makes the answer unparseable.
    * A leading "answer:" / "the answer is" / "答案是" is dropped.
    * Digit groups with commas (``1,000``, ``12,345.5``, ``1{,}000``) are thousands separators
      only in groups of exactly three digits; ``3,4`` and ``1, 2`` are lists of two values.
    * Not read (-> ``None``): ``%``, scientific ``e`` notation, named constants other than pi,
      functions (sin, log), Python's ``**``, ``±``, ``0^0``, division by zero, square roots
      of negatives.
    * Bounds: raw input over :data:`MAX_INPUT_CHARS` or normalised text over
      :data:`MAX_EXPR_CHARS` -> ``None``; nesting over :data:`MAX_DEPTH`; exponents with
      ``|e| > MAX_EXPONENT``; coefficients over :data:`MAX_BITS` bits or more than
      :data:`MAX_TERMS` basis terms -> ``None``; a ``perf_counter`` deadline inside the parser
      loop is the last guard (never a signal).
"""

from __future__ import annotations

import re
from fractions import Fraction
from time import perf_counter

from .normalise import normalise, pieces
from .powers import _pow, _root, _sqrt
from .values import (
    _ONE,
    MAX_BITS,
    MAX_EXPONENT,
    MAX_TERMS,
    REL_TOL,
    Value,
    _add,
    _div,
    _Fail,
    _mul,
    _neg,
    _rat,
    close,
    rounds_to,
)

__all__ = [
    "MAX_BITS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_EXPR_CHARS",
    "MAX_INPUT_CHARS",
    "MAX_TERMS",
    "REL_TOL",
    "Value",
    "close",
    "normalise",
    "parse_value",
    "parse_values",
    "rounds_to",
]

MAX_INPUT_CHARS = 1000
"""Raw answers longer than this (after ``strip``) are rejected before any other work."""
MAX_EXPR_CHARS = 300
"""Normalised answers longer than this are rejected."""
MAX_NUMBER_CHARS = 60
MAX_DEPTH = 64
"""Nesting limit, counted over parenthesised groups, signs and powers."""
DEFAULT_BUDGET_S = 0.25
"""Wall-clock guard for one parse; the size limits keep real calls far below it."""

_PLAIN_NUMBER = re.compile(r"\s*([-+]?)(\d{1,40})(?:\.(\d{0,40}))?\s*")


# --------------------------------------------------------------------------- tokens/parser

_TOKEN_RE = re.compile(
    r"\s*(?:(\d+\.?\d*|\.\d+)|(\\frac)|(√|\\sqrt|sqrt)|(∛)|(π|\\pi|pi)|([-+*/^(){}\[\]]))"
)
_KIND_BY_GROUP = ("", "n", "f", "s", "r", "p")
_ATOM_START = frozenset("nfsrp({[")
_CLOSER = {"(": ")", "{": "}", "[": "]"}
_PI = Value({(1, 1): Fraction(1)})


def _tokenise(s: str) -> tuple[list[str], list[tuple[Fraction, int | None] | None]]:
    kinds: list[str] = []
    vals: list[tuple[Fraction, int | None] | None] = []
    pos, end = 0, len(s)
    match = _TOKEN_RE.match
    while pos < end:
        m = match(s, pos)
        if m is None:
            if s[pos:].isspace():
                break
            raise _Fail  # a free name or a character we do not read
        pos = m.end()
        g = m.lastindex or 0
        if g == 1:
            text = m.group(1)
            if len(text) > MAX_NUMBER_CHARS:
                raise _Fail
            if "." in text:
                ip, fp = text.split(".")
                scale = 10 ** len(fp)
                q = Fraction(int(ip or "0") * scale + int(fp or "0"), scale)
                vals.append((q, len(fp)))
            else:
                vals.append((Fraction(int(text)), None))
            kinds.append("n")
            continue
        kinds.append(_KIND_BY_GROUP[g] if g < 6 else m.group(6))
        vals.append(None)
    return kinds, vals


class _Parser:
    """Recursive descent: expr := term (+|- term)*; term := unary ((*|/) unary | power)*;
    unary := (+|-)* power; power := atom (^ unary)?; atom := number | pi | (expr) | {expr}
    | [expr] | sqrt atom | sqrt [n] atom | cbrt atom | frac atom atom."""

    __slots__ = ("deadline", "depth", "i", "kinds", "n", "vals")

    def __init__(
        self,
        kinds: list[str],
        vals: list[tuple[Fraction, int | None] | None],
        deadline: float,
    ) -> None:
        self.kinds = kinds
        self.vals = vals
        self.n = len(kinds)
        self.i = 0
        self.depth = 0
        self.deadline = deadline

    def _peek(self) -> str:
        return self.kinds[self.i] if self.i < self.n else ""

    def _enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Fail

    def parse(self) -> Value:
        if not self.n:
            raise _Fail
        v = self._expr()
        if self.i != self.n:
            raise _Fail
        return v

    def _expr(self) -> Value:
        self._enter()
        v = self._term()
        while True:
            k = self._peek()
            if k == "+":
                self.i += 1
                v = _add(v, self._term())
            elif k == "-":
                self.i += 1
                v = _add(v, _neg(self._term()))
            else:
                break
        self.depth -= 1
        return v

    def _term(self) -> Value:
        v = self._unary()
        kinds = self.kinds
        while True:
            k = self._peek()
            if k == "*":
                self.i += 1
                v = _mul(v, self._unary())
            elif k == "/":
                self.i += 1
                v = _div(v, self._unary())
            elif k in _ATOM_START:
                if k == "n" and kinds[self.i - 1] == "n":
                    raise _Fail  # "3 4": two numbers, not a product
                if k == "{" and kinds[self.i - 1] == "}":
                    raise _Fail  # "{2}{7}", "\\sqrt{5}{3}": malformed or two answers
                v = _mul(v, self._power())
            else:
                return v

    def _unary(self) -> Value:
        negative = False
        while True:
            k = self._peek()
            if k == "-":
                negative = not negative
            elif k != "+":
                break
            self.i += 1
        v = self._power()
        return _neg(v) if negative else v

    def _power(self) -> Value:
        base = self._atom()
        if self._peek() == "^":
            self.i += 1
            self._enter()
            ex = self._unary()
            self.depth -= 1
            return _pow(base, ex)
        return base

    def _atom(self) -> Value:
        if perf_counter() > self.deadline:
            raise _Fail
        k = self._peek()
        self.i += 1
        if k == "n":
            val = self.vals[self.i - 1]
            assert val is not None
            q, dec = val
            if self._peek() == "f":  # "3\\frac{1}{4}": a mixed number, 13/4
                if dec is not None:
                    raise _Fail
                self.i += 1
                num = self._atom()
                return _add(_rat(q), _div(num, self._atom()))
            return Value({_ONE: q} if q else {}, decimals=dec)
        if k == "p":
            return _PI
        if k in _CLOSER:
            v = self._expr()
            if self._peek() != _CLOSER[k]:
                raise _Fail
            self.i += 1
            return v
        if k == "s":
            if self._peek() == "[":  # \sqrt[n]{x}, or a bracket used as the radicand
                self.i += 1
                idx = self._expr()
                if self._peek() != "]":
                    raise _Fail
                self.i += 1
                if self._peek() in _ATOM_START:
                    index = idx.rational()
                    if index is None or index.denominator != 1:
                        raise _Fail
                    return _root(self._atom(), int(index))
                return _sqrt(idx)
            return _sqrt(self._atom())
        if k == "r":
            return _root(self._atom(), 3)
        if k == "f":
            num = self._atom()
            return _div(num, self._atom())
        raise _Fail


def _parse_piece(piece: str, deadline: float) -> Value:
    kinds, vals = _tokenise(piece)
    return _Parser(kinds, vals, deadline).parse()


def parse_values(text: str, budget_s: float = DEFAULT_BUDGET_S) -> list[Value] | None:
    """Every value the answer states, in order; ``None`` if any piece is not a closed value.

    Never raises for any input; finishes within about ``budget_s`` seconds.
    """
    if not isinstance(text, str):
        return None
    s = text.strip()
    if not s or len(s) > MAX_INPUT_CHARS:
        return None
    m = _PLAIN_NUMBER.fullmatch(s)
    if m is not None:  # fast path: a bare decimal literal
        sign, ip, fp = m.groups()
        if fp is None:
            q = Fraction(int(ip))
            dec = None
        else:
            scale = 10 ** len(fp)
            q = Fraction(int(ip) * scale + int(fp or "0"), scale)
            dec = len(fp)
        if sign == "-":
            q = -q
        return [Value({_ONE: q} if q else {}, decimals=dec)]
    try:
        s = normalise(s)
        if not s or len(s) > MAX_EXPR_CHARS:
            return None
        parts = pieces(s)
        if not parts:
            return None
        deadline = perf_counter() + budget_s
        return [_parse_piece(p, deadline) for p in parts]
    except (_Fail, ZeroDivisionError, OverflowError, ValueError, RecursionError):
        return None


def parse_value(text: str) -> Value | None:
    """The single value an answer states, exactly when possible.

    ``None`` for unparseable text, free symbols, several distinct values, or over-size input.
    """
    vals = parse_values(text)
    if not vals:
        return None
    first = vals[0]
    for v in vals[1:]:
        if not first.same_as(v):
            return None
    return first
