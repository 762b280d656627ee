"""Procedural, offline GeoQA-style geometry problems with diagrams drawn to scale.

Why this exists: the paper's geometry task (GeoQA) needs hub downloads and is small, so
othink-bench also ships an unlimited, reproducible stand-in: problems of the kinds GeoQA asks
(angle chasing with parallels, bisectors, isosceles and exterior angles, inscribed and tangent
angles, Pythagoras, similar triangles, circle measures with π, special right triangles,
midlines, perpendicular chords), written in GeoQA's English style ("As shown in the figure,
AB ∥ CD, ∠1 = 50.0, then the degree of ∠2 is ()") with answers in GeoQA's written forms
("140°", "17.5°", "8√{3}", "\\frac{12}{5}cm", "65π", "240πcm^{2}").

How it stays honest:
- every problem is a *construction* first: real coordinates chosen from nice parameters, the
  diagram drawn from those coordinates (:mod:`tasks.geodraw`), so the picture agrees with the
  text and is to scale;
- the answer is an exact sympy value computed from the construction's exact parameters, and the
  answer string is *rendered* from that value (:func:`render_value`), never typed in;
- :func:`numeric_check` measures the asked quantity again from the coordinates alone (atan2,
  hypot, shoelace), independently of the exact path, and the tests compare the two;
- :func:`make_problem` is a pure function of ``(cfg, seed, index)`` (a private
  ``random.Random`` per call, no global RNG), so datasets are byte-reproducible.

Each family has variants with a fixed number of reasoning steps (``GeoProblem.steps``, the
length of the ``reasoning`` chain), which :class:`GeoConfig` can cap with ``max_steps``.
Hot-path sympy use is limited to building values (Integer, Rational, sqrt, pi); no simplify.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import sympy
from PIL import Image

from tasks.geodraw import Pt, Scene, render

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

LENGTH_UNITS: tuple[tuple[str, str, str, int], ...] = (
    # (length unit, area unit, alternative area unit, weight)
    ("cm", "cm²", "cm^{2}", 6),
    ("m", "m²", "m^{2}", 2),
    ("米", "平方米", "平方米", 1),
    ("mm", "mm²", "mm^{2}", 1),
)

Spec = tuple[Any, ...]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeoConfig:
    """Which problems to generate and how big the diagrams are."""

    families: tuple[str, ...] | None = None  # None = all FAMILIES
    width: int = 320
    height: int = 240
    unit_share: float = 0.15  # share of length/area problems whose numbers carry a unit
    max_steps: int | None = None  # keep only variants with at most this many reasoning steps

    def __post_init__(self) -> None:
        if self.families is not None:
            if isinstance(self.families, str):
                raise ValueError(
                    f"GeoConfig.families must be a sequence of names, not the string "
                    f"{self.families!r}; valid: {', '.join(FAMILIES)}"
                )
            fams = tuple(dict.fromkeys(self.families))
            object.__setattr__(self, "families", fams)
            unknown = [f for f in fams if f not in FAMILIES]
            if unknown:
                raise ValueError(
                    f"unknown geometry families {unknown}; valid: {', '.join(FAMILIES)}"
                )
            if not fams:
                raise ValueError(f"GeoConfig.families is empty; valid: {', '.join(FAMILIES)}")
        for name in ("width", "height"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 64 <= v <= 4096:
                raise ValueError(f"GeoConfig.{name} must be an int in [64, 4096], got {v!r}")
        if not isinstance(self.unit_share, (int, float)) or not 0.0 <= self.unit_share <= 1.0:
            raise ValueError(f"GeoConfig.unit_share must be in [0, 1], got {self.unit_share!r}")
        if self.max_steps is not None:
            if not isinstance(self.max_steps, int) or self.max_steps < 1:
                raise ValueError(f"GeoConfig.max_steps must be None or an int >= 1, "
                                 f"got {self.max_steps!r}")
            fams = self.families or FAMILIES
            least = min(v.steps for f in fams for v in _VARIANTS[f])
            if least > self.max_steps:
                raise ValueError(
                    f"no variant of families {list(fams)} has at most {self.max_steps} "
                    f"steps (the fewest is {least})"
                )


@dataclass(frozen=True)
class Measurement:
    """A numeric re-measurement of the asked quantity from a problem's coordinates."""

    spec: Spec
    points: dict[str, Pt]

    def __call__(self) -> float:
        return measure(self.spec, self.points)


@dataclass
class GeoProblem:
    question: str
    answer: str
    value: sympy.Expr
    image: Image.Image
    family: str
    steps: int
    points: dict[str, tuple[float, float]]
    reasoning: str
    check: Callable[[], float] | None = None
    variant: str = ""


def make_problem(cfg: GeoConfig, seed: int, index: int) -> GeoProblem:
    """Problem number ``index`` of the stream ``seed`` (a pure function of its arguments)."""
    rng = random.Random(f"geoproblems:{seed}:{index}")
    family, variants = rng.choice(_pool(cfg))
    var = rng.choice(variants)
    unit, area_unit = "", ""
    if rng.random() < cfg.unit_share:
        r = rng.random() * sum(w for *_, w in LENGTH_UNITS)
        for lu, au, au2, w in LENGTH_UNITS:
            r -= w
            if r < 0:
                unit, area_unit = lu, (au if rng.random() < 0.5 else au2)
                break
    ctx = _Ctx(rng=rng, unit=unit, area_unit=area_unit, dot0=rng.random() < 0.85,
               decimal=rng.random() < 0.3)
    built = var.build(ctx)
    if len(built.reasoning) != var.steps:  # a generator bug, never data
        raise RuntimeError(f"{var.name}: {len(built.reasoning)} reasoning steps, "
                           f"declared {var.steps}")
    pts = built.scene.points
    if rng.random() < 0.5:  # mirror image: same geometry, other handedness
        pts = {k: (-x, y) for k, (x, y) in pts.items()}
    pts = {k: (float(x) + 0.0, float(y) + 0.0) for k, (x, y) in sorted(pts.items())}
    built.scene.points = pts
    image = render(built.scene, cfg.width, cfg.height)
    if built.kind == "deg":
        answer = render_value(built.value, decimal=True) + "°"
    elif built.kind == "area":
        answer = render_value(built.value, decimal=ctx.decimal) + ctx.area_unit
    else:
        answer = render_value(built.value, decimal=ctx.decimal) + ctx.unit
    return GeoProblem(
        question=built.question,
        answer=answer,
        value=built.value,
        image=image,
        family=family,
        steps=var.steps,
        points=pts,
        reasoning="; ".join(built.reasoning),
        check=Measurement(built.spec, pts),
        variant=var.name,
    )


def numeric_check(problem: GeoProblem) -> float:
    """The asked quantity measured from ``problem.points`` with floats (no sympy)."""
    if isinstance(problem.check, Measurement):
        return measure(problem.check.spec, problem.points)
    if problem.check is not None:
        return float(problem.check())
    raise ValueError("problem has no numeric check")


def family_steps() -> dict[str, tuple[int, ...]]:
    """The step counts of each family's variants (for docs and reports)."""
    return {f: tuple(sorted({v.steps for v in _VARIANTS[f]})) for f in FAMILIES}


# --------------------------------------------------------------------------------------------
# Exact values -> GeoQA answer strings
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Numeric re-measurement
# --------------------------------------------------------------------------------------------


def _angle_deg(v: Pt, p: Pt, q: Pt) -> float:
    ax, ay = p[0] - v[0], p[1] - v[1]
    bx, by = q[0] - v[0], q[1] - v[1]
    return math.degrees(math.atan2(abs(ax * by - ay * bx), ax * bx + ay * by))


def measure(spec: Spec, pts: dict[str, Pt]) -> float:
    """Evaluate a measurement spec on coordinates (floats only)."""
    kind, names = spec[0], spec[1:]

    def p(i: int) -> Pt:
        return pts[names[i]]

    if kind == "angle":
        return _angle_deg(p(0), p(1), p(2))
    if kind == "len":
        return math.dist(p(0), p(1))
    if kind == "circ":
        return 2 * math.pi * math.dist(p(0), p(1))
    if kind == "disk":
        return math.pi * math.dist(p(0), p(1)) ** 2
    if kind in ("arc", "sector"):
        theta = math.radians(_angle_deg(p(0), p(1), p(2)))
        if names[3]:
            theta = 2 * math.pi - theta
        r = math.dist(p(0), p(1))
        return r * theta if kind == "arc" else r * r * theta / 2
    if kind == "cone":  # apex, base centre, base rim point: lateral area pi * r * l
        return math.pi * math.dist(p(1), p(2)) * math.dist(p(0), p(2))
    if kind == "perim":
        ring = [pts[n] for n in names]
        return sum(math.dist(a, b) for a, b in zip(ring, ring[1:] + ring[:1], strict=True))
    if kind == "area_tri":
        (ax, ay), (bx, by), (cx, cy) = p(0), p(1), p(2)
        return abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) / 2
    raise ValueError(f"unknown measurement {kind!r}")


# --------------------------------------------------------------------------------------------
# Generation machinery
# --------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    rng: random.Random
    unit: str
    area_unit: str
    dot0: bool  # write given numbers as '50.0' (GeoQA style) rather than '50'
    decimal: bool  # render terminating fraction answers as decimals

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


@lru_cache(maxsize=64)
def _pool(cfg: GeoConfig) -> tuple[tuple[str, tuple[_Variant, ...]], ...]:
    out = []
    for fam in cfg.families or FAMILIES:
        vs = tuple(v for v in _VARIANTS[fam]
                   if cfg.max_steps is None or v.steps <= cfg.max_steps)
        if vs:
            out.append((fam, vs))
    return tuple(out)


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


# --------------------------------------------------------------------------------------------
# triangle_angle_sum
# --------------------------------------------------------------------------------------------


@_variant("triangle_angle_sum", 1)
def _tas_third_angle(c: _Ctx) -> _Built:
    while True:
        a, b = c.ang(25, 100), c.ang(25, 100)
        if 180 - a - b >= 25:
            break
    g1, g2, x = c.rng.sample("ABC", 3)
    ang = {g1: a, g2: b, x: 180 - a - b}
    left, right, top = c.rng.sample("ABC", 3)
    pl, pr, pt = _tri(6.0, ang[left], ang[right])
    sc = Scene({left: pl, right: pr, top: pt})
    sc.poly("A", "B", "C")
    for g in (g1, g2):
        sc.angle(g, *_others(g))
    v = INT(180) - a - b
    q = (f"{AS_SHOWN}in △ABC, ∠{g1} = {c.num(a)}, ∠{g2} = {c.num(b)}, "
         + c.ask_angle(f"∠{x}"))
    why = [f"∠{x} = 180° - ∠{g1} - ∠{g2} = 180° - {a}° - {b}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", x, *_others(x)))


@_variant("triangle_angle_sum", 2)
def _tas_altitude(c: _Ctx) -> _Built:
    a = c.ang(25, 65)
    base = 6.0
    cc = _pol(base * math.cos(math.radians(a)), a)
    sc = Scene({"A": (0.0, 0.0), "B": (base, 0.0), "C": cc, "D": (cc[0], 0.0)})
    sc.poly("A", "B", "C")
    sc.seg("C", "D")
    sc.right("C", "A", "B")
    sc.right("D", "C", "B")
    sc.angle("A", "B", "C")
    v = INT(a)
    q = (f"{AS_SHOWN}in Rt△ABC, ∠ACB = {c.num(90)}, CD ⊥ AB at point D, ∠A = {c.num(a)}, "
         + c.ask_angle("∠BCD"))
    why = [f"∠B = 90° - ∠A = 90° - {a}° = {90 - a}°",
           f"∠BCD = 90° - ∠B = 90° - {90 - a}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "C", "B", "D"))


@_variant("triangle_angle_sum", 3)
def _tas_bisectors(c: _Ctx) -> _Built:
    a = c.rng.randint(30, 110) if c.rng.random() < 0.4 else c.ang(30, 110)
    b = c.rng.randint(25, 180 - a - 25)
    pb, pc, pa = _tri(6.0, b, 180 - a - b)
    po = _incenter(pa, pb, pc)
    sc = Scene({"A": pa, "B": pb, "C": pc, "O": po})
    sc.poly("A", "B", "C")
    sc.seg("B", "O", "C")
    sc.angle("A", "B", "C")
    half = R(180 - a, 2)
    v = 180 - half
    q = (f"{AS_SHOWN}in △ABC, ∠A = {c.num(a)}, BO and CO bisect ∠ABC and ∠ACB respectively, "
         + c.ask_angle("∠BOC"))
    why = [f"∠ABC + ∠ACB = 180° - ∠A = 180° - {a}° = {180 - a}°",
           f"∠OBC + ∠OCB = ½(∠ABC + ∠ACB) = {_deg(half)}",
           f"∠BOC = 180° - {_deg(half)} = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "O", "B", "C"))


# --------------------------------------------------------------------------------------------
# parallel_transversal
# --------------------------------------------------------------------------------------------

# Angle positions at an intersection: (U)p/(D)own of the parallel line, (L)eft/(R)ight of the
# transversal. Top line AB meets the transversal at E, bottom line CD at F; M is above E,
# N below F. An angle at (U,R) or (D,L) equals theta (the transversal's direction), else
# 180 - theta.
_PT_RAYS = {
    ("E", "U", "R"): ("B", "M"), ("E", "U", "L"): ("A", "M"),
    ("E", "D", "R"): ("B", "F"), ("E", "D", "L"): ("A", "F"),
    ("F", "U", "R"): ("D", "E"), ("F", "U", "L"): ("C", "E"),
    ("F", "D", "R"): ("D", "N"), ("F", "D", "L"): ("C", "N"),
}


def _pt_relation(pe: tuple[str, str], pf: tuple[str, str]) -> tuple[str, bool] | None:
    """Relation of an angle at E (top line) to one at F: (name, equal) or None (two steps)."""
    if pe == pf:
        return "corresponding", True
    if pe[0] == "D" and pf[0] == "U":
        return ("alternate interior", True) if pe[1] != pf[1] else ("co-interior", False)
    if pe[0] == "U" and pf[0] == "D":
        return ("alternate exterior", True) if pe[1] != pf[1] else ("same-side exterior", False)
    return None


def _parallel_lines(c: _Ctx, theta: int, h: float = 4.0) -> dict[str, Pt]:
    e = (0.0, h)
    f = (-h / math.tan(math.radians(theta)), 0.0)
    ext = 0.45 * h / math.sin(math.radians(theta))
    m, n = _at(e, ext, theta), _at(f, ext, theta + 180)
    xs = [e[0], f[0], m[0], n[0]]
    lo, hi = min(xs) - c.uniform(1.6, 2.6), max(xs) + c.uniform(1.6, 2.6)
    return {"A": (lo, h), "B": (hi, h), "C": (lo, 0.0), "D": (hi, 0.0),
            "E": e, "F": f, "M": m, "N": n}


def _parallel_transversal(c: _Ctx, two_step: bool) -> _Built:
    while True:
        theta = c.ang(35, 145)
        if not 84 <= theta <= 96:
            break
    pairs = []
    for pe in (("U", "R"), ("U", "L"), ("D", "R"), ("D", "L")):
        for pf in (("U", "R"), ("U", "L"), ("D", "R"), ("D", "L")):
            rel = _pt_relation(pe, pf)
            if (rel is None) == two_step:
                pairs.append((pe, pf, rel))
    pe, pf, rel = c.rng.choice(pairs)
    first, second = ("E", pe), ("F", pf)
    if c.rng.random() < 0.5:
        first, second = second, first
    lines_style = c.rng.random() < 0.4
    base = _parallel_lines(c, theta)

    def nm(s: str) -> str:
        return "_" + s if lines_style else s

    sc = Scene({nm(k): v for k, v in base.items()})
    sc.seg(nm("A"), nm("B"))
    sc.seg(nm("C"), nm("D"))
    sc.seg(nm("M"), nm("E"), nm("F"), nm("N"))
    sc.parallels += [(nm("A"), nm("B"), 1), (nm("C"), nm("D"), 1)]
    if lines_style:
        sc.labels = {"_B": "a", "_D": "b", "_M": "c"}

    def value(pos: tuple[str, str]) -> int:
        return theta if pos in (("U", "R"), ("D", "L")) else 180 - theta

    def rays(vtx: str, pos: tuple[str, str]) -> tuple[str, str]:
        return _PT_RAYS[(vtx, *pos)]

    x = value(first[1])
    v = INT(value(second[1]))
    r1, r2 = rays(*first), rays(*second)
    sc.angle(nm(first[0]), nm(r1[0]), nm(r1[1]), "1")
    sc.angle(nm(second[0]), nm(r2[0]), nm(r2[1]), "2")
    par = "a ∥ b" if lines_style else "AB ∥ CD"
    if lines_style:
        q = (f"{AS_SHOWN}straight line a ∥ b, straight line c intersects a and b, "
             f"∠1 = {c.num(x)}, " + c.ask_angle("∠2"))
    else:
        q = (f"{AS_SHOWN}AB ∥ CD, the straight line MN intersects AB and CD at points E and F "
             f"respectively, ∠1 = {c.num(x)}, " + c.ask_angle("∠2"))
    if rel is not None:
        name, equal = rel
        if equal:
            why = [f"{par}, so ∠2 = ∠1 = {x}° ({name} angles are equal)"]
        else:
            why = [f"{par}, so ∠2 = 180° - ∠1 = 180° - {x}° = {_deg(v)} "
                   f"({name} angles are supplementary)"]
    else:
        other = "F" if first[0] == "E" else "E"
        r3 = rays(other, first[1])
        if lines_style:
            sc.angle(nm(other), nm(r3[0]), nm(r3[1]), "3")
            n3 = "∠3"
        else:
            n3 = f"∠{r3[0]}{other}{r3[1]}"
        why = [f"{par}, so {n3} = ∠1 = {x}° (corresponding angles)",
               f"∠2 = 180° - {n3} = 180° - {x}° = {_deg(v)} (angles on a straight line)"]
    spec = ("angle", nm(second[0]), nm(r2[0]), nm(r2[1]))
    return _Built(q, v, "deg", sc, why, spec)


@_variant("parallel_transversal", 1)
def _pt_one_step(c: _Ctx) -> _Built:
    return _parallel_transversal(c, two_step=False)


@_variant("parallel_transversal", 2)
def _pt_two_steps(c: _Ctx) -> _Built:
    return _parallel_transversal(c, two_step=True)


@_variant("parallel_transversal", 3)
def _pt_set_square(c: _Ctx) -> _Built:
    phi = c.ang(20, 70)
    h = 4.0
    t = math.tan(math.radians(phi))
    pa, pb = (h / t, h), (-h * t, h)
    lo, hi = pb[0] - c.uniform(1.2, 2.2), pa[0] + c.uniform(1.2, 2.2)
    sc = Scene({"A": pa, "B": pb, "C": (0.0, 0.0), "_a0": (lo, h), "_a1": (hi, h),
                "_b0": (lo, 0.0), "_b1": (hi, 0.0)})
    sc.labels = {"_a1": "a", "_b1": "b"}
    sc.seg("_a0", "_a1")
    sc.seg("_b0", "_b1")
    sc.poly("A", "B", "C")
    sc.parallels += [("_a0", "_a1", 1), ("_b0", "_b1", 1)]
    sc.right("C", "A", "B")
    sc.angle("C", "_b1", "A", "1")
    sc.angle("B", "_a0", "C", "2")
    v = INT(90 + phi)
    q = (f"{AS_SHOWN}straight line a ∥ b, the right-angle vertex C of Rt△ABC lies on line b, "
         f"and points A and B lie on line a. If ∠1 = {c.num(phi)}, " + c.ask_angle("∠2"))
    why = [f"a ∥ b, so ∠BAC = ∠1 = {phi}° (alternate interior angles)",
           f"∠ABC = 90° - ∠BAC = {90 - phi}°",
           f"∠2 = 180° - ∠ABC = 180° - {90 - phi}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "B", "_a0", "C"))


# --------------------------------------------------------------------------------------------
# bisector_parallel
# --------------------------------------------------------------------------------------------


def _bp_frame(c: _Ctx, theta: int, extra: list[Pt], h: float = 4.0) -> dict[str, Pt]:
    e = (0.0, h)
    f = (-h / math.tan(math.radians(theta)), 0.0)
    xs = [e[0], f[0]] + [p[0] for p in extra]
    lo, hi = min(xs) - c.uniform(1.5, 2.5), max(xs) + c.uniform(1.5, 2.5)
    return {"A": (lo, h), "B": (hi, h), "C": (lo, 0.0), "D": (hi, 0.0), "E": e, "F": f}


def _bp_scene(pts: dict[str, Pt], bis: tuple[str, str]) -> Scene:
    sc = Scene(pts)
    sc.seg("A", "B")
    sc.seg("C", "D")
    sc.seg("E", "F")
    sc.seg(*bis)
    sc.parallels += [("A", "B", 1), ("C", "D", 1)]
    return sc


@_variant("bisector_parallel", 3)
def _bp_bisect_top(c: _Ctx) -> _Built:
    x = c.even_ang(40, 140) if c.rng.random() < 0.8 else c.ang(40, 140)
    h = 4.0
    beta = (180 - x) / 2
    g = _at((0.0, h), h / math.sin(math.radians(beta)), -beta)
    pts = _bp_frame(c, x, [g], h)
    pts["G"] = g
    sc = _bp_scene(pts, ("E", "G"))
    numbered = c.rng.random() < 0.5
    sc.angle("F", "D", "E", "1" if numbered else "")
    sc.angle("G", "E", "F", "2" if numbered else "")
    n1, n2 = ("∠1", "∠2") if numbered else ("∠EFD", "∠EGF")
    half = R(180 - x, 2)
    q = (f"{AS_SHOWN}AB ∥ CD, EG bisects ∠BEF and intersects CD at point G, "
         f"{n1} = {c.num(x)}, " + c.ask_angle(n2))
    why = [f"AB ∥ CD, so ∠BEF = 180° - {n1} = 180° - {x}° = {180 - x}°",
           f"EG bisects ∠BEF, so ∠BEG = ½∠BEF = {_deg(half)}",
           f"AB ∥ CD, so {n2} = ∠BEG = {_deg(half)} (alternate interior angles)"]
    return _Built(q, half, "deg", sc, why, ("angle", "G", "E", "F"))


def _bp_bisect_bottom(c: _Ctx, outer: bool) -> _Built:
    x = c.even_ang(40, 140) if c.rng.random() < 0.8 else c.ang(40, 140)
    h = 4.0
    f = (-h / math.tan(math.radians(x)), 0.0)
    g = _at(f, h / math.sin(math.radians(x / 2)), x / 2)
    pts = _bp_frame(c, x, [g], h)
    pts["G"] = g
    sc = _bp_scene(pts, ("F", "G"))
    numbered = c.rng.random() < 0.5
    sc.angle("E", "A", "F", "1" if numbered else "")
    asked = ("B", "F") if outer else ("E", "F")
    sc.angle("G", *asked, "2" if numbered else "")
    n1 = "∠1" if numbered else "∠AEF"
    n2 = "∠2" if numbered else f"∠{asked[0]}G{asked[1]}"
    half = R(x, 2)
    q = (f"{AS_SHOWN}AB ∥ CD, FG bisects ∠EFD and intersects AB at point G, "
         f"{n1} = {c.num(x)}, " + c.ask_angle(n2))
    why = [f"AB ∥ CD, so ∠EFD = {n1} = {x}° (alternate interior angles)",
           f"FG bisects ∠EFD, so ∠GFD = ½∠EFD = {_deg(half)}"]
    if outer:
        v = 180 - half
        why += [f"AB ∥ CD, so ∠EGF = ∠GFD = {_deg(half)} (alternate interior angles)",
                f"{n2} = 180° - ∠EGF = 180° - {_deg(half)} = {_deg(v)}"]
    else:
        v = half
        why += [f"AB ∥ CD, so {n2} = ∠GFD = {_deg(half)} (alternate interior angles)"]
    return _Built(q, v, "deg", sc, why, ("angle", "G", *asked))


@_variant("bisector_parallel", 3)
def _bp_bisect_bottom_inner(c: _Ctx) -> _Built:
    return _bp_bisect_bottom(c, outer=False)


@_variant("bisector_parallel", 4)
def _bp_bisect_bottom_outer(c: _Ctx) -> _Built:
    return _bp_bisect_bottom(c, outer=True)


# --------------------------------------------------------------------------------------------
# isosceles_base
# --------------------------------------------------------------------------------------------


def _iso_points(apex: float, half_base: float = 3.0) -> dict[str, Pt]:
    beta = (180.0 - apex) / 2
    return {"A": (0.0, half_base * math.tan(math.radians(beta))),
            "B": (-half_base, 0.0), "C": (half_base, 0.0)}


def _iso_scene(pts: dict[str, Pt]) -> Scene:
    sc = Scene(pts)
    sc.poly("A", "B", "C")
    sc.ticks += [("A", "B", 1), ("A", "C", 1)]
    return sc


@_variant("isosceles_base", 2)
def _iso_base_from_apex(c: _Ctx) -> _Built:
    a = c.ang(20, 140)
    sc = _iso_scene(_iso_points(a))
    sc.angle("A", "B", "C")
    x = c.rng.choice("BC")
    v = R(180 - a, 2)
    q = f"{AS_SHOWN}in △ABC, AB = AC, ∠A = {c.num(a)}, " + c.ask_angle(f"∠{x}")
    why = ["AB = AC, so ∠B = ∠C",
           f"∠{x} = (180° - ∠A) ÷ 2 = (180° - {a}°) ÷ 2 = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", x, *_others(x)))


@_variant("isosceles_base", 2)
def _iso_apex_from_base(c: _Ctx) -> _Built:
    b = c.ang(25, 80)
    sc = _iso_scene(_iso_points(180 - 2 * b))
    g = c.rng.choice("BC")
    o = "C" if g == "B" else "B"
    sc.angle(g, *_others(g))
    v = INT(180 - 2 * b)
    q = f"{AS_SHOWN}in △ABC, AB = AC, ∠{g} = {c.num(b)}, " + c.ask_angle("∠A")
    why = [f"AB = AC, so ∠{o} = ∠{g} = {b}°",
           f"∠A = 180° - 2×{b}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "A", "B", "C"))


@_variant("isosceles_base", 4)
def _iso_bd_equals_bc(c: _Ctx) -> _Built:
    a = c.ang(20, 50)
    pts = _iso_points(a)
    f = _foot(pts["B"], pts["A"], pts["C"])
    pts["D"] = (2 * f[0] - pts["C"][0], 2 * f[1] - pts["C"][1])
    sc = _iso_scene(pts)
    sc.seg("B", "D")
    sc.ticks += [("B", "D", 2), ("B", "C", 2)]
    sc.angle("A", "B", "C")
    b = R(180 - a, 2)
    v = b - a
    q = (f"{AS_SHOWN}in △ABC, AB = AC, D is a point on AC and BD = BC. If ∠A = {c.num(a)}, "
         + c.ask_angle("∠ABD"))
    why = [f"AB = AC, so ∠ABC = ∠C = (180° - {a}°) ÷ 2 = {_deg(b)}",
           f"BD = BC, so ∠BDC = ∠C = {_deg(b)}",
           f"∠DBC = 180° - 2×{_deg(b)} = {a}°",
           f"∠ABD = ∠ABC - ∠DBC = {_deg(b)} - {a}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "B", "A", "D"))


@_variant("isosceles_base", 3)
def _iso_exterior(c: _Ctx) -> _Built:
    x = c.ang(100, 160)
    b = 180 - x
    pts = _iso_points(180 - 2 * b)
    pts["D"] = (3.0 + c.uniform(2.5, 4.0), 0.0)
    sc = _iso_scene(pts)
    sc.seg("C", "D")
    sc.angle("C", "A", "D")
    v = INT(180 - 2 * b)
    q = (f"{AS_SHOWN}in △ABC, AB = AC, D is a point on the extension of BC, "
         f"∠ACD = {c.num(x)}, " + c.ask_angle("∠A"))
    why = [f"∠ACB = 180° - ∠ACD = 180° - {x}° = {b}°",
           f"AB = AC, so ∠B = ∠ACB = {b}°",
           f"∠A = 180° - 2×{b}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "A", "B", "C"))


@_variant("isosceles_base", 2)
def _iso_altitude(c: _Ctx) -> _Built:
    y = c.ang(15, 70)
    pts = _iso_points(2 * y)
    pts["D"] = (0.0, 0.0)
    sc = _iso_scene(pts)
    sc.seg("A", "D")
    sc.right("D", "A", "C")
    sc.angle("A", "B", "D")
    v = INT(90 - y)
    q = (f"{AS_SHOWN}in △ABC, AB = AC, AD ⊥ BC at point D, ∠BAD = {c.num(y)}, "
         + c.ask_angle("∠C"))
    why = [f"AB = AC and AD ⊥ BC, so ∠CAD = ∠BAD = {y}°",
           f"∠C = 90° - ∠CAD = 90° - {y}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "C", "A", "B"))


# --------------------------------------------------------------------------------------------
# exterior_angle
# --------------------------------------------------------------------------------------------


def _ext_triangle(c: _Ctx, lo_sum: int = 50, hi_sum: int = 160) -> tuple[int, int, Scene]:
    while True:
        a, b = c.ang(25, 110), c.ang(25, 80)
        if lo_sum <= a + b <= hi_sum and 180 - a - b >= 20:
            break
    pb, pc, pa = _tri(6.0, b, 180 - a - b)
    sc = Scene({"A": pa, "B": pb, "C": pc, "D": (6.0 + c.uniform(2.5, 4.0), 0.0)})
    sc.poly("A", "B", "C")
    sc.seg("C", "D")
    return a, b, sc


@_variant("exterior_angle", 1)
def _ext_sum(c: _Ctx) -> _Built:
    a, b, sc = _ext_triangle(c)
    sc.angle("A", "B", "C")
    sc.angle("B", "A", "C")
    v = INT(a + b)
    q = (f"{AS_SHOWN}in △ABC, D is a point on the extension of BC, ∠A = {c.num(a)}, "
         f"∠B = {c.num(b)}, " + c.ask_angle("∠ACD"))
    why = [f"∠ACD = ∠A + ∠B = {a}° + {b}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "C", "A", "D"))


@_variant("exterior_angle", 1)
def _ext_difference(c: _Ctx) -> _Built:
    a, b, sc = _ext_triangle(c)
    sc.angle("C", "A", "D")
    sc.angle("A", "B", "C")
    v = INT(b)
    q = (f"{AS_SHOWN}point D is on the extension of side BC of △ABC, ∠ACD = {c.num(a + b)}, "
         f"∠A = {c.num(a)}, " + c.ask_angle("∠B"))
    why = [f"∠B = ∠ACD - ∠A = {a + b}° - {a}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "B", "A", "C"))


@_variant("exterior_angle", 2)
def _ext_bisector(c: _Ctx) -> _Built:
    a, b, sc = _ext_triangle(c)
    pc, pa = sc.points["C"], sc.points["A"]
    ca = math.degrees(math.atan2(pa[1] - pc[1], pa[0] - pc[0]))
    sc.points["E"] = _at(pc, 0.9 * math.dist(pc, pa), ca / 2)
    sc.seg("C", "E")
    sc.angle("A", "B", "C")
    sc.angle("B", "A", "C")
    s = a + b
    v = R(s, 2)
    q = (f"{AS_SHOWN}in △ABC, D is a point on the extension of BC, CE bisects ∠ACD, "
         f"∠A = {c.num(a)}, ∠B = {c.num(b)}, " + c.ask_angle("∠ECD"))
    why = [f"∠ACD = ∠A + ∠B = {a}° + {b}° = {s}°",
           f"CE bisects ∠ACD, so ∠ECD = ½∠ACD = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "C", "E", "D"))


@_variant("exterior_angle", 3)
def _ext_angle_bisector(c: _Ctx) -> _Built:
    while True:
        b, cc = c.ang(30, 80), c.ang(30, 80)
        if 180 - b - cc >= 30 and (180 - b - cc) % 2 == 0:
            break
    pb, pc, pa = _tri(6.0, b, cc)
    ab, ac = math.dist(pa, pb), math.dist(pa, pc)
    sc = Scene({"A": pa, "B": pb, "C": pc, "D": _lerp(pb, pc, ab / (ab + ac))})
    sc.poly("A", "B", "C")
    sc.seg("A", "D")
    sc.angle("B", "A", "C")
    sc.angle("C", "A", "B")
    a = 180 - b - cc
    v = INT(b + a // 2)
    q = (f"{AS_SHOWN}in △ABC, ∠B = {c.num(b)}, ∠C = {c.num(cc)}, AD bisects ∠BAC and "
         f"intersects BC at point D, " + c.ask_angle("∠ADC"))
    why = [f"∠BAC = 180° - ∠B - ∠C = {a}°",
           f"∠BAD = ½∠BAC = {a // 2}°",
           f"∠ADC = ∠B + ∠BAD = {b}° + {a // 2}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "D", "A", "C"))


# --------------------------------------------------------------------------------------------
# inscribed_angle
# --------------------------------------------------------------------------------------------

_R0 = 3.0


def _circle_scene(pts: dict[str, Pt], r: float = _R0) -> Scene:
    sc = Scene(pts)
    sc.circles.append(("O", r))
    sc.dots.append("O")
    return sc


def _central_figure(c: _Ctx, central: float) -> dict[str, Pt]:
    """A, B with angle AOB = central (chord low), C on the major arc, randomly turned."""
    t = c.uniform(0.25, 0.75)
    pts = {"O": (0.0, 0.0), "A": _pol(_R0, 270 - central / 2), "B": _pol(_R0, 270 + central / 2),
           "C": _pol(_R0, 270 + central / 2 + (360 - central) * t)}
    return _rotated(pts, c.uniform(-35, 35))


@_variant("inscribed_angle", 1)
def _ins_from_central(c: _Ctx) -> _Built:
    x = c.even_ang(40, 160) if c.rng.random() < 0.85 else c.ang(40, 160)
    sc = _circle_scene(_central_figure(c, x))
    sc.seg("A", "O", "B")
    sc.seg("A", "C", "B")
    sc.angle("O", "A", "B")
    v = R(x, 2)
    q = (f"{AS_SHOWN}A, B, C are three points on ⊙O, ∠AOB = {c.num(x)}, "
         + c.ask_angle("∠ACB"))
    why = [f"∠ACB = ½∠AOB = ½×{x}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "C", "A", "B"))


@_variant("inscribed_angle", 1)
def _ins_to_central(c: _Ctx) -> _Built:
    y = c.ang(20, 80)
    sc = _circle_scene(_central_figure(c, 2 * y))
    sc.seg("A", "O", "B")
    sc.seg("A", "C", "B")
    sc.angle("C", "A", "B")
    v = INT(2 * y)
    q = (f"{AS_SHOWN}points A, B and C are on ⊙O, ∠ACB = {c.num(y)}, "
         + c.ask_angle("∠AOB"))
    why = [f"∠AOB = 2∠ACB = 2×{y}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "O", "A", "B"))


@_variant("inscribed_angle", 2)
def _ins_diameter(c: _Ctx) -> _Built:
    x = c.ang(20, 70)
    pts = {"O": (0.0, 0.0), "A": (-_R0, 0.0), "B": (_R0, 0.0), "C": _pol(_R0, 180 - 2 * x)}
    sc = _circle_scene(_rotated(pts, c.uniform(-20, 20)))
    sc.poly("A", "B", "C")
    sc.right("C", "A", "B")
    sc.angle("B", "A", "C")
    v = INT(90 - x)
    q = (f"{AS_SHOWN}AB is the diameter of ⊙O, C is a point on ⊙O, ∠ABC = {c.num(x)}, "
         + c.ask_angle("∠BAC"))
    why = ["AB is a diameter, so ∠ACB = 90°",
           f"∠BAC = 90° - ∠ABC = 90° - {x}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "A", "B", "C"))


@_variant("inscribed_angle", 3)
def _ins_diameter_same_arc(c: _Ctx) -> _Built:
    x = c.ang(20, 70)
    pts = {"O": (0.0, 0.0), "A": (-_R0, 0.0), "B": (_R0, 0.0), "D": _pol(_R0, 180 + 2 * x),
           "C": _pol(_R0, c.uniform(40, 140))}
    sc = _circle_scene(_rotated(pts, c.uniform(-20, 20)))
    sc.seg("A", "B")
    sc.seg("A", "D", "B", "C", "D")
    sc.angle("B", "A", "D")
    v = INT(90 - x)
    q = (f"{AS_SHOWN}AB is the diameter of ⊙O, points C and D are on ⊙O, ∠ABD = {c.num(x)}, "
         + c.ask_angle("∠BCD"))
    why = ["AB is a diameter, so ∠ADB = 90°",
           f"∠BAD = 90° - ∠ABD = 90° - {x}° = {90 - x}°",
           f"∠BCD = ∠BAD = {_deg(v)} (inscribed angles on the same arc)"]
    return _Built(q, v, "deg", sc, why, ("angle", "C", "B", "D"))


@_variant("inscribed_angle", 3)
def _ins_isosceles_radii(c: _Ctx) -> _Built:
    x = c.ang(15, 70)
    sc = _circle_scene(_central_figure(c, 180 - 2 * x))
    sc.seg("A", "O", "B")
    sc.seg("A", "C", "B", "A")
    sc.angle("A", "O", "B")
    v = INT(90 - x)
    q = f"{AS_SHOWN}A, B, C are points on ⊙O, ∠OAB = {c.num(x)}, " + c.ask_angle("∠ACB")
    why = [f"OA = OB, so ∠OBA = ∠OAB = {x}°",
           f"∠AOB = 180° - 2×{x}° = {180 - 2 * x}°",
           f"∠ACB = ½∠AOB = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "C", "A", "B"))


@_variant("inscribed_angle", 2)
def _ins_cyclic_quad(c: _Ctx) -> _Built:
    x = c.even_ang(60, 160) if c.rng.random() < 0.85 else c.ang(60, 160)
    pts = {"O": (0.0, 0.0), "B": _pol(_R0, 270 - x / 2), "D": _pol(_R0, 270 + x / 2),
           "C": _pol(_R0, 270 + x / 2 * c.uniform(-0.5, 0.5)),
           "A": _pol(_R0, 90 + (360 - x) / 2 * c.uniform(-0.4, 0.4))}
    sc = _circle_scene(_rotated(pts, c.uniform(-30, 30)))
    sc.poly("A", "B", "C", "D")
    sc.seg("B", "O", "D")
    sc.angle("O", "B", "D")
    v = 180 - R(x, 2)
    q = (f"{AS_SHOWN}quadrilateral ABCD is inscribed in ⊙O, ∠BOD = {c.num(x)}, "
         + c.ask_angle("∠BCD"))
    why = [f"∠BAD = ½∠BOD = {_deg(R(x, 2))}",
           f"∠BCD = 180° - ∠BAD = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "C", "B", "D"))


# --------------------------------------------------------------------------------------------
# tangent_radius
# --------------------------------------------------------------------------------------------


def _tangent_points(r: float, d: float) -> tuple[Pt, Pt]:
    """Tangent points from P = (d, 0) to the circle of radius r at the origin."""
    x, y = r * r / d, r * math.sqrt(d * d - r * r) / d
    return (x, y), (x, -y)


@_variant("tangent_radius", 2)
def _tan_one(c: _Ctx) -> _Built:
    x = c.ang(20, 65)
    d = _R0 / math.sin(math.radians(x))
    a, _ = _tangent_points(_R0, d)
    sc = _circle_scene(_rotated({"O": (0.0, 0.0), "A": a, "P": (d, 0.0)}, c.uniform(-30, 30)))
    sc.poly("O", "A", "P")
    sc.right("A", "O", "P")
    sc.angle("P", "A", "O")
    v = INT(90 - x)
    q = (f"{AS_SHOWN}PA is tangent to ⊙O at point A, ∠APO = {c.num(x)}, "
         + c.ask_angle("∠AOP"))
    why = ["PA is tangent to ⊙O at A, so OA ⊥ PA, ∠OAP = 90°",
           f"∠AOP = 90° - ∠APO = 90° - {x}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "O", "A", "P"))


def _two_tangents(c: _Ctx, x: int) -> Scene:
    d = _R0 / math.sin(math.radians(x / 2))
    a, b = _tangent_points(_R0, d)
    alpha = math.degrees(math.atan2(a[1], a[0]))
    cc = _pol(_R0, 180 + (180 - alpha) * c.uniform(-0.5, 0.5))
    pts = {"O": (0.0, 0.0), "A": a, "B": b, "P": (d, 0.0), "C": cc}
    sc = _circle_scene(_rotated(pts, c.uniform(-30, 30)))
    sc.seg("A", "P", "B")
    sc.seg("A", "O", "B")
    sc.right("A", "O", "P")
    sc.right("B", "O", "P")
    sc.angle("P", "A", "B")
    return sc


@_variant("tangent_radius", 2)
def _tan_two_central(c: _Ctx) -> _Built:
    x = c.ang(30, 120)
    sc = _two_tangents(c, x)
    del sc.points["C"]
    v = INT(180 - x)
    q = (f"{AS_SHOWN}PA and PB are tangent to ⊙O at points A and B, ∠APB = {c.num(x)}, "
         + c.ask_angle("∠AOB"))
    why = ["PA and PB are tangents, so ∠OAP = ∠OBP = 90°",
           f"∠AOB = 360° - 90° - 90° - ∠APB = 180° - {x}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "O", "A", "B"))


@_variant("tangent_radius", 3)
def _tan_two_inscribed(c: _Ctx) -> _Built:
    x = c.even_ang(30, 120) if c.rng.random() < 0.8 else c.ang(30, 120)
    sc = _two_tangents(c, x)
    sc.seg("A", "C", "B")
    v = 90 - R(x, 2)
    q = (f"{AS_SHOWN}PA and PB are tangent to ⊙O at points A and B, C is a point on ⊙O, "
         f"∠APB = {c.num(x)}, " + c.ask_angle("∠ACB"))
    why = ["PA and PB are tangents, so ∠OAP = ∠OBP = 90°",
           f"∠AOB = 180° - ∠APB = {180 - x}°",
           f"∠ACB = ½∠AOB = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "C", "A", "B"))


@_variant("tangent_radius", 3)
def _tan_diameter(c: _Ctx) -> _Built:
    x = c.ang(20, 70) if c.rng.random() < 0.5 else 2 * c.rng.randint(10, 35)
    t = _R0 / math.tan(math.radians(x))
    p = (t, -_R0)
    n = math.hypot(*p)
    pts = {"O": (0.0, 0.0), "A": (0.0, -_R0), "B": (0.0, _R0), "P": p,
           "C": (_R0 * p[0] / n, _R0 * p[1] / n)}
    sc = _circle_scene(pts)
    sc.seg("A", "B")
    sc.seg("A", "P", "O")
    sc.seg("B", "C")
    sc.right("A", "O", "P")
    sc.angle("P", "A", "O")
    v = R(90 - x, 2)
    q = (f"{AS_SHOWN}AB is the diameter of ⊙O, PA is tangent to ⊙O at point A, PO intersects "
         f"⊙O at point C, connect BC. If ∠P = {c.num(x)}, " + c.ask_angle("∠B"))
    why = ["PA is tangent at A, so ∠OAP = 90°",
           f"∠AOP = 90° - ∠P = {90 - x}°",
           f"∠B = ½∠AOC = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "B", "A", "C"))


@_variant("tangent_radius", 2)
def _tan_length_op(c: _Ctx) -> _Built:
    while True:
        r, t = c.rng.randint(2, 12), c.rng.randint(2, 12)
        if 0.4 <= t / r <= 3.0:
            break
    d = math.hypot(r, t)
    a, _ = _tangent_points(r, d)
    sc = _circle_scene(_rotated({"O": (0.0, 0.0), "A": a, "P": (d, 0.0)}, c.uniform(-30, 30)),
                       r)
    sc.poly("O", "A", "P")
    sc.right("A", "O", "P")
    v = _isqrt_value(r * r + t * t)
    q = (f"{AS_SHOWN}PA is tangent to ⊙O at point A, the radius of ⊙O is {c.length(r)}, "
         f"PA = {c.length(t)}, " + c.ask_length("OP"))
    why = ["PA is tangent to ⊙O at A, so OA ⊥ PA",
           f"OP = √(OA² + PA²) = √({r}² + {t}²) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "O", "P"))


@_variant("tangent_radius", 3)
def _tan_length_pa(c: _Ctx) -> _Built:
    while True:
        r, k = c.rng.randint(2, 10), c.rng.randint(1, 12)
        if 0.3 <= k / r <= 3.0:
            break
    d = r + k
    a, _ = _tangent_points(r, d)
    pts = {"O": (0.0, 0.0), "A": a, "P": (float(d), 0.0), "B": (float(r), 0.0)}
    sc = _circle_scene(_rotated(pts, c.uniform(-30, 30)), r)
    sc.seg("O", "A", "P", "B", "O")
    sc.right("A", "O", "P")
    v = _isqrt_value(d * d - r * r)
    q = (f"{AS_SHOWN}PA is tangent to ⊙O at point A, PO intersects ⊙O at point B, the radius "
         f"of ⊙O is {c.length(r)}, PB = {c.length(k)}, " + c.ask_length("PA"))
    why = ["PA is tangent to ⊙O at A, so ∠OAP = 90°",
           f"OP = OB + PB = {r} + {k} = {d}",
           f"PA = √(OP² - OA²) = √({d}² - {r}²) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "P", "A"))


# --------------------------------------------------------------------------------------------
# pythagoras
# --------------------------------------------------------------------------------------------

_TRIPLES = ((3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25), (20, 21, 29), (9, 40, 41))


def _triple(c: _Ctx, max_leg: int = 24) -> tuple[int, int, int]:
    while True:
        a, b, h = c.rng.choice(_TRIPLES)
        k = c.rng.randint(1, 4)
        if b * k <= max_leg and b / a <= 4:
            break
    if c.rng.random() < 0.5:
        a, b = b, a
    return a * k, b * k, h * k


def _right_triangle(c: _Ctx, ac: float, bc: float) -> dict[str, Pt]:
    """Right angle at C, legs AC and BC; either legs axis-aligned or hypotenuse level."""
    pts = {"C": (0.0, 0.0), "A": (0.0, ac), "B": (bc, 0.0)}
    if c.rng.random() < 0.5:
        pts = _level(pts, "A", "B", up="C")
    return pts


def _right_scene(pts: dict[str, Pt]) -> Scene:
    sc = Scene(pts)
    sc.poly("A", "B", "C")
    sc.right("C", "A", "B")
    return sc


def _legs(c: _Ctx) -> tuple[int, int]:
    if c.rng.random() < 0.5:
        a, b, _ = _triple(c, 16)
        return a, b
    while True:
        a, b = c.rng.randint(1, 10), c.rng.randint(1, 10)
        if 1 / 3 <= a / b <= 3:
            return a, b


@_variant("pythagoras", 1)
def _py_hypotenuse(c: _Ctx) -> _Built:
    a, b = _legs(c)
    sc = _right_scene(_right_triangle(c, a, b))
    v = _isqrt_value(a * a + b * b)
    q = (f"{AS_SHOWN}in Rt△ABC, ∠C = {c.num(90)}, AC = {c.length(a)}, BC = {c.length(b)}, "
         + c.ask_length("AB"))
    why = [f"AB = √(AC² + BC²) = √({a}² + {b}²) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "A", "B"))


@_variant("pythagoras", 1)
def _py_leg(c: _Ctx) -> _Built:
    if c.rng.random() < 0.5:
        a, b, h = _triple(c, 16)
    else:
        while True:
            h, a = c.rng.randint(3, 12), c.rng.randint(1, 11)
            if 0.3 <= a / h <= 0.9:
                break
    bc = math.sqrt(h * h - a * a)
    sc = _right_scene(_right_triangle(c, a, bc))
    v = _isqrt_value(h * h - a * a)
    q = (f"{AS_SHOWN}in Rt△ABC, ∠ACB = {c.num(90)}, AB = {c.length(h)}, AC = {c.length(a)}, "
         + c.ask_length("BC"))
    why = [f"BC = √(AB² - AC²) = √({h}² - {a}²) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "B", "C"))


@_variant("pythagoras", 3)
def _py_altitude(c: _Ctx) -> _Built:
    a, b, h = _triple(c, 24)
    pts = _right_triangle(c, a, b)
    pts["D"] = _foot(pts["C"], pts["A"], pts["B"])
    sc = _right_scene(pts)
    sc.seg("C", "D")
    sc.right("D", "C", "B")
    v = R(a * b, h)
    q = (f"{AS_SHOWN}in Rt△ABC, ∠ACB = {c.num(90)}, CD ⊥ AB at point D, AC = {c.length(a)}, "
         f"BC = {c.length(b)}, " + c.ask_length("CD"))
    why = [f"AB = √(AC² + BC²) = √({a}² + {b}²) = {h}",
           "½·AC·BC = ½·AB·CD",
           f"CD = AC·BC ÷ AB = {a}×{b} ÷ {h} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "C", "D"))


@_variant("pythagoras", 2)
def _py_isosceles_height(c: _Ctx) -> _Built:
    while True:
        s, m = c.rng.randint(3, 13), c.rng.randint(1, 12)
        if 0.3 <= m / s <= 0.9:
            break
    hgt = math.sqrt(s * s - m * m)
    sc = Scene({"A": (0.0, hgt), "B": (-float(m), 0.0), "C": (float(m), 0.0), "D": (0.0, 0.0)})
    sc.poly("A", "B", "C")
    sc.seg("A", "D")
    sc.right("D", "A", "C")
    sc.ticks += [("A", "B", 1), ("A", "C", 1)]
    v = _isqrt_value(s * s - m * m)
    q = (f"{AS_SHOWN}in △ABC, AB = AC = {c.length(s)}, BC = {c.length(2 * m)}, AD ⊥ BC at "
         f"point D, " + c.ask_length("AD"))
    why = [f"AB = AC and AD ⊥ BC, so BD = ½BC = {m}",
           f"AD = √(AB² - BD²) = √({s}² - {m}²) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "A", "D"))


@_variant("pythagoras", 2)
def _py_rectangle(c: _Ctx) -> _Built:
    while True:
        a, b = _legs(c)
        if 0.4 <= a / b <= 1.6:
            break
    sc = Scene({"A": (0.0, float(a)), "B": (0.0, 0.0), "C": (float(b), 0.0),
                "D": (float(b), float(a))})
    sc.poly("A", "B", "C", "D")
    sc.seg("A", "C")
    sc.right("B", "A", "C")
    v = _isqrt_value(a * a + b * b)
    q = (f"{AS_SHOWN}in rectangle ABCD, AB = {c.length(a)}, BC = {c.length(b)}, "
         f"then the length of the diagonal AC is ()")
    why = ["ABCD is a rectangle, so ∠B = 90°",
           f"AC = √(AB² + BC²) = √({a}² + {b}²) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "A", "C"))


@_variant("pythagoras", 2)
def _py_area(c: _Ctx) -> _Built:
    if c.rng.random() < 0.6:
        a, b, h = _triple(c, 16)
    else:
        while True:
            h, a = c.rng.randint(3, 10), c.rng.randint(1, 9)
            if 0.3 <= a / h <= 0.9:
                break
    bc = _isqrt_value(h * h - a * a)
    sc = _right_scene(_right_triangle(c, a, math.sqrt(h * h - a * a)))
    v = R(a, 2) * bc
    q = (f"{AS_SHOWN}in Rt△ABC, ∠C = {c.num(90)}, AB = {c.length(h)}, AC = {c.length(a)}, "
         f"then the area of △ABC is ()")
    why = [f"BC = √(AB² - AC²) = √({h}² - {a}²) = {_plain(bc)}",
           f"S = ½·AC·BC = ½×{a}×{_plain(bc)} = {_plain(v)}"]
    return _Built(q, v, "area", sc, why, ("area_tri", "A", "B", "C"))


# --------------------------------------------------------------------------------------------
# similar_triangles
# --------------------------------------------------------------------------------------------


def _de_parallel(pts: dict[str, Pt], t: float) -> Scene:
    pts["D"] = _lerp(pts["A"], pts["B"], t)
    pts["E"] = _lerp(pts["A"], pts["C"], t)
    sc = Scene(pts)
    sc.poly("A", "B", "C")
    sc.seg("D", "E")
    sc.parallels += [("D", "E", 1), ("B", "C", 1)]
    return sc


@_variant("similar_triangles", 2)
def _sim_de(c: _Ctx) -> _Built:
    while True:
        p, qq, r = c.rng.randint(1, 8), c.rng.randint(1, 8), c.rng.randint(3, 12)
        if 0.5 <= r / (p + qq) <= 1.8 and 0.25 <= p / (p + qq) <= 0.75:
            break
    ab = p + qq
    pts = {"B": (0.0, 0.0), "C": (float(r), 0.0), "A": _pol(ab, c.uniform(50, 80))}
    sc = _de_parallel(pts, p / ab)
    v = R(r * p, ab)
    q = (f"{AS_SHOWN}in △ABC, D and E are points on AB and AC respectively, DE ∥ BC, "
         f"AD = {c.length(p)}, DB = {c.length(qq)}, BC = {c.length(r)}, " + c.ask_length("DE"))
    why = ["DE ∥ BC, so △ADE ∽ △ABC",
           f"DE = BC × AD/AB = {r}×{p}/{ab} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "D", "E"))


@_variant("similar_triangles", 2)
def _sim_ec(c: _Ctx) -> _Built:
    while True:
        p, qq, s = c.rng.randint(1, 8), c.rng.randint(1, 8), c.rng.randint(1, 10)
        if 0.5 <= s / p <= 2.0 and 0.25 <= p / (p + qq) <= 0.75:
            break
    ab, ac = p + qq, s * (p + qq) / p
    phi = c.uniform(35, 75)
    pts = {"A": (0.0, 0.0), "B": _pol(ab, 270 - phi / 2), "C": _pol(ac, 270 + phi / 2)}
    sc = _de_parallel(_level(pts, "B", "C", up="A"), p / ab)
    v = R(s * qq, p)
    q = (f"{AS_SHOWN}in △ABC, DE ∥ BC, DE intersects AB and AC at points D and E, "
         f"AD = {c.length(p)}, DB = {c.length(qq)}, AE = {c.length(s)}, " + c.ask_length("EC"))
    why = ["DE ∥ BC, so AD/DB = AE/EC",
           f"EC = AE × DB/AD = {s}×{qq}/{p} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "E", "C"))


@_variant("similar_triangles", 2)
def _sim_hourglass(c: _Ctx) -> _Built:
    while True:
        p, qq, r = c.rng.randint(2, 9), c.rng.randint(2, 9), c.rng.randint(2, 12)
        gamma = c.uniform(50, 110)
        sg = math.sin(math.radians(gamma))
        if 0.4 <= qq / p <= 2.5 and r > 1.05 * p * sg and 0.5 <= r / p <= 2.0:
            break
    ob = p * math.cos(math.radians(gamma)) + math.sqrt(r * r - (p * sg) ** 2)
    a0 = c.uniform(0, 360)
    pa, pb = _pol(p, a0), _pol(ob, a0 + gamma)
    k = qq / p
    pts = {"O": (0.0, 0.0), "A": pa, "B": pb, "D": (-k * pa[0], -k * pa[1]),
           "C": (-k * pb[0], -k * pb[1])}
    pts = _level(pts, "A", "B", up="A")
    if pts["A"][1] < pts["D"][1]:
        pts = {n: (x, -y) for n, (x, y) in pts.items()}
    sc = Scene(pts)
    sc.seg("A", "B")
    sc.seg("C", "D")
    sc.seg("A", "O", "D")
    sc.seg("B", "O", "C")
    sc.parallels += [("A", "B", 1), ("C", "D", 1)]
    v = R(r * qq, p)
    q = (f"{AS_SHOWN}AB ∥ CD, AD and BC intersect at point O, AO = {c.length(p)}, "
         f"OD = {c.length(qq)}, AB = {c.length(r)}, " + c.ask_length("CD"))
    why = ["AB ∥ CD, so △AOB ∽ △DOC",
           f"CD = AB × OD/AO = {r}×{qq}/{p} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "C", "D"))


def _altitude_figure(c: _Ctx) -> tuple[int, int, Scene]:
    while True:
        p, qq = c.rng.randint(1, 12), c.rng.randint(1, 12)
        if 1 / 5 <= p / qq <= 5:
            break
    pts = {"D": (0.0, 0.0), "A": (-float(p), 0.0), "B": (float(qq), 0.0),
           "C": (0.0, math.sqrt(p * qq))}
    sc = Scene(pts)
    sc.poly("A", "B", "C")
    sc.seg("C", "D")
    sc.right("C", "A", "B")
    sc.right("D", "C", "B")
    return p, qq, sc


@_variant("similar_triangles", 3)
def _sim_altitude(c: _Ctx) -> _Built:
    p, qq, sc = _altitude_figure(c)
    v = _isqrt_value(p * qq)
    q = (f"{AS_SHOWN}in Rt△ABC, ∠ACB = {c.num(90)}, CD ⊥ AB at point D, AD = {c.length(p)}, "
         f"BD = {c.length(qq)}, " + c.ask_length("CD"))
    why = ["∠ACB = 90° and CD ⊥ AB, so ∠ACD = ∠B",
           "△ACD ∽ △CBD, so CD/AD = BD/CD",
           f"CD = √(AD·BD) = √({p}×{qq}) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "C", "D"))


@_variant("similar_triangles", 2)
def _sim_leg(c: _Ctx) -> _Built:
    p, qq, sc = _altitude_figure(c)
    v = _isqrt_value(p * (p + qq))
    q = (f"{AS_SHOWN}in Rt△ABC, ∠ACB = {c.num(90)}, CD ⊥ AB at point D, AD = {c.length(p)}, "
         f"BD = {c.length(qq)}, " + c.ask_length("AC"))
    why = ["△ACD ∽ △ABC, so AC/AD = AB/AC",
           f"AC = √(AD·AB) = √({p}×{p + qq}) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "A", "C"))


# --------------------------------------------------------------------------------------------
# circle_measure
# --------------------------------------------------------------------------------------------


@_variant("circle_measure", 1)
def _cm_circumference(c: _Ctx) -> _Built:
    r = c.rng.randint(1, 12)
    pts = {"O": (0.0, 0.0), "A": _pol(r, c.uniform(0, 360))}
    sc = _circle_scene(pts, r)
    sc.seg("O", "A")
    v = 2 * r * PI
    q = (f"{AS_SHOWN}the radius OA of ⊙O is {c.length(r)}, then the circumference of ⊙O "
         f"is ()")
    why = [f"C = 2πr = 2π×{r} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("circ", "O", "A"))


@_variant("circle_measure", 2)
def _cm_area_from_diameter(c: _Ctx) -> _Built:
    d = c.rng.randint(2, 16)
    t = c.uniform(-40, 40)
    pts = {"O": (0.0, 0.0), "A": _pol(d / 2, 180 + t), "B": _pol(d / 2, t)}
    sc = _circle_scene(pts, d / 2)
    sc.seg("A", "B")
    r = R(d, 2)
    v = r * r * PI
    q = f"{AS_SHOWN}AB is the diameter of ⊙O, AB = {c.length(d)}, then the area of ⊙O is ()"
    why = [f"r = ½AB = {_plain(r)}", f"S = πr² = π×{_plain(r)}² = {_plain(v)}"]
    return _Built(q, v, "area", sc, why, ("disk", "O", "A"))


def _sector(c: _Ctx) -> tuple[int, int, Scene, bool]:
    n = c.rng.choice((30, 36, 45, 60, 72, 90, 108, 120, 135, 144, 150, 216, 240, 270))
    r = c.rng.choice((2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 18, 20, 24, 30))
    pts = {"O": (0.0, 0.0), "A": _pol(r, 90 - n / 2), "B": _pol(r, 90 + n / 2)}
    sc = Scene(pts)
    sc.seg("A", "O", "B")
    reflex = n > 180
    sc.arcs.append(("O", "A", "B", reflex))
    if not reflex:
        sc.angle("O", "A", "B")
    return n, r, sc, reflex


@_variant("circle_measure", 1)
def _cm_arc_length(c: _Ctx) -> _Built:
    n, r, sc, reflex = _sector(c)
    v = R(n * r, 180) * PI
    q = (f"{AS_SHOWN}the radius of the sector OAB is {c.length(r)}, its central angle is "
         f"{c.num(n)}, then the length of the arc AB of the sector is ()")
    why = [f"l = nπr/180 = {n}π×{r}/180 = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("arc", "O", "A", "B", reflex))


@_variant("circle_measure", 1)
def _cm_sector_area(c: _Ctx) -> _Built:
    n, r, sc, reflex = _sector(c)
    v = R(n * r * r, 360) * PI
    q = (f"{AS_SHOWN}the radius of the sector OAB is {c.length(r)}, its central angle is "
         f"{c.num(n)}, then the area of the sector is ()")
    why = [f"S = nπr²/360 = {n}π×{r}²/360 = {_plain(v)}"]
    return _Built(q, v, "area", sc, why, ("sector", "O", "A", "B", reflex))


@_variant("circle_measure", 2)
def _cm_cone(c: _Ctx) -> _Built:
    while True:
        a, b, l0 = c.rng.choice(_TRIPLES[:3])
        k = c.rng.randint(1, 3)
        r, h, sl = (a * k, b * k, l0 * k) if c.rng.random() < 0.5 else (b * k, a * k, l0 * k)
        if 0.3 <= r / h <= 2.5 and sl <= 30:
            break
    pts = {"S": (0.0, float(h)), "O": (0.0, 0.0), "A": (float(r), 0.0), "B": (-float(r), 0.0)}
    sc = Scene(pts)
    sc.seg("B", "S", "A")
    sc.seg("S", "O", dashed=True)
    sc.seg("O", "A", dashed=True)
    sc.ellipses.append(("O", float(r), 0.3))
    sc.right("O", "S", "A")
    v = r * sl * PI
    q = (f"{AS_SHOWN}the bottom radius of the cone is {c.length(r)} and its height is "
         f"{c.length(h)}, then the lateral area of the cone is ()")
    why = [f"l = √(r² + h²) = √({r}² + {h}²) = {sl}", f"S = πrl = π×{r}×{sl} = {_plain(v)}"]
    return _Built(q, v, "area", sc, why, ("cone", "S", "O", "A"))


@_variant("circle_measure", 2)
def _cm_arc_from_inscribed(c: _Ctx) -> _Built:
    y = c.rng.choice((15, 18, 20, 22, 24, 25, 30, 35, 36, 40, 45, 50, 54, 60, 70, 72, 75))
    r = c.rng.randint(2, 12)
    pts = _central_figure(c, 2 * y)
    pts = {k: (x * r / _R0, yy * r / _R0) for k, (x, yy) in pts.items()}
    sc = _circle_scene(pts, r)
    sc.seg("A", "O", "B")
    sc.seg("A", "C", "B")
    sc.angle("C", "A", "B")
    v = R(2 * y * r, 180) * PI
    q = (f"{AS_SHOWN}A, B, C are points on ⊙O, the radius of ⊙O is {c.length(r)}, "
         f"∠ACB = {c.num(y)}, then the length of the minor arc AB is ()")
    why = [f"∠AOB = 2∠ACB = {2 * y}°", f"l = {2 * y}π×{r}/180 = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("arc", "O", "A", "B", False))


# --------------------------------------------------------------------------------------------
# right_30_60_90
# --------------------------------------------------------------------------------------------


def _r30(c: _Ctx, bc: float) -> Scene:
    """Rt△ABC with ∠C = 90°, ∠A = 30°, ∠B = 60°."""
    return _right_scene(_right_triangle(c, bc * math.sqrt(3), bc))


@_variant("right_30_60_90", 1)
def _r30_hypotenuse(c: _Ctx) -> _Built:
    a = c.rng.randint(1, 12)
    sc = _r30(c, a)
    sc.angle("A", "B", "C")
    v = INT(2 * a)
    q = (f"{AS_SHOWN}in Rt△ABC, ∠C = {c.num(90)}, ∠A = {c.num(30)}, BC = {c.length(a)}, "
         + c.ask_length("AB"))
    why = [f"∠C = 90° and ∠A = 30°, so AB = 2BC = 2×{a} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "A", "B"))


@_variant("right_30_60_90", 2)
def _r30_long_leg_from_hyp(c: _Ctx) -> _Built:
    h = c.rng.randint(2, 16)
    sc = _r30(c, h / 2)
    sc.angle("A", "B", "C")
    half = R(h, 2)
    v = half * SQRT(3)
    q = (f"{AS_SHOWN}in Rt△ABC, ∠C = {c.num(90)}, ∠A = {c.num(30)}, AB = {c.length(h)}, "
         + c.ask_length("AC"))
    why = [f"∠A = 30°, so BC = ½AB = {_plain(half)}",
           f"AC = √(AB² - BC²) = √({h}² - {_plain(half)}²) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "A", "C"))


@_variant("right_30_60_90", 2)
def _r30_long_leg_from_short(c: _Ctx) -> _Built:
    a = c.rng.randint(1, 12)
    sc = _r30(c, a)
    sc.angle("B", "A", "C")
    v = a * SQRT(3)
    q = (f"{AS_SHOWN}in Rt△ABC, ∠C = {c.num(90)}, ∠B = {c.num(60)}, BC = {c.length(a)}, "
         + c.ask_length("AC"))
    why = [f"∠A = 90° - ∠B = 30°, so AB = 2BC = {2 * a}",
           f"AC = √(AB² - BC²) = √({2 * a}² - {a}²) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "A", "C"))


@_variant("right_30_60_90", 3)
def _r30_altitude(c: _Ctx) -> _Built:
    a = c.rng.randint(1, 6)
    sc = _r30(c, 2 * a)
    pts = sc.points
    pts["D"] = _foot(pts["C"], pts["A"], pts["B"])
    sc.seg("C", "D")
    sc.right("D", "C", "B")
    sc.angle("A", "B", "C")
    v = INT(4 * a)
    q = (f"{AS_SHOWN}in Rt△ABC, ∠ACB = {c.num(90)}, ∠A = {c.num(30)}, CD ⊥ AB at point D, "
         f"BD = {c.length(a)}, " + c.ask_length("AB"))
    why = ["∠B = 60°, so ∠BCD = 30°",
           f"BC = 2BD = {2 * a}",
           f"AB = 2BC = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "A", "B"))


@_variant("right_30_60_90", 3)
def _r30_area(c: _Ctx) -> _Built:
    a = c.rng.randint(1, 10)
    sc = _r30(c, a)
    sc.angle("A", "B", "C")
    ac = a * SQRT(3)
    v = R(a, 2) * ac
    q = (f"{AS_SHOWN}in Rt△ABC, ∠C = {c.num(90)}, ∠A = {c.num(30)}, BC = {c.length(a)}, "
         f"then the area of △ABC is ()")
    why = [f"∠A = 30°, so AB = 2BC = {2 * a}",
           f"AC = √(AB² - BC²) = {_plain(ac)}",
           f"S = ½·AC·BC = ½×{_plain(ac)}×{a} = {_plain(v)}"]
    return _Built(q, v, "area", sc, why, ("area_tri", "A", "B", "C"))


# --------------------------------------------------------------------------------------------
# midsegment
# --------------------------------------------------------------------------------------------


def _free_triangle(c: _Ctx, base: float) -> dict[str, Pt]:
    while True:
        b, cc = c.uniform(35, 85), c.uniform(35, 85)
        if b + cc <= 145:
            break
    pb, pc, pa = _tri(base, b, cc)
    return {"A": pa, "B": pb, "C": pc}


@_variant("midsegment", 1)
def _mid_de(c: _Ctx) -> _Built:
    a = c.rng.randint(3, 20)
    pts = _free_triangle(c, a)
    pts["D"] = _lerp(pts["A"], pts["B"], 0.5)
    pts["E"] = _lerp(pts["A"], pts["C"], 0.5)
    sc = Scene(pts)
    sc.poly("A", "B", "C")
    sc.seg("D", "E")
    sc.ticks += [("A", "D", 1), ("D", "B", 1), ("A", "E", 2), ("E", "C", 2)]
    v = R(a, 2)
    q = (f"{AS_SHOWN}in △ABC, D and E are the midpoints of AB and AC respectively, "
         f"BC = {c.length(a)}, " + c.ask_length("DE"))
    why = [f"DE is a midline of △ABC, so DE = ½BC = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "D", "E"))


@_variant("midsegment", 2)
def _mid_perimeter(c: _Ctx) -> _Built:
    per = c.rng.randint(6, 40)
    pts = _free_triangle(c, 1.0)
    s = sum(math.dist(pts[x], pts[y]) for x, y in (("A", "B"), ("B", "C"), ("C", "A")))
    pts = {k: (x * per / s, y * per / s) for k, (x, y) in pts.items()}
    pts["D"] = _lerp(pts["A"], pts["B"], 0.5)
    pts["E"] = _lerp(pts["B"], pts["C"], 0.5)
    pts["F"] = _lerp(pts["C"], pts["A"], 0.5)
    sc = Scene(pts)
    sc.poly("A", "B", "C")
    sc.poly("D", "E", "F")
    v = R(per, 2)
    q = (f"{AS_SHOWN}D, E and F are the midpoints of AB, BC and CA of △ABC respectively, the "
         f"perimeter of △ABC is {c.length(per)}, then the perimeter of △DEF is ()")
    why = ["DE = ½AC, EF = ½AB, DF = ½BC",
           f"the perimeter of △DEF = ½×{per} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("perim", "D", "E", "F"))


@_variant("midsegment", 2)
def _mid_hypotenuse_median(c: _Ctx) -> _Built:
    a, b = _legs(c)
    pts = _right_triangle(c, a, b)
    pts["D"] = _lerp(pts["A"], pts["B"], 0.5)
    sc = _right_scene(pts)
    sc.seg("C", "D")
    sc.ticks += [("A", "D", 1), ("D", "B", 1)]
    hyp = _isqrt_value(a * a + b * b)
    v = hyp / 2
    q = (f"{AS_SHOWN}in Rt△ABC, ∠ACB = {c.num(90)}, D is the midpoint of AB, "
         f"AC = {c.length(a)}, BC = {c.length(b)}, " + c.ask_length("CD"))
    why = [f"AB = √(AC² + BC²) = √({a}² + {b}²) = {_plain(hyp)}",
           f"CD is the median to the hypotenuse, so CD = ½AB = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "C", "D"))


# --------------------------------------------------------------------------------------------
# perpendicular_chord
# --------------------------------------------------------------------------------------------


def _chord_scene(c: _Ctx, r: float, m: float, d: float) -> Scene:
    pts = {"O": (0.0, 0.0), "A": (-m, -d), "B": (m, -d), "C": (0.0, -d)}
    sc = _circle_scene(_rotated(pts, c.uniform(-35, 35)), r)
    sc.seg("A", "B")
    sc.seg("A", "O", "C")
    sc.right("C", "O", "B")
    return sc


@_variant("perpendicular_chord", 2)
def _pc_distance(c: _Ctx) -> _Built:
    while True:
        r, m = c.rng.randint(2, 13), c.rng.randint(1, 12)
        if m < r and math.sqrt(r * r - m * m) >= 0.25 * r:
            break
    sc = _chord_scene(c, r, m, math.sqrt(r * r - m * m))
    v = _isqrt_value(r * r - m * m)
    q = (f"{AS_SHOWN}the radius of ⊙O is {c.length(r)}, the chord AB = {c.length(2 * m)}, "
         f"OC ⊥ AB at point C, " + c.ask_length("OC"))
    why = [f"OC ⊥ AB, so AC = ½AB = {m}",
           f"OC = √(OA² - AC²) = √({r}² - {m}²) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "O", "C"))


@_variant("perpendicular_chord", 3)
def _pc_chord(c: _Ctx) -> _Built:
    while True:
        r, d = c.rng.randint(2, 13), c.rng.randint(1, 12)
        if d <= 0.85 * r:
            break
    half = _isqrt_value(r * r - d * d)
    sc = _chord_scene(c, r, math.sqrt(r * r - d * d), d)
    v = 2 * half
    q = (f"{AS_SHOWN}the radius of ⊙O is {c.length(r)}, OC ⊥ chord AB at point C, "
         f"OC = {c.length(d)}, then the length of the chord AB is ()")
    why = ["OC ⊥ AB, so AC = BC",
           f"AC = √(OA² - OC²) = √({r}² - {d}²) = {_plain(half)}",
           f"AB = 2AC = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "A", "B"))


@_variant("perpendicular_chord", 2)
def _pc_radius(c: _Ctx) -> _Built:
    while True:
        m, d = c.rng.randint(1, 12), c.rng.randint(1, 12)
        if 0.25 <= d / m <= 2.0:
            break
    v = _isqrt_value(m * m + d * d)
    sc = _chord_scene(c, math.hypot(m, d), m, d)
    q = (f"{AS_SHOWN}AB is a chord of ⊙O, OC ⊥ AB at point C, AB = {c.length(2 * m)}, "
         f"OC = {c.length(d)}, then the radius of ⊙O is ()")
    why = [f"OC ⊥ AB, so AC = ½AB = {m}",
           f"OA = √(AC² + OC²) = √({m}² + {d}²) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "O", "A"))


assert all(_VARIANTS[f] for f in FAMILIES), "every family needs at least one variant"

