"""The generator's public API: :class:`GeoConfig`, :class:`GeoProblem`, :func:`make_problem`.

:func:`make_problem` is a pure function of ``(cfg, seed, index)``: a private ``random.Random`` per
call picks a family, one of its variants, the unit and the number style, builds the construction
and renders its diagram.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import sympy
from PIL import Image

import tasks.geo.families  # noqa: F401  (registers every family's variants)
from tasks.geo.build import _VARIANTS, FAMILIES, _Ctx, _Variant
from tasks.geo.draw import render
from tasks.geo.measure import Measurement, measure
from tasks.geo.values import render_value

LENGTH_UNITS: tuple[tuple[str, str, str, int], ...] = (
    # (length unit, area unit, alternative area unit, weight)
    ("cm", "cm²", "cm^{2}", 6),
    ("m", "m²", "m^{2}", 2),
    ("米", "平方米", "平方米", 1),
    ("mm", "mm²", "mm^{2}", 1),
)


@dataclass(frozen=True)
class GeoConfig:
    """Which problems to generate and how big the diagrams are."""

    families: tuple[str, ...] | None = None  # None = all FAMILIES
    width: int = 320
    height: int = 240
    unit_share: float = 0.15  # share of length/area problems whose numbers carry a unit
    max_steps: int | None = None  # keep only variants with at most this many reasoning steps
    #: Name the angle relation in parallel-line questions ("∠1 and ∠2 are co-interior angles"),
    #: so that the text decides whether ∠2 equals or supplements ∠1; otherwise only the diagram
    #: does. It adds words and draws nothing from the generator's random stream.
    relation_in_text: bool = False

    def __post_init__(self) -> None:
        if self.families is not None:
            if isinstance(self.families, str):
                raise ValueError(
                    f"GeoConfig.families must be a sequence of names, not the string "
                    f"{self.families!r}; valid: {', '.join(FAMILIES)}"
                )
            fams = tuple(dict.fromkeys(self.families))
            object.__setattr__(self, "families", fams)
            unknown = [f for f in fams if f not in FAMILIES]
            if unknown:
                raise ValueError(
                    f"unknown geometry families {unknown}; valid: {', '.join(FAMILIES)}"
                )
            if not fams:
                raise ValueError(f"GeoConfig.families is empty; valid: {', '.join(FAMILIES)}")
        for name in ("width", "height"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 64 <= v <= 4096:
                raise ValueError(f"GeoConfig.{name} must be an int in [64, 4096], got {v!r}")
        if not isinstance(self.relation_in_text, bool):
            raise ValueError(f"GeoConfig.relation_in_text must be a bool, "
                             f"got {self.relation_in_text!r}")
        if not isinstance(self.unit_share, (int, float)) or not 0.0 <= self.unit_share <= 1.0:
            raise ValueError(f"GeoConfig.unit_share must be in [0, 1], got {self.unit_share!r}")
        if self.max_steps is not None:
            if not isinstance(self.max_steps, int) or self.max_steps < 1:
                raise ValueError(f"GeoConfig.max_steps must be None or an int >= 1, "
                                 f"got {self.max_steps!r}")
            fams = self.families or FAMILIES
            least = min(v.steps for f in fams for v in _VARIANTS[f])
            if least > self.max_steps:
                raise ValueError(
                    f"no variant of families {list(fams)} has at most {self.max_steps} "
                    f"steps (the fewest is {least})"
                )


@dataclass
class GeoProblem:
    question: str
    answer: str
    value: sympy.Expr
    image: Image.Image
    family: str
    steps: int
    points: dict[str, tuple[float, float]]
    reasoning: str
    check: Callable[[], float] | None = None
    variant: str = ""


def make_problem(cfg: GeoConfig, seed: int, index: int) -> GeoProblem:
    """Problem number ``index`` of the stream ``seed`` (a pure function of its arguments)."""
    # The stream name is older than the package: renaming it would change every problem.
    rng = random.Random(f"geoproblems:{seed}:{index}")
    family, variants = rng.choice(_pool(cfg))
    var = rng.choice(variants)
    unit, area_unit = "", ""
    if rng.random() < cfg.unit_share:
        r = rng.random() * sum(w for *_, w in LENGTH_UNITS)
        for lu, au, au2, w in LENGTH_UNITS:
            r -= w
            if r < 0:
                unit, area_unit = lu, (au if rng.random() < 0.5 else au2)
                break
    ctx = _Ctx(rng=rng, unit=unit, area_unit=area_unit, dot0=rng.random() < 0.85,
               decimal=rng.random() < 0.3, relation_in_text=cfg.relation_in_text)
    built = var.build(ctx)
    if len(built.reasoning) != var.steps:  # a generator bug, never data
        raise RuntimeError(f"{var.name}: {len(built.reasoning)} reasoning steps, "
                           f"declared {var.steps}")
    pts = built.scene.points
    if rng.random() < 0.5:  # mirror image: same geometry, other handedness
        pts = {k: (-x, y) for k, (x, y) in pts.items()}
    pts = {k: (float(x) + 0.0, float(y) + 0.0) for k, (x, y) in sorted(pts.items())}
    built.scene.points = pts
    image = render(built.scene, cfg.width, cfg.height)
    if built.kind == "deg":
        answer = render_value(built.value, decimal=True) + "°"
    elif built.kind == "area":
        answer = render_value(built.value, decimal=ctx.decimal) + ctx.area_unit
    else:
        answer = render_value(built.value, decimal=ctx.decimal) + ctx.unit
    return GeoProblem(
        question=built.question,
        answer=answer,
        value=built.value,
        image=image,
        family=family,
        steps=var.steps,
        points=pts,
        reasoning="; ".join(built.reasoning),
        check=Measurement(built.spec, pts),
        variant=var.name,
    )


def numeric_check(problem: GeoProblem) -> float:
    """The asked quantity measured from ``problem.points`` with floats (no sympy)."""
    if isinstance(problem.check, Measurement):
        return measure(problem.check.spec, problem.points)
    if problem.check is not None:
        return float(problem.check())
    raise ValueError("problem has no numeric check")


def family_steps() -> dict[str, tuple[int, ...]]:
    """The step counts of each family's variants (for docs and reports)."""
    return {f: tuple(sorted({v.steps for v in _VARIANTS[f]})) for f in FAMILIES}


def variant_names() -> dict[str, tuple[str, ...]]:
    """Each family's variant names in registration order, the order :func:`make_problem` draws
    from (a reorder changes which problem a ``(seed, index)`` yields)."""
    return {f: tuple(v.name for v in _VARIANTS[f]) for f in FAMILIES}


@lru_cache(maxsize=64)
def _pool(cfg: GeoConfig) -> tuple[tuple[str, tuple[_Variant, ...]], ...]:
    out = []
    for fam in cfg.families or FAMILIES:
        vs = tuple(v for v in _VARIANTS[fam]
                   if cfg.max_steps is None or v.steps <= cfg.max_steps)
        if vs:
            out.append((fam, vs))
    return tuple(out)


assert all(_VARIANTS[f] for f in FAMILIES), "every family needs at least one variant"
