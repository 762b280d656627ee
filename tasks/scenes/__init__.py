"""Procedural CLEVR-like counting scenes, rendered offline with numpy and PIL.

Why this exists: the paper's counting data (CLEVR CoGenT-A for training, SuperCLEVR for testing)
lives on the hub and cannot be fetched on machines without network access, and a fixed 200-item
test set is too small to tell methods apart. This package renders unlimited counting scenes that
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

The layout: :mod:`~tasks.scenes.config` (what a scene may contain, :class:`SceneConfig`,
:class:`Scene`), :mod:`~tasks.scenes.sampling` and :mod:`~tasks.scenes.questions` (the content
stream: objects and the question), :mod:`~tasks.scenes.placement` (the placement stream),
:mod:`~tasks.scenes.geometry` (camera, light, projected shapes), :mod:`~tasks.scenes.render`
(rasterisation, shading, shadows, the mask) and :mod:`~tasks.scenes.generate` (:func:`make_scene`).
"""

from __future__ import annotations

from tasks.scenes.config import (
    CLEVR_COLORS,
    MATERIALS,
    SHAPES,
    SIZES,
    Scene,
    SceneConfig,
    SceneObject,
    allowed_colors,
    min_visible_pixels,
)
from tasks.scenes.generate import make_scene
from tasks.scenes.questions import COUNT_QUESTIONS

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
