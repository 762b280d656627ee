"""The ``midsegment`` family: the midline of a triangle and the median to the hypotenuse.
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, R, _Built, _Ctx, _isqrt_value, _lerp, _tri, _variant
from tasks.geo.draw import Pt, Scene
from tasks.geo.figures import _legs, _right_scene, _right_triangle
from tasks.geo.values import _plain


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
