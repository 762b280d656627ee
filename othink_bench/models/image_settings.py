"""Image-size budgets per model family, written through each image processor's own keys.

The one place that knows how a family's image processor sizes images. A budget is what recipes
and the paper state: ``max_pixels`` (the largest image *area* given to the model, R1-V's
401408) and ``min_pixels`` (the smallest). Families express it differently, and a key written
into the wrong family means something else (one 112x112 image became 16,385 Idefics3 crops when
an area was written into its edge-length key) or is rejected, so each family gets its own
translation and a family without a size budget gets none:

============================  =================================================================
image processor (family)      what a budget becomes
============================  =================================================================
Qwen2VLImageProcessor         ``size = {"shortest_edge": min_pixels, "longest_edge": max_pixels}``
(Qwen2-VL, Qwen2.5-VL,        (both are pixel *areas* in transformers 5; the ``min_pixels`` /
Qwen3-VL)                     ``max_pixels`` attributes too where the processor still has them)
Idefics3ImageProcessor,       ``size["longest_edge"]``, an *edge length*: the largest multiple
SmolVLMImageProcessor         of the crop edge (``max_image_size["longest_edge"]``) whose square
                              fits in ``max_pixels``, at least one crop; ``min_pixels`` has no key
GotOcr2ImageProcessor         ``max_patches`` / ``min_patches``: how many tiles of
(InternVL)                    ``size["height"] x size["width"]`` fit the budget (with
                              ``crop_to_patches``; without it every image is one tile)
Gemma3, CLIP, Siglip, LLaVA   nothing: every image is resized to one fixed size the vision tower
                              was trained at; the budget is reported as not applicable
LlavaOnevision, LlavaNext     nothing: tiling follows ``image_grid_pinpoints``, which must match
                              the model's config
============================  =================================================================

:func:`apply_image_budget` is used by evaluation (the hf backend's ``max_pixels``/``min_pixels``)
and by training (``trainers.run.load_training_processor``); the processor a trainer saves with
its checkpoints carries the result.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["AppliedBudget", "apply_image_budget", "image_area_cap", "image_family"]

#: Image processor class (without its ``Pil``/``Fast`` backend suffix) -> how it is sized.
_FAMILIES: dict[str, str] = {
    "Qwen2VLImageProcessor": "area",
    "Idefics3ImageProcessor": "edge_crops",
    "SmolVLMImageProcessor": "edge_crops",
    "GotOcr2ImageProcessor": "tiles",
    "Gemma3ImageProcessor": "fixed",
    "CLIPImageProcessor": "fixed",
    "SiglipImageProcessor": "fixed",
    "LlavaImageProcessor": "fixed",
    "LlavaOnevisionImageProcessor": "pinpoints",
    "LlavaNextImageProcessor": "pinpoints",
}


@dataclass
class AppliedBudget:
    """What a budget became for one processor: the keys written, and what could not be."""

    family: str
    image_processor: str
    settings: dict[str, Any] = field(default_factory=dict)
    not_applied: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "image_processor": self.image_processor,
            "settings": self.settings,
            "not_applied": self.not_applied,
        }


def _base_name(image_processor: Any) -> str:
    return re.sub(r"(Pil|Fast)$", "", type(image_processor).__name__)


def image_family(image_processor: Any) -> str:
    """How an image processor is sized: ``area``, ``edge_crops``, ``tiles``, ``fixed``,
    ``pinpoints``, or ``unknown``."""
    return _FAMILIES.get(_base_name(image_processor), "unknown")


def _check(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValueError(f"{name} must be a positive integer (pixels of area), got {value!r}")


def apply_image_budget(
    processor: Any, *, max_pixels: int | None = None, min_pixels: int | None = None
) -> AppliedBudget:
    """Set the processor's image size from an area budget, through its family's own keys.

    ``processor`` is a multimodal processor (its ``image_processor`` is changed in place) or an
    image processor. What could not be applied is logged as a warning and listed in
    ``not_applied``; nothing is ever written to a key the family does not define.
    """
    _check("max_pixels", max_pixels)
    _check("min_pixels", min_pixels)
    if max_pixels is not None and min_pixels is not None and min_pixels > max_pixels:
        raise ValueError(f"min_pixels ({min_pixels}) must be <= max_pixels ({max_pixels})")
    ip = getattr(processor, "image_processor", processor)
    family = image_family(ip)
    out = AppliedBudget(family=family, image_processor=type(ip).__name__)
    if max_pixels is None and min_pixels is None:
        return out
    if family == "area":
        _area(ip, max_pixels, min_pixels, out)
    elif family == "edge_crops":
        _edge_crops(ip, max_pixels, min_pixels, out)
    elif family == "tiles":
        _tiles(ip, max_pixels, min_pixels, out)
    else:
        why = {
            "fixed": f"{out.image_processor} resizes every image to one fixed size "
            f"({_fixed_size(ip)}) that the vision tower was trained at; it has no size budget",
            "pinpoints": f"{out.image_processor} tiles images by image_grid_pinpoints, which "
            "must match the model's config; it has no size budget",
            "unknown": f"othink-bench does not know the image-size keys of {out.image_processor}"
            "; nothing was written",
        }[family]
        out.not_applied.append(f"max_pixels/min_pixels not applied: {why}")
    for note in out.not_applied:
        log.warning("%s", note)
    return out


def _area(ip: Any, max_pixels: int | None, min_pixels: int | None, out: AppliedBudget) -> None:
    size = {k: v for k, v in dict(getattr(ip, "size", None) or {}).items() if v is not None}
    if max_pixels is not None:
        size["longest_edge"] = max_pixels
    if min_pixels is not None:
        size["shortest_edge"] = min_pixels
    if size.get("shortest_edge", 0) > size.get("longest_edge", math.inf):
        size["shortest_edge"] = size["longest_edge"]  # a budget below the checkpoint's floor
    ip.size = size
    out.settings["size"] = dict(size)
    # transformers 4.x Qwen processors read these attributes rather than `size`
    for attr, key in (("max_pixels", "longest_edge"), ("min_pixels", "shortest_edge")):
        if getattr(ip, attr, None) is not None and key in size:
            setattr(ip, attr, size[key])
            out.settings[attr] = size[key]


def _edge_crops(
    ip: Any, max_pixels: int | None, min_pixels: int | None, out: AppliedBudget
) -> None:
    if max_pixels is not None:
        crop = int((getattr(ip, "max_image_size", None) or {}).get("longest_edge") or 0)
        edge = math.isqrt(max_pixels)
        if crop and getattr(ip, "do_image_splitting", False):
            edge = max(crop, edge // crop * crop)
        size = dict(getattr(ip, "size", None) or {})
        size["longest_edge"] = edge
        ip.size = size
        out.settings["size"] = dict(size)
    if min_pixels is not None:
        out.not_applied.append(
            f"min_pixels not applied: {out.image_processor} resizes the longest edge to "
            "size['longest_edge'] exactly; it has no smallest-size key"
        )


def _tiles(ip: Any, max_pixels: int | None, min_pixels: int | None, out: AppliedBudget) -> None:
    size = dict(getattr(ip, "size", None) or {})
    tile = int(size.get("height") or 0) * int(size.get("width") or 0)
    if not tile or not getattr(ip, "crop_to_patches", False):
        out.not_applied.append(
            f"max_pixels/min_pixels not applied: {out.image_processor} has crop_to_patches off, "
            f"so every image is one {size.get('height')}x{size.get('width')} tile"
        )
        return
    if max_pixels is not None:
        ip.max_patches = max(1, max_pixels // tile)
        out.settings["max_patches"] = ip.max_patches
    if min_pixels is not None:
        ip.min_patches = min(int(getattr(ip, "max_patches", 1)), max(1, -(-min_pixels // tile)))
        out.settings["min_patches"] = ip.min_patches


def _fixed_size(ip: Any) -> str:
    size = dict(getattr(ip, "crop_size", None) or getattr(ip, "size", None) or {})
    if "height" in size and "width" in size:
        return f"{size['height']}x{size['width']}"
    return ", ".join(f"{k}={v}" for k, v in size.items()) or "its default"


def image_area_cap(image_processor: Any) -> int | None:
    """The largest image area the processor passes on, where its family has one (Qwen:
    ``size['longest_edge']``); ``None`` otherwise. Used to estimate prompt lengths."""
    if image_family(image_processor) != "area":
        return None
    size = dict(getattr(image_processor, "size", None) or {})
    cap = size.get("longest_edge") or getattr(image_processor, "max_pixels", None)
    return int(cap) if cap else None
