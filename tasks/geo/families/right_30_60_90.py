"""The ``right_30_60_90`` family: the 30-60-90 right triangle: the short leg is half the hypotenuse.
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, INT, SQRT, R, _Built, _Ctx, _foot, _variant
from tasks.geo.draw import Scene
from tasks.geo.figures import _right_scene, _right_triangle
from tasks.geo.values import _plain


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
