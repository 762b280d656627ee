"""The ``perpendicular_chord`` family: a radius perpendicular to a chord bisects it.
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, _Built, _Ctx, _isqrt_value, _rotated, _variant
from tasks.geo.draw import Scene
from tasks.geo.figures import _circle_scene
from tasks.geo.values import _plain


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
