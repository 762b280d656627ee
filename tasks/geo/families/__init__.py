"""The construction families, one module each, imported in :data:`tasks.geo.build.FAMILIES`
order.

Importing a module registers its variants (``@_variant``); within a family the order of the
decorated functions is the order ``make_problem`` draws from, so it must not change.
"""

from __future__ import annotations

# The order below is FAMILIES' order (the one the single module had); keep it so.
# isort: off
from tasks.geo.families import (  # noqa: F401  (imported to register the variants)
    triangle_angle_sum,
    parallel_transversal,
    bisector_parallel,
    isosceles_base,
    exterior_angle,
    inscribed_angle,
    tangent_radius,
    pythagoras,
    similar_triangles,
    circle_measure,
    right_30_60_90,
    midsegment,
    perpendicular_chord,
)
# isort: on
