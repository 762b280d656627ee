"""Camera, light and shape constants, and each object's projected geometry (footprint, extents,
the cube's hull and visible faces), in image pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# --------------------------------------------------------------------------------------------
# Camera, light and shape constants. World axes: x right, y up, z toward the viewer. The camera
# looks down at the floor with elevation sin = 0.6, cos = 0.8 (exact); each object is projected
# orthographically at a scale that shrinks toward the back of the floor (weak perspective).
_SIN_E = 0.6
_COS_E = 0.8


def _unit3(v: tuple[float, float, float]) -> tuple[float, float, float]:
    n = math.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    return (v[0] / n, v[1] / n, v[2] / n)


_L = _unit3((-0.55, 0.78, 0.30))  # toward the key light: upper left, slightly behind the camera
_V = (0.0, _SIN_E, _COS_E)  # toward the camera
_HW = _unit3((_L[0] + _V[0], _L[1] + _V[1], _L[2] + _V[2]))  # Blinn half vector (world)


def _to_view(v: tuple[float, float, float]) -> tuple[float, float, float]:
    # view axes: right (1,0,0), up (0, cos, -sin), toward camera (0, sin, cos)
    return (v[0], v[1] * _COS_E - v[2] * _SIN_E, v[1] * _SIN_E + v[2] * _COS_E)


_LV = _to_view(_L)
_HV = _to_view(_HW)

_AMBIENT = 0.32
_DIFFUSE = 0.78
_SMALL = 0.55  # small objects relative to large ones
_SPHERE_R = 1.0
_CYL_R = 0.86  # cylinders are 2 * radius tall
_CUBE_HALF = 0.74
_PERSPECTIVE_NEAR = 0.62  # scale at the top edge of a free-layout image (1.0 at the bottom)
_GAP = 2  # floor pixels between objects' boxes (no-occlusion) and between an object and its cell

def _free_unit(width: int, height: int) -> float:
    return 0.095 * min(width, height)


# --------------------------------------------------------------------------------------------
# Geometry


# A cube's projected outline (convex hull) and its visible faces (polygon, face id), in pixels
# relative to the footprint centre.
_CubeGeom = tuple[list[tuple[float, float]], list[tuple[list[tuple[float, float]], int]]]


@dataclass
class _Attrs:
    shape: str
    color: str
    size: str
    material: str
    rot: float  # rotation parameter in [-1, 1] (rational rotation, cubes only)


@dataclass
class _Geom:
    attrs: _Attrs
    cx: float  # footprint centre on the floor, image pixels
    cy: float
    u: float  # pixels per world unit for this object
    r: float  # radius (sphere, cylinder) or half side (cube), world units
    ext: tuple[float, float, float, float]  # silhouette extents, relative to (cx, cy)
    bbox: tuple[int, int, int, int]
    center: tuple[float, float]
    cube: _CubeGeom | None
    d: np.ndarray | None = None  # silhouette signed distance over bbox (cached)


def _hull(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (Andrew's monotone chain), counter-clockwise in a y-up frame."""
    p = sorted(set(pts))
    if len(p) <= 2:
        return p

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for q in p:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], q) <= 0:
            lower.pop()
        lower.append(q)
    upper: list[tuple[float, float]] = []
    for q in reversed(p):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], q) <= 0:
            upper.pop()
        upper.append(q)
    return lower[:-1] + upper[:-1]


def _cube_geometry(half: float, rot: float, u: float) -> _CubeGeom:
    """Projected hull and visible faces of a cube (relative pixels). Face ids: 0 top, 1.. sides."""
    t = rot
    c = (1.0 - t * t) / (1.0 + t * t)  # rational point on the unit circle: no trigonometry
    s = 2.0 * t / (1.0 + t * t)

    def proj(x: float, y: float, z: float) -> tuple[float, float]:
        wx = c * x - s * z
        wz = s * x + c * z
        return (wx * u, (wz * _SIN_E - y * _COS_E) * u)

    h = half
    corners = [(-h, -h), (h, -h), (h, h), (-h, h)]
    pts = [proj(x, y, z) for (x, z) in corners for y in (0.0, 2 * h)]
    faces: list[tuple[list[tuple[float, float]], int]] = [
        ([proj(x, 2 * h, z) for (x, z) in corners], 0)
    ]
    for k, (nx, nz) in enumerate(((1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0))):
        wnz = s * nx + c * nz
        if wnz <= 1e-6:
            continue
        tx, tz = -nz, nx
        a = (nx * h + tx * h, nz * h + tz * h)
        b = (nx * h - tx * h, nz * h - tz * h)
        faces.append(
            ([proj(a[0], 0.0, a[1]), proj(b[0], 0.0, b[1]),
              proj(b[0], 2 * h, b[1]), proj(a[0], 2 * h, a[1])], k + 1)
        )
    return _hull(pts), faces


def _cube_face_normal(rot: float, face: int) -> tuple[float, float, float]:
    if face == 0:
        return (0.0, 1.0, 0.0)
    t = rot
    c = (1.0 - t * t) / (1.0 + t * t)
    s = 2.0 * t / (1.0 + t * t)
    nx, nz = ((1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0))[face - 1]
    return (c * nx - s * nz, 0.0, s * nx + c * nz)


def _relative_geometry(
    attrs: _Attrs, u: float
) -> tuple[float, tuple[float, float, float, float], tuple[float, float], _CubeGeom | None]:
    """Size, extents (xmin, xmax, ymin, ymax) and middle, relative to the footprint centre."""
    scale = 1.0 if attrs.size == "large" else _SMALL
    if attrs.shape == "sphere":
        r = _SPHERE_R * scale
        rp = r * u
        my = -r * _COS_E * u
        return r, (-rp, rp, my - rp, my + rp), (0.0, my), None
    if attrs.shape == "cylinder":
        r = _CYL_R * scale
        a = r * u
        b = a * _SIN_E
        top = -r * 2.0 * _COS_E * u  # height 2r
        return r, (-a, a, top - b, b), (0.0, top * 0.5), None
    r = _CUBE_HALF * scale
    hull, faces = _cube_geometry(r, attrs.rot, u)
    xs = [p[0] for p in hull]
    ys = [p[1] for p in hull]
    ext = (min(xs), max(xs), min(ys), max(ys))
    return r, ext, ((ext[0] + ext[1]) * 0.5, (ext[2] + ext[3]) * 0.5), (hull, faces)


def _at(
    attrs: _Attrs, cx: float, cy: float, u: float, r: float,
    ext: tuple[float, float, float, float], mid: tuple[float, float], cube: _CubeGeom | None,
) -> _Geom:
    bbox = (
        math.floor(cx + ext[0]), math.floor(cy + ext[2]),
        math.ceil(cx + ext[1]), math.ceil(cy + ext[3]),
    )
    return _Geom(
        attrs=attrs, cx=cx, cy=cy, u=u, r=r, ext=ext, bbox=bbox,
        center=(round(cx + mid[0], 2), round(cy + mid[1], 2)),
        cube=cube,
    )


def _foot_px(g: _Geom) -> float:
    """Radius of the object's footprint on the floor, in pixels (for non-interpenetration)."""
    shape = g.attrs.shape
    if shape == "cube":
        return g.r * 1.4142135623730951 * g.u
    return g.r * g.u
