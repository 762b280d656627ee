"""The transformers backend: any checkpoint, in process, batched; the default and the reference.

Each request goes through the model's own chat template (``processor.apply_chat_template``),
its images through the processor, and batches generate with left padding under
``torch.inference_mode``, sorted by prompt length so little compute goes to padding; results
are yielded per batch so the harness writes records as they come. The CPU side (templates,
image processing, tokenization) runs off the generating thread: :meth:`HFBackend.prepare` does
it for a whole window ahead (on the harness's preparation thread); a window not prepared gets
each next batch processed on a helper thread while the current one generates. Each side has
its own processor copy, so no tokenizer is shared between threads.

Loading goes through :func:`othink_bench.models.processor.load_model` (dtype: bf16 on GPU,
fp32 on CPU; ``device_map="auto"`` over several GPUs; an image-only processor where
torchvision is missing). ``max_pixels``/``min_pixels`` (an image-area budget) go through the
family's own image-processor keys (:mod:`othink_bench.models.image_settings`) and are in the
run id when set. A sharded launch's process takes the GPU of its local rank. On CUDA
out-of-memory a batch is halved and retried (the smaller size kept for the rest of the run); a
request that fails on its own is a generation error, the others go on. The prompt side is in
:mod:`othink_bench.backends.hf_prompts`, the batching in :mod:`othink_bench.backends.hf_batches`.
"""

from __future__ import annotations

import copy
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import othink_bench.backends.hf_prompts as hf_prompts
from othink_bench.backends.base import (
    Completed,
    GenRequest,
    GenResult,
    distributed_env,
    hub_snapshot_commit,
    model_identity,
    resolve_model_path,
    short_error,
)
from othink_bench.backends.hf_batches import (
    Plan,
    PreparedRequests,
    batch_order,
    batches_ahead,
    free_cuda,
    generate_batch,
    is_oom,
    next_batch,
    stop_and_pad,
)
from othink_bench.cpu_threads import apply_torch_threads, choose_threads, restore_torch_threads

log = logging.getLogger(__name__)


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
        threads: int | None = None,
    ) -> None:
        """``loaded=(model, processor)`` evaluates an already loaded model (e.g. right after
        training) instead of loading ``model`` again; ``model`` still names it for the run id.
        ``max_pixels``/``min_pixels``: the image-area budget (default: the checkpoint's own).
        ``threads``: torch's CPU threads while a model on the CPU is loaded here (default:
        :func:`othink_bench.cpu_threads.choose_threads`)."""
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
        self.threads = choose_threads(threads)  # applied only when the model is on the CPU
        self._threads_before: int | None = None
        self._model: Any = None
        self._processor: Any = None
        self._prep_processor: Any = None
        self._ahead_processor: Any = None
        # Chat-templated texts that prompt_tokens() rendered, kept for the generation of the
        # same request (keyed by id, with the request to make the id safe; dict operations are
        # atomic, and the harness's prep thread writes while the main thread takes).
        self._rendered: dict[int, tuple[GenRequest, str, int]] = {}
        self._memo = hf_prompts.PromptMemo()
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
        if self._threads_before is not None:
            info["cpu_threads"] = self.threads.to_dict()
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
        self._prep_processor = self._ahead_processor = None
        if self.image_budget:
            applied = apply_image_budget(processor, **self.image_budget)
            self.image_settings = applied.to_dict()
        tokenizer = getattr(processor, "tokenizer", processor)
        tokenizer.padding_side = "left"
        self._eos, self._pad = stop_and_pad(model, tokenizer)

    def load(self) -> None:
        if self._model is not None:
            return
        from othink_bench.models.processor import load_model

        path = resolve_model_path(self.model_name)
        target = str(path) if path is not None else self.model_name
        if path is None and self.revision:  # a pinned hub revision: fetch that snapshot
            from huggingface_hub import snapshot_download

            target = snapshot_download(self.model_name, revision=self.revision)
        device = self._resolved_device()
        if device == "cpu" and self._threads_before is None:
            self._threads_before = apply_torch_threads(self.threads)
        model, processor = load_model(
            target,
            dtype=self.dtype,
            device=device,
            trust_remote_code=self.trust_remote_code,
            attn_implementation=self.attn,
        )
        self._adopt(model, processor)
        if self._threads_before is not None:  # said once a model is there to use them
            print(f"note: {self.threads.describe()}", file=sys.stderr)

    # -- generation ---------------------------------------------------------------------------

    def _prep(self) -> Any:
        """The processor of the preparation side (:meth:`prepare`, :meth:`prompt_tokens`): a copy,
        so preparing the next window on another thread never shares a tokenizer with the
        generation running meanwhile."""
        if self._prep_processor is None:
            self._prep_processor = copy.deepcopy(self._processor)
        return self._prep_processor

    def _ahead(self) -> Any:
        """The processor of :meth:`generate`'s own look-ahead thread (another copy)."""
        if self._ahead_processor is None:
            self._ahead_processor = copy.deepcopy(self._processor)
        return self._ahead_processor

    def _texts(
        self, requests: Sequence[GenRequest], processor: Any = None
    ) -> tuple[list[str], list[int | None]]:
        """Each request's chat-templated text, and its prompt length where
        :meth:`prompt_tokens` already counted it (``None`` where not)."""
        processor = processor or self._processor
        out: list[str] = []
        known: list[int | None] = []
        for r in requests:
            kept = self._rendered.pop(id(r), None)
            if kept is not None and kept[0] is r:
                out.append(kept[1])
                known.append(kept[2])
            else:
                out.append(self._memo.text(processor, r))
                known.append(None)
        return out, known

    def _length_keys(
        self,
        requests: Sequence[GenRequest],
        texts: list[str],
        processor: Any,
        known: Sequence[int | None] | None = None,
    ) -> list[int]:
        """Prompt length in tokens: text tokens plus an estimate of each image's tokens (the
        lengths :meth:`prompt_tokens` counted are the same numbers, and are not counted again)."""
        known = known if known is not None else [None] * len(requests)
        todo = [i for i, n in enumerate(known) if n is None]
        counted: dict[int, int] = {}
        if todo:
            lengths = hf_prompts.text_tokens(processor, [texts[i] for i in todo])
            counted = dict(zip(todo, lengths, strict=True))
        return [
            n if n is not None else counted[i] + hf_prompts.image_tokens(self._processor, r)
            for i, (n, r) in enumerate(zip(known, requests, strict=True))
        ]

    def context_length(self) -> int | None:
        """The model's context (``max_position_embeddings``), once loaded; else ``None``."""
        return None if self._model is None else hf_prompts.context_length(self._model)

    def prompt_tokens(self, request: GenRequest, cap: int) -> int:
        """The request's prompt length (chat template, text and image tokens); past ``cap``
        only a bound, so a huge prompt is not tokenized whole."""
        self.load()
        processor = self._prep()
        images = hf_prompts.image_tokens(self._processor, request)
        text = self._memo.text(processor, request)
        n = self._memo.bounded_tokens(processor, text, images, cap)
        if n <= cap:  # it will be generated: keep the text (and its exact length) for that
            self._rendered[id(request)] = (request, text, n)
        return n

    def _order(
        self,
        requests: Sequence[GenRequest],
        texts: list[str],
        processor: Any,
        known: Sequence[int | None] | None = None,
    ) -> list[int]:
        """Request indices by decoding settings, then prompt length."""
        return batch_order(requests, self._length_keys(requests, texts, processor, known))

    def _next_batch(
        self, order: list[int], requests: Sequence[GenRequest], pos: int
    ) -> tuple[list[int], int]:
        """The batch starting at ``order[pos]`` at the current size (read each time: an OOM
        halves it for the rest of the run)."""
        return next_batch(order, requests, pos, self.batch_size)

    def _batches(self, order: list[int], requests: Sequence[GenRequest]) -> Iterator[list[int]]:
        pos = 0
        while pos < len(order):
            batch, pos = self._next_batch(order, requests, pos)
            yield batch

    def prepare(self, requests: Sequence[GenRequest]) -> PreparedRequests:
        """Do the CPU side of :meth:`generate` ahead (chat templates, length sorting, image
        processing and tokenization per batch), e.g. on another thread while the previous
        window generates; :meth:`generate` of the returned requests then only runs the model.
        Needs the model loaded. The results are the same as without it."""
        self.load()
        processor = self._prep()
        texts, known = self._texts(requests, processor)
        order = self._order(requests, texts, processor, known)
        plan = Plan(self, texts, order)
        for batch in self._batches(order, requests):
            plan.inputs[tuple(batch)] = self._inputs(
                processor, [requests[i] for i in batch], [texts[i] for i in batch]
            )
        out = PreparedRequests(requests)
        out.plan = plan
        return out

    def generate(self, requests: Sequence[GenRequest]) -> Iterator[Completed]:
        if not requests:
            return
        self.load()
        plan = getattr(requests, "plan", None)
        if isinstance(plan, Plan) and plan.owner is self:
            for batch in self._batches(plan.order, requests):
                yield from self._run(batch, requests, plan.texts, plan.inputs)
            return
        texts, known = self._texts(requests)
        plan = Plan(self, texts, self._order(requests, texts, self._processor, known))

        def process(batch: list[int], ahead: bool) -> Any:
            processor = self._ahead() if ahead else self._processor
            return self._inputs(processor, [requests[i] for i in batch], [texts[i] for i in batch])

        def next_at(pos: int) -> tuple[list[int], int]:
            return self._next_batch(plan.order, requests, pos)

        for batch in batches_ahead(plan, next_at, process):
            yield from self._run(batch, requests, plan.texts, plan.inputs)

    def _run(
        self,
        batch: list[int],
        requests: Sequence[GenRequest],
        texts: list[str],
        prepared: dict[tuple[int, ...], Any],
    ) -> Iterator[Completed]:
        oom: str | None = None
        try:
            results = self._generate_now(
                [requests[i] for i in batch],
                [texts[i] for i in batch],
                prepared.pop(tuple(batch), None),
            )
        except Exception as exc:
            if not is_oom(exc):
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
                yield from self._run([i], requests, texts, prepared)
            return
        free_cuda()
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
            yield from self._run(batch[pos:pos + size], requests, texts, prepared)
            pos += size

    @staticmethod
    def _inputs(processor: Any, requests: list[GenRequest], texts: list[str]) -> Any:
        return hf_prompts.batch_inputs(processor, requests, texts)

    def _generate_now(
        self, requests: list[GenRequest], texts: list[str], inputs: Any = None
    ) -> list[GenResult]:
        start = time.perf_counter()
        if inputs is None:
            inputs = self._inputs(self._processor, requests, texts)
        return generate_batch(
            self._model, self._processor, requests, inputs, eos=self._eos, pad=self._pad,
            start=start,
        )  # fmt: skip

    def close(self) -> None:
        self._model = None
        self._processor = None
        self._prep_processor = self._ahead_processor = None
        self._rendered.clear()
        self._memo = hf_prompts.PromptMemo()
        if self._threads_before is not None:
            restore_torch_threads(self._threads_before)
            self._threads_before = None
        free_cuda()
