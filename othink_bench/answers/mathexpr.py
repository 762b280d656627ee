"""Normalise and parse short math answers to exact values, without evaluating text as code.

Why this module exists: the training reward and the evaluation score must agree on every
answer, so both call this one parser. It must be *exact* (``2.4`` and ``\\frac{12}{5}`` are
the same number, ``27.1`` and ``27`` are not), *safe* (model text is never handed to ``eval``
or ``sympify``), *bounded* (every call finishes quickly in any thread or worker process, so
no signal-based timeouts) and *fast* (it runs once per sampled completion during GRPO).
Sympy is therefore kept out of the hot path: values are held in a tiny exact arithmetic of
our own.

Value model
    An exact value is a finite sum ``sum c * sqrt(k) * pi**p`` with rational ``c``
    (:class:`fractions.Fraction`), square-free ``k >= 1`` and integer ``p``. That basis is
    linearly independent over the rationals, so two exact values are equal exactly when their
    term dictionaries are equal. Forms that do not close in this basis (division by a sum of
    three surds, ``sqrt(2 + sqrt(3))``, cube roots of non-cubes, ``pi ** sqrt(2)``) fall back
    to a float ("approximate" value), compared with a tight relative tolerance.

Normalisation (applied to golds and predictions alike)
    * zero-width characters removed; odd spaces, full-width digits/punctuation, unicode minus,
      ``×``/``·``/``÷``, ``²``/``³`` mapped to ASCII (``cm²`` -> ``cm^2``).
    * LaTeX: ``$``, ``\\(``/``\\)``/``\\[``/``\\]``, spacing commands, ``\\left``/``\\right``,
      ``\\boxed``, ``\\text{..}``-like wrappers are dropped; ``\\dfrac``/``\\tfrac`` read as
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

Policy decisions (documented here because the verdicts depend on them)
    * Several values: the answer is split at ``,`` ``;`` ``、`` ``or`` ``and`` ``或`` ``和``,
      at multiple-choice markers (``A.``, ``(B)``, ``C:``, ``D)``, ``E、``) and at ``=``,
      ``≈``, ``\\approx``, ``约``, "approximately". :func:`parse_value` returns ``None`` unless
      all the pieces are the same value; :func:`parse_values` returns every piece.
    * A leading label before ``=`` is dropped: ``x = 5``, ``AB = 5cm``, ``∠1 = 40°`` read as
      the value on the right. A label is letters/digits/``∠``/``△`` with no operator, so
      ``4.0 + PE + PF = 10`` is *not* relabelled (its first piece has free names -> ``None``).
    * A single leading choice marker is stripped (``C. 8`` -> 8); a bare letter (``Q``) is a
      free symbol -> ``None``. Text before the first marker makes the answer unparseable.
    * A leading "answer:" / "the answer is" / "答案是" is dropped.
    * Digit groups with commas (``1,000``, ``12,345.5``) are thousands separators; ``3,4`` is a
      list of two values.
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

import math
import re
from decimal import Decimal, InvalidOperation, localcontext
from fractions import Fraction
from functools import lru_cache
from time import perf_counter

__all__ = [
    "MAX_BITS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_EXPR_CHARS",
    "MAX_INPUT_CHARS",
    "MAX_TERMS",
    "Value",
    "normalise",
    "parse_value",
    "parse_values",
]

MAX_INPUT_CHARS = 1000
"""Raw answers longer than this (after ``strip``) are rejected before any other work."""
MAX_EXPR_CHARS = 300
"""Normalised answers longer than this are rejected."""
MAX_NUMBER_CHARS = 60
MAX_DEPTH = 64
"""Nesting limit, counted over parenthesised groups, signs and powers."""
MAX_EXPONENT = 64
MAX_BITS = 2048
MAX_TERMS = 16
MAX_PI_POWER = 12
MAX_RADICAND_BITS = 256
DEFAULT_BUDGET_S = 0.25
"""Wall-clock guard for one parse; the size limits keep real calls far below it."""

REL_TOL = 1e-9
ABS_TOL = 1e-12

Key = tuple[int, int]
_ONE: Key = (1, 0)
_PI_DIGITS = (
    "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899"
    "862803482534211706798214808651328230664709384460955058223172535940812848111745028410"
    "270193852110555964462294895493038196442"
)
_PI_DEC = Decimal(_PI_DIGITS)
_MAX_DECIMAL_PREC = 180


class _Fail(Exception):
    """Internal: the text is not a closed value we can read (never escapes this module)."""


class Value:
    """A parsed number: exact (``terms``) or approximate (``approx``).

    ``terms`` maps ``(k, p)`` to the rational coefficient of ``sqrt(k) * pi**p``; the empty
    dict is zero. ``decimals`` is the number of digits after the point when the whole answer
    was one decimal literal (``17.32`` -> 2, ``-0.50`` -> 2), else ``None``; the comparison
    policy uses it to accept correctly rounded decimals for irrational golds.
    """

    __slots__ = ("approx", "decimals", "terms")

    def __init__(
        self,
        terms: dict[Key, Fraction] | None,
        approx: float | None = None,
        decimals: int | None = None,
    ) -> None:
        self.terms = terms
        self.approx = approx
        self.decimals = decimals

    @property
    def is_exact(self) -> bool:
        return self.terms is not None

    def rational(self) -> Fraction | None:
        """The value as a Fraction when it is exact and rational, else ``None``."""
        t = self.terms
        if t is None:
            return None
        if not t:
            return Fraction(0)
        if len(t) == 1 and _ONE in t:
            return t[_ONE]
        return None

    def is_terminating(self) -> bool:
        """Exact rational with a finite decimal expansion (denominator 2^a 5^b)."""
        q = self.rational()
        if q is None:
            return False
        d = q.denominator
        for f in (2, 5):
            while d % f == 0:
                d //= f
        return d == 1

    def to_float(self) -> float:
        if self.terms is None:
            return float(self.approx) if self.approx is not None else math.nan
        total = 0.0
        try:
            for (k, p), c in self.terms.items():
                total += float(c) * math.sqrt(k) * math.pi**p
        except OverflowError:
            return math.inf
        return total

    def to_decimal(self, prec: int) -> Decimal:
        """Exact value evaluated at ``prec`` significant digits (exact values only)."""
        if self.terms is None:
            raise ValueError("approximate value")
        with localcontext() as ctx:
            ctx.prec = prec
            total = Decimal(0)
            for (k, p), c in self.terms.items():
                term = Decimal(c.numerator) / Decimal(c.denominator)
                if k != 1:
                    term *= Decimal(k).sqrt()
                if p:
                    term *= _PI_DEC**p
                total += term
            return +total

    def same_as(self, other: Value) -> bool:
        """Equal as numbers: exact equality, or tight tolerance when either is approximate."""
        if self.terms is not None and other.terms is not None:
            return self.terms == other.terms
        return close(self.to_float(), other.to_float())

    def __repr__(self) -> str:
        if self.terms is None:
            return f"Value(approx={self.approx!r})"
        parts = []
        for (k, p), c in sorted(self.terms.items()):
            s = str(c)
            if k != 1:
                s += f"*sqrt({k})"
            if p:
                s += f"*pi^{p}"
            parts.append(s)
        body = " + ".join(parts) or "0"
        dec = f", decimals={self.decimals}" if self.decimals is not None else ""
        return f"Value({body}{dec})"


def close(a: float, b: float) -> bool:
    """The tolerance used whenever a non-closed (float) value takes part in a comparison."""
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


# --------------------------------------------------------------------------- arithmetic


def _approx(x: float) -> Value:
    if not math.isfinite(x):
        raise _Fail
    return Value(None, x)


def _exact(terms: dict[Key, Fraction]) -> Value:
    if len(terms) > MAX_TERMS:
        raise _Fail
    for c in terms.values():
        if c.numerator.bit_length() > MAX_BITS or c.denominator.bit_length() > MAX_BITS:
            raise _Fail
    return Value(terms)


def _rat(q: Fraction) -> Value:
    return Value({_ONE: q} if q else {})


def _add(a: Value, b: Value) -> Value:
    if a.terms is None or b.terms is None:
        return _approx(a.to_float() + b.to_float())
    out = dict(a.terms)
    for key, c in b.terms.items():
        s = out.get(key, 0) + c
        if s:
            out[key] = s
        else:
            out.pop(key, None)
    return _exact(out)


def _neg(a: Value) -> Value:
    if a.terms is None:
        return Value(None, -a.to_float())
    return Value({key: -c for key, c in a.terms.items()}, decimals=a.decimals)


def _mul(a: Value, b: Value) -> Value:
    if a.terms is None or b.terms is None:
        return _approx(a.to_float() * b.to_float())
    out: dict[Key, Fraction] = {}
    for (k1, p1), c1 in a.terms.items():
        for (k2, p2), c2 in b.terms.items():
            if k1 == 1:
                k, c = k2, c1 * c2
            elif k2 == 1:
                k, c = k1, c1 * c2
            else:
                g = math.gcd(k1, k2)
                k, c = (k1 // g) * (k2 // g), c1 * c2 * g
            p = p1 + p2
            if abs(p) > MAX_PI_POWER or k.bit_length() > MAX_RADICAND_BITS:
                raise _Fail
            key = (k, p)
            s = out.get(key, 0) + c
            if s:
                out[key] = s
            else:
                out.pop(key, None)
    return _exact(out)


def _inv(a: Value) -> Value:
    t = a.terms
    if t is None:
        x = a.to_float()
        if x == 0:
            raise _Fail
        return _approx(1.0 / x)
    if not t:
        raise _Fail  # division by zero
    if len(t) == 1:
        (((k, p), c),) = t.items()
        return _exact({(k, -p): 1 / (c * k)})
    if len(t) == 2:
        ((k1, p1), c1), ((k2, p2), c2) = t.items()
        if p1 == p2:
            # 1/(c1 sqrt k1 + c2 sqrt k2) = (c1 sqrt k1 - c2 sqrt k2) / (c1^2 k1 - c2^2 k2)
            den = c1 * c1 * k1 - c2 * c2 * k2
            if den:
                return _exact({(k1, -p1): c1 / den, (k2, -p2): -c2 / den})
    x = a.to_float()
    if x == 0:
        raise _Fail
    return _approx(1.0 / x)


def _div(a: Value, b: Value) -> Value:
    return _mul(a, _inv(b))


_PRIMES = tuple(p for p in range(2, 1000) if all(p % d for d in range(2, math.isqrt(p) + 1)))
_PRIME_CUBE = _PRIMES[-1] ** 3


@lru_cache(maxsize=4096)
def _split_square(n: int) -> tuple[int, int] | None:
    """``n = s*s*k`` with ``k`` square-free, or ``None`` when that cannot be settled cheaply."""
    r = math.isqrt(n)
    if r * r == n:
        return r, 1
    s = k = 1
    for p in _PRIMES:
        if p * p > n:
            break
        if n % p == 0:
            e = 0
            while n % p == 0:
                n //= p
                e += 1
            s *= p ** (e // 2)
            if e % 2:
                k *= p
    if n > 1:
        r = math.isqrt(n)
        if r * r == n:
            s *= r
        elif n < _PRIME_CUBE:
            k *= n  # no prime factor below 1000 and under 997^3: at most two distinct primes
        else:
            return None
    return s, k


def _sqrt(a: Value) -> Value:
    t = a.terms
    if t is not None:
        if not t:
            return Value({})
        if len(t) == 1:
            (((k, p), c),) = t.items()
            if k == 1 and p % 2 == 0:
                if c < 0:
                    raise _Fail
                top = _split_square(c.numerator)
                bot = _split_square(c.denominator)
                if top is not None and bot is not None:
                    s1, k1 = top
                    s2, k2 = bot
                    g = math.gcd(k1, k2)
                    kk = (k1 // g) * (k2 // g)
                    if kk.bit_length() <= MAX_RADICAND_BITS:
                        return _exact({(kk, p // 2): Fraction(s1 * g, s2 * k2)})
    x = a.to_float()
    if x < 0:
        raise _Fail
    return _approx(math.sqrt(x))


def _iroot(x: int, n: int) -> int | None:
    """Exact integer n-th root of ``x >= 0`` or ``None`` (also when too large to settle)."""
    if x < 2:
        return x
    if x.bit_length() > 40 * n:
        return None
    r = round(math.exp(math.log(x) / n))
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**n == x:
            return c
    return None


def _root(a: Value, n: int) -> Value:
    if n == 2:
        return _sqrt(a)
    if n < 2 or n > MAX_EXPONENT:
        raise _Fail
    t = a.terms
    if t is not None:
        if not t:
            return Value({})
        if len(t) == 1:
            (((k, p), c),) = t.items()
            if k == 1 and p % n == 0:
                if c < 0 and n % 2 == 0:
                    raise _Fail
                rn = _iroot(abs(c.numerator), n)
                rd = _iroot(c.denominator, n)
                if rn is not None and rd is not None:
                    return _exact({(1, p // n): Fraction(rn if c > 0 else -rn, rd)})
    x = a.to_float()
    if x < 0:
        if n % 2 == 0:
            raise _Fail
        return _approx(-((-x) ** (1.0 / n)))
    return _approx(x ** (1.0 / n))


def _ipow(a: Value, n: int) -> Value:
    """``a ** n`` for ``0 < n <= MAX_EXPONENT`` by repeated squaring, size-checked."""
    if a.terms is None:
        try:
            return _approx(a.to_float() ** n)
        except OverflowError:
            raise _Fail from None
    for c in a.terms.values():
        if (c.numerator.bit_length() - 1) * n > MAX_BITS:
            raise _Fail
        if (c.denominator.bit_length() - 1) * n > MAX_BITS:
            raise _Fail
    result: Value | None = None
    base = a
    while True:
        if n & 1:
            result = base if result is None else _mul(result, base)
        n >>= 1
        if not n:
            break
        base = _mul(base, base)
    assert result is not None
    return result


def _pow(base: Value, ex: Value) -> Value:
    q = ex.rational()
    if q is None:  # irrational or approximate exponent: only a positive real base
        e = ex.to_float()
        x = base.to_float()
        if not abs(e) <= MAX_EXPONENT or x <= 0:
            raise _Fail
        try:
            return _approx(x**e)
        except OverflowError:
            raise _Fail from None
    if abs(q) > MAX_EXPONENT:
        raise _Fail
    if q.denominator != 1:
        base = _root(base, q.denominator)
    n = q.numerator
    if n == 0:
        if base.terms is not None and not base.terms:
            raise _Fail  # 0^0
        return _rat(Fraction(1))
    if n < 0:
        return _inv(_ipow(base, -n))
    return _ipow(base, n)


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


# --------------------------------------------------------------------------- normalisation

_TRANSLATE = str.maketrans(
    {
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f$", ""),
        **dict.fromkeys(
            "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u202f\u205f\u3000\t\n\r\f\v~",
            " ",
        ),
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        **{chr(0xFF21 + i): chr(ord("A") + i) for i in range(26)},
        **{chr(0xFF41 + i): chr(ord("a") + i) for i in range(26)},
        "（": "(",
        "）": ")",
        "［": "[",
        "］": "]",
        "｛": "{",
        "｝": "}",
        "，": ",",
        "；": ";",
        "：": ":",
        "．": ".",
        "。": ".",
        "＋": "+",
        "＝": "=",
        "／": "/",
        "＊": "*",
        "＾": "^",
        "−": "-",
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "﹣": "-",
        "－": "-",
        "×": "*",
        "✕": "*",
        "∙": "*",
        "·": "*",
        "⋅": "*",
        "÷": "/",
        "∕": "/",
        "²": "^2",
        "³": "^3",
        "º": "°",
        "˚": "°",
        "∘": "°",
        "≒": "≈",
        "≃": "≈",
        "≅": "≈",
        "⁄": "/",
    }
)

_LATEX_SPACE = re.compile(
    r"\\(?:[,;:! ()\[\]]|q?quad\b|left\b|right\b|displaystyle\b|limits\b|boxed\b|bm\b"
    r"|mathbf\b|boldsymbol\b|mathit\b|big\b|Big\b|bigg\b|Bigg\b)"
)
_LATEX_TEXT = re.compile(r"\\(?:text|mathrm|textrm|textbf|mbox|operatorname|rm)\s*\{([^{}]*)\}")
_LATEX_DEG = re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ\b|\\circ\b|\\degree\b")
_LATEX_PI = re.compile(r"\\pi(?![A-Za-z])")
_FRAC_TWO_DIGITS = re.compile(r"\\frac\s*(\d)\s*(\d)")
_FRAC_DIGIT_FIRST = re.compile(r"\\frac\s*(\d)\s*(?=\{)")
_FRAC_DIGIT_SECOND = re.compile(r"\\frac\s*(\{[^{}]*\})\s*(\d)")
_SQRT_DIGIT = re.compile(r"\\sqrt\s*(\d)")
_DEG_WORD = re.compile(r"(?<![A-Za-z])(?:degrees?|deg)(?![A-Za-z])", re.IGNORECASE)
_PI_WORD = re.compile(r"(?<![A-Za-z\\])pi(?![A-Za-z])", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?!\d)")
_PREFIX = re.compile(
    r"^\s*(?:(?:the\s+)?(?:final\s+)?answer(?:\s+is)?\s*[:：]?|答案?\s*[是为:：])\s*",
    re.IGNORECASE,
)
_CHOICE = re.compile(r"(?<![^\s,;])(?:\(([A-H])\)|([A-H])[.:)、])")
_LIST_SPLIT = re.compile(r"[,;、]|(?<![A-Za-z])(?:or|and)(?![A-Za-z])|或|和|以及")
_EQ_SPLIT = re.compile(
    r"≈|=|约|(?<![A-Za-z])(?:approximately|approx\.?|about|around|roughly)(?![A-Za-z])",
    re.IGNORECASE,
)
_LABEL = re.compile(r"(?:[∠△⊙]\s*[A-Za-z0-9]|[A-Za-z])[A-Za-z0-9_{}'′∠△\s]*")
_WORDY = re.compile(r"[A-Za-z\u3400-\u9fff]")
_UNIT_END = re.compile(
    r"(?:(?<![A-Za-z\\])(?:square|sq|units?|cm|mm|km|dm|m|centimet(?:er|re)s?"
    r"|millimet(?:er|re)s?|kilomet(?:er|re)s?|decimet(?:er|re)s?|met(?:er|re)s?|inch(?:es)?"
    r"|feet|foot|ft|hours?|hrs?|h|minutes?|mins?|seconds?|secs?|s|(?:nautical\s+)?miles?"
    r"|degrees?|deg|radians?|rad)"
    r"|平方厘米|平方分米|平方千米|平方公里|平方米|平方单位|立方厘米|立方分米|立方米|厘米|分米|毫米"
    r"|千米|公里|海里|米|小时|分钟|秒|度|个|单位)"
    r"\s*(?:\^?\s*\{?\s*[23]\s*\}?\s*\^?)?\s*\.?\s*$",
    re.IGNORECASE,
)
_PLAIN_NUMBER = re.compile(r"\s*([-+]?)(\d{1,40})(?:\.(\d{0,40}))?\s*")


def normalise(text: str) -> str:
    """The canonical spelling both golds and predictions are parsed from (see module doc)."""
    s = text.translate(_TRANSLATE)
    if "\\" in s:
        s = _LATEX_TEXT.sub(r"\1", s)
        s = _LATEX_SPACE.sub(" ", s)
        s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
        s = _LATEX_DEG.sub("", s)
        s = (
            s.replace("\\cdot", "*")
            .replace("\\times", "*")
            .replace("\\div", "/")
            .replace("\\approx", "≈")
            .replace("\\angle", "∠")
            .replace("\\triangle", "△")
        )
        s = _LATEX_PI.sub("π", s)
        if "\\frac" in s:
            s = _FRAC_TWO_DIGITS.sub(r"\\frac{\1}{\2}", s)
            s = _FRAC_DIGIT_FIRST.sub(r"\\frac{\1}", s)
            s = _FRAC_DIGIT_SECOND.sub(r"\\frac\1{\2}", s)
        if "\\sqrt" in s:
            s = _SQRT_DIGIT.sub(r"√{\1}", s)
            s = s.replace("\\sqrt", "√")
    if "°" in s:
        s = s.replace("°", "")
    if "{}" in s:
        s = s.replace("{}", "")
    if "deg" in s or "DEG" in s or "Deg" in s:
        s = _DEG_WORD.sub("", s)
    if "pi" in s or "PI" in s or "Pi" in s:
        s = _PI_WORD.sub("π", s)
    if "," in s:
        s = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), s)
    return s.strip()


def _strip_units(part: str) -> str:
    part = part.strip()
    while part.endswith("."):
        part = part[:-1].rstrip()
    for _ in range(4):
        if not _WORDY.search(part):
            break
        m = _UNIT_END.search(part)
        if m is None:
            break
        part = part[: m.start()].rstrip()
        while part.endswith("."):
            part = part[:-1].rstrip()
    return part


def _pieces(s: str) -> list[str]:
    """Split a normalised answer into the value pieces it states (see policy in module doc)."""
    m = _PREFIX.match(s)
    if m:
        s = s[m.end() :]
    chunks: list[str]
    if _CHOICE.search(s):
        cuts = [(m.start(), m.end()) for m in _CHOICE.finditer(s)]
        chunks = [s[: cuts[0][0]]] if s[: cuts[0][0]].strip() else []
        for j, (_, stop) in enumerate(cuts):
            nxt = cuts[j + 1][0] if j + 1 < len(cuts) else len(s)
            chunks.append(s[stop:nxt])
    else:
        chunks = [s]
    pieces: list[str] = []
    for chunk in chunks:
        for item in _LIST_SPLIT.split(chunk):
            eq = _EQ_SPLIT.split(item)
            if len(eq) > 1 and _LABEL.fullmatch(eq[0].strip()):
                eq = eq[1:]
            for raw in eq:
                piece = _strip_units(raw)
                if piece:
                    pieces.append(piece)
    return pieces


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
        pieces = _pieces(s)
        if not pieces:
            return None
        deadline = perf_counter() + budget_s
        return [_parse_piece(p, deadline) for p in pieces]
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


def rounds_to(gold: Value, pred: Value) -> bool:
    """``pred`` (a decimal literal with ``pred.decimals`` places) is ``gold`` correctly rounded.

    Exact golds are evaluated with :mod:`decimal` at enough precision for the places asked;
    approximate golds use the float and at most 12 places.
    """
    d = pred.decimals
    q = pred.rational()
    if d is None or q is None:
        return False
    if gold.terms is None:
        if d > 12:
            return False
        return abs(float(q) - gold.to_float()) <= 0.5 * 10.0**-d * (1 + REL_TOL)
    mag = 0
    for (k, p), c in gold.terms.items():
        bits = c.numerator.bit_length() - c.denominator.bit_length() + k.bit_length() // 2
        mag = max(mag, int(bits * 0.302) + abs(p) + 1)
    prec = mag + d + 40
    if prec > _MAX_DECIMAL_PREC:
        return False
    try:
        x = gold.to_decimal(prec)
        with localcontext() as ctx:
            ctx.prec = prec
            r = x.quantize(Decimal(1).scaleb(-d))
    except (InvalidOperation, ValueError):
        return False
    return Fraction(r) == q
