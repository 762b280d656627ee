"""Batches of the transformers backend (:mod:`othink_bench.backends.hf`): the plan of a window
prepared ahead, the order requests are batched in, where each batch ends, processing the next
batch while one generates, one batch's ``generate`` call, the stop and pad tokens, and telling
a CUDA out-of-memory error from other failures.

Batches never mix decoding settings and hold prompts of similar length (requests are sorted by
settings, then prompt length), so little compute goes to padding. How a failed batch is retried
(halved on out-of-memory, split into single requests otherwise) stays with the backend, which
owns the batch size.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from othink_bench.backends.base import GenRequest, GenResult

if TYPE_CHECKING:
    from othink_bench.backends.hf import HFBackend


@dataclass
class Plan:
    """A window's generation prepared ahead: chat-templated texts, the length-sorted order, and
    the processor's inputs for each batch (keyed by its request indices)."""

    owner: HFBackend
    texts: list[str]
    order: list[int]
    inputs: dict[tuple[int, ...], Any] = field(default_factory=dict)


class PreparedRequests(list[GenRequest]):
    """Requests with their :class:`Plan` (what :meth:`HFBackend.prepare` returns)."""

    plan: Plan


def settings_key(request: GenRequest) -> tuple[float, ...]:
    """The decoding settings a batch shares."""
    return (request.max_new_tokens, request.temperature, request.top_p)


def batch_order(requests: Sequence[GenRequest], lengths: list[int]) -> list[int]:
    """Request indices by decoding settings, then prompt length (batches never mix settings,
    and similar lengths waste little compute on padding)."""
    return sorted(range(len(requests)), key=lambda i: (settings_key(requests[i]), lengths[i]))


def next_batch(
    order: list[int], requests: Sequence[GenRequest], pos: int, batch_size: int
) -> tuple[list[int], int]:
    """The batch starting at ``order[pos]``: at most ``batch_size`` requests with the same
    settings; and where the next one starts."""
    first = settings_key(requests[order[pos]])
    end = pos + 1
    while (
        end < len(order) and end - pos < batch_size and settings_key(requests[order[end]]) == first
    ):
        end += 1
    return order[pos:end], end


def batches_ahead(
    plan: Plan,
    next_at: Callable[[int], tuple[list[int], int]],
    process: Callable[[list[int], bool], Any],
) -> Iterator[list[int]]:
    """Yield the batches of a window that was not prepared ahead, each with its processor
    inputs in ``plan.inputs`` where they could be made: while the caller generates one batch,
    the next is processed on a helper thread (``process(batch, True)``, which uses a processor
    copy of that thread's own).

    ``next_at(pos)`` is the batch starting at ``plan.order[pos]`` at the backend's current size,
    read each time. The next batch is guessed with the size of the moment; after an
    out-of-memory halving the guess is wrong and the batch is left to be processed inline. A
    batch that was not guessed (the first one, or one after a wrong guess) is processed here,
    before the look-ahead starts rather than alongside it: two CPU-bound threads slow each
    other. A processing error is not raised here (nor is a failed batch processed again here);
    the caller's inline processing raises it again, where the batch's failure is handled.
    """
    with ThreadPoolExecutor(1, thread_name_prefix="othink-hf-ahead") as pool:
        ahead: tuple[tuple[int, ...], Future[Any]] | None = None
        pos = 0
        while pos < len(plan.order):
            batch, pos = next_at(pos)
            key = tuple(batch)
            guessed = ahead is not None and ahead[0] == key
            if ahead is not None and guessed:
                with contextlib.suppress(Exception):
                    plan.inputs[key] = ahead[1].result()
            ahead = None
            if not guessed:
                with contextlib.suppress(Exception):
                    plan.inputs[key] = process(batch, False)
            if pos < len(plan.order):
                guess, _ = next_at(pos)
                ahead = (tuple(guess), pool.submit(process, guess, True))
            yield batch


def stop_and_pad(model: Any, tokenizer: Any) -> tuple[set[int], int | None]:
    """The tokens an answer ends at (the generation config's, else the tokenizer's) and the pad
    token (the same way, else the smallest stop token)."""
    config = getattr(model, "generation_config", None)
    eos = getattr(config, "eos_token_id", None)
    if eos is None:
        eos = tokenizer.eos_token_id
    stops = {int(e) for e in (eos if isinstance(eos, list | tuple) else [eos]) if e is not None}
    pad = getattr(config, "pad_token_id", None)
    if pad is None:
        pad = tokenizer.pad_token_id
    if pad is None and stops:
        pad = min(stops)
    return stops, pad


def is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is a CUDA out-of-memory error (retried at a smaller batch size)."""
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_cuda() -> None:
    """Return the cached CUDA memory, e.g. a failed batch's, to the device (no-op without CUDA)."""
    import torch

    if torch.cuda.is_available():
        gc.collect()  # drop the failed batch's tensors before returning their memory
        torch.cuda.empty_cache()


def generate_batch(
    model: Any,
    processor: Any,
    requests: list[GenRequest],
    inputs: Any,
    *,
    eos: set[int],
    pad: int | None,
    start: float,
) -> list[GenResult]:
    """Generate one batch from its processor ``inputs``; each answer is cut after its first
    ``eos`` token and decoded. ``start`` (a ``time.perf_counter()``) is when work on the batch
    began: the batch's time is shared out evenly as each request's latency."""
    import torch

    inputs = inputs.to(model.device)
    first = requests[0]
    kwargs: dict[str, Any] = {"max_new_tokens": first.max_new_tokens, "pad_token_id": pad}
    # Explicit values override a checkpoint's generation_config (Qwen2-VL ships top_k=1,
    # top_p=0.001, which would make "sampling" greedy); None switches a setting off.
    if first.do_sample:
        kwargs.update(do_sample=True, temperature=first.temperature, top_p=first.top_p, top_k=None)
    else:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    device = model.device
    devices = [device] if getattr(device, "type", "cpu") == "cuda" else []
    with torch.random.fork_rng(devices=devices), torch.inference_mode():
        if first.do_sample:
            # One seed per batch, derived from its requests' seeds: reproducible for the same
            # batches (the per-request seeds are exact at batch size 1); the caller's RNG
            # state is left as it was.
            torch.manual_seed(sum((r.seed or 0) for r in requests) & 0x7FFFFFFF)
        out = model.generate(**inputs, **kwargs)
    prompt_len = inputs["input_ids"].shape[1]
    new = out[:, prompt_len:].tolist()
    elapsed = time.perf_counter() - start
    lengths = []
    cut = []
    for row in new:
        n = len(row)
        stopped = False
        for j, tok in enumerate(row):
            if tok in eos:
                n, stopped = j + 1, True
                break
        lengths.append(n)
        # No stop token within the whole budget: generation was cut off at max_new_tokens.
        cut.append(not stopped and n >= first.max_new_tokens)
    decoded = processor.batch_decode(
        [row[:n] for row, n in zip(new, lengths, strict=True)], skip_special_tokens=True
    )
    per = elapsed / len(requests)
    return [
        GenResult(text=text, tokens=n, latency_s=per, truncated=c)
        for text, n, c in zip(decoded, lengths, cut, strict=True)
    ]
