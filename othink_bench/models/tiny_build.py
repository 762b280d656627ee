"""The tiny Qwen2-VL's architecture (:class:`TinySpec`) and :func:`build_tiny`, which writes a
complete checkpoint folder from it offline: weights, tokenizer, processor, generation config.

The folder names the stock Qwen2-VL classes and also carries the keys transformers 4.x and vLLM
read, so anything that loads a Qwen2-VL folder treats it like a real one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from othink_bench.models.tiny_tokenizer import (
    DEFAULT_CORPUS,
    ENDOFTEXT,
    IM_END,
    IMAGE_PAD,
    QWEN2_VL_CHAT_TEMPLATE,
    SPECIAL_TOKENS,
    VIDEO_PAD,
    VISION_END,
    VISION_START,
    build_tokenizer,
)

#: Bumped whenever :func:`build_tiny` would write a different folder for the same seed, so a
#: cached random tiny from an older version of this code is rebuilt instead of reused.
TINY_FORMAT_VERSION = 1

#: File written next to the weights recording how the folder was built.
MARKER_FILE = "othink_tiny.json"


@dataclass(frozen=True)
class TinySpec:
    """The architecture of the tiny Qwen2-VL (defaults give about 2.3M parameters).

    Vision tower (Qwen2-VL ViT): ``vision_embed_dim`` width, ``vision_depth`` blocks,
    ``vision_heads`` heads, MLP ``vision_mlp_ratio`` x width, ``patch_size`` pixels per patch side,
    ``temporal_patch_size`` frames per patch (an image is repeated to fill it), and
    ``spatial_merge_size`` x ``spatial_merge_size`` patches merged into one language token.

    Language model (Qwen2): ``hidden_size`` width, ``num_layers`` decoder layers,
    ``num_heads`` query heads and ``num_kv_heads`` key/value heads (grouped-query attention),
    ``intermediate_size`` SwiGLU width, ``vocab_size`` embedding rows (the tokenizer is trained to
    fit inside it), ``max_position_embeddings`` context, ``rope_theta`` and ``mrope_section``
    (multimodal RoPE split of the rotary half-dimension into temporal/height/width; must sum to
    ``hidden_size // num_heads // 2``), ``tie_word_embeddings`` as in Qwen2-VL-2B.

    Images: ``image_size`` is the side the tiny is meant for; ``min_pixels``/``max_pixels`` bound
    the image processor's resize. The defaults make a 112x112 image an 8x8 patch grid, i.e.
    16 image tokens after the 2x2 merge, and downscale larger images to at most that.
    """

    # vision tower
    vision_embed_dim: int = 128
    vision_depth: int = 4
    vision_heads: int = 4
    vision_mlp_ratio: int = 4
    patch_size: int = 14
    temporal_patch_size: int = 2
    spatial_merge_size: int = 2
    # language model
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 2
    intermediate_size: int = 512
    vocab_size: int = 384
    max_position_embeddings: int = 4096
    rope_theta: float = 1_000_000.0
    mrope_section: tuple[int, int, int] = (4, 6, 6)
    rms_norm_eps: float = 1e-6
    tie_word_embeddings: bool = True
    # images
    image_size: int = 112
    min_pixels: int = 56 * 56
    max_pixels: int = 112 * 112

    def __post_init__(self) -> None:
        head_dim = self.hidden_size // self.num_heads
        if self.hidden_size % self.num_heads or self.num_heads % self.num_kv_heads:
            raise ValueError("hidden_size must divide by num_heads, num_heads by num_kv_heads")
        if sum(self.mrope_section) * 2 != head_dim:
            raise ValueError(
                f"mrope_section {self.mrope_section} must sum to head_dim/2 = {head_dim // 2}"
            )
        if self.vision_embed_dim % self.vision_heads:
            raise ValueError("vision_embed_dim must divide by vision_heads")
        if self.min_pixels > self.max_pixels:
            raise ValueError("min_pixels must not exceed max_pixels")

    @property
    def image_tokens(self) -> int:
        """Language tokens one ``image_size`` x ``image_size`` image becomes."""
        side = self.image_size // self.patch_size
        return (side * side) // (self.spatial_merge_size**2)


def _model_config(spec: TinySpec, tokenizer: Any) -> Any:
    from transformers import Qwen2VLConfig

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    text_config = {
        "vocab_size": spec.vocab_size,
        "hidden_size": spec.hidden_size,
        "intermediate_size": spec.intermediate_size,
        "num_hidden_layers": spec.num_layers,
        "num_attention_heads": spec.num_heads,
        "num_key_value_heads": spec.num_kv_heads,
        "hidden_act": "silu",
        "max_position_embeddings": spec.max_position_embeddings,
        "rms_norm_eps": spec.rms_norm_eps,
        "use_sliding_window": False,
        "max_window_layers": spec.num_layers,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": spec.rope_theta,
            "mrope_section": list(spec.mrope_section),
        },
        "bos_token_id": ids[ENDOFTEXT],
        "eos_token_id": ids[IM_END],
        "pad_token_id": ids[ENDOFTEXT],
        "tie_word_embeddings": spec.tie_word_embeddings,
    }
    vision_config = {
        "depth": spec.vision_depth,
        "embed_dim": spec.vision_embed_dim,
        "hidden_size": spec.hidden_size,  # the merger projects into the language model's width
        "hidden_act": "quick_gelu",
        "mlp_ratio": spec.vision_mlp_ratio,
        "num_heads": spec.vision_heads,
        "in_channels": 3,
        "patch_size": spec.patch_size,
        "spatial_merge_size": spec.spatial_merge_size,
        "temporal_patch_size": spec.temporal_patch_size,
    }
    return Qwen2VLConfig(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=ids[IMAGE_PAD],
        video_token_id=ids[VIDEO_PAD],
        vision_start_token_id=ids[VISION_START],
        vision_end_token_id=ids[VISION_END],
        tie_word_embeddings=spec.tie_word_embeddings,
    )


def _image_processor(spec: TinySpec) -> Any:
    # The PIL backend needs no torchvision; its saved config loads into either backend.
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    return Qwen2VLImageProcessorPil(
        min_pixels=spec.min_pixels,
        max_pixels=spec.max_pixels,
        patch_size=spec.patch_size,
        temporal_patch_size=spec.temporal_patch_size,
        merge_size=spec.spatial_merge_size,
    )


def _preprocessor_config(spec: TinySpec) -> dict[str, Any]:
    """The classic flat ``preprocessor_config.json`` a Qwen2-VL hub folder carries."""
    return {
        "image_processor_type": "Qwen2VLImageProcessor",
        "processor_class": "Qwen2VLProcessor",
        "do_resize": True,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "do_convert_rgb": True,
        "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711],
        "resample": 3,
        "min_pixels": spec.min_pixels,
        "max_pixels": spec.max_pixels,
        "size": {"shortest_edge": spec.min_pixels, "longest_edge": spec.max_pixels},
        "patch_size": spec.patch_size,
        "temporal_patch_size": spec.temporal_patch_size,
        "merge_size": spec.spatial_merge_size,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _add_compat_keys(out: Path, spec: TinySpec) -> None:
    """Make the folder read like a hub Qwen2-VL folder to transformers 4.x and vLLM too.

    transformers 5 writes the rotary settings as ``rope_parameters``; 4.x reads ``rope_scaling``
    (``type: mrope``) and ``rope_theta``, and names the tokenizer ``Qwen2Tokenizer`` rather than
    the 5.x-only ``TokenizersBackend``. transformers 5 reads these keys back to the same config and
    the same tokenizer (``tokenizer.json`` is authoritative either way).
    """
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    text = config.get("text_config", {})
    text["rope_scaling"] = {"type": "mrope", "mrope_section": list(spec.mrope_section)}
    text["rope_theta"] = spec.rope_theta
    _write_json(out / "config.json", config)
    tok_config = json.loads((out / "tokenizer_config.json").read_text(encoding="utf-8"))
    tok_config["tokenizer_class"] = "Qwen2Tokenizer"
    _write_json(out / "tokenizer_config.json", tok_config)


def build_tiny(
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    spec: TinySpec = TinySpec(),
    corpus: Iterable[str] | None = None,
) -> Path:
    """Write a complete tiny Qwen2-VL checkpoint folder to ``out_dir`` and return its path.

    The folder holds ``config.json``, ``model.safetensors``, ``generation_config.json``, the
    tokenizer files, ``chat_template.jinja``, ``processor_config.json`` and
    ``preprocessor_config.json`` (all naming the stock Qwen2-VL classes), and ``othink_tiny.json``
    (how it was built). Weights come from ``torch.manual_seed(seed)`` inside a forked RNG, so the
    same seed gives identical weights and the caller's RNG state is untouched.
    """
    import torch
    from transformers import GenerationConfig, Qwen2VLForConditionalGeneration

    from othink_bench.models.image_only import ImageOnlyQwen2VLProcessor

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    texts = list(DEFAULT_CORPUS if corpus is None else corpus)
    tokenizer = build_tokenizer(texts, spec.vocab_size)
    config = _model_config(spec, tokenizer)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2VLForConditionalGeneration(config).float().eval()

    im_end = tokenizer.convert_tokens_to_ids(IM_END)
    eot = tokenizer.convert_tokens_to_ids(ENDOFTEXT)
    model.generation_config = GenerationConfig(
        bos_token_id=eot,
        eos_token_id=[im_end, eot],
        pad_token_id=eot,
        do_sample=False,
    )
    model.save_pretrained(out)

    processor = ImageOnlyQwen2VLProcessor(
        image_processor=_image_processor(spec),
        tokenizer=tokenizer,
        chat_template=QWEN2_VL_CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)
    _write_json(out / "preprocessor_config.json", _preprocessor_config(spec))
    _add_compat_keys(out, spec)
    marker = {
        "format_version": TINY_FORMAT_VERSION,
        "seed": seed,
        "spec": asdict(spec),
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "tokenizer_size": len(tokenizer),
        "image_tokens_per_image": spec.image_tokens,
        "trained": False,
    }
    _write_json(out / MARKER_FILE, marker)
    return out
