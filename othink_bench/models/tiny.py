"""A tiny, real Qwen2-VL checkpoint that is built offline from a config.

Why: the machines this project is built and tested on have no GPU and no hub access, so no
pretrained weights can be downloaded. Every backend, the harness and the trainers still need a
model to run end to end. This module builds one that is *architecturally* a Qwen2-VL checkpoint -
``Qwen2VLForConditionalGeneration`` weights, a byte-level BPE tokenizer with Qwen2-VL's special
tokens and pre-tokenizer, Qwen2-VL's chat template, the Qwen2-VL image processor, a generation
config - only about 2.3M parameters small. Anything that loads a Qwen2-VL folder (transformers,
TRL, the harness) treats it exactly like a real one, and it generates in milliseconds on a CPU.

The tokenizer is trained locally with the ``tokenizers`` library on :data:`DEFAULT_CORPUS`, text
shaped like the paper's prompts: counting questions and GeoQA-style geometry (with ``∠ ∥ ° √ π``).
Digits are always single tokens (Qwen2's pre-tokenizer isolates each ``\\p{N}``), and the reasoning
tags ``<think> </think> <answer> </answer>`` are each one *non-special* added token, so they
survive ``skip_special_tokens=True`` and a format reward can see them.

``resolve_model("tiny")`` returns the bundled trained checkpoint (``othink_bench/models/tiny_ckpt``)
when the package ships one, else a random-weight tiny built once into a cache folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "BUNDLED_TINY_DIR",
    "DEFAULT_CORPUS",
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

#: Bumped whenever :func:`build_tiny` would write a different folder for the same seed, so a
#: cached random tiny from an older version of this code is rebuilt instead of reused.
TINY_FORMAT_VERSION = 1

#: Where a trained tiny checkpoint ships inside the package (phase 2 fills it).
BUNDLED_TINY_DIR = Path(__file__).resolve().parent / "tiny_ckpt"

#: File written next to the weights recording how the folder was built.
MARKER_FILE = "othink_tiny.json"

# Qwen2-VL's special tokens, in the order Qwen's vocabulary lists them.
ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
VISION_START = "<|vision_start|>"
VISION_END = "<|vision_end|>"
IMAGE_PAD = "<|image_pad|>"
VIDEO_PAD = "<|video_pad|>"
SPECIAL_TOKENS: tuple[str, ...] = (
    ENDOFTEXT,
    IM_START,
    IM_END,
    VISION_START,
    VISION_END,
    IMAGE_PAD,
    VIDEO_PAD,
)
#: Added as ordinary (non-special) single tokens: decoding with skip_special_tokens keeps them.
REASONING_TAGS: tuple[str, ...] = ("<think>", "</think>", "<answer>", "</answer>")

# Qwen2's pre-tokenizer split: note ``\p{N}`` on its own, which makes every digit its own
# pre-token, so BPE can never merge digits and numbers stay digit-by-digit.
QWEN2_SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

#: The chat template of Qwen/Qwen2-VL-2B-Instruct (default system prompt, one
#: ``<|vision_start|><|image_pad|><|vision_end|>`` per image, optional generation prompt).
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

_PROMPT_SUFFIX = (
    " Output the thinking process in <think> </think> and final answer (number) in "
    "<answer> </answer> tags."
)

#: Text the tokenizer is trained on: the paper's prompt, counting and geometry questions, answer
#: forms (``80.0``, ``\\frac{12}{5}``, ``8√{3}``, ``140°``), the chat template's own words.
DEFAULT_CORPUS: tuple[str, ...] = (
    _PROMPT_SUFFIX,
    "How many items are there in the image?" + _PROMPT_SUFFIX,
    "How many objects are there in the image?" + _PROMPT_SUFFIX,
    "How many red cubes are there? How many cylinders are left after removing the spheres?",
    "How many big metal things are there? How many small rubber balls are there?",
    "Subtract all green cylinders. How many objects are left?",
    "Count the gray, blue, brown, yellow, cyan and purple shapes: cube, sphere, cylinder.",
    "<think> There are 3 cubes and 2 spheres, so 3 + 2 = 5 objects. </think> <answer> 5 </answer>",
    "<think> I count the objects one by one: 1, 2, 3, 4, 5, 6, 7. </think><answer>7</answer>",
    "<answer> 3 </answer> <answer> 10 </answer> <answer>8</answer>",
    "As shown in the figure, AB ∥ CD, ∠1 = 50°, then the degree of ∠2 is ()",
    "As shown in the figure, in triangle ABC, ∠C = 90°, AC = 8, BC = 6, then the length of AB is",
    "As shown in the figure, AB is the diameter of circle O, point C is on circle O, ∠BOC = 80.0,"
    " then ∠A is equal to ()",
    "In the parallelogram ABCD, the diagonals AC and BD intersect at point O, AB = 5 cm.",
    "The radius of the sector is 6, the central angle is 120°, so the arc length is 4π.",
    "The area of the circle is π r^2 = 25π; the side is √{3} and the height is 8√{3}.",
    "Choices: A: 40° B: 50° C: 60° D: 80° Answer: 140° 30° 45° 2√{5} \\frac{12}{5}cm",
    "<think> Since AB ∥ CD, ∠ABC = ∠BCD = 40°. The sum of angles in a triangle is 180°, so "
    "∠2 = 180° - 40° - 60° = 80°. </think> <answer> 80° </answer>",
    "<think> By the Pythagorean theorem, AB = √{AC^2 + BC^2} = √{64 + 36} = 10. </think>"
    " <answer> 10 </answer>",
    "The answer is \\frac{12}{5}, 8√{3}, 2π, 80.0, 12.5, 0.5, 3.14, 100, 1000.",
    "The height of the flagpole is 10米, the shadow is 4米 long; 米 means meter.",
    "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 25 30 36 45 60 90 120 180 360",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
    "<|vision_start|><|image_pad|><|vision_end|>How many items are there?<|im_end|>\n"
    "<|im_start|>assistant\n<think> ... </think> <answer> 4 </answer><|im_end|>",
    "the the the of of is is are are and and in in to to that that then then so so",
)


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


def build_tokenizer(corpus: Iterable[str], vocab_size: int) -> Any:
    """Train a byte-level BPE tokenizer in the shape of Qwen2's, offline, on ``corpus``.

    The result (a ``transformers.PreTrainedTokenizerFast``) has Qwen2's NFC normaliser and
    pre-tokenizer (digits split one by one), a byte-level alphabet (any text round-trips), the
    Qwen2-VL special tokens after the learned vocabulary, and the reasoning tags as single
    non-special tokens. ``len(tokenizer) <= vocab_size``. Deterministic for a given corpus.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    n_added = len(SPECIAL_TOKENS) + len(REASONING_TAGS)
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    if vocab_size < len(alphabet) + n_added:
        raise ValueError(f"vocab_size must be at least {len(alphabet) + n_added} (byte alphabet)")

    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_SPLIT_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - n_added,
        min_frequency=2,
        initial_alphabet=alphabet,
        special_tokens=[],
        show_progress=False,
    )
    # Markup tokens must not be learned piecewise: strip them from the training text.
    markup = (*SPECIAL_TOKENS, *REASONING_TAGS)

    def _clean(texts: Iterable[str]) -> Iterable[str]:
        for text in texts:
            for m in markup:
                text = text.replace(m, " ")
            yield text

    tok.train_from_iterator(_clean(corpus), trainer=trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in REASONING_TAGS])

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        unk_token=None,
        bos_token=None,
        padding_side="left",
        model_max_length=32768,
        clean_up_tokenization_spaces=False,
        split_special_tokens=False,
    )
    tokenizer.chat_template = QWEN2_VL_CHAT_TEMPLATE
    if len(tokenizer) > vocab_size:  # pragma: no cover - guarded by the trainer's vocab_size
        raise RuntimeError(f"tokenizer has {len(tokenizer)} tokens > vocab_size {vocab_size}")
    return tokenizer


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
