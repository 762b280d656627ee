"""Tiny random-weight checkpoints of several VLM families, built offline from configs.

Each builder writes a complete folder the way the hub ships one - ``config.json`` and weights of
the family's stock model class, a locally trained byte-level BPE tokenizer with the family's
special tokens (named as its processor expects them), the family's chat-template shape, and the
family's stock processor with its PIL image processor - at a few hundred thousand parameters, so
each evaluates and trains in seconds on a CPU. Images are tiny (28-112 px sides).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from othink_bench.models.tiny import DEFAULT_CORPUS, QWEN2_SPLIT_PATTERN, build_tiny

TEXT = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 2, "num_key_value_heads": 1, "vocab_size": 400,
        "max_position_embeddings": 2048}
REASONING = ["<think>", "</think>", "<answer>", "</answer>"]


def tokenizer(specials: list[str], named: dict[str, str], chat_template: str, *, eos: str,
              pad: str, bos: str | None = None, vocab_size: int = 400) -> Any:
    """A byte-level BPE tokenizer trained on the tiny corpus, with ``specials`` as special
    tokens, ``named`` as the attributes processors read (``image_token`` ...), the reasoning
    tags as ordinary single tokens."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    n_added = len(specials) + len(REASONING)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - n_added, min_frequency=2,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(list(DEFAULT_CORPUS), trainer=trainer)
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in REASONING])
    out = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=eos, pad_token=pad, bos_token=bos, unk_token=None,
        padding_side="left", extra_special_tokens=named, clean_up_tokenization_spaces=False,
    )
    out.chat_template = chat_template
    assert len(out) <= vocab_size
    return out


def _template(user: str, image: str, end: str, assistant: str, *, bos: str = "") -> str:
    """A chat template of the usual shape: ``{bos}{user}{image}{text}{end}...{assistant}``."""
    return (
        bos + "{% for message in messages %}"
        "{% if message['role'] == 'user' %}" + user + "{% else %}" + assistant + "{% endif %}"
        "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
        "{% for part in message['content'] %}{% if part['type'] == 'image' %}" + image +
        "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}"
        + end + "{% endfor %}{% if add_generation_prompt %}" + assistant + "{% endif %}"
    )


def _ids(tok: Any, *names: str) -> list[int]:
    return [int(tok.convert_tokens_to_ids(n)) for n in names]


def _save(out: Path, model: Any, processor: Any, tok: Any, eos: list[str]) -> Path:
    from transformers import GenerationConfig

    pad = int(tok.pad_token_id)
    model.generation_config = GenerationConfig(eos_token_id=_ids(tok, *eos), pad_token_id=pad,
                                               do_sample=False)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def _seeded(cls: Any, config: Any) -> Any:
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return cls(config).float().eval()


# -- Qwen family ------------------------------------------------------------------------------

QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>",
                 "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
QWEN_TEMPLATE = _template("<|im_start|>user\n", "<|vision_start|><|image_pad|><|vision_end|>",
                          "<|im_end|>\n", "<|im_start|>assistant\n")


def _qwen_tokenizer() -> Any:
    return tokenizer(QWEN_SPECIALS, {"image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
                                     "vision_start_token": "<|vision_start|>",
                                     "vision_end_token": "<|vision_end|>"},
                     QWEN_TEMPLATE, eos="<|im_end|>", pad="<|endoftext|>")


def build_qwen2_vl(out: Path) -> Path:
    return build_tiny(out, seed=0)


def build_qwen2_5_vl(out: Path) -> Path:
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    from othink_bench.models.image_only import ImageOnlyQwen2_5_VLProcessor

    tok = _qwen_tokenizer()
    ids = dict(zip(QWEN_SPECIALS, _ids(tok, *QWEN_SPECIALS), strict=True))
    config = Qwen2_5_VLConfig(
        text_config={**TEXT, "rope_parameters": {"rope_type": "default", "rope_theta": 1e6,
                                                 "mrope_section": [2, 3, 3]},
                     "bos_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"],
                     "pad_token_id": ids["<|endoftext|>"]},
        vision_config={"depth": 2, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2,
                       "out_hidden_size": 32, "patch_size": 14, "spatial_merge_size": 2,
                       "temporal_patch_size": 2, "window_size": 56, "fullatt_block_indexes": [1]},
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
    )
    model = _seeded(Qwen2_5_VLForConditionalGeneration, config)
    ip = Qwen2VLImageProcessorPil(min_pixels=56 * 56, max_pixels=224 * 224, patch_size=14,
                                  temporal_patch_size=2, merge_size=2)
    processor = ImageOnlyQwen2_5_VLProcessor(ip, tok, chat_template=QWEN_TEMPLATE)
    return _save(out, model, processor, tok, ["<|im_end|>", "<|endoftext|>"])


def build_qwen3_vl(out: Path) -> Path:
    from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    from othink_bench.models.image_only import ImageOnlyQwen3VLProcessor

    tok = _qwen_tokenizer()
    ids = dict(zip(QWEN_SPECIALS, _ids(tok, *QWEN_SPECIALS), strict=True))
    config = Qwen3VLConfig(
        text_config={**TEXT, "head_dim": 16,
                     "rope_parameters": {"rope_type": "default", "rope_theta": 5e6,
                                         "mrope_section": [2, 3, 3], "mrope_interleaved": True},
                     "eos_token_id": ids["<|im_end|>"], "pad_token_id": ids["<|endoftext|>"]},
        vision_config={"depth": 2, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2,
                       "out_hidden_size": 32, "patch_size": 16, "spatial_merge_size": 2,
                       "temporal_patch_size": 2, "num_position_embeddings": 64,
                       "deepstack_visual_indexes": [1]},
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
    )
    model = _seeded(Qwen3VLForConditionalGeneration, config)
    # Qwen3-VL: patches of 16 px, 2x2 merged (32 px per token), mean/std 0.5
    ip = Qwen2VLImageProcessorPil(size={"shortest_edge": 64 * 64, "longest_edge": 128 * 128},
                                  patch_size=16, temporal_patch_size=2, merge_size=2,
                                  image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5])
    processor = ImageOnlyQwen3VLProcessor(ip, tok, chat_template=QWEN_TEMPLATE)
    return _save(out, model, processor, tok, ["<|im_end|>", "<|endoftext|>"])


# -- LLaVA 1.5 ----------------------------------------------------------------------------------


def build_llava(out: Path) -> Path:
    from transformers import (
        CLIPVisionConfig,
        LlamaConfig,
        LlavaConfig,
        LlavaForConditionalGeneration,
    )
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil
    from transformers.models.llava.processing_llava import LlavaProcessor

    specials = ["<s>", "</s>", "<pad>", "<image>"]
    template = _template("USER: ", "<image>\n", " ", "ASSISTANT: ", bos="<s>")
    tok = tokenizer(specials, {"image_token": "<image>"}, template, eos="</s>", pad="<pad>",
                    bos="<s>")
    bos, eos, pad, image = _ids(tok, *specials)
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=2, image_size=28, patch_size=14,
                                       projection_dim=32),
        text_config=LlamaConfig(**TEXT, bos_token_id=bos, eos_token_id=eos, pad_token_id=pad),
        image_token_id=image, vision_feature_layer=-1, vision_feature_select_strategy="default",
    )
    model = _seeded(LlavaForConditionalGeneration, config)
    ip = CLIPImageProcessorPil(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28})
    # CLIP adds a CLS token, which the "default" strategy drops: 2x2 = 4 image tokens
    processor = LlavaProcessor(ip, tok, patch_size=14, vision_feature_select_strategy="default",
                               chat_template=template, num_additional_image_tokens=1)
    return _save(out, model, processor, tok, ["</s>"])


# -- Idefics3 / SmolVLM -------------------------------------------------------------------------

IDEFICS_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<end_of_utterance>", "<image>",
                    "<fake_token_around_image>", "<global-img>"]
IDEFICS_TEMPLATE = _template("<|im_start|>User:", "<image>", "<end_of_utterance>\n",
                             "Assistant:")


def _idefics(out: Path, smol: bool) -> Path:
    from transformers import (
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        LlamaConfig,
        SmolVLMConfig,
        SmolVLMForConditionalGeneration,
    )
    from transformers.models.idefics3.image_processing_pil_idefics3 import (
        Idefics3ImageProcessorPil,
    )
    from transformers.models.idefics3.processing_idefics3 import Idefics3Processor

    named = {"image_token": "<image>", "fake_image_token": "<fake_token_around_image>",
             "global_image_token": "<global-img>", "end_of_utterance_token": "<end_of_utterance>"}
    tok = tokenizer(IDEFICS_SPECIALS, named, IDEFICS_TEMPLATE, eos="<end_of_utterance>",
                    pad="<|endoftext|>", bos="<|im_start|>")
    pad, bos, eos, image = _ids(tok, *IDEFICS_SPECIALS[:4])
    vision = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
              "num_attention_heads": 2, "image_size": 56, "patch_size": 14}
    text = LlamaConfig(**TEXT, bos_token_id=bos, eos_token_id=eos, pad_token_id=pad)
    # a 56 px crop is 4x4 patches, 2x2 pixel-shuffled: 4 tokens per crop
    common = {"vision_config": vision, "text_config": text, "scale_factor": 2,
              "image_token_id": image, "pad_token_id": pad}
    # 4 crops a side by default (the real ones: 4 x 364); a 12544-pixel budget makes that 2
    ip_kw = {"size": {"longest_edge": 224}, "max_image_size": {"longest_edge": 56}}
    if smol:
        from transformers.models.smolvlm.image_processing_pil_smolvlm import (
            SmolVLMImageProcessorPil,
        )

        from othink_bench.models.image_only import ImageOnlySmolVLMProcessor

        model = _seeded(SmolVLMForConditionalGeneration, SmolVLMConfig(**common))
        processor: Any = ImageOnlySmolVLMProcessor(SmolVLMImageProcessorPil(**ip_kw), tok,
                                                   chat_template=IDEFICS_TEMPLATE, image_seq_len=4)
    else:
        model = _seeded(Idefics3ForConditionalGeneration, Idefics3Config(**common))
        processor = Idefics3Processor(Idefics3ImageProcessorPil(**ip_kw), tok, image_seq_len=4,
                                      chat_template=IDEFICS_TEMPLATE)
    return _save(out, model, processor, tok, ["<end_of_utterance>"])


def build_idefics3(out: Path) -> Path:
    return _idefics(out, smol=False)


def build_smolvlm(out: Path) -> Path:
    return _idefics(out, smol=True)


# -- Gemma 3 ------------------------------------------------------------------------------------


def build_gemma3(out: Path) -> Path:
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration
    from transformers.models.gemma3.image_processing_pil_gemma3 import Gemma3ImageProcessorPil
    from transformers.models.gemma3.processing_gemma3 import Gemma3Processor

    specials = ["<pad>", "<eos>", "<bos>", "<start_of_turn>", "<end_of_turn>",
                "<start_of_image>", "<end_of_image>", "<image_soft_token>"]
    named = {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>",
             "image_token": "<image_soft_token>"}
    template = _template("<start_of_turn>user\n", "<start_of_image>", "<end_of_turn>\n",
                         "<start_of_turn>model\n", bos="<bos>")
    tok = tokenizer(specials, named, template, eos="<eos>", pad="<pad>", bos="<bos>")
    pad, eos, bos, _, eot, boi, eoi, image = _ids(tok, *specials)
    config = Gemma3Config(
        text_config={**TEXT, "head_dim": 16, "sliding_window": 64, "bos_token_id": bos,
                     "eos_token_id": [eos, eot], "pad_token_id": pad},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                       "num_attention_heads": 2, "image_size": 56, "patch_size": 14},
        mm_tokens_per_image=4, boi_token_index=boi, eoi_token_index=eoi, image_token_index=image,
    )
    model = _seeded(Gemma3ForConditionalGeneration, config)
    ip = Gemma3ImageProcessorPil(size={"height": 56, "width": 56})
    processor = Gemma3Processor(ip, tok, chat_template=template, image_seq_length=4)
    return _save(out, model, processor, tok, ["<eos>", "<end_of_turn>"])


# -- LLaVA-OneVision, InternVL -------------------------------------------------------------------


def build_llava_onevision(out: Path) -> Path:
    from transformers import LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration
    from transformers.models.llava_onevision.image_processing_pil_llava_onevision import (
        LlavaOnevisionImageProcessorPil,
    )

    from othink_bench.models.image_only import ImageOnlyLlavaOnevisionProcessor

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>", "<video>"]
    template = _template("<|im_start|>user ", "<image>\n", "<|im_end|>", "<|im_start|>assistant\n")
    tok = tokenizer(specials, {"image_token": "<image>", "video_token": "<video>"}, template,
                    eos="<|im_end|>", pad="<|endoftext|>")
    pad, _, eos, image, video = _ids(tok, *specials)
    pinpoints = [[28, 28], [28, 56], [56, 28], [56, 56]]
    config = LlavaOnevisionConfig(
        vision_config={"model_type": "siglip_vision_model", "hidden_size": 32,
                       "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "image_size": 28, "patch_size": 14},
        text_config={**TEXT, "model_type": "qwen2", "eos_token_id": eos, "pad_token_id": pad},
        image_token_index=image, video_token_index=video, image_grid_pinpoints=pinpoints,
        vision_feature_layer=-1, vision_feature_select_strategy="full",
        vision_aspect_ratio="anyres_max_9",
    )
    model = _seeded(LlavaOnevisionForConditionalGeneration, config)
    ip = LlavaOnevisionImageProcessorPil(size={"height": 28, "width": 28},
                                         image_grid_pinpoints=pinpoints)
    processor = ImageOnlyLlavaOnevisionProcessor(
        ip, tok, chat_template=template, num_image_tokens=4,
        vision_feature_select_strategy="full", vision_aspect_ratio="anyres_max_9",
    )
    return _save(out, model, processor, tok, ["<|im_end|>"])


def build_internvl(out: Path) -> Path:
    from transformers import InternVLConfig, InternVLForConditionalGeneration
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import (
        GotOcr2ImageProcessorPil,
    )

    from othink_bench.models.image_only import ImageOnlyInternVLProcessor

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<img>", "</img>",
                "<IMG_CONTEXT>", "<video>"]
    named = {"start_image_token": "<img>", "end_image_token": "</img>",
             "context_image_token": "<IMG_CONTEXT>", "video_token": "<video>"}
    template = _template("<|im_start|>user\n", "<IMG_CONTEXT>\n", "<|im_end|>\n",
                         "<|im_start|>assistant\n")
    tok = tokenizer(specials, named, template, eos="<|im_end|>", pad="<|endoftext|>")
    pad, _, eos, _, _, context, _ = _ids(tok, *specials)
    config = InternVLConfig(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                       "num_attention_heads": 2, "image_size": [28, 28], "patch_size": [14, 14]},
        text_config={**TEXT, "model_type": "qwen2", "eos_token_id": eos, "pad_token_id": pad},
        image_token_id=context, downsample_ratio=0.5, vision_feature_layer=-1,
    )
    model = _seeded(InternVLForConditionalGeneration, config)
    ip = GotOcr2ImageProcessorPil(size={"height": 28, "width": 28}, crop_to_patches=True,
                                  max_patches=4)
    processor = ImageOnlyInternVLProcessor(ip, tok, chat_template=template, image_seq_length=1)
    return _save(out, model, processor, tok, ["<|im_end|>"])


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "qwen2_vl": build_qwen2_vl,
    "qwen2_5_vl": build_qwen2_5_vl,
    "qwen3_vl": build_qwen3_vl,
    "llava": build_llava,
    "idefics3": build_idefics3,
    "gemma3": build_gemma3,
    "llava_onevision": build_llava_onevision,
    "smolvlm": build_smolvlm,
    "internvl": build_internvl,
}


def model_type(folder: Path) -> str:
    return str(json.loads((folder / "config.json").read_text())["model_type"])
