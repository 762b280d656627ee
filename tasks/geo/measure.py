"""Numeric re-measurement: the asked quantity measured again from a problem's coordinates with
floats only (atan2, hypot, shoelace), independently of the exact path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from tasks.geo.draw import Pt

Spec = tuple[Any, ...]


def _angle_deg(v: Pt, p: Pt, q: Pt) -> float:
    ax, ay = p[0] - v[0], p[1] - v[1]
    bx, by = q[0] - v[0], q[1] - v[1]
    return math.degrees(math.atan2(abs(ax * by - ay * bx), ax * bx + ay * by))


def measure(spec: Spec, pts: dict[str, Pt]) -> float:
    """Evaluate a measurement spec on coordinates (floats only)."""
    kind, names = spec[0], spec[1:]

    def p(i: int) -> Pt:
        return pts[names[i]]

    if kind == "angle":
        return _angle_deg(p(0), p(1), p(2))
    if kind == "len":
        return math.dist(p(0), p(1))
    if kind == "circ":
        return 2 * math.pi * math.dist(p(0), p(1))
    if kind == "disk":
        return math.pi * math.dist(p(0), p(1)) ** 2
    if kind in ("arc", "sector"):
        theta = math.radians(_angle_deg(p(0), p(1), p(2)))
        if names[3]:
            theta = 2 * math.pi - theta
        r = math.dist(p(0), p(1))
        return r * theta if kind == "arc" else r * r * theta / 2
    if kind == "cone":  # apex, base centre, base rim point: lateral area pi * r * l
        return math.pi * math.dist(p(1), p(2)) * math.dist(p(0), p(2))
    if kind == "perim":
        ring = [pts[n] for n in names]
        return sum(math.dist(a, b) for a, b in zip(ring, ring[1:] + ring[:1], strict=True))
    if kind == "area_tri":
        (ax, ay), (bx, by), (cx, cy) = p(0), p(1), p(2)
        return abs((bx - ax) * (cy - ay) - (by - ay) * (cx - ax)) / 2
    raise ValueError(f"unknown measurement {kind!r}")


@dataclass(frozen=True)
class Measurement:
    """A numeric re-measurement of the asked quantity from a problem's coordinates."""

    spec: Spec
    points: dict[str, Pt]

    def __call__(self) -> float:
        return measure(self.spec, self.points)
