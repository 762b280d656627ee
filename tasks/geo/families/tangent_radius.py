"""The ``tangent_radius`` family: a tangent is perpendicular to the radius at the point of contact.
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, INT, R, _Built, _Ctx, _isqrt_value, _pol, _rotated, _variant
from tasks.geo.draw import Pt, Scene
from tasks.geo.figures import _R0, _circle_scene
from tasks.geo.values import _deg, _plain


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
