"""Figures shared by several families: the circle around O (inscribed angles, tangents, circle
measures, chords) and the right triangle at C (Pythagoras, 30-60-90, midsegments).
"""

from __future__ import annotations

from tasks.geo.build import _Ctx, _level, _pol, _rotated
from tasks.geo.draw import Pt, Scene

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
