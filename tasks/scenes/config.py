"""What a scene is and may contain: the CLEVR palette, shapes, sizes and materials, the CoGenT
colour rule, :class:`SceneConfig` and the :class:`Scene` it yields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

from tasks.scenes.geometry import _SMALL, _free_unit

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

_COGENT_CUBE_A = ("gray", "blue", "brown", "yellow")
_COGENT_CYL_A = ("red", "green", "purple", "cyan")
_ALL_COLORS = tuple(CLEVR_COLORS)

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
