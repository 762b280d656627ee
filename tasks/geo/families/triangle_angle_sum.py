"""The ``triangle_angle_sum`` family: the angles of a triangle add up to 180° (third angle,
altitudes, bisectors).
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, INT, R, _Built, _Ctx, _incenter, _others, _pol, _tri, _variant
from tasks.geo.draw import Scene
from tasks.geo.values import _deg


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
