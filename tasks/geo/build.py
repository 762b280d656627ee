"""What every family module builds with: the generation context, the built problem, the
``@_variant`` registration and the coordinate helpers.

Registration order matters: ``make_problem`` picks ``rng.choice`` over a family's variants in the
order they were registered, which is the order of the ``@_variant`` functions in the family's
module (``tests/test_geoproblems.py`` pins it).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from tasks.geo.draw import Pt, Scene
from tasks.geo.measure import Spec
from tasks.geo.values import _decimal

FAMILIES: tuple[str, ...] = (
    "triangle_angle_sum",
    "parallel_transversal",
    "bisector_parallel",
    "isosceles_base",
    "exterior_angle",
    "inscribed_angle",
    "tangent_radius",
    "pythagoras",
    "similar_triangles",
    "circle_measure",
    "right_30_60_90",
    "midsegment",
    "perpendicular_chord",
)


@dataclass
class _Ctx:
    rng: random.Random
    unit: str
    area_unit: str
    dot0: bool  # write given numbers as '50.0' (GeoQA style) rather than '50'
    decimal: bool  # render terminating fraction answers as decimals
    relation_in_text: bool = False  # GeoConfig.relation_in_text

    def num(self, x: Any) -> str:
        if isinstance(x, int):
            return f"{x}.0" if self.dot0 else str(x)
        f = x if isinstance(x, Fraction) else Fraction(int(x.p), int(x.q))
        if f.denominator == 1:
            return self.num(int(f))
        return _decimal(f)

    def length(self, x: Any) -> str:
        return self.num(x) + self.unit

    def ang(self, lo: int, hi: int) -> int:
        """An angle in [lo, hi]: a multiple of 5 most of the time, like GeoQA's."""
        if self.rng.random() < 0.7:
            lo5, hi5 = -(-lo // 5), hi // 5
            if lo5 <= hi5:
                return 5 * self.rng.randint(lo5, hi5)
        return self.rng.randint(lo, hi)

    def even_ang(self, lo: int, hi: int) -> int:
        """An even angle (mostly a multiple of 10) so that halves stay whole."""
        if self.rng.random() < 0.7:
            return 10 * self.rng.randint(-(-lo // 10), hi // 10)
        return 2 * self.rng.randint(-(-lo // 2), hi // 2)

    def ask_angle(self, name: str) -> str:
        return self.rng.choice(
            (f"then the degree of {name} is ()", f"then {name} = ()",
             f"then the size of {name} is ()")
        )

    def ask_length(self, name: str) -> str:
        return self.rng.choice(
            (f"then the length of {name} is ()", f"then {name} = ()",
             f"then the length of {name} is equal to ()")
        )

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.rng.random()


@dataclass
class _Built:
    question: str
    value: sympy.Expr
    kind: str  # "deg" | "len" | "area"
    scene: Scene
    reasoning: list[str]
    spec: Spec


@dataclass(frozen=True)
class _Variant:
    family: str
    name: str
    steps: int
    build: Callable[[_Ctx], _Built]


_VARIANTS: dict[str, list[_Variant]] = {f: [] for f in FAMILIES}


def _variant(family: str, steps: int) -> Callable[[Callable[[_Ctx], _Built]], Callable]:
    def deco(fn: Callable[[_Ctx], _Built]) -> Callable[[_Ctx], _Built]:
        _VARIANTS[family].append(_Variant(family, fn.__name__.lstrip("_"), steps, fn))
        return fn

    return deco


INT = sympy.Integer
R = sympy.Rational
SQRT = sympy.sqrt
PI = sympy.pi
AS_SHOWN = "As shown in the figure, "


# --------------------------------------------------------------------------------------------
# Coordinates
# --------------------------------------------------------------------------------------------


def _pol(r: float, deg: float) -> Pt:
    t = math.radians(deg)
    return r * math.cos(t), r * math.sin(t)


def _at(p: Pt, r: float, deg: float) -> Pt:
    d = _pol(r, deg)
    return p[0] + d[0], p[1] + d[1]


def _lerp(p: Pt, q: Pt, t: float) -> Pt:
    return p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t


def _foot(p: Pt, a: Pt, b: Pt) -> Pt:
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)
    return a[0] + dx * t, a[1] + dy * t


def _tri(base: float, left: float, right: float) -> tuple[Pt, Pt, Pt]:
    """Triangle with base (0,0)-(base,0) and angles ``left``/``right`` there; apex above."""
    side = base * math.sin(math.radians(right)) / math.sin(math.radians(left + right))
    return (0.0, 0.0), (base, 0.0), _pol(side, left)


def _incenter(a: Pt, b: Pt, c: Pt) -> Pt:
    la, lb, lc = math.dist(b, c), math.dist(a, c), math.dist(a, b)
    s = la + lb + lc
    return (la * a[0] + lb * b[0] + lc * c[0]) / s, (la * a[1] + lb * b[1] + lc * c[1]) / s


def _rotated(pts: dict[str, Pt], deg: float) -> dict[str, Pt]:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return {k: (x * c - y * s, x * s + y * c) for k, (x, y) in pts.items()}


def _level(pts: dict[str, Pt], a: str, b: str, up: str | None = None) -> dict[str, Pt]:
    """Rotate so that a->b points along +x; with ``up``, flip so that point is above ab."""
    (ax, ay), (bx, by) = pts[a], pts[b]
    out = _rotated(pts, -math.degrees(math.atan2(by - ay, bx - ax)))
    if up is not None and out[up][1] < out[a][1]:
        out = {k: (x, -y) for k, (x, y) in out.items()}
    return out


def _others(x: str, letters: str = "ABC") -> tuple[str, str]:
    o = [c for c in letters if c != x]
    return o[0], o[1]


def _isqrt_value(n: int) -> sympy.Expr:
    return SQRT(INT(n))
