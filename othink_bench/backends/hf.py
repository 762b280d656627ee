"""The transformers backend: any checkpoint, in process, batched; the default and the reference.

It renders each request with the model's own chat template (``processor.apply_chat_template``),
passes the images to the processor, and generates batches with left padding under
``torch.inference_mode``. Requests are sorted by prompt length before batching so a batch
holds prompts of similar length and little compute goes to padding; results are yielded per
batch so the harness writes records as they come.

Loading goes through :func:`othink_bench.models.processor.load_model`, which picks the dtype
(bf16 on GPU, fp32 on CPU), the device (``device_map="auto"`` over several GPUs) and, where
torchvision is missing, an image-only processor. ``max_pixels``/``min_pixels`` (an image-area
budget) are applied through the family's own image-processor keys
(:mod:`othink_bench.models.image_settings`) and are part of the run id when set. Under a sharded launch each process
takes the GPU of its local rank. On CUDA out-of-memory a batch is halved and retried (the
smaller size is kept for the rest of the run); a request that fails on its own is recorded as a
generation error, the others go on.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

from othink_bench.backends.base import (
    Completed,
    GenRequest,
    GenResult,
    bounded_token_count,
    distributed_env,
    hub_snapshot_commit,
    model_identity,
    resolve_model_path,
    short_error,
)

log = logging.getLogger(__name__)


def _is_oom(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


class HFBackend:
    """transformers ``generate`` over length-sorted, left-padded batches."""

    name = "hf"

    def __init__(
        self,
        model: str,
        *,
        dtype: str = "auto",
        device: str = "auto",
        batch_size: int = 8,
        attn: str | None = None,
        trust_remote_code: bool = False,
        revision: str | None = None,
        max_pixels: int | None = None,
        min_pixels: int | None = None,
        loaded: tuple[Any, Any] | None = None,
    ) -> None:
        """``loaded=(model, processor)`` evaluates an already loaded model (e.g. right after
        training) instead of loading ``model`` again; ``model`` still names it for the run id.
        ``max_pixels``/``min_pixels``: the image-area budget (default: the checkpoint's own)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        for name, value in (("max_pixels", max_pixels), ("min_pixels", min_pixels)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be a positive number of pixels, got {value}")
        self.image_budget = {
            k: v for k, v in (("max_pixels", max_pixels), ("min_pixels", min_pixels)) if v
        }
        self.image_settings: dict[str, Any] | None = None
        self.model_name = model
        self.dtype = dtype
        self.device = device
        self.batch_size = batch_size
        self.requested_batch_size = batch_size
        self.attn = attn
        self.trust_remote_code = trust_remote_code
        self.revision = revision
        self.window: int | None = batch_size * 16
        self._model: Any = None
        self._processor: Any = None
        self._identity: dict[str, Any] | None = None
        self._eos: set[int] = set()
        self._pad: int | None = None
        if loaded is not None:
            self._adopt(*loaded)

    # -- identity -----------------------------------------------------------------------------

    def _resolved_device(self) -> str:
        from othink_bench.models.processor import resolve_device

        if self._model is not None:
            return str(getattr(self._model, "device", "cpu"))
        dev = resolve_device(self.device)
        _, world, local_rank = distributed_env()
        if dev == "cuda" and world > 1:
            dev = f"cuda:{local_rank}"
        return dev

    def _resolved_dtype(self) -> str:
        from othink_bench.models.processor import resolve_dtype

        if self._model is not None:
            return str(getattr(self._model, "dtype", "")).replace("torch.", "")
        return str(resolve_dtype(self.dtype, self._resolved_device())).replace("torch.", "")

    def identity(self) -> dict[str, Any]:
        if self._identity is None:
            self._identity = {
                "backend": self.name,
                "model": model_identity(self.model_name, self.revision),
                "dtype": self._resolved_dtype(),
            }
            if self.image_budget:
                self._identity["image_budget"] = dict(self.image_budget)
        return self._identity

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            **self.identity(),
            "device": self._resolved_device(),
            "batch_size": self.requested_batch_size,
            "attn": self.attn,
        }
        if self.image_settings is not None:
            info["image_settings"] = self.image_settings
        if self.batch_size != self.requested_batch_size:
            info["batch_size_after_oom"] = self.batch_size
        if resolve_model_path(self.model_name) is None:
            info["hub_commit"] = hub_snapshot_commit(self.model_name, self.revision)
        if self._model is not None:
            info["parameters"] = int(sum(p.numel() for p in self._model.parameters()))
            info["model_class"] = type(self._model).__name__
        return info

    # -- loading ------------------------------------------------------------------------------

    def _adopt(self, model: Any, processor: Any) -> None:
        from othink_bench.models.image_settings import apply_image_budget

        self._model = model
        self._processor = processor
        if self.image_budget:
            applied = apply_image_budget(processor, **self.image_budget)
            self.image_settings = applied.to_dict()
        tokenizer = getattr(processor, "tokenizer", processor)
        tokenizer.padding_side = "left"
        config = getattr(model, "generation_config", None)
        eos = getattr(config, "eos_token_id", None)
        if eos is None:
            eos = tokenizer.eos_token_id
        self._eos = {
            int(e) for e in (eos if isinstance(eos, list | tuple) else [eos]) if e is not None
        }
        pad = getattr(config, "pad_token_id", None)
        if pad is None:
            pad = tokenizer.pad_token_id
        if pad is None and self._eos:
            pad = min(self._eos)
        self._pad = pad

    def load(self) -> None:
        if self._model is not None:
            return
        from othink_bench.models.processor import load_model

        path = resolve_model_path(self.model_name)
        target = str(path) if path is not None else self.model_name
        if path is None and self.revision:  # a pinned hub revision: fetch that snapshot
            from huggingface_hub import snapshot_download

            target = snapshot_download(self.model_name, revision=self.revision)
        model, processor = load_model(
            target,
            dtype=self.dtype,
            device=self._resolved_device(),
            trust_remote_code=self.trust_remote_code,
            attn_implementation=self.attn,
        )
        self._adopt(model, processor)

    # -- generation ---------------------------------------------------------------------------

    def _texts(self, requests: Sequence[GenRequest]) -> list[str]:
        return [
            str(
                self._processor.apply_chat_template(
                    r.messages, tokenize=False, add_generation_prompt=True
                )
            )
            for r in requests
        ]

    def _image_tokens(self, request: GenRequest) -> int:
        """An estimate of the tokens a request's images take (Qwen-style patches)."""
        from othink_bench.models.image_settings import image_area_cap

        image_processor = getattr(self._processor, "image_processor", None)
        max_pixels = image_area_cap(image_processor) or 1 << 40
        patch = getattr(image_processor, "patch_size", 14) or 14
        merge = getattr(image_processor, "merge_size", 2) or 2
        per_token = (patch * merge) ** 2
        return sum(min(im.width * im.height, max_pixels) // per_token for im in request.images)

    def _length_keys(self, requests: Sequence[GenRequest], texts: list[str]) -> list[int]:
        """Prompt length in tokens: text tokens plus an estimate of each image's tokens."""
        tokenizer = getattr(self._processor, "tokenizer", self._processor)
        lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
        return [n + self._image_tokens(r) for n, r in zip(lengths, requests, strict=True)]

    def context_length(self) -> int | None:
        """The model's context (``max_position_embeddings``), once loaded; else ``None``."""
        if self._model is None:
            return None
        config = getattr(self._model, "config", None)
        for part in (getattr(config, "text_config", None), config):
            n = getattr(part, "max_position_embeddings", None)
            if isinstance(n, int) and n > 0:
                return n
        return None

    def prompt_tokens(self, request: GenRequest, cap: int) -> int:
        """The request's prompt length (chat template, text and image tokens); past ``cap``
        only a bound, so a huge prompt is not tokenized whole."""
        self.load()
        tokenizer = getattr(self._processor, "tokenizer", self._processor)
        images = self._image_tokens(request)

        def count(text: str) -> int:
            return len(tokenizer(text, add_special_tokens=False)["input_ids"])

        text = self._texts([request])[0]
        return bounded_token_count(count, text, max(cap - images, 0)) + images

    def generate(self, requests: Sequence[GenRequest]) -> Iterator[Completed]:
        if not requests:
            return
        self.load()
        texts = self._texts(requests)
        keys = self._length_keys(requests, texts)

        def group(i: int) -> tuple[float, ...]:
            r = requests[i]
            return (r.max_new_tokens, r.temperature, r.top_p)

        order = sorted(range(len(requests)), key=lambda i: (group(i), keys[i]))
        pos = 0
        while pos < len(order):
            # Batches never mix decoding settings; the size is re-read after an OOM halving.
            first = group(order[pos])
            batch = [order[pos]]
            pos += 1
            while pos < len(order) and len(batch) < self.batch_size and group(order[pos]) == first:
                batch.append(order[pos])
                pos += 1
            yield from self._run(batch, requests, texts)

    def _run(
        self, batch: list[int], requests: Sequence[GenRequest], texts: list[str]
    ) -> Iterator[Completed]:
        oom: str | None = None
        try:
            results = self._generate_now([requests[i] for i in batch], [texts[i] for i in batch])
        except Exception as exc:
            if not _is_oom(exc):
                if len(batch) == 1:
                    yield [(batch[0], GenResult(error=short_error(exc)))]
                    return
                failed = True
            else:
                oom = short_error(exc, 300)
                failed = True
        else:
            failed = False
        if not failed:
            yield list(zip(batch, results, strict=True))
            return
        # Retry only here, outside the except block: while it runs, the exception's traceback
        # keeps the failed call's frames - and on a GPU their activations - alive.
        if oom is None:
            # Isolate the request that fails so the rest of the batch still gets answers.
            for i in batch:
                yield from self._run([i], requests, texts)
            return
        self._free_cuda()
        if len(batch) == 1:
            yield [(batch[0], GenResult(error="CUDA out of memory at batch size 1: " + oom))]
            return
        half = len(batch) // 2
        if self.batch_size > half:
            log.warning("CUDA out of memory at batch size %d; retrying with %d", len(batch), half)
            self.batch_size = half
        # The rest of the failed batch goes in pieces of the current size (which a retry may
        # halve again), never again at a size that has just failed.
        pos = 0
        while pos < len(batch):
            size = self.batch_size
            yield from self._run(batch[pos:pos + size], requests, texts)
            pos += size

    def _generate_now(self, requests: list[GenRequest], texts: list[str]) -> list[GenResult]:
        import torch

        images = [im for r in requests for im in r.images]
        start = time.perf_counter()
        inputs = self._processor(
            text=texts, images=images or None, padding=True, return_tensors="pt"
        )
        inputs = inputs.to(self._model.device)
        first = requests[0]
        kwargs: dict[str, Any] = {"max_new_tokens": first.max_new_tokens, "pad_token_id": self._pad}
        # Explicit values override a checkpoint's generation_config (Qwen2-VL ships top_k=1,
        # top_p=0.001, which would make "sampling" greedy); None switches a setting off.
        if first.do_sample:
            kwargs.update(
                do_sample=True, temperature=first.temperature, top_p=first.top_p, top_k=None
            )
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        device = self._model.device
        devices = [device] if getattr(device, "type", "cpu") == "cuda" else []
        with torch.random.fork_rng(devices=devices), torch.inference_mode():
            if first.do_sample:
                # One seed per batch, derived from its requests' seeds: reproducible for the same
                # batches (the per-request seeds are exact at batch size 1); the caller's RNG
                # state is left as it was.
                torch.manual_seed(sum((r.seed or 0) for r in requests) & 0x7FFFFFFF)
            out = self._model.generate(**inputs, **kwargs)
        prompt_len = inputs["input_ids"].shape[1]
        new = out[:, prompt_len:].tolist()
        elapsed = time.perf_counter() - start
        lengths = []
        for row in new:
            n = len(row)
            for j, tok in enumerate(row):
                if tok in self._eos:
                    n = j + 1
                    break
            lengths.append(n)
        decoded = self._processor.batch_decode(
            [row[:n] for row, n in zip(new, lengths, strict=True)], skip_special_tokens=True
        )
        per = elapsed / len(requests)
        return [
            GenResult(text=text, tokens=n, latency_s=per)
            for text, n in zip(decoded, lengths, strict=True)
        ]

    def _free_cuda(self) -> None:
        import torch

        if torch.cuda.is_available():
            gc.collect()  # drop the failed batch's tensors before returning their memory
            torch.cuda.empty_cache()

    def close(self) -> None:
        self._model = None
        self._processor = None
        self._free_cuda()
