"""Rasterisation: signed distances on pixel centres (negative inside), shading, the floor, soft
shadows, and painting an object into the picture and the label mask.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from tasks.scenes.config import CLEVR_COLORS
from tasks.scenes.geometry import (
    _AMBIENT,
    _COS_E,
    _DIFFUSE,
    _HV,
    _HW,
    _L,
    _LV,
    _SIN_E,
    _cube_face_normal,
    _foot_px,
    _Geom,
)

_BASE_COLORS = {k: np.array(v, dtype=np.float32) for k, v in CLEVR_COLORS.items()}


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
