"""Exact values -> GeoQA answer strings ('12', '17.5', '\\frac{12}{5}', '4√{3}', '65π') and the
plain numbers of reasoning chains.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy


def _decompose(value: sympy.Expr) -> tuple[Fraction, int, bool]:
    """value = coeff * sqrt(radicand) * (pi if has_pi); radicand square-free (sympy's form)."""
    coeff, rest = value.as_coeff_Mul()
    if not coeff.is_Rational:
        raise ValueError(f"not an exact value in a supported form: {value!r}")
    radicand, has_pi = 1, False
    for f in sympy.Mul.make_args(rest):
        if f is sympy.S.One:
            continue
        if f is sympy.pi and not has_pi:
            has_pi = True
        elif f.is_Pow and f.exp == sympy.S.Half and f.base.is_Integer and radicand == 1:
            radicand = int(f.base)
        else:
            raise ValueError(f"not an exact value in a supported form: {value!r}")
    return Fraction(int(coeff.p), int(coeff.q)), radicand, has_pi


def _terminates(q: int) -> bool:
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    return q == 1


def _decimal(x: Fraction) -> str:
    """Exact decimal text of a terminating fraction ('2.4', '17.5', '0.25')."""
    sign = "-" if x < 0 else ""
    x = abs(x)
    k = 0
    while (x * 10**k).denominator != 1:
        k += 1
    digits = str((x * 10**k).numerator).rjust(k + 1, "0")
    if k == 0:
        return sign + digits
    return f"{sign}{digits[:-k]}.{digits[-k:]}"


def render_value(value: sympy.Expr, *, decimal: bool = False) -> str:
    """A GeoQA answer string for an exact value: '12', '17.5', '\\frac{12}{5}', '4√{3}',
    '\\frac{√{3}}{2}', '\\frac{5√{3}}{2}', '65π', '\\frac{1}{6}π'. ``decimal`` writes
    terminating non-integer rationals as decimals ('2.4') instead of fractions."""
    c, rad, has_pi = _decompose(value)
    sign = "-" if c < 0 else ""
    p, q = abs(c.numerator), c.denominator
    r = f"√{{{rad}}}" if rad > 1 else ""
    pi = "π" if has_pi else ""
    if q == 1:
        lead = "" if p == 1 and (r or pi) else str(p)
        return f"{sign}{lead}{r}{pi}"
    if r:
        lead = "" if p == 1 else str(p)
        return f"{sign}\\frac{{{lead}{r}}}{{{q}}}{pi}"
    if pi:
        return f"{sign}\\frac{{{p}}}{{{q}}}π"
    if decimal and _terminates(q):
        return _decimal(c)
    return f"{sign}\\frac{{{p}}}{{{q}}}"


def _plain(value: Any) -> str:
    """Plain-text number for reasoning chains: '70', '62.5', '12/5', '4√3', '5√3/2', '25π'."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        value = sympy.Rational(value.numerator, value.denominator)
    c, rad, has_pi = _decompose(value)
    if not rad > 1 and not has_pi and _terminates(c.denominator):
        return _decimal(c)
    sign = "-" if c < 0 else ""
    p, q = abs(c.numerator), c.denominator
    r = f"√{rad}" if rad > 1 else ""
    pi = "π" if has_pi else ""
    lead = "" if p == 1 and (r or pi) else str(p)
    return f"{sign}{lead}{r}{pi}" + (f"/{q}" if q != 1 else "")


def _deg(value: Any) -> str:
    return _plain(value) + "°"
