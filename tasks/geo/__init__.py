"""Procedural, offline GeoQA-style geometry problems with diagrams drawn to scale.

Why this exists: the paper's geometry task (GeoQA) needs hub downloads and is small, so
othink-bench also ships an unlimited, reproducible stand-in: problems of the kinds GeoQA asks
(angle chasing with parallels, bisectors, isosceles and exterior angles, inscribed and tangent
angles, Pythagoras, similar triangles, circle measures with π, special right triangles,
midlines, perpendicular chords), written in GeoQA's English style ("As shown in the figure,
AB ∥ CD, ∠1 = 50.0, then the degree of ∠2 is ()") with answers in GeoQA's written forms
("140°", "17.5°", "8√{3}", "\\frac{12}{5}cm", "65π", "240πcm^{2}").

How it stays honest:
- every problem is a *construction* first: real coordinates chosen from nice parameters, the
  diagram drawn from those coordinates (:mod:`tasks.geo.draw`), so the picture agrees with the
  text and is to scale;
- the answer is an exact sympy value computed from the construction's exact parameters, and the
  answer string is *rendered* from that value (:func:`render_value`), never typed in;
- :func:`numeric_check` measures the asked quantity again from the coordinates alone (atan2,
  hypot, shoelace), independently of the exact path, and the tests compare the two;
- :func:`make_problem` is a pure function of ``(cfg, seed, index)`` (a private
  ``random.Random`` per call, no global RNG), so datasets are byte-reproducible.

Each family has variants with a fixed number of reasoning steps (``GeoProblem.steps``, the
length of the ``reasoning`` chain), which :class:`GeoConfig` can cap with ``max_steps``.
Hot-path sympy use is limited to building values (Integer, Rational, sqrt, pi); no simplify.

The layout: :mod:`tasks.geo.core` (config, problem, :func:`make_problem`),
:mod:`tasks.geo.values` (exact values -> answer strings), :mod:`tasks.geo.measure` (the numeric
re-measurement), :mod:`tasks.geo.build` (generation context, ``@_variant`` registration,
coordinate helpers), :mod:`tasks.geo.figures` (figures several families share) and one module
per family under :mod:`tasks.geo.families`; :mod:`tasks.geo.draw` draws the diagrams.
"""

from __future__ import annotations

from tasks.geo.build import FAMILIES
from tasks.geo.core import (
    LENGTH_UNITS,
    GeoConfig,
    GeoProblem,
    family_steps,
    make_problem,
    numeric_check,
    variant_names,
)
from tasks.geo.measure import Measurement, measure
from tasks.geo.values import render_value

__all__ = [
    "FAMILIES",
    "LENGTH_UNITS",
    "GeoConfig",
    "GeoProblem",
    "Measurement",
    "family_steps",
    "make_problem",
    "measure",
    "numeric_check",
    "render_value",
    "variant_names",
]
