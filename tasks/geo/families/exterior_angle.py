"""The ``exterior_angle`` family: a triangle's exterior angle equals the sum of the two remote
interior angles.
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, INT, R, _at, _Built, _Ctx, _lerp, _tri, _variant
from tasks.geo.draw import Scene
from tasks.geo.values import _deg


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
