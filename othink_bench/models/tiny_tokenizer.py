"""The tiny Qwen2-VL's tokenizer: Qwen2-VL's special tokens, pre-tokenizer and chat template,
and the corpus a byte-level BPE is trained on offline.

The tokenizer is trained locally with the ``tokenizers`` library on :data:`DEFAULT_CORPUS`, text
shaped like the paper's prompts: counting questions and GeoQA-style geometry (with ``∠ ∥ ° √ π``).
Digits are always single tokens (Qwen2's pre-tokenizer isolates each ``\\p{N}``), and the reasoning
tags ``<think> </think> <answer> </answer>`` are each one *non-special* added token, so they
survive ``skip_special_tokens=True`` and a format reward can see them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

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
