"""The placement stream: where objects stand (free layout without or with occlusion, or a jittered
grid) and the painter's order they are drawn in.
"""

from __future__ import annotations

import numpy as np

from tasks.scenes.config import SceneConfig, min_visible_pixels
from tasks.scenes.geometry import (
    _GAP,
    _PERSPECTIVE_NEAR,
    _SIN_E,
    _at,
    _Attrs,
    _foot_px,
    _free_unit,
    _Geom,
    _relative_geometry,
)
from tasks.scenes.render import _silhouette
from tasks.scenes.sampling import _pick


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
