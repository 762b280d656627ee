"""Model loading and the tiny bundled Qwen2-VL.

Why a package of its own: loading a checkpoint (the right transformers class, dtype, device, a
processor that works without torchvision) is shared by every generation backend and trainer, and
the tiny model is what lets all of them run offline on a CPU. Names are resolved lazily so that
``import othink_bench.models`` stays cheap (transformers is imported on first use).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from othink_bench.models.image_only import (
        ImageOnlyQwen2_5_VLProcessor,
        ImageOnlyQwen2VLProcessor,
    )
    from othink_bench.models.image_settings import apply_image_budget
    from othink_bench.models.processor import (
        ModelLoadError,
        load_model,
        load_processor,
        torchvision_available,
    )
    from othink_bench.models.tiny import (
        DEFAULT_CORPUS,
        TinySpec,
        build_tiny,
        build_tokenizer,
        is_bundled_tiny,
        resolve_model,
    )

_EXPORTS = {
    "apply_image_budget": "othink_bench.models.image_settings",
    "ImageOnlyQwen2VLProcessor": "othink_bench.models.image_only",
    "ImageOnlyQwen2_5_VLProcessor": "othink_bench.models.image_only",
    "ModelLoadError": "othink_bench.models.processor",
    "load_model": "othink_bench.models.processor",
    "load_processor": "othink_bench.models.processor",
    "torchvision_available": "othink_bench.models.processor",
    "DEFAULT_CORPUS": "othink_bench.models.tiny",
    "TinySpec": "othink_bench.models.tiny",
    "build_tiny": "othink_bench.models.tiny",
    "build_tokenizer": "othink_bench.models.tiny",
    "is_bundled_tiny": "othink_bench.models.tiny",
    "resolve_model": "othink_bench.models.tiny",
}

__all__ = [
    "DEFAULT_CORPUS",
    "ImageOnlyQwen2VLProcessor",
    "ImageOnlyQwen2_5_VLProcessor",
    "ModelLoadError",
    "TinySpec",
    "apply_image_budget",
    "build_tiny",
    "build_tokenizer",
    "is_bundled_tiny",
    "load_model",
    "load_processor",
    "resolve_model",
    "torchvision_available",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
