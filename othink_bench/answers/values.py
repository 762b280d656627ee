"""Exact values for short math answers: a tiny exact arithmetic of our own, no sympy.

Why: the verifier must be exact (``2.4`` and ``\\frac{12}{5}`` are the same number, ``27.1``
and ``27`` are not) and fast (it runs once per sampled completion during GRPO), so values are
held in closed form here and the parser (:mod:`.mathexpr`) only calls these operations
(roots and powers are in :mod:`.powers`).

Value model
    An exact value is a finite sum ``sum c * sqrt(k) * pi**p`` with rational ``c``
    (:class:`fractions.Fraction`), square-free ``k >= 1`` and integer ``p``. That basis is
    linearly independent over the rationals, so two exact values are equal exactly when their
    term dictionaries are equal. Forms that do not close in this basis (division by a sum of
    three surds, ``sqrt(2 + sqrt(3))``, cube roots of non-cubes, ``pi ** sqrt(2)``) fall back
    to a float ("approximate" value), compared with a tight relative tolerance.

Bounds: exponents with ``|e| > MAX_EXPONENT``, coefficients over :data:`MAX_BITS` bits or
more than :data:`MAX_TERMS` basis terms raise the internal failure (the parser turns it into
``None``).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation, localcontext
from fractions import Fraction

__all__ = [
    "ABS_TOL",
    "MAX_BITS",
    "MAX_EXPONENT",
    "MAX_TERMS",
    "REL_TOL",
    "Value",
    "close",
    "rounds_to",
]

MAX_EXPONENT = 64
MAX_BITS = 2048
MAX_TERMS = 16
MAX_PI_POWER = 12
MAX_RADICAND_BITS = 256

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
