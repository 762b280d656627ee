"""The ``bisector_parallel`` family: an angle bisector between two parallel lines.
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, R, _at, _Built, _Ctx, _variant
from tasks.geo.draw import Pt, Scene
from tasks.geo.values import _deg


def _bp_frame(c: _Ctx, theta: int, extra: list[Pt], h: float = 4.0) -> dict[str, Pt]:
    e = (0.0, h)
    f = (-h / math.tan(math.radians(theta)), 0.0)
    xs = [e[0], f[0]] + [p[0] for p in extra]
    lo, hi = min(xs) - c.uniform(1.5, 2.5), max(xs) + c.uniform(1.5, 2.5)
    return {"A": (lo, h), "B": (hi, h), "C": (lo, 0.0), "D": (hi, 0.0), "E": e, "F": f}


def _bp_scene(pts: dict[str, Pt], bis: tuple[str, str]) -> Scene:
    sc = Scene(pts)
    sc.seg("A", "B")
    sc.seg("C", "D")
    sc.seg("E", "F")
    sc.seg(*bis)
    sc.parallels += [("A", "B", 1), ("C", "D", 1)]
    return sc


@_variant("bisector_parallel", 3)
def _bp_bisect_top(c: _Ctx) -> _Built:
    x = c.even_ang(40, 140) if c.rng.random() < 0.8 else c.ang(40, 140)
    h = 4.0
    beta = (180 - x) / 2
    g = _at((0.0, h), h / math.sin(math.radians(beta)), -beta)
    pts = _bp_frame(c, x, [g], h)
    pts["G"] = g
    sc = _bp_scene(pts, ("E", "G"))
    numbered = c.rng.random() < 0.5
    sc.angle("F", "D", "E", "1" if numbered else "")
    sc.angle("G", "E", "F", "2" if numbered else "")
    n1, n2 = ("∠1", "∠2") if numbered else ("∠EFD", "∠EGF")
    half = R(180 - x, 2)
    q = (f"{AS_SHOWN}AB ∥ CD, EG bisects ∠BEF and intersects CD at point G, "
         f"{n1} = {c.num(x)}, " + c.ask_angle(n2))
    why = [f"AB ∥ CD, so ∠BEF = 180° - {n1} = 180° - {x}° = {180 - x}°",
           f"EG bisects ∠BEF, so ∠BEG = ½∠BEF = {_deg(half)}",
           f"AB ∥ CD, so {n2} = ∠BEG = {_deg(half)} (alternate interior angles)"]
    return _Built(q, half, "deg", sc, why, ("angle", "G", "E", "F"))


def _bp_bisect_bottom(c: _Ctx, outer: bool) -> _Built:
    x = c.even_ang(40, 140) if c.rng.random() < 0.8 else c.ang(40, 140)
    h = 4.0
    f = (-h / math.tan(math.radians(x)), 0.0)
    g = _at(f, h / math.sin(math.radians(x / 2)), x / 2)
    pts = _bp_frame(c, x, [g], h)
    pts["G"] = g
    sc = _bp_scene(pts, ("F", "G"))
    numbered = c.rng.random() < 0.5
    sc.angle("E", "A", "F", "1" if numbered else "")
    asked = ("B", "F") if outer else ("E", "F")
    sc.angle("G", *asked, "2" if numbered else "")
    n1 = "∠1" if numbered else "∠AEF"
    n2 = "∠2" if numbered else f"∠{asked[0]}G{asked[1]}"
    half = R(x, 2)
    q = (f"{AS_SHOWN}AB ∥ CD, FG bisects ∠EFD and intersects AB at point G, "
         f"{n1} = {c.num(x)}, " + c.ask_angle(n2))
    why = [f"AB ∥ CD, so ∠EFD = {n1} = {x}° (alternate interior angles)",
           f"FG bisects ∠EFD, so ∠GFD = ½∠EFD = {_deg(half)}"]
    if outer:
        v = 180 - half
        why += [f"AB ∥ CD, so ∠EGF = ∠GFD = {_deg(half)} (alternate interior angles)",
                f"{n2} = 180° - ∠EGF = 180° - {_deg(half)} = {_deg(v)}"]
    else:
        v = half
        why += [f"AB ∥ CD, so {n2} = ∠GFD = {_deg(half)} (alternate interior angles)"]
    return _Built(q, v, "deg", sc, why, ("angle", "G", *asked))


@_variant("bisector_parallel", 3)
def _bp_bisect_bottom_inner(c: _Ctx) -> _Built:
    return _bp_bisect_bottom(c, outer=False)


@_variant("bisector_parallel", 4)
def _bp_bisect_bottom_outer(c: _Ctx) -> _Built:
    return _bp_bisect_bottom(c, outer=True)
