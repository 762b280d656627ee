"""The ``parallel_transversal`` family: parallel lines cut by a transversal (corresponding,
alternate, co-interior angles; the set square).
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, INT, _at, _Built, _Ctx, _variant
from tasks.geo.draw import Pt, Scene
from tasks.geo.values import _deg

# Angle positions at an intersection: (U)p/(D)own of the parallel line, (L)eft/(R)ight of the
# transversal. Top line AB meets the transversal at E, bottom line CD at F; M is above E,
# N below F. An angle at (U,R) or (D,L) equals theta (the transversal's direction), else
# 180 - theta.
_PT_RAYS = {
    ("E", "U", "R"): ("B", "M"), ("E", "U", "L"): ("A", "M"),
    ("E", "D", "R"): ("B", "F"), ("E", "D", "L"): ("A", "F"),
    ("F", "U", "R"): ("D", "E"), ("F", "U", "L"): ("C", "E"),
    ("F", "D", "R"): ("D", "N"), ("F", "D", "L"): ("C", "N"),
}


def _pt_relation(pe: tuple[str, str], pf: tuple[str, str]) -> tuple[str, bool] | None:
    """Relation of an angle at E (top line) to one at F: (name, equal) or None (two steps)."""
    if pe == pf:
        return "corresponding", True
    if pe[0] == "D" and pf[0] == "U":
        return ("alternate interior", True) if pe[1] != pf[1] else ("co-interior", False)
    if pe[0] == "U" and pf[0] == "D":
        return ("alternate exterior", True) if pe[1] != pf[1] else ("same-side exterior", False)
    return None


def _parallel_lines(c: _Ctx, theta: int, h: float = 4.0) -> dict[str, Pt]:
    e = (0.0, h)
    f = (-h / math.tan(math.radians(theta)), 0.0)
    ext = 0.45 * h / math.sin(math.radians(theta))
    m, n = _at(e, ext, theta), _at(f, ext, theta + 180)
    xs = [e[0], f[0], m[0], n[0]]
    lo, hi = min(xs) - c.uniform(1.6, 2.6), max(xs) + c.uniform(1.6, 2.6)
    return {"A": (lo, h), "B": (hi, h), "C": (lo, 0.0), "D": (hi, 0.0),
            "E": e, "F": f, "M": m, "N": n}


def _parallel_transversal(c: _Ctx, two_step: bool) -> _Built:
    while True:
        theta = c.ang(35, 145)
        if not 84 <= theta <= 96:
            break
    pairs = []
    for pe in (("U", "R"), ("U", "L"), ("D", "R"), ("D", "L")):
        for pf in (("U", "R"), ("U", "L"), ("D", "R"), ("D", "L")):
            rel = _pt_relation(pe, pf)
            if (rel is None) == two_step:
                pairs.append((pe, pf, rel))
    pe, pf, rel = c.rng.choice(pairs)
    first, second = ("E", pe), ("F", pf)
    if c.rng.random() < 0.5:
        first, second = second, first
    lines_style = c.rng.random() < 0.4
    base = _parallel_lines(c, theta)

    def nm(s: str) -> str:
        return "_" + s if lines_style else s

    sc = Scene({nm(k): v for k, v in base.items()})
    sc.seg(nm("A"), nm("B"))
    sc.seg(nm("C"), nm("D"))
    sc.seg(nm("M"), nm("E"), nm("F"), nm("N"))
    sc.parallels += [(nm("A"), nm("B"), 1), (nm("C"), nm("D"), 1)]
    if lines_style:
        sc.labels = {"_B": "a", "_D": "b", "_M": "c"}

    def value(pos: tuple[str, str]) -> int:
        return theta if pos in (("U", "R"), ("D", "L")) else 180 - theta

    def rays(vtx: str, pos: tuple[str, str]) -> tuple[str, str]:
        return _PT_RAYS[(vtx, *pos)]

    x = value(first[1])
    v = INT(value(second[1]))
    r1, r2 = rays(*first), rays(*second)
    sc.angle(nm(first[0]), nm(r1[0]), nm(r1[1]), "1")
    sc.angle(nm(second[0]), nm(r2[0]), nm(r2[1]), "2")
    par = "a ∥ b" if lines_style else "AB ∥ CD"
    said = ""
    if c.relation_in_text:
        said = (f"∠1 and ∠2 are {rel[0]} angles, " if rel is not None
                else "∠2 is adjacent to the angle corresponding to ∠1, ")
    if lines_style:
        q = (f"{AS_SHOWN}straight line a ∥ b, straight line c intersects a and b, "
             f"∠1 = {c.num(x)}, {said}" + c.ask_angle("∠2"))
    else:
        q = (f"{AS_SHOWN}AB ∥ CD, the straight line MN intersects AB and CD at points E and F "
             f"respectively, ∠1 = {c.num(x)}, {said}" + c.ask_angle("∠2"))
    if rel is not None:
        name, equal = rel
        if equal:
            why = [f"{par}, so ∠2 = ∠1 = {x}° ({name} angles are equal)"]
        else:
            why = [f"{par}, so ∠2 = 180° - ∠1 = 180° - {x}° = {_deg(v)} "
                   f"({name} angles are supplementary)"]
    else:
        other = "F" if first[0] == "E" else "E"
        r3 = rays(other, first[1])
        if lines_style:
            sc.angle(nm(other), nm(r3[0]), nm(r3[1]), "3")
            n3 = "∠3"
        else:
            n3 = f"∠{r3[0]}{other}{r3[1]}"
        why = [f"{par}, so {n3} = ∠1 = {x}° (corresponding angles)",
               f"∠2 = 180° - {n3} = 180° - {x}° = {_deg(v)} (angles on a straight line)"]
    spec = ("angle", nm(second[0]), nm(r2[0]), nm(r2[1]))
    return _Built(q, v, "deg", sc, why, spec)


@_variant("parallel_transversal", 1)
def _pt_one_step(c: _Ctx) -> _Built:
    return _parallel_transversal(c, two_step=False)


@_variant("parallel_transversal", 2)
def _pt_two_steps(c: _Ctx) -> _Built:
    return _parallel_transversal(c, two_step=True)


@_variant("parallel_transversal", 3)
def _pt_set_square(c: _Ctx) -> _Built:
    phi = c.ang(20, 70)
    h = 4.0
    t = math.tan(math.radians(phi))
    pa, pb = (h / t, h), (-h * t, h)
    lo, hi = pb[0] - c.uniform(1.2, 2.2), pa[0] + c.uniform(1.2, 2.2)
    sc = Scene({"A": pa, "B": pb, "C": (0.0, 0.0), "_a0": (lo, h), "_a1": (hi, h),
                "_b0": (lo, 0.0), "_b1": (hi, 0.0)})
    sc.labels = {"_a1": "a", "_b1": "b"}
    sc.seg("_a0", "_a1")
    sc.seg("_b0", "_b1")
    sc.poly("A", "B", "C")
    sc.parallels += [("_a0", "_a1", 1), ("_b0", "_b1", 1)]
    sc.right("C", "A", "B")
    sc.angle("C", "_b1", "A", "1")
    sc.angle("B", "_a0", "C", "2")
    v = INT(90 + phi)
    q = (f"{AS_SHOWN}straight line a ∥ b, the right-angle vertex C of Rt△ABC lies on line b, "
         f"and points A and B lie on line a. If ∠1 = {c.num(phi)}, " + c.ask_angle("∠2"))
    why = [f"a ∥ b, so ∠BAC = ∠1 = {phi}° (alternate interior angles)",
           f"∠ABC = 90° - ∠BAC = {90 - phi}°",
           f"∠2 = 180° - ∠ABC = 180° - {90 - phi}° = {_deg(v)}"]
    return _Built(q, v, "deg", sc, why, ("angle", "B", "_a0", "C"))
