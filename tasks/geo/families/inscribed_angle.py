"""The ``inscribed_angle`` family: inscribed and central angles on one arc, diameters, cyclic
quadrilaterals.
"""

from __future__ import annotations

from tasks.geo.build import AS_SHOWN, INT, R, _Built, _Ctx, _pol, _rotated, _variant
from tasks.geo.figures import _R0, _central_figure, _circle_scene
from tasks.geo.values import _deg


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
