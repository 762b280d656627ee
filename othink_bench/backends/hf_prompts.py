"""The prompt side of the transformers backend (:mod:`othink_bench.backends.hf`): a request's
chat-templated text, the tokens its images take, prompt lengths, and a batch's processor inputs.

All of it runs on the CPU and only reads the processor it is given, so the backend can run it
on a preparation or look-ahead thread with a processor copy of that thread's own.
:class:`PromptMemo` keeps templated texts and token counts by content, because many tasks ask
every image the same question.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from othink_bench.backends.base import GenRequest, bounded_token_count


def render_prompt(processor: Any, request: GenRequest) -> str:
    """The request's messages through the model's own chat template, ready for generation."""
    return str(
        processor.apply_chat_template(request.messages, tokenize=False, add_generation_prompt=True)
    )


class PromptMemo:
    """Chat-templated texts and text token counts, by content.

    Counting sets ask few distinct questions (ClevrCount one, ``vc-synth-tiny`` seven in 200
    samples), so a window of N requests needs the template rendered and the text tokenized once
    per distinct prompt instead of N times - work that otherwise sits between a run's start and
    its first ``generate``. Both are pure functions of their keys, so results are the same as
    without the memo. Bounded (cleared when full); safe to share between threads (a race only
    computes an entry twice).
    """

    LIMIT = 4096

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._counts: dict[tuple[str, int], int] = {}

    def text(self, processor: Any, request: GenRequest) -> str:
        """:func:`render_prompt`, once per distinct message list."""
        try:
            key = json.dumps(request.messages, sort_keys=True, ensure_ascii=False)
        except (TypeError, ValueError):  # not plain JSON: not worth a key
            return render_prompt(processor, request)
        text = self._texts.get(key)
        if text is None:
            text = render_prompt(processor, request)
            self._keep(self._texts, key, text)
        return text

    def bounded_tokens(self, processor: Any, text: str, images: int, cap: int) -> int:
        """:func:`bounded_prompt_tokens`, once per distinct text and text budget."""
        key = (text, max(cap - images, 0))
        n = self._counts.get(key)
        if n is None:
            n = bounded_prompt_tokens(processor, text, 0, key[1])
            self._keep(self._counts, key, n)
        return n + images

    def _keep(self, memo: dict[Any, Any], key: Any, value: Any) -> None:
        if len(memo) >= self.LIMIT:
            memo.clear()
        memo[key] = value


def image_tokens(processor: Any, request: GenRequest) -> int:
    """An estimate of the tokens a request's images take (Qwen-style patches)."""
    from othink_bench.models.image_settings import image_area_cap

    image_processor = getattr(processor, "image_processor", None)
    max_pixels = image_area_cap(image_processor) or 1 << 40
    patch = getattr(image_processor, "patch_size", 14) or 14
    merge = getattr(image_processor, "merge_size", 2) or 2
    per_token = (patch * merge) ** 2
    return sum(min(im.width * im.height, max_pixels) // per_token for im in request.images)


def text_tokens(processor: Any, texts: list[str]) -> list[int]:
    """The number of text tokens of each of ``texts`` (no special tokens added)."""
    tokenizer = getattr(processor, "tokenizer", processor)
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


def bounded_prompt_tokens(processor: Any, text: str, images: int, cap: int) -> int:
    """A rendered prompt's length, text plus ``images`` tokens; past ``cap`` only a bound, so a
    huge prompt is not tokenized whole."""
    tokenizer = getattr(processor, "tokenizer", processor)

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return bounded_token_count(count, text, max(cap - images, 0)) + images


def batch_inputs(processor: Any, requests: Sequence[GenRequest], texts: list[str]) -> Any:
    """The processor's left-padded tensors for one batch (texts and all its images)."""
    images = [im for r in requests for im in r.images]
    return processor(text=texts, images=images or None, padding=True, return_tensors="pt")


def context_length(model: Any) -> int | None:
    """The model's context (``max_position_embeddings``, of its text model where it has one)."""
    config = getattr(model, "config", None)
    for part in (getattr(config, "text_config", None), config):
        n = getattr(part, "max_position_embeddings", None)
        if isinstance(n, int) and n > 0:
            return n
    return None
