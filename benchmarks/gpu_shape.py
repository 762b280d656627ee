"""A random-weight Qwen2-VL checkpoint of Qwen2-VL-2B-Instruct's exact shape, built offline.

Used by ``benchmarks/gpu_check.py``. No weights or tokenizer can be downloaded, so everything is
made here from a config:

* the model config: the public ``config.json`` of Qwen/Qwen2-VL-2B-Instruct, value by value
  (:data:`QWEN2_VL_2B`; read from copies of that file on the hub, e.g. lightonai/MonoQwen2-VL-v0.1,
  whose ``_name_or_path`` is Qwen/Qwen2-VL-2B-Instruct, and llmware/qwen2-vl-2b-instruct-ov; the
  vision tower there lists only ``hidden_size 1536, in_chans 3, spatial_patch_size 14`` and takes
  transformers' Qwen2-VL vision defaults for the rest: depth 32, embed_dim 1280, 16 heads,
  mlp_ratio 4, patch 14, temporal patch 2, merge 2, quick_gelu);
* the tokenizer: a byte-level BPE in Qwen2's form (its pre-tokenizer and normaliser, trained
  offline on the project's prompt corpus, then padded with filler tokens to Qwen2's 151643
  regular tokens) with Qwen2's 14 special tokens at their real ids (``<|endoftext|>`` 151643 ...
  ``<|video_pad|>`` 151656), so ``len(tokenizer)`` is 151657 as for the real one and the model's
  151936 embedding rows, the image/video/vision token ids and the eos/pad ids are those of the
  public config. Its merges are few, so real text encodes into more tokens than Qwen2's own
  tokenizer would make of it: prompt lengths here are an upper bound of the real ones;
* the image processor: ``preprocessor_config.json`` as published (min_pixels 3136, max_pixels
  12845056, patch 14, merge 2, CLIP mean/std), saved under the stock class names so the stock
  ``AutoProcessor`` (with torchvision) loads it, and the project's image-only processor without;
* the generation config: the public Qwen2-VL-2B one (eos [151645, 151643], pad 151643,
  repetition_penalty 1.05, top_k 1, top_p 0.001, temperature 0.1).

:data:`SHAPES` also holds ``tiny``, the same construction scaled down for the CPU dry run (small
widths and depths, and a 2048-row vocabulary with the special tokens at 1900-1913).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: Qwen/Qwen2-VL-2B-Instruct's config.json (transformers 4.46 form), the values used here.
QWEN2_VL_2B: dict[str, Any] = {
    "architectures": ["Qwen2VLForConditionalGeneration"],
    "model_type": "qwen2_vl",
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "hidden_act": "silu",
    "hidden_size": 1536,
    "image_token_id": 151655,
    "initializer_range": 0.02,
    "intermediate_size": 8960,
    "max_position_embeddings": 32768,
    "max_window_layers": 28,
    "num_attention_heads": 12,
    "num_hidden_layers": 28,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06,
    "rope_scaling": {"mrope_section": [16, 24, 24], "rope_type": "default", "type": "default"},
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "use_sliding_window": False,
    "video_token_id": 151656,
    "vision_config": {"hidden_size": 1536, "in_chans": 3, "model_type": "qwen2_vl",
                      "spatial_patch_size": 14},
    "vision_end_token_id": 151653,
    "vision_start_token_id": 151652,
    "vision_token_id": 151654,
    "vocab_size": 151936,
}

#: Qwen2's added tokens, in id order from 151643 (the first id after the regular vocabulary).
QWEN2_ADDED_TOKENS: tuple[str, ...] = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
)
QWEN2_REGULAR_TOKENS = 151643

#: The public Qwen2-VL-2B generation config without its token ids (those come from the tokenizer:
#: bos = pad = <|endoftext|>, eos = [<|im_end|>, <|endoftext|>]).
GENERATION_SETTINGS: dict[str, Any] = {
    "do_sample": True,
    "repetition_penalty": 1.05,
    "temperature": 0.1,
    "top_k": 1,
    "top_p": 0.001,
}


@dataclass(frozen=True)
class Shape:
    """The sizes that differ between the real shape and the CPU dry-run shape."""

    name: str
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    intermediate_size: int
    vision_depth: int
    vision_embed_dim: int
    vision_heads: int
    mrope_section: tuple[int, int, int]
    min_pixels: int = 3136
    max_pixels: int = 12845056
    vocab_size: int = 151936
    #: regular (BPE) tokens before the 14 special ones; Qwen2: 151643
    regular_tokens: int = QWEN2_REGULAR_TOKENS
    patch_size: int = 14
    spatial_merge_size: int = 2
    temporal_patch_size: int = 2
    vision_mlp_ratio: int = 4

    def __post_init__(self) -> None:
        head_dim = self.hidden_size // self.num_heads
        if sum(self.mrope_section) * 2 != head_dim:
            raise ValueError(f"{self.name}: mrope_section must sum to head_dim/2 = {head_dim // 2}")
        if self.vocab_size < self.regular_tokens + len(QWEN2_ADDED_TOKENS):
            raise ValueError(f"{self.name}: vocab_size must hold the tokenizer's tokens")


SHAPES: dict[str, Shape] = {
    # Qwen2-VL-2B-Instruct: every size as in its public config.
    "2b": Shape("2b", hidden_size=1536, num_layers=28, num_heads=12, num_kv_heads=2,
                intermediate_size=8960, vision_depth=32, vision_embed_dim=1280, vision_heads=16,
                mrope_section=(16, 24, 24)),
    # CPU dry run: small widths and depths, a 2048-row vocabulary (TRL scores every position
    # over the whole vocabulary on CPUs, so 151936 rows would dominate the dry run), the same
    # tokenizer construction with the special tokens at 1900-1913; images capped at 112x112.
    "tiny": Shape("tiny", hidden_size=64, num_layers=2, num_heads=4, num_kv_heads=2,
                  intermediate_size=128, vision_depth=2, vision_embed_dim=64, vision_heads=4,
                  mrope_section=(2, 3, 3), min_pixels=56 * 56, max_pixels=112 * 112,
                  vocab_size=2048, regular_tokens=1900),
}


def _filler(i: int) -> str:
    """The i-th filler token: 'Ġ' (a space, byte-level) and 3+ lowercase letters, all distinct."""
    letters = []
    i += 26 * 26 * 26  # at least three letters, so fillers never shadow short learned pieces
    while i:
        i, r = divmod(i, 26)
        letters.append(chr(97 + r))
    return "Ġ" + "".join(reversed(letters))


def build_qwen2_tokenizer(corpus: list[str] | None = None,
                          regular_tokens: int = QWEN2_REGULAR_TOKENS) -> Any:
    """A Qwen2-shaped tokenizer: ``regular_tokens`` BPE tokens, then Qwen2's 14 special tokens
    (with the default, Qwen2's vocabulary size and special-token ids; see the module)."""
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

    from othink_bench.models.tiny import DEFAULT_CORPUS, QWEN2_SPLIT_PATTERN, QWEN2_VL_CHAT_TEMPLATE

    def shaped(model: Any) -> Any:
        tok = Tokenizer(model)
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(QWEN2_SPLIT_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ])
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        return tok

    def clean(text: str) -> str:  # special tokens are never learned piecewise
        for special in QWEN2_ADDED_TOKENS:
            text = text.replace(special, " ")
        return text

    texts = [clean(t) for t in (corpus or list(DEFAULT_CORPUS))]
    learner = shaped(models.BPE(unk_token=None, byte_fallback=False))
    learner.train_from_iterator(texts, trainer=trainers.BpeTrainer(
        vocab_size=4096, min_frequency=2, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[]))
    learned = json.loads(learner.to_str())["model"]
    vocab: dict[str, int] = dict(learned["vocab"])
    merges: list[tuple[str, str]] = []
    for m in learned["merges"]:
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        merges.append((str(a), str(b)))
    i = 0
    if len(vocab) > regular_tokens:
        raise ValueError(f"the learned vocabulary ({len(vocab)}) exceeds {regular_tokens} tokens")
    while len(vocab) < regular_tokens:
        piece = _filler(i)
        i += 1
        if piece not in vocab:
            vocab[piece] = len(vocab)
    tok = shaped(models.BPE(vocab=vocab, merges=merges, unk_token=None, byte_fallback=False))
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t in QWEN2_ADDED_TOKENS])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None,
        bos_token=None, padding_side="left", model_max_length=32768,
        clean_up_tokenization_spaces=False, split_special_tokens=False,
    )
    tokenizer.chat_template = QWEN2_VL_CHAT_TEMPLATE
    ids = [tokenizer.convert_tokens_to_ids(t) for t in QWEN2_ADDED_TOKENS]
    if ids != list(range(regular_tokens, regular_tokens + len(ids))):
        raise RuntimeError(f"special tokens landed at {ids}, not after the regular ones")
    return tokenizer


def special_ids(tokenizer: Any) -> dict[str, int]:
    return {t: int(tokenizer.convert_tokens_to_ids(t)) for t in QWEN2_ADDED_TOKENS}


def generation_config(ids: dict[str, int]) -> dict[str, Any]:
    eot, im_end = ids["<|endoftext|>"], ids["<|im_end|>"]
    return {"bos_token_id": eot, "pad_token_id": eot, "eos_token_id": [im_end, eot],
            **GENERATION_SETTINGS}


def model_config(shape: Shape, ids: dict[str, int]) -> Any:
    """The ``Qwen2VLConfig`` of a shape: the 2B values, sizes from ``shape``, token ids from the
    tokenizer (for the 2B shape they are the public config's, which is checked)."""
    from transformers import Qwen2VLConfig

    c = QWEN2_VL_2B
    top: dict[str, Any] = {"image_token_id": ids["<|image_pad|>"], "video_token_id": ids["<|video_pad|>"],
           "vision_start_token_id": ids["<|vision_start|>"],
           "vision_end_token_id": ids["<|vision_end|>"]}
    if shape.regular_tokens == QWEN2_REGULAR_TOKENS:
        for key, value in top.items():
            if c[key] != value:  # pragma: no cover - guarded by build_qwen2_tokenizer
                raise RuntimeError(f"{key} {value} differs from the public {c[key]}")
    text = {
        "vocab_size": shape.vocab_size,
        "hidden_size": shape.hidden_size,
        "intermediate_size": shape.intermediate_size,
        "num_hidden_layers": shape.num_layers,
        "num_attention_heads": shape.num_heads,
        "num_key_value_heads": shape.num_kv_heads,
        "hidden_act": c["hidden_act"],
        "max_position_embeddings": c["max_position_embeddings"],
        "initializer_range": c["initializer_range"],
        "rms_norm_eps": c["rms_norm_eps"],
        "use_sliding_window": c["use_sliding_window"],
        "sliding_window": c["sliding_window"],
        "max_window_layers": shape.num_layers,
        "attention_dropout": c["attention_dropout"],
        "rope_parameters": {"rope_type": "default", "rope_theta": c["rope_theta"],
                            "mrope_section": list(shape.mrope_section)},
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "tie_word_embeddings": c["tie_word_embeddings"],
    }
    vision = {
        "depth": shape.vision_depth,
        "embed_dim": shape.vision_embed_dim,
        "hidden_size": shape.hidden_size,
        "hidden_act": "quick_gelu",
        "mlp_ratio": shape.vision_mlp_ratio,
        "num_heads": shape.vision_heads,
        "in_channels": 3,
        "patch_size": shape.patch_size,
        "spatial_merge_size": shape.spatial_merge_size,
        "temporal_patch_size": shape.temporal_patch_size,
    }
    return Qwen2VLConfig(text_config=text, vision_config=vision,
                         tie_word_embeddings=c["tie_word_embeddings"], **top)


def _preprocessor_config(shape: Shape) -> dict[str, Any]:
    return {
        "min_pixels": shape.min_pixels,
        "max_pixels": shape.max_pixels,
        "patch_size": shape.patch_size,
        "temporal_patch_size": shape.temporal_patch_size,
        "merge_size": shape.spatial_merge_size,
        "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711],
        "image_processor_type": "Qwen2VLImageProcessor",
        "processor_class": "Qwen2VLProcessor",
    }


def build_checkpoint(out: str | Path, shape: Shape, *, dtype: Any, device: str,
                     seed: int = 0) -> dict[str, Any]:
    """Write a random-weight checkpoint folder of ``shape``; return what was built and how fast.

    The weights are initialised directly on ``device`` in ``dtype`` (on a GPU: seconds for 2.2B
    parameters) with transformers' own initialisation, then saved as safetensors.
    """
    import torch
    from transformers import GenerationConfig, Qwen2VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    from othink_bench.models.image_only import ImageOnlyQwen2VLProcessor
    from othink_bench.models.tiny import QWEN2_VL_CHAT_TEMPLATE

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tokenizer = build_qwen2_tokenizer(regular_tokens=shape.regular_tokens)
    t_tok = time.perf_counter() - t0
    ids = special_ids(tokenizer)
    config = model_config(shape, ids)
    t0 = time.perf_counter()
    devices = [torch.device(device)] if str(device).startswith("cuda") else []
    with torch.random.fork_rng(devices=devices), torch.device(device):
        torch.manual_seed(seed)
        model = Qwen2VLForConditionalGeneration._from_config(config, dtype=dtype)
    model.generation_config = GenerationConfig(**generation_config(ids))
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
    t_init = time.perf_counter() - t0
    params = sum(p.numel() for p in model.parameters())

    t0 = time.perf_counter()
    model.save_pretrained(out)
    del model
    processor = ImageOnlyQwen2VLProcessor(
        image_processor=Qwen2VLImageProcessorPil(
            min_pixels=shape.min_pixels, max_pixels=shape.max_pixels,
            patch_size=shape.patch_size, temporal_patch_size=shape.temporal_patch_size,
            merge_size=shape.spatial_merge_size),
        tokenizer=tokenizer, chat_template=QWEN2_VL_CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)
    (out / "preprocessor_config.json").write_text(
        json.dumps(_preprocessor_config(shape), indent=2) + "\n", encoding="utf-8")
    _compat_keys(out, shape)
    t_save = time.perf_counter() - t0
    if str(device).startswith("cuda"):
        torch.cuda.empty_cache()
    weights = sum(f.stat().st_size for f in out.glob("*.safetensors"))
    return {
        "shape": asdict(shape),
        "parameters": params,
        "tokenizer_size": len(tokenizer),
        "special_ids": ids,
        "dtype": str(dtype).replace("torch.", ""),
        "weights_bytes": weights,
        "tokenizer_s": t_tok,
        "init_s": t_init,
        "save_s": t_save,
        "path": str(out),
    }


def _compat_keys(out: Path, shape: Shape) -> None:
    """The 4.x spellings of the rotary settings and tokenizer class, as a hub folder has them."""
    path = out / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    text = config.get("text_config", {})
    text["rope_scaling"] = {"type": "mrope", "mrope_section": list(shape.mrope_section)}
    text["rope_theta"] = QWEN2_VL_2B["rope_theta"]
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tok_path = out / "tokenizer_config.json"
    tok = json.loads(tok_path.read_text(encoding="utf-8"))
    tok["tokenizer_class"] = "Qwen2Tokenizer"
    tok_path.write_text(json.dumps(tok, indent=2, sort_keys=True) + "\n", encoding="utf-8")
