"""The ``isosceles_base`` family: isosceles triangles: equal base angles, apex angle, exterior
angle, altitude.
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, INT, R, _Built, _Ctx, _foot, _others, _variant
from tasks.geo.draw import Pt, Scene
from tasks.geo.values import _deg


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
