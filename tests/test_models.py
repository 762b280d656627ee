"""The tiny Qwen2-VL and the checkpoint/processor loaders, end to end on a CPU, offline.

The tiny model stands in for Qwen2-VL everywhere tests need a real model, so these tests pin what
the rest of the project relies on: it is a stock transformers Qwen2-VL folder, its processor works
without torchvision and expands one 112x112 image to exactly 16 image tokens, it generates with a
left-padded batch, its tokenizer keeps digits and reasoning tags as single tokens, it is
reproducible from a seed, and TRL's GRPOTrainer can train it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from othink_bench.models import processor as proc_mod
from othink_bench.models import tiny as tiny_mod
from othink_bench.models.image_only import ImageOnlyQwen2_5_VLProcessor, ImageOnlyQwen2VLProcessor
from othink_bench.models.processor import (
    ModelLoadError,
    load_model,
    load_processor,
)
from othink_bench.models.tiny import REASONING_TAGS, SPECIAL_TOKENS, TinySpec, build_tiny

PROMPT_SUFFIX = (
    " Output the thinking process in <think> </think> and final answer (number) in "
    "<answer> </answer> tags."
)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("tiny") / "ckpt", seed=0)


@pytest.fixture
def no_torchvision(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the image-only path even where torchvision happens to be installed."""
    monkeypatch.setattr(proc_mod, "torchvision_available", lambda: False)


def _image(color: tuple[int, int, int] = (30, 160, 90), size: int = 112) -> Image.Image:
    return Image.new("RGB", (size, size), color)


def _chat(question: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]


# --- the folder ----------------------------------------------------------------------------


def test_build_writes_a_stock_qwen2_vl_folder(tiny_dir: Path) -> None:
    for name in (
        "config.json",
        "model.safetensors",
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "chat_template.jinja",
        "processor_config.json",
        "preprocessor_config.json",
    ):
        assert (tiny_dir / name).is_file(), name
    config = json.loads((tiny_dir / "config.json").read_text())
    assert config["model_type"] == "qwen2_vl"
    assert config["architectures"] == ["Qwen2VLForConditionalGeneration"]
    pre = json.loads((tiny_dir / "preprocessor_config.json").read_text())
    assert pre["processor_class"] == "Qwen2VLProcessor"
    assert pre["min_pixels"] <= 112 * 112 <= pre["max_pixels"]
    assert json.loads((tiny_dir / "processor_config.json").read_text())["processor_class"] == (
        "Qwen2VLProcessor"
    )
    assert json.loads((tiny_dir / "tokenizer_config.json").read_text())["eos_token"] == "<|im_end|>"
    gen = json.loads((tiny_dir / "generation_config.json").read_text())
    tok = load_processor(tiny_dir).tokenizer
    assert tok.convert_tokens_to_ids("<|im_end|>") in gen["eos_token_id"]
    assert gen["pad_token_id"] == tok.pad_token_id
    assert TinySpec().image_tokens == 16


# --- processor ---------------------------------------------------------------------------


def test_image_only_processor_gives_16_image_tokens(tiny_dir: Path, no_torchvision: None) -> None:
    from transformers import AutoImageProcessor, Qwen2VLProcessor

    processor = load_processor(tiny_dir)
    assert isinstance(processor, ImageOnlyQwen2VLProcessor)
    assert isinstance(processor, Qwen2VLProcessor)
    assert not hasattr(processor, "video_processor")

    text = processor.apply_chat_template(
        _chat("How many items are there?" + PROMPT_SUFFIX), add_generation_prompt=True
    )
    assert "<|vision_start|><|image_pad|><|vision_end|>" in text
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n")
    assert text.endswith("<|im_start|>assistant\n")

    img = _image()
    inputs = processor(images=[img], text=[text], return_tensors="pt")
    assert int((inputs["input_ids"] == processor.image_token_id).sum()) == 16
    assert inputs["image_grid_thw"].tolist() == [[1, 8, 8]]
    assert tuple(inputs["pixel_values"].shape) == (64, 3 * 2 * 14 * 14)
    # pixel values are exactly the stock image processor's
    stock = AutoImageProcessor.from_pretrained(tiny_dir)(images=[img], return_tensors="pt")
    assert torch.equal(inputs["pixel_values"], stock["pixel_values"])
    assert torch.equal(inputs["image_grid_thw"], stock["image_grid_thw"])

    # the tokenize=True path TRL uses returns the same tensors
    conv = [
        {
            "role": "user",
            "content": [{"type": "image", "image": img}, {"type": "text", "text": "Hi"}],
        }
    ]
    out = processor.apply_chat_template(
        [conv], add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt"
    )
    assert int((out["input_ids"] == processor.image_token_id).sum()) == 16
    assert {"pixel_values", "image_grid_thw"} <= set(out)

    with pytest.raises(ValueError, match="image-only"):
        processor(
            images=[img], text=["<|vision_start|><|video_pad|><|vision_end|>"], videos=[[img]]
        )


@pytest.mark.skipif(not proc_mod.torchvision_available(), reason="needs torchvision")
def test_stock_processor_matches_image_only(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock = load_processor(tiny_dir)
    monkeypatch.setattr(proc_mod, "torchvision_available", lambda: False)
    only = load_processor(tiny_dir)
    text = only.apply_chat_template(_chat("How many?"), add_generation_prompt=True)
    img = _image(size=150)
    a = stock(images=[img], text=[text], return_tensors="pt")
    b = only(images=[img], text=[text], return_tensors="pt")
    assert torch.equal(a["input_ids"], b["input_ids"])
    assert torch.equal(a["image_grid_thw"], b["image_grid_thw"])
    assert torch.allclose(a["pixel_values"], b["pixel_values"], atol=2e-2)


def test_image_only_processor_saves_under_stock_names(
    tiny_dir: Path, tmp_path: Path, no_torchvision: None
) -> None:
    processor = load_processor(tiny_dir)
    processor.save_pretrained(tmp_path)
    for name in ("processor_config.json", "tokenizer_config.json"):
        assert json.loads((tmp_path / name).read_text())["processor_class"] == "Qwen2VLProcessor"
    (tmp_path / "config.json").write_text((tiny_dir / "config.json").read_text())
    again = load_processor(tmp_path)
    assert again.tokenizer.get_vocab() == processor.tokenizer.get_vocab()


def test_qwen2_5_vl_checkpoints_get_the_qwen2_5_processor(
    tiny_dir: Path, tmp_path: Path, no_torchvision: None
) -> None:
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    base = json.loads((tiny_dir / "config.json").read_text())
    text_cfg = {k: v for k, v in base["text_config"].items() if k != "model_type"}
    cfg = Qwen2_5_VLConfig(
        text_config=text_cfg,
        vision_config={
            "depth": 1,
            "hidden_size": 32,
            "out_hidden_size": 128,
            "num_heads": 2,
            "intermediate_size": 64,
            "fullatt_block_indexes": [0],
        },
        image_token_id=base["image_token_id"],
        video_token_id=base["video_token_id"],
        vision_start_token_id=base["vision_start_token_id"],
        vision_end_token_id=base["vision_end_token_id"],
    )
    cfg.save_pretrained(tmp_path)
    for f in tiny_dir.iterdir():
        if f.name not in ("config.json", "model.safetensors"):
            (tmp_path / f.name).write_bytes(f.read_bytes())
    processor = load_processor(tmp_path)
    assert isinstance(processor, ImageOnlyQwen2_5_VLProcessor)
    text = processor.apply_chat_template(_chat("How many?"), add_generation_prompt=True)
    inputs = processor(images=[_image()], text=[text], return_tensors="pt")
    assert int((inputs["input_ids"] == processor.image_token_id).sum()) == 16
    assert proc_mod._model_class(cfg) is Qwen2_5_VLForConditionalGeneration


# --- model -------------------------------------------------------------------------------


def test_generate_left_padded_batch(tiny_dir: Path, no_torchvision: None) -> None:
    from transformers import Qwen2VLForConditionalGeneration

    model, processor = load_model(tiny_dir)  # dtype and device "auto"
    assert isinstance(model, Qwen2VLForConditionalGeneration)
    on_gpu = torch.cuda.is_available()
    assert model.device.type == ("cuda" if on_gpu else "cpu")
    assert model.dtype == (torch.bfloat16 if on_gpu else torch.float32)
    assert not model.training
    assert 1_000_000 < sum(p.numel() for p in model.parameters()) < 8_000_000

    processor.tokenizer.padding_side = "left"
    texts = [
        processor.apply_chat_template(_chat("How many?"), add_generation_prompt=True),
        processor.apply_chat_template(
            _chat("As shown in the figure, AB ∥ CD, ∠1 = 50°, then ∠2 is ()" + PROMPT_SUFFIX),
            add_generation_prompt=True,
        ),
    ]
    imgs = [_image((10, 200, 30)), _image((200, 20, 30))]
    batch = processor(images=imgs, text=texts, padding=True, return_tensors="pt").to(model.device)
    assert batch["attention_mask"][0, 0] == 0 and batch["attention_mask"][1, 0] == 1
    single = processor(images=imgs[:1], text=texts[:1], return_tensors="pt").to(model.device)
    with torch.inference_mode():
        out = model.generate(**batch, max_new_tokens=4, do_sample=False)
        # left padding changes nothing for the short row
        batch_logits = model(**batch).logits[0, -1]
        single_logits = model(**single).logits[0, -1]
    prompt_len = batch["input_ids"].shape[1]
    assert out.shape[0] == 2 and prompt_len < out.shape[1] <= prompt_len + 4
    assert torch.allclose(
        batch_logits.float(), single_logits.float(), atol=1e-4 if not on_gpu else 5e-2
    )
    decoded = processor.batch_decode(out[:, prompt_len:], skip_special_tokens=True)
    assert len(decoded) == 2 and all(isinstance(s, str) for s in decoded)


# --- tokenizer ---------------------------------------------------------------------------


def test_tokenizer_digits_tags_and_round_trip(tiny_dir: Path, no_torchvision: None) -> None:
    built = tiny_mod.build_tokenizer(tiny_mod.DEFAULT_CORPUS, TinySpec().vocab_size)
    loaded = load_processor(tiny_dir).tokenizer
    assert len(loaded) <= TinySpec().vocab_size
    for tok in (built, loaded):
        for d in "0123456789":
            assert len(tok.encode(d, add_special_tokens=False)) == 1
        assert len(tok.encode("1234567890", add_special_tokens=False)) == 10
        for tag in REASONING_TAGS:
            ids = tok.encode(tag, add_special_tokens=False)
            assert len(ids) == 1 and ids[0] not in tok.all_special_ids
        for special in SPECIAL_TOKENS:
            assert len(tok.encode(special, add_special_tokens=False)) == 1
        for text in (
            "∠ABC = 40°, AB ∥ CD, so ∠2 = 80.0°",
            "<think> r = √{3}, area = 2π </think> <answer> 8√{3} </answer>",
            "旗杆高10米, the answer is \\frac{12}{5}cm",
            "  two  spaces\nand a newline π",
        ):
            ids = tok.encode(text, add_special_tokens=False)
            assert tok.decode(ids) == text
            assert tok.decode(ids, skip_special_tokens=True) == text
    sample = "How many items? <answer> 3 </answer> ∠ √ π 米"
    assert built.encode(sample) == loaded.encode(sample)
    # special tokens are dropped by skip_special_tokens, tags are not
    ids = loaded.encode(
        "<|im_start|>assistant\n<think> a </think><|im_end|>", add_special_tokens=False
    )
    assert loaded.decode(ids, skip_special_tokens=True) == "assistant\n<think> a </think>"


# --- determinism -------------------------------------------------------------------------


def test_same_seed_same_weights_other_seed_different(tiny_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file

    torch.manual_seed(1234)
    before = torch.rand(3)
    again = build_tiny(tmp_path / "again", seed=0)
    other = build_tiny(tmp_path / "other", seed=1)
    torch.manual_seed(1234)
    assert torch.equal(before, torch.rand(3))  # the caller's RNG is left alone

    ref, same, diff = (load_file(str(p / "model.safetensors")) for p in (tiny_dir, again, other))
    assert ref.keys() == same.keys() == diff.keys()
    assert all(torch.equal(ref[k], same[k]) for k in ref)
    assert any(not torch.equal(ref[k], diff[k]) for k in ref)
    assert (tiny_dir / "tokenizer.json").read_bytes() == (again / "tokenizer.json").read_bytes()


# --- resolve_model -----------------------------------------------------------------------


def test_resolve_model_builds_once_and_reuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_dir: Path
) -> None:
    monkeypatch.setenv("OTHINK_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(tiny_mod, "BUNDLED_TINY_DIR", tmp_path / "no-bundle")
    assert tiny_mod.is_bundled_tiny() is False
    assert tiny_mod.resolve_model("Qwen/Qwen2-VL-2B-Instruct") == "Qwen/Qwen2-VL-2B-Instruct"
    assert tiny_mod.resolve_model("/some/folder") == "/some/folder"

    first = Path(tiny_mod.resolve_model("tiny"))
    assert first == tmp_path / "cache" / "tiny-random-seed0"
    weights = first / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    assert Path(tiny_mod.resolve_model("tiny")) == first
    assert weights.stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["tiny-random-seed0"]

    monkeypatch.setattr(tiny_mod, "BUNDLED_TINY_DIR", tiny_dir)
    assert tiny_mod.is_bundled_tiny() is True
    assert tiny_mod.resolve_model("tiny") == str(tiny_dir)


# --- errors ------------------------------------------------------------------------------


def test_load_errors_name_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    with pytest.raises(ModelLoadError, match="--model tiny"):
        load_model(tmp_path / "missing")
    with pytest.raises(ModelLoadError, match="no config.json"):
        load_model(tmp_path)
    with pytest.raises(ModelLoadError, match="no checkpoint folder"):
        load_processor("./definitely/not/here")
    # a hub id on an offline machine fails fast and says what to do
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelLoadError, match="offline machines can use --model tiny"):
        load_model("no-such-org/no-such-model")
    with pytest.raises(ValueError, match="unknown dtype"):
        proc_mod.resolve_dtype("int3")
    assert proc_mod.resolve_dtype("auto", "cpu") == torch.float32
    assert proc_mod.resolve_dtype("auto", "cuda") == torch.bfloat16


# --- TRL ---------------------------------------------------------------------------------


def test_grpo_trainer_takes_one_step(tiny_dir: Path, tmp_path: Path, no_torchvision: None) -> None:
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    model, processor = load_model(tiny_dir, device="cpu")
    start = {k: v.detach().clone() for k, v in model.named_parameters()}
    questions = [f"How many objects are there? ({i})" + PROMPT_SUFFIX for i in range(4)]
    dataset = Dataset.from_dict(
        {
            "prompt": [_chat(q) for q in questions],
            "image": [_image((40 * i, 100, 200)) for i in range(4)],
        }
    )

    def length_reward(completions: list[Any], **kwargs: Any) -> list[float]:
        return [float(len(str(c))) for c in completions]

    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        num_generations=2,
        per_device_train_batch_size=2,
        max_completion_length=8,
        bf16=False,
        use_cpu=True,
        beta=0.04,
        loss_type="grpo",
        report_to=[],
        max_steps=1,
        learning_rate=1e-3,
        temperature=1.5,
        save_strategy="no",
        logging_steps=1,
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=length_reward,
        args=args,
        train_dataset=dataset,
        processing_class=processor,
    )
    assert trainer.ref_model is not None  # beta > 0: TRL rebuilt the reference from the folder
    result = trainer.train()
    assert trainer.state.global_step == 1
    assert math.isfinite(result.training_loss)
    logged = trainer.state.log_history[0]
    assert logged["num_tokens"] > 2 * 16  # prompts carried their 16 image tokens each
    assert any(not torch.equal(start[k], v) for k, v in model.named_parameters())
