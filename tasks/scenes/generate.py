""":func:`make_scene`: the content and placement streams drawn, the scene rendered, the mask
counted.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from tasks.scenes.config import Scene, SceneConfig, SceneObject
from tasks.scenes.placement import _painter, _place_disjoint, _place_grid, _place_occluding
from tasks.scenes.questions import _question
from tasks.scenes.render import _draw, _floor, _shadow
from tasks.scenes.sampling import _sample_attrs


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
