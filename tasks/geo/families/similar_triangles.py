"""The ``similar_triangles`` family: similar triangles: a parallel to a side, the hourglass, the
altitude on the hypotenuse.
"""

from __future__ import annotations

import math

from tasks.geo.build import AS_SHOWN, R, _Built, _Ctx, _isqrt_value, _lerp, _level, _pol, _variant
from tasks.geo.draw import Pt, Scene
from tasks.geo.values import _plain


def _de_parallel(pts: dict[str, Pt], t: float) -> Scene:
    pts["D"] = _lerp(pts["A"], pts["B"], t)
    pts["E"] = _lerp(pts["A"], pts["C"], t)
    sc = Scene(pts)
    sc.poly("A", "B", "C")
    sc.seg("D", "E")
    sc.parallels += [("D", "E", 1), ("B", "C", 1)]
    return sc


@_variant("similar_triangles", 2)
def _sim_de(c: _Ctx) -> _Built:
    while True:
        p, qq, r = c.rng.randint(1, 8), c.rng.randint(1, 8), c.rng.randint(3, 12)
        if 0.5 <= r / (p + qq) <= 1.8 and 0.25 <= p / (p + qq) <= 0.75:
            break
    ab = p + qq
    pts = {"B": (0.0, 0.0), "C": (float(r), 0.0), "A": _pol(ab, c.uniform(50, 80))}
    sc = _de_parallel(pts, p / ab)
    v = R(r * p, ab)
    q = (f"{AS_SHOWN}in △ABC, D and E are points on AB and AC respectively, DE ∥ BC, "
         f"AD = {c.length(p)}, DB = {c.length(qq)}, BC = {c.length(r)}, " + c.ask_length("DE"))
    why = ["DE ∥ BC, so △ADE ∽ △ABC",
           f"DE = BC × AD/AB = {r}×{p}/{ab} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "D", "E"))


@_variant("similar_triangles", 2)
def _sim_ec(c: _Ctx) -> _Built:
    while True:
        p, qq, s = c.rng.randint(1, 8), c.rng.randint(1, 8), c.rng.randint(1, 10)
        if 0.5 <= s / p <= 2.0 and 0.25 <= p / (p + qq) <= 0.75:
            break
    ab, ac = p + qq, s * (p + qq) / p
    phi = c.uniform(35, 75)
    pts = {"A": (0.0, 0.0), "B": _pol(ab, 270 - phi / 2), "C": _pol(ac, 270 + phi / 2)}
    sc = _de_parallel(_level(pts, "B", "C", up="A"), p / ab)
    v = R(s * qq, p)
    q = (f"{AS_SHOWN}in △ABC, DE ∥ BC, DE intersects AB and AC at points D and E, "
         f"AD = {c.length(p)}, DB = {c.length(qq)}, AE = {c.length(s)}, " + c.ask_length("EC"))
    why = ["DE ∥ BC, so AD/DB = AE/EC",
           f"EC = AE × DB/AD = {s}×{qq}/{p} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "E", "C"))


@_variant("similar_triangles", 2)
def _sim_hourglass(c: _Ctx) -> _Built:
    while True:
        p, qq, r = c.rng.randint(2, 9), c.rng.randint(2, 9), c.rng.randint(2, 12)
        gamma = c.uniform(50, 110)
        sg = math.sin(math.radians(gamma))
        if 0.4 <= qq / p <= 2.5 and r > 1.05 * p * sg and 0.5 <= r / p <= 2.0:
            break
    ob = p * math.cos(math.radians(gamma)) + math.sqrt(r * r - (p * sg) ** 2)
    a0 = c.uniform(0, 360)
    pa, pb = _pol(p, a0), _pol(ob, a0 + gamma)
    k = qq / p
    pts = {"O": (0.0, 0.0), "A": pa, "B": pb, "D": (-k * pa[0], -k * pa[1]),
           "C": (-k * pb[0], -k * pb[1])}
    pts = _level(pts, "A", "B", up="A")
    if pts["A"][1] < pts["D"][1]:
        pts = {n: (x, -y) for n, (x, y) in pts.items()}
    sc = Scene(pts)
    sc.seg("A", "B")
    sc.seg("C", "D")
    sc.seg("A", "O", "D")
    sc.seg("B", "O", "C")
    sc.parallels += [("A", "B", 1), ("C", "D", 1)]
    v = R(r * qq, p)
    q = (f"{AS_SHOWN}AB ∥ CD, AD and BC intersect at point O, AO = {c.length(p)}, "
         f"OD = {c.length(qq)}, AB = {c.length(r)}, " + c.ask_length("CD"))
    why = ["AB ∥ CD, so △AOB ∽ △DOC",
           f"CD = AB × OD/AO = {r}×{qq}/{p} = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "C", "D"))


def _altitude_figure(c: _Ctx) -> tuple[int, int, Scene]:
    while True:
        p, qq = c.rng.randint(1, 12), c.rng.randint(1, 12)
        if 1 / 5 <= p / qq <= 5:
            break
    pts = {"D": (0.0, 0.0), "A": (-float(p), 0.0), "B": (float(qq), 0.0),
           "C": (0.0, math.sqrt(p * qq))}
    sc = Scene(pts)
    sc.poly("A", "B", "C")
    sc.seg("C", "D")
    sc.right("C", "A", "B")
    sc.right("D", "C", "B")
    return p, qq, sc


@_variant("similar_triangles", 3)
def _sim_altitude(c: _Ctx) -> _Built:
    p, qq, sc = _altitude_figure(c)
    v = _isqrt_value(p * qq)
    q = (f"{AS_SHOWN}in Rt△ABC, ∠ACB = {c.num(90)}, CD ⊥ AB at point D, AD = {c.length(p)}, "
         f"BD = {c.length(qq)}, " + c.ask_length("CD"))
    why = ["∠ACB = 90° and CD ⊥ AB, so ∠ACD = ∠B",
           "△ACD ∽ △CBD, so CD/AD = BD/CD",
           f"CD = √(AD·BD) = √({p}×{qq}) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "C", "D"))


@_variant("similar_triangles", 2)
def _sim_leg(c: _Ctx) -> _Built:
    p, qq, sc = _altitude_figure(c)
    v = _isqrt_value(p * (p + qq))
    q = (f"{AS_SHOWN}in Rt△ABC, ∠ACB = {c.num(90)}, CD ⊥ AB at point D, AD = {c.length(p)}, "
         f"BD = {c.length(qq)}, " + c.ask_length("AC"))
    why = ["△ACD ∽ △ABC, so AC/AD = AB/AC",
           f"AC = √(AD·AB) = √({p}×{p + qq}) = {_plain(v)}"]
    return _Built(q, v, "len", sc, why, ("len", "A", "C"))
