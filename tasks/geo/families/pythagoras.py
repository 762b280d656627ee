"""The ``pythagoras`` family: the Pythagorean theorem: hypotenuse, leg, altitude, isosceles
height, rectangle, area.
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, R, _Built, _Ctx, _foot, _isqrt_value, _variant
from tasks.geo.draw import Scene
from tasks.geo.figures import _legs, _right_scene, _right_triangle, _triple
from tasks.geo.values import _plain


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
