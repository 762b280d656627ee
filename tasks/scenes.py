"""Procedural CLEVR-like counting scenes, rendered offline with numpy and PIL.

Why this exists: the paper's counting data (CLEVR CoGenT-A for training, SuperCLEVR for testing)
lives on the hub and cannot be fetched on machines without network access, and a fixed 200-item
test set is too small to tell methods apart. This module renders unlimited counting scenes that
look like CLEVR (shaded cubes, cylinders and spheres in the CLEVR palette, rubber or metal, two
sizes, soft shadows on a grey floor, a camera looking down at the floor with mild perspective),
and it knows the answer exactly because it drew the picture.

What it guarantees (and ``tests/test_scenes.py`` checks independently of this code):

* ``make_scene(cfg, seed, index)`` is a pure function of its arguments: it uses its own seeded
  generators, never global random state, and only IEEE-exact arithmetic (``+ - * /`` and
  ``sqrt`` on numpy arrays; no ``exp``/``sin``/``pow`` whose results vary between libm builds,
  no fonts, no PIL anti-aliasing), so the pixels are identical on every machine.
* The label mask holds exactly the visible pixels of every object (a pixel belongs to an object
  when its centre lies inside the object's silhouette and no nearer object covers it), painted in
  the same back-to-front order as the picture.
* No object touches the image border. Without occlusion the objects' pixel boxes are disjoint
  with at least two pixels of floor between them; with occlusion every object keeps at least
  :func:`min_visible_pixels` visible pixels.
* In the grid layout every object lies inside its own cell, one object per cell at most, and
  ``Scene.occupancy`` spells the cells out row by row.

Rendering is analytic: every shape is a signed-distance function evaluated on the pixel centres
of its box, which gives the inside test for the mask and a one-pixel anti-aliased edge for the
picture at once. Objects are drawn back to front (painter's order by the depth of their footprint
on the floor) and ``Scene.objects`` is listed in that order, so mask label ``i + 1`` is
``objects[i]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from PIL import Image

__all__ = [
    "CLEVR_COLORS",
    "COUNT_QUESTIONS",
    "MATERIALS",
    "SHAPES",
    "SIZES",
    "Scene",
    "SceneConfig",
    "SceneObject",
    "allowed_colors",
    "make_scene",
    "min_visible_pixels",
]

# The CLEVR palette (CLEVR's properties.json), name -> sRGB.
CLEVR_COLORS: dict[str, tuple[int, int, int]] = {
    "gray": (87, 87, 87),
    "red": (173, 35, 35),
    "blue": (42, 75, 215),
    "green": (29, 105, 20),
    "brown": (129, 74, 25),
    "purple": (129, 38, 192),
    "cyan": (41, 208, 208),
    "yellow": (255, 238, 51),
}
SHAPES: tuple[str, ...] = ("cube", "cylinder", "sphere")
SIZES: tuple[str, ...] = ("large", "small")
MATERIALS: tuple[str, ...] = ("rubber", "metal")

# Questions that ask for the number of all objects. The second is SuperCLEVR's (the paper's test).
COUNT_QUESTIONS: tuple[str, ...] = (
    "How many items are there in the image?",
    "How many different items are there in the image?",
    "How many objects are there?",
    "How many objects are there in the image?",
    "How many things are there?",
    "What number of objects are there?",
    "Count the objects in the image. How many are there?",
)

_COGENT_CUBE_A = ("gray", "blue", "brown", "yellow")
_COGENT_CYL_A = ("red", "green", "purple", "cyan")
_ALL_COLORS = tuple(CLEVR_COLORS)
_PLURAL = {"cube": "cubes", "cylinder": "cylinders", "sphere": "spheres"}

# Reference image area for ``min_visible`` (the default 320x240).
_REF_AREA = 320 * 240


def allowed_colors(cogent: str, shape: str) -> tuple[str, ...]:
    """Colours a ``shape`` may have under the CLEVR CoGenT condition ``cogent``."""
    if cogent == "none" or shape == "sphere":
        return _ALL_COLORS
    cube_a = shape == "cube"
    if cogent == "B":
        cube_a = not cube_a
    return _COGENT_CUBE_A if cube_a else _COGENT_CYL_A


@dataclass(frozen=True)
class SceneConfig:
    """What a family of scenes looks like. All fields are plain values (JSON-friendly)."""

    count_range: tuple[int, int] = (3, 10)  # inclusive number of objects
    width: int = 320
    height: int = 240
    layout: Literal["free", "grid"] = "free"  # grid: jittered grid, at most one object per cell
    cell: int = 28  # grid cell size in pixels (grid layout only)
    occlusion: bool = False  # allow partial occlusion (free layout only)
    min_visible: int = 60  # visible pixels each object keeps; scaled down for small images
    filtered_share: float = 0.0  # share of attribute-filtered questions (answers may be 0)
    cogent: Literal["none", "A", "B"] = "none"  # CLEVR CoGenT colour/shape rule

    def __post_init__(self) -> None:
        def is_int(v: object) -> bool:
            return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

        cr = self.count_range
        if not (isinstance(cr, (tuple, list)) and len(cr) == 2 and all(is_int(v) for v in cr)):
            raise ValueError(f"count_range must be a pair of integers (lo, hi), got {cr!r}")
        lo, hi = int(cr[0]), int(cr[1])
        if isinstance(cr, list):  # accept lists (e.g. from YAML/JSON) but store a tuple
            object.__setattr__(self, "count_range", (lo, hi))
        if not 0 <= lo <= hi:
            raise ValueError(f"count_range must satisfy 0 <= lo <= hi, got {cr!r}")
        if hi > 40:
            raise ValueError(f"count_range upper bound must be at most 40, got {hi}")
        for name in ("width", "height"):
            v = getattr(self, name)
            if not is_int(v) or not 32 <= v <= 4096:
                raise ValueError(f"{name} must be an integer in [32, 4096], got {v!r}")
        if self.layout not in ("free", "grid"):
            raise ValueError(f"layout must be 'free' or 'grid', got {self.layout!r}")
        if not isinstance(self.occlusion, bool):
            raise ValueError(f"occlusion must be a bool, got {self.occlusion!r}")
        if not is_int(self.min_visible) or self.min_visible < 1:
            raise ValueError(f"min_visible must be a positive integer, got {self.min_visible!r}")
        fs = self.filtered_share
        if isinstance(fs, bool) or not isinstance(fs, (int, float)) or not 0.0 <= fs <= 1.0:
            raise ValueError(f"filtered_share must be a number in [0, 1], got {fs!r}")
        if self.cogent not in ("none", "A", "B"):
            raise ValueError(f"cogent must be 'none', 'A' or 'B', got {self.cogent!r}")
        if self.layout == "grid":
            if not is_int(self.cell) or not 12 <= self.cell <= min(self.width, self.height):
                raise ValueError(
                    f"cell must be an integer in [12, min(width, height)] = "
                    f"[12, {min(self.width, self.height)}], got {self.cell!r}"
                )
            if self.occlusion:
                raise ValueError("occlusion=True needs layout='free' (grid cells never overlap)")
            cells = (self.width // self.cell) * (self.height // self.cell)
            if hi > cells:
                raise ValueError(
                    f"count_range upper bound {hi} exceeds the {cells} grid cells of a "
                    f"{self.width}x{self.height} image with cell={self.cell}"
                )
        else:
            # Rough capacity bound: a small object near the front needs about this box.
            unit = _free_unit(self.width, self.height)
            side = 2.5 * _SMALL * unit + 4
            box = side * side
            if hi * box > 0.45 * self.width * self.height:
                raise ValueError(
                    f"{hi} objects do not fit a {self.width}x{self.height} image with the free "
                    f"layout; use a larger image or fewer objects"
                )

    @property
    def grid_shape(self) -> tuple[int, int]:
        """(rows, cols) of the grid layout."""
        return self.height // self.cell, self.width // self.cell


def min_visible_pixels(cfg: SceneConfig, area: int) -> int:
    """Visible pixels guaranteed to an object whose unoccluded silhouette has ``area`` pixels.

    ``cfg.min_visible`` is meant for 320x240; smaller images scale it by their pixel count
    (never up), and no object is asked to show more than half of itself.
    """
    scaled = max(1, (cfg.min_visible * min(cfg.width * cfg.height, _REF_AREA)) // _REF_AREA)
    return max(1, min(scaled, area // 2))


@dataclass(frozen=True)
class SceneObject:
    """One drawn object. ``bbox`` is (x0, y0, x1, y1), end-exclusive, the box it is drawn in."""

    shape: str
    color: str
    size: str
    material: str
    center: tuple[float, float]  # image position (x, y) of the object's middle, in pixels
    bbox: tuple[int, int, int, int]
    area: int  # pixels of the unoccluded silhouette
    visible: int  # pixels of it left visible in the mask


@dataclass
class Scene:
    image: Image.Image  # RGB, width x height
    mask: np.ndarray  # int16 (H, W): 0 floor, i + 1 the visible pixels of objects[i]
    objects: list[SceneObject]  # back to front (painter's order)
    question: str
    answer: int
    occupancy: str | None  # grid layout: row-major cell bits, rows separated by spaces
    kind: str  # "all" or "filtered"


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
_BASE_COLORS = {k: np.array(v, dtype=np.float32) for k, v in CLEVR_COLORS.items()}


def _free_unit(width: int, height: int) -> float:
    return 0.095 * min(width, height)


def _sat(x: np.ndarray) -> np.ndarray:
    """Clamp to [0, 1] (np.clip is several times slower on small arrays)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


def _pow32(t: np.ndarray) -> np.ndarray:
    t = t * t
    t = t * t
    t = t * t
    t = t * t
    return t * t


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


# --------------------------------------------------------------------------------------------
# Rasterisation: signed distances on pixel centres (negative inside).


def _pixel_axes(bbox: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = bbox
    px = np.arange(x0, x1, dtype=np.float32) + np.float32(0.5)
    py = (np.arange(y0, y1, dtype=np.float32) + np.float32(0.5))[:, None]
    return px, py


def _poly_sdf(
    poly: list[tuple[float, float]], px: np.ndarray, py: np.ndarray, ox: float, oy: float
) -> np.ndarray:
    """Distance outside a convex polygon (max over its edges' half planes)."""
    n = len(poly)
    area2 = 0.0
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        area2 += a[0] * b[1] - b[0] * a[1]
    sign = 1.0 if area2 > 0 else -1.0
    d: np.ndarray | None = None
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        ex, ey = b[0] - a[0], b[1] - a[1]
        ln = math.sqrt(ex * ex + ey * ey)
        if ln < 1e-9:
            continue
        nx, ny = sign * ey / ln, -sign * ex / ln
        c = nx * (a[0] + ox) + ny * (a[1] + oy)
        e = (px * nx - c) + py * ny
        d = e if d is None else np.maximum(d, e)
    assert d is not None
    return d


def _ellipse_sdf(
    px: np.ndarray, py: np.ndarray, ex: float, ey: float, a: float, b: float
) -> np.ndarray:
    """First-order distance to an axis-aligned ellipse: f / |grad f|."""
    dx = (px - ex) / a
    dy = (py - ey) / b
    f = dx * dx + dy * dy - 1.0
    gx = dx / a
    gy = dy / b
    g = np.sqrt(gx * gx + gy * gy) * 2.0
    return f / np.maximum(g, 1e-6)


def _silhouette(g: _Geom) -> np.ndarray:
    if g.d is not None:
        return g.d
    px, py = _pixel_axes(g.bbox)
    shape = g.attrs.shape
    if shape == "sphere":
        rp = g.r * g.u
        scx, scy = g.cx, g.cy - g.r * _COS_E * g.u
        dx = px - scx
        dy = py - scy
        d = np.sqrt(dx * dx + dy * dy) - rp
    elif shape == "cylinder":
        a = g.r * g.u
        b = a * _SIN_E
        ty = g.cy - g.r * 2.0 * _COS_E * g.u
        rect = np.maximum(np.abs(px - g.cx) - a, np.maximum(ty - py, py - g.cy))
        d = np.minimum(
            rect, np.minimum(_ellipse_sdf(px, py, g.cx, ty, a, b),
                             _ellipse_sdf(px, py, g.cx, g.cy, a, b))
        )
    else:
        assert g.cube is not None
        d = _poly_sdf(g.cube[0], px, py, g.cx, g.cy)
    d = np.asarray(d, dtype=np.float32)
    g.d = d
    return d


def _shade_sphere(g: _Geom, px: np.ndarray, py: np.ndarray, base: np.ndarray) -> np.ndarray:
    rp = g.r * g.u
    scy = g.cy - g.r * _COS_E * g.u
    nx = (px - g.cx) / rp
    ny = (scy - py) / rp  # up
    q = nx * nx + ny * ny
    nz = np.sqrt(np.maximum(1.0 - q, 0.0))
    ndl = np.maximum(nx * _LV[0] + ny * _LV[1] + nz * _LV[2], 0.0)
    ndh = np.maximum(nx * _HV[0] + ny * _HV[1] + nz * _HV[2], 0.0)
    if g.attrs.material == "rubber":
        lum = ndl * _DIFFUSE + _AMBIENT
        spec = _pow32(ndh) * 0.08
        return base * lum[..., None] + (spec * 255.0)[..., None]
    # metal: darker body, sharp highlight, a reflection of the bright floor below the equator
    lum = ndl * 0.62 + 0.16
    t = ndh * ndh
    t = t * t
    t = t * t  # ^8: broad sheen
    sharp = _pow32(ndh)
    sharp = sharp * sharp  # ^64: the highlight
    rim = 1.0 - nz
    refl = _sat(-ny) * rim
    spec = sharp * 255.0 + t * 60.0 + refl * 70.0
    return base * (lum + rim * 0.25)[..., None] + spec[..., None]


def _shade_cylinder(g: _Geom, px: np.ndarray, py: np.ndarray, base: np.ndarray) -> np.ndarray:
    a = g.r * g.u
    b = a * _SIN_E
    ty = g.cy - g.r * 2.0 * _COS_E * g.u
    nu = np.minimum(np.maximum((px - g.cx) / a, -1.0), 1.0)  # per column
    nw = np.sqrt(np.maximum(1.0 - nu * nu, 0.0))
    ndl = np.maximum(nu * _L[0] + nw * _L[2], 0.0)
    hh = math.sqrt(_HW[0] * _HW[0] + _HW[2] * _HW[2])  # horizontal part of the half vector
    ndh = np.maximum((nu * _HW[0] + nw * _HW[2]) / hh, 0.0)
    top_l = max(_L[1], 0.0)
    top_h = max(_HW[1], 0.0)
    # slightly darker toward the floor (ambient occlusion), per row
    hgt = g.cy - ty
    ao = 1.0 - _sat((py - ty) / max(hgt, 1e-6)) * 0.12
    if g.attrs.material == "rubber":
        body = (ndl * _DIFFUSE + _AMBIENT)[None, :, None] * base
        body = body * ao[..., None] + (_pow32(ndh) * 12.0)[None, :, None]
        top = base * (top_l * _DIFFUSE + _AMBIENT)
    else:
        sheen = ndh * ndh
        sheen = sheen * sheen
        sheen = sheen * sheen
        streak = _pow32(ndh) * 190.0 + sheen * 40.0
        body = (ndl * 0.7 + 0.1)[None, :, None] * base
        body = body * ao[..., None] + streak[None, :, None]
        glare = top_h
        for _ in range(5):
            glare = glare * glare  # top_h ** 32 by squaring (no libm pow)
        top = base * (top_l * 0.62 + 0.2) + (glare * 200.0 + 25.0)
    wt = _sat(0.5 - _ellipse_sdf(px, py, g.cx, ty, a, b))[..., None]
    body = np.broadcast_to(body, wt.shape[:2] + (3,))
    return body * (1.0 - wt) + top * wt


def _shade_cube(g: _Geom, px: np.ndarray, py: np.ndarray, base: np.ndarray) -> np.ndarray:
    assert g.cube is not None
    faces = g.cube[1]
    num: np.ndarray | None = None
    den: np.ndarray | None = None
    metal = g.attrs.material == "metal"
    h2 = 2.0 * g.r * _COS_E * g.u  # screen height of a side
    for poly, fid in faces:
        n = _cube_face_normal(g.attrs.rot, fid)
        ndl = max(n[0] * _L[0] + n[1] * _L[1] + n[2] * _L[2], 0.0)
        ndh = max(n[0] * _HW[0] + n[1] * _HW[1] + n[2] * _HW[2], 0.0)
        w = _sat(0.5 - _poly_sdf(poly, px, py, g.cx, g.cy))
        if metal:
            col = base * (ndl * 0.75 + 0.12)
        else:
            ndh4 = ndh * ndh * ndh * ndh
            col = base * (ndl * _DIFFUSE + _AMBIENT) + ndh4 * ndh4 * ndh4 * ndh4 * 12.0
        if fid == 0:
            shaded = np.broadcast_to(col, (py.shape[0], px.shape[0], 3))
            if metal:  # a soft reflection band across the top face
                diag = np.abs((px - g.cx) + (py - (g.cy - h2)) * 1.4)
                band = _sat(1.0 - diag / (h2 * 0.6 + 1.0))
                shaded = shaded * 1.1 + (band * band * 150.0)[..., None]
        else:
            # side faces darken toward the floor; metal sides get a vertical sheen gradient
            v = _sat((py - (g.cy - h2)) / max(h2, 1e-6))
            if metal:  # a reflection: bright near the top edge, dark toward the floor
                shade = 1.35 - v * 0.75
                glint = (1.0 - v) * (1.0 - v) * 40.0
                shaded = col * shade[..., None] + glint[..., None]
            else:
                shade = 1.04 - v * 0.14
                shaded = col * shade[..., None]
        wb = w[..., None]
        num = shaded * wb if num is None else num + shaded * wb
        den = w if den is None else den + w
    assert num is not None and den is not None
    return num / np.maximum(den, 1e-6)[..., None]


@lru_cache(maxsize=16)
def _floor(width: int, height: int) -> np.ndarray:
    """The grey floor: brightest a little left of centre toward the back, darker at the edges."""
    x = (np.arange(width, dtype=np.float32) + 0.5) / np.float32(width)
    y = ((np.arange(height, dtype=np.float32) + 0.5) / np.float32(height))[:, None]
    dx = (x - 0.45) * 1.5
    dy = (y - 0.35) * 1.2
    v = 150.0 - (dx * dx + dy * dy) * 38.0 - y * 10.0
    img = np.empty((height, width, 3), dtype=np.float32)
    img[..., 0] = v
    img[..., 1] = v
    img[..., 2] = v + 2.0
    img.flags.writeable = False
    return img


def _shadow(img: np.ndarray, g: _Geom) -> None:
    """Darken the floor under and behind the object (light comes from the upper left)."""
    hgt = g.r * g.u
    # cast offset on the floor away from the light (x: right, z: away from the viewer)
    ox = -_L[0] / _L[1] * hgt
    oz = -_L[2] / _L[1] * hgt
    sx = g.cx + ox * 0.8
    sy = g.cy + oz * _SIN_E * 0.8
    a = _foot_px(g) * 1.25 + hgt * 0.35
    b = a * _SIN_E
    hh, ww = img.shape[:2]
    x0, x1 = max(0, math.floor(min(g.cx, sx) - a)), min(ww, math.ceil(max(g.cx, sx) + a) + 1)
    y0, y1 = max(0, math.floor(min(g.cy, sy) - b)), min(hh, math.ceil(max(g.cy, sy) + b) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    px, py = _pixel_axes((x0, y0, x1, y1))
    fx = g.cx * 0.35 + sx * 0.65
    fy = g.cy * 0.35 + sy * 0.65
    dx = (px - fx) / a
    dy = (py - fy) / b
    s = _sat(1.0 - (dx * dx + dy * dy))
    s = s * s * (3.0 - 2.0 * s)
    # contact shadow: tight and darker right at the footprint
    ca = _foot_px(g) * 1.05
    cdx = (px - g.cx) / ca
    cdy = (py - g.cy) / (ca * _SIN_E)
    c = _sat(1.0 - (cdx * cdx + cdy * cdy))
    fac = (1.0 - s * 0.38) * (1.0 - c * c * 0.35)
    img[y0:y1, x0:x1] *= fac[..., None]


def _draw(img: np.ndarray, mask: np.ndarray, g: _Geom, label: int) -> int:
    """Draw one object over img (anti-aliased) and claim its inside pixels in mask."""
    d = _silhouette(g)
    x0, y0, x1, y1 = g.bbox
    px, py = _pixel_axes(g.bbox)
    base = _BASE_COLORS[g.attrs.color]
    shape = g.attrs.shape
    if shape == "sphere":
        col = _shade_sphere(g, px, py, base)
    elif shape == "cylinder":
        col = _shade_cylinder(g, px, py, base)
    else:
        col = _shade_cube(g, px, py, base)
    alpha = _sat(0.5 - d)[..., None]
    region = img[y0:y1, x0:x1]
    region += (np.minimum(col, 255.0) - region) * alpha
    inside = d <= 0.0
    mask[y0:y1, x0:x1][inside] = label
    return int(np.count_nonzero(inside))


# --------------------------------------------------------------------------------------------
# Sampling: attributes and questions (content stream), positions (placement stream).


def _sample_attrs(rng: np.random.Generator, cogent: str) -> _Attrs:
    shape = SHAPES[int(rng.integers(len(SHAPES)))]
    colors = allowed_colors(cogent, shape)
    color = colors[int(rng.integers(len(colors)))]
    size = SIZES[int(rng.integers(len(SIZES)))]
    material = MATERIALS[int(rng.integers(len(MATERIALS)))]
    rot = float(rng.random()) * 2.0 - 1.0
    return _Attrs(shape=shape, color=color, size=size, material=material, rot=rot)


def _pick(rng: np.random.Generator, n: int, k: int) -> list[int]:
    """k distinct indices of range(n), in random order (partial Fisher-Yates)."""
    idx = list(range(n))
    for i in range(k):
        j = i + int(rng.integers(n - i))
        idx[i], idx[j] = idx[j], idx[i]
    return idx[:k]


def _question(
    rng: np.random.Generator, cfg: SceneConfig, objs: list[_Attrs]
) -> tuple[str, int, str]:
    if not float(rng.random()) < cfg.filtered_share:
        return COUNT_QUESTIONS[int(rng.integers(len(COUNT_QUESTIONS)))], len(objs), "all"
    # Filter on one or two attributes, usually of an object in the scene, sometimes of an
    # object that may be absent (answer 0). Attribute combinations respect the CoGenT rule.
    if objs and float(rng.random()) < 0.7:
        ref = objs[int(rng.integers(len(objs)))]
    else:
        ref = _sample_attrs(rng, cfg.cogent)
    keys = ("size", "color", "material", "shape")
    chosen = {keys[i] for i in _pick(rng, len(keys), 1 + int(rng.integers(2)))}
    filters = {k: getattr(ref, k) for k in keys if k in chosen}
    words = [filters[k] for k in ("size", "color", "material") if k in filters]
    noun_choice = ("objects", "things")[int(rng.integers(2))]
    noun = _PLURAL[filters["shape"]] if "shape" in filters else noun_choice
    template = ("How many {} are there?", "What number of {} are there?")[int(rng.integers(2))]
    answer = sum(all(getattr(o, k) == v for k, v in filters.items()) for o in objs)
    return template.format(" ".join([*words, noun])), answer, "filtered"


def _apart(a: tuple[int, int, int, int], b: tuple[int, int, int, int], gap: int) -> bool:
    return a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1]


def _inside_image(g: _Geom, width: int, height: int) -> bool:
    x0, y0, x1, y1 = g.bbox
    return x0 >= 1 and y0 >= 1 and x1 <= width - 1 and y1 <= height - 1


def _sample_free(
    rng: np.random.Generator, attrs: _Attrs, cfg: SceneConfig, scale: float
) -> _Geom | None:
    """A random floor position whose drawing stays inside the image, or None."""
    w, h = cfg.width, cfg.height
    unit = _free_unit(w, h) * scale
    below = _relative_geometry(attrs, unit)[1][3]  # how far the object reaches below its footprint
    lo_y, hi_y = 0.30 * h, h - 1.0 - below - 1e-6
    cy = lo_y + (hi_y - lo_y) * float(rng.random())
    u = unit * (_PERSPECTIVE_NEAR + (1.0 - _PERSPECTIVE_NEAR) * cy / h)
    r, ext, mid, cube = _relative_geometry(attrs, u)
    lo_x, hi_x = 1.0 - ext[0] + 1e-6, w - 1.0 - ext[1] - 1e-6
    cx = lo_x + (hi_x - lo_x) * float(rng.random())  # always drawn: keeps the stream aligned
    if hi_x < lo_x:
        return None
    g = _at(attrs, cx, cy, u, r, ext, mid, cube)
    return g if _inside_image(g, w, h) else None


def _foot_clear(g: _Geom, others: list[_Geom]) -> bool:
    """Footprints on the floor do not intersect (objects may hide each other, never merge)."""
    for o in others:
        dx = g.cx - o.cx
        dz = (g.cy - o.cy) / _SIN_E
        rr = (_foot_px(g) + _foot_px(o)) * 1.05
        if dx * dx + dz * dz < rr * rr:
            return False
    return True


def _place_disjoint(rng: np.random.Generator, objs: list[_Attrs], cfg: SceneConfig) -> list[_Geom]:
    """Rejection-sample positions with disjoint boxes; shrink everything a little on failure."""
    order = sorted(range(len(objs)), key=lambda i: objs[i].size != "large")  # large first
    scale = 1.0
    for attempt in range(16):
        if attempt >= 3:
            scale *= 0.92  # repeated products, not pow(): identical on every libm
        placed: dict[int, _Geom] = {}
        for i in order:
            for _ in range(100):
                g = _sample_free(rng, objs[i], cfg, scale)
                if g is not None and all(_apart(g.bbox, o.bbox, _GAP) for o in placed.values()):
                    placed[i] = g
                    break
            else:
                break
        if len(placed) == len(objs):
            return [placed[i] for i in range(len(objs))]
    raise RuntimeError(
        f"could not place {len(objs)} objects in a {cfg.width}x{cfg.height} image; "
        "use fewer objects or a larger image"
    )


def _painter(geoms: list[_Geom]) -> list[_Geom]:
    return sorted(geoms, key=lambda g: (g.cy, g.cx))


def _visible_counts(geoms: list[_Geom], cfg: SceneConfig) -> list[int]:
    """Visible pixels of each object (in the given list's order) after painter's occlusion."""
    lab = np.zeros((cfg.height, cfg.width), dtype=np.int16)
    rank = sorted(range(len(geoms)), key=lambda i: (geoms[i].cy, geoms[i].cx))
    for i in rank:
        x0, y0, x1, y1 = geoms[i].bbox
        lab[y0:y1, x0:x1][_silhouette(geoms[i]) <= 0.0] = i + 1
    return [int(c) for c in np.bincount(lab.ravel(), minlength=len(geoms) + 1)[1:]]


def _place_occluding(
    rng: np.random.Generator, objs: list[_Attrs], cfg: SceneConfig
) -> list[_Geom]:
    """Positions whose footprints do not collide; boxes may overlap (partial occlusion) as long
    as each object keeps its visible-pixel minimum. Falls back to disjoint boxes."""
    geoms: list[_Geom] = []
    for a in objs:
        for _ in range(100):
            g = _sample_free(rng, a, cfg, 1.0)
            if g is not None and _foot_clear(g, geoms):
                geoms.append(g)
                break
        else:
            return _place_disjoint(rng, objs, cfg)

    def deficit(vis: list[int]) -> tuple[int, list[int]]:
        need = [min_visible_pixels(cfg, int(np.count_nonzero(_silhouette(g) <= 0.0)))
                for g in geoms]
        short = [max(0, n - v) for n, v in zip(need, vis, strict=True)]
        return sum(short), short

    total, short = deficit(_visible_counts(geoms, cfg))
    for _ in range(12):
        if total == 0:
            return geoms
        worst = max(range(len(geoms)), key=lambda i: (short[i], -i))
        old = geoms[worst]
        for _ in range(25):
            g = _sample_free(rng, objs[worst], cfg, 1.0)
            if g is None or not _foot_clear(g, geoms[:worst] + geoms[worst + 1:]):
                continue
            geoms[worst] = g
            t, s = deficit(_visible_counts(geoms, cfg))
            if t < total:
                total, short = t, s
                break
            geoms[worst] = old
    if total == 0:
        return geoms
    return _place_disjoint(rng, objs, cfg)


def _place_grid(
    rng: np.random.Generator, objs: list[_Attrs], cfg: SceneConfig
) -> tuple[list[_Geom], str]:
    rows, cols = cfg.grid_shape
    cell = cfg.cell
    ox = (cfg.width - cols * cell) // 2
    oy = (cfg.height - rows * cell) // 2
    cells = _pick(rng, rows * cols, len(objs))
    span = cell - 2  # the object's box stays one pixel inside its cell on every side
    unit = (cell - 5) / 2.45
    geoms = []
    for a, k in zip(objs, cells, strict=True):
        r_, c_ = divmod(k, cols)
        x0, y0 = ox + c_ * cell, oy + r_ * cell
        u = unit * (0.85 + 0.15 * (y0 + cell * 0.5) / cfg.height)
        while True:
            r, ext, mid, cube = _relative_geometry(a, u)
            if ext[1] - ext[0] <= span - 1.5 and ext[3] - ext[2] <= span - 1.5:
                break
            u *= 0.92
        lo_x, hi_x = x0 + 1 - ext[0] + 1e-6, x0 + cell - 1 - ext[1] - 1e-6
        lo_y, hi_y = y0 + 1 - ext[2] + 1e-6, y0 + cell - 1 - ext[3] - 1e-6
        cx = lo_x + (hi_x - lo_x) * float(rng.random())
        cy = lo_y + (hi_y - lo_y) * float(rng.random())
        g = _at(a, cx, cy, u, r, ext, mid, cube)
        bx0, by0, bx1, by1 = g.bbox
        if not (bx0 >= x0 + 1 and by0 >= y0 + 1 and bx1 <= x0 + cell - 1 and by1 <= y0 + cell - 1):
            raise AssertionError("grid object left its cell")  # unreachable by construction
        geoms.append(g)
    bits = ["0"] * (rows * cols)
    for k in cells:
        bits[k] = "1"
    occupancy = " ".join("".join(bits[r * cols:(r + 1) * cols]) for r in range(rows))
    return geoms, occupancy


# --------------------------------------------------------------------------------------------


def make_scene(cfg: SceneConfig, seed: int, index: int) -> Scene:
    """Scene number ``index`` of the family ``cfg`` under ``seed``: a pure function of the three.

    The content (objects, question) and the placement draw from separate generators seeded by
    ``(seed, index)``, so a change to the placement code never changes what is asked.
    """
    for name, v in (("seed", seed), ("index", index)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
    seed, index = int(seed), int(index)
    content = np.random.default_rng([seed, index, 0])
    placement = np.random.default_rng([seed, index, 1])

    lo, hi = cfg.count_range
    n = lo + int(content.integers(hi - lo + 1))
    objs = [_sample_attrs(content, cfg.cogent) for _ in range(n)]
    question, answer, kind = _question(content, cfg, objs)

    occupancy: str | None = None
    if cfg.layout == "grid":
        geoms, occupancy = _place_grid(placement, objs, cfg)
    elif cfg.occlusion:
        geoms = _place_occluding(placement, objs, cfg)
    else:
        geoms = _place_disjoint(placement, objs, cfg)
    geoms = _painter(geoms)

    img = _floor(cfg.width, cfg.height).copy()
    for g in geoms:
        _shadow(img, g)
    mask = np.zeros((cfg.height, cfg.width), dtype=np.int16)
    areas = [_draw(img, mask, g, i + 1) for i, g in enumerate(geoms)]
    visible = np.bincount(mask.ravel(), minlength=n + 1)[1:]
    pixels = (np.minimum(np.maximum(img, 0.0), 255.0) + 0.5).astype(np.uint8)  # round half up

    objects = [
        SceneObject(
            shape=g.attrs.shape, color=g.attrs.color, size=g.attrs.size,
            material=g.attrs.material, center=g.center, bbox=g.bbox,
            area=area, visible=int(v),
        )
        for g, area, v in zip(geoms, areas, visible, strict=True)
    ]
    return Scene(
        image=Image.fromarray(pixels), mask=mask, objects=objects, question=question,
        answer=answer, occupancy=occupancy, kind=kind,
    )
