"""The counting question a scene asks: how many objects in all, or how many match an attribute
filter (of an object in the scene, or of one that may be absent: the answer may be 0).
"""

from __future__ import annotations

import numpy as np

from tasks.scenes.config import SceneConfig
from tasks.scenes.geometry import _Attrs
from tasks.scenes.sampling import _pick, _sample_attrs

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
_PLURAL = {"cube": "cubes", "cylinder": "cylinders", "sphere": "spheres"}


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
