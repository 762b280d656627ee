"""Roots and powers of exact values (:mod:`.values`): square roots that stay in the
``c * sqrt(k) * pi**p`` basis, n-th roots of rationals that are perfect powers, and integer and
rational powers; anything else becomes an approximate value or, past the bounds, the internal
failure. Split from :mod:`.values`, which holds the value model and the field operations.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from .values import (
    MAX_BITS,
    MAX_EXPONENT,
    MAX_RADICAND_BITS,
    Value,
    _approx,
    _exact,
    _Fail,
    _inv,
    _mul,
    _rat,
)

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


