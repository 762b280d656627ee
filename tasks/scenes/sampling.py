"""Draws from a scene's generators: an object's attributes (under the CoGenT rule) and k
distinct indices. Both streams use them: the content stream for objects and question filters,
the placement stream for grid cells.
"""

from __future__ import annotations

import numpy as np

from tasks.scenes.config import MATERIALS, SHAPES, SIZES, allowed_colors
from tasks.scenes.geometry import _Attrs


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
