"""A tiny, real Qwen2-VL checkpoint that is built offline from a config.

Why: the machines this project is built and tested on have no GPU and no hub access, so no
pretrained weights can be downloaded. Every backend, the harness and the trainers still need a
model to run end to end. :func:`build_tiny` builds one that is *architecturally* a Qwen2-VL
checkpoint - ``Qwen2VLForConditionalGeneration`` weights, a byte-level BPE tokenizer with
Qwen2-VL's special tokens and pre-tokenizer, Qwen2-VL's chat template, the Qwen2-VL image
processor, a generation config - only about 2.3M parameters small. Anything that loads a
Qwen2-VL folder (transformers, TRL, the harness) treats it exactly like a real one, and it
generates in milliseconds on a CPU.

The tokenizer and its training corpus live in :mod:`othink_bench.models.tiny_tokenizer`, the
architecture and the folder writer in :mod:`othink_bench.models.tiny_build`; this module resolves
the name ``tiny`` and keeps every public name of the three importable from here.

``resolve_model("tiny")`` returns the bundled trained checkpoint (``othink_bench/models/tiny_ckpt``)
when the package ships one, else a random-weight tiny built once into a cache folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from othink_bench.models.tiny_build import (
    MARKER_FILE,
    TINY_FORMAT_VERSION,
    TinySpec,
    build_tiny,
)
from othink_bench.models.tiny_tokenizer import (
    DEFAULT_CORPUS,
    QWEN2_SPLIT_PATTERN,
    QWEN2_VL_CHAT_TEMPLATE,
    REASONING_TAGS,
    SPECIAL_TOKENS,
    build_tokenizer,
)

__all__ = [
    "BUNDLED_TINY_DIR",
    "DEFAULT_CORPUS",
    "MARKER_FILE",
    "QWEN2_SPLIT_PATTERN",
    "QWEN2_VL_CHAT_TEMPLATE",
    "REASONING_TAGS",
    "SPECIAL_TOKENS",
    "TINY_FORMAT_VERSION",
    "TinySpec",
    "build_tiny",
    "build_tokenizer",
    "is_bundled_tiny",
    "resolve_model",
    "tiny_cache_dir",
]

#: Where a trained tiny checkpoint ships inside the package (phase 2 fills it).
BUNDLED_TINY_DIR = Path(__file__).resolve().parent / "tiny_ckpt"


def is_bundled_tiny() -> bool:
    """Whether the package ships a trained tiny checkpoint at :data:`BUNDLED_TINY_DIR`."""
    return (BUNDLED_TINY_DIR / "model.safetensors").is_file()


def tiny_cache_dir(seed: int = 0) -> Path:
    """Folder for the cached random tiny: ``$OTHINK_BENCH_CACHE`` or ``~/.cache/othink-bench``."""
    root = os.environ.get("OTHINK_BENCH_CACHE") or os.path.join("~", ".cache", "othink-bench")
    return Path(root).expanduser() / f"tiny-random-seed{seed}"


def _cache_is_current(folder: Path) -> bool:
    try:
        marker = json.loads((folder / MARKER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (folder / "model.safetensors").is_file() and (
        marker.get("format_version") == TINY_FORMAT_VERSION
    )


def resolve_model(name_or_path: str) -> str:
    """Map the name ``"tiny"`` to a checkpoint folder; return anything else unchanged.

    ``"tiny"`` is the bundled trained checkpoint when the package ships one, else a random tiny
    (seed 0) built once into :func:`tiny_cache_dir` and reused. The cache is written to a temporary
    sibling and renamed into place, so concurrent first uses never see a half-written folder.
    """
    if name_or_path != "tiny":
        return name_or_path
    if is_bundled_tiny():
        return str(BUNDLED_TINY_DIR)
    target = tiny_cache_dir(0)
    if _cache_is_current(target):
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
    try:
        build_tiny(tmp, seed=0)
        if target.exists() and not _cache_is_current(target):
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)
        except OSError:
            if not _cache_is_current(target):  # lost a race to a broken writer: surface it
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return str(target)
