"""The ``circle_measure`` family: circle measures with π: circumference, area, arc length, sector,
cone.
"""

from __future__ import annotations

from tasks.geo.build import AS_SHOWN, PI, R, _Built, _Ctx, _pol, _variant
from tasks.geo.draw import Scene
from tasks.geo.figures import _R0, _TRIPLES, _central_figure, _circle_scene
from tasks.geo.values import _plain


@_variant("circle_measure", 1)
def _cm_circumference(c: _Ctx) -> _Built:
    r = c.rng.randint(1, 12)
    pts = {"O": (0.0, 0.0), "A": _pol(r, c.uniform(0, 360))}
    sc = _circle_scene(pts, r)
    sc.seg("O", "A")
    v = 2 * r * PI
    q = (f"{AS_SHOWN}the radius OA of ⊙O is {c.length(r)}, then the circumference of ⊙O "
         f"is ()")
    why = [f"C = 2πr = 2π×{r} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("circ", "O", "A"))


@_variant("circle_measure", 2)
def _cm_area_from_diameter(c: _Ctx) -> _Built:
    d = c.rng.randint(2, 16)
    t = c.uniform(-40, 40)
    pts = {"O": (0.0, 0.0), "A": _pol(d / 2, 180 + t), "B": _pol(d / 2, t)}
    sc = _circle_scene(pts, d / 2)
    sc.seg("A", "B")
    r = R(d, 2)
    v = r * r * PI
    q = f"{AS_SHOWN}AB is the diameter of ⊙O, AB = {c.length(d)}, then the area of ⊙O is ()"
    why = [f"r = ½AB = {_plain(r)}", f"S = πr² = π×{_plain(r)}² = {_plain(v)}"]
    return _Built(q, v, "area", sc, why, ("disk", "O", "A"))


def _sector(c: _Ctx) -> tuple[int, int, Scene, bool]:
    n = c.rng.choice((30, 36, 45, 60, 72, 90, 108, 120, 135, 144, 150, 216, 240, 270))
    r = c.rng.choice((2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 18, 20, 24, 30))
    pts = {"O": (0.0, 0.0), "A": _pol(r, 90 - n / 2), "B": _pol(r, 90 + n / 2)}
    sc = Scene(pts)
    sc.seg("A", "O", "B")
    reflex = n > 180
    sc.arcs.append(("O", "A", "B", reflex))
    if not reflex:
        sc.angle("O", "A", "B")
    return n, r, sc, reflex


@_variant("circle_measure", 1)
def _cm_arc_length(c: _Ctx) -> _Built:
    n, r, sc, reflex = _sector(c)
    v = R(n * r, 180) * PI
    q = (f"{AS_SHOWN}the radius of the sector OAB is {c.length(r)}, its central angle is "
         f"{c.num(n)}, then the length of the arc AB of the sector is ()")
    why = [f"l = nπr/180 = {n}π×{r}/180 = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("arc", "O", "A", "B", reflex))


@_variant("circle_measure", 1)
def _cm_sector_area(c: _Ctx) -> _Built:
    n, r, sc, reflex = _sector(c)
    v = R(n * r * r, 360) * PI
    q = (f"{AS_SHOWN}the radius of the sector OAB is {c.length(r)}, its central angle is "
         f"{c.num(n)}, then the area of the sector is ()")
    why = [f"S = nπr²/360 = {n}π×{r}²/360 = {_plain(v)}"]
    return _Built(q, v, "area", sc, why, ("sector", "O", "A", "B", reflex))


@_variant("circle_measure", 2)
def _cm_cone(c: _Ctx) -> _Built:
    while True:
        a, b, l0 = c.rng.choice(_TRIPLES[:3])
        k = c.rng.randint(1, 3)
        r, h, sl = (a * k, b * k, l0 * k) if c.rng.random() < 0.5 else (b * k, a * k, l0 * k)
        if 0.3 <= r / h <= 2.5 and sl <= 30:
            break
    pts = {"S": (0.0, float(h)), "O": (0.0, 0.0), "A": (float(r), 0.0), "B": (-float(r), 0.0)}
    sc = Scene(pts)
    sc.seg("B", "S", "A")
    sc.seg("S", "O", dashed=True)
    sc.seg("O", "A", dashed=True)
    sc.ellipses.append(("O", float(r), 0.3))
    sc.right("O", "S", "A")
    v = r * sl * PI
    q = (f"{AS_SHOWN}the bottom radius of the cone is {c.length(r)} and its height is "
         f"{c.length(h)}, then the lateral area of the cone is ()")
    why = [f"l = √(r² + h²) = √({r}² + {h}²) = {sl}", f"S = πrl = π×{r}×{sl} = {_plain(v)}"]
    return _Built(q, v, "area", sc, why, ("cone", "S", "O", "A"))


@_variant("circle_measure", 2)
def _cm_arc_from_inscribed(c: _Ctx) -> _Built:
    y = c.rng.choice((15, 18, 20, 22, 24, 25, 30, 35, 36, 40, 45, 50, 54, 60, 70, 72, 75))
    r = c.rng.randint(2, 12)
    pts = _central_figure(c, 2 * y)
    pts = {k: (x * r / _R0, yy * r / _R0) for k, (x, yy) in pts.items()}
    sc = _circle_scene(pts, r)
    sc.seg("A", "O", "B")
    sc.seg("A", "C", "B")
    sc.angle("C", "A", "B")
    v = R(2 * y * r, 180) * PI
    q = (f"{AS_SHOWN}A, B, C are points on ⊙O, the radius of ⊙O is {c.length(r)}, "
         f"∠ACB = {c.num(y)}, then the length of the minor arc AB is ()")
    why = [f"∠AOB = 2∠ACB = {2 * y}°", f"l = {2 * y}π×{r}/180 = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("arc", "O", "A", "B", False))
