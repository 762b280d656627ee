"""The vLLM backend: the fast path for GPU evaluation, optional and imported lazily.

vLLM does its own continuous batching, so the harness hands it a whole task at once
(``window = None``) and this backend makes one ``LLM.generate`` call per task. Prompts are the
model's own chat template rendered by its processor (the same text the ``hf`` backend feeds
``generate``), with the decoded images as ``multi_modal_data``; greedy decoding is
``temperature=0``, sampled decoding carries a per-request seed so that K samples do not depend
on scheduling.

Tensor parallelism is vLLM's ``tensor_parallel_size``. Data parallelism is the harness's
sharding: launch N processes (``accelerate launch --num_processes N -m othink_bench.cli run
--backend vllm ...``) and each process pins its own slice of the GPUs before vLLM starts.

vLLM cannot be installed on CPU-only machines; :func:`build_inputs` and
:func:`sampling_kwargs` are pure and tested everywhere, the engine itself only on a GPU.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

from othink_bench.backends.base import (
    Completed,
    GenRequest,
    GenResult,
    distributed_env,
    finish_truncated,
    model_identity,
    resolve_model_path,
    short_error,
)

INSTALL_HINT = (
    "the vllm backend needs vLLM (CUDA only): pip install 'othink-bench[vllm]'; "
    "without a GPU use --backend hf"
)


def prompt_text(processor: Any, request: GenRequest) -> str:
    """The request's messages rendered by the model's chat template, ready for generation."""
    return str(
        processor.apply_chat_template(request.messages, tokenize=False, add_generation_prompt=True)
    )


def build_inputs(processor: Any, requests: Sequence[GenRequest]) -> list[dict[str, Any]]:
    """vLLM prompt dicts: template text plus the images as ``multi_modal_data``."""
    inputs: list[dict[str, Any]] = []
    for request in requests:
        item: dict[str, Any] = {"prompt": prompt_text(processor, request)}
        if request.images:
            images = list(request.images)
            item["multi_modal_data"] = {"image": images[0] if len(images) == 1 else images}
        inputs.append(item)
    return inputs


def sampling_kwargs(request: GenRequest) -> dict[str, Any]:
    """Keyword arguments for ``vllm.SamplingParams`` (greedy is temperature 0)."""
    kwargs: dict[str, Any] = {
        "max_tokens": request.max_new_tokens,
        "temperature": request.temperature if request.do_sample else 0.0,
        "n": 1,
    }
    if request.do_sample:
        kwargs["top_p"] = request.top_p
        if request.seed is not None:
            kwargs["seed"] = request.seed
    return kwargs


def pin_gpus_for_rank(tensor_parallel_size: int) -> str | None:
    """Under a data-parallel launch, give this process its own ``tensor_parallel_size`` GPUs.

    Must run before CUDA is initialised in the process; returns the devices pinned, if any.
    """
    _, world, local_rank = distributed_env()
    if world <= 1:
        return None
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    ids = visible.split(",") if visible else None
    if ids is None:
        try:
            import torch

            ids = [str(i) for i in range(torch.cuda.device_count())]
        except ImportError:
            return None
    start = local_rank * tensor_parallel_size
    mine = ids[start : start + tensor_parallel_size]
    if len(mine) < tensor_parallel_size:
        raise RuntimeError(
            f"process {local_rank} needs GPUs {start}..{start + tensor_parallel_size - 1} but "
            f"only {len(ids)} are visible; use fewer processes or a smaller tensor parallel size"
        )
    os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(mine)
    return os.environ["CUDA_VISIBLE_DEVICES"]


class VLLMBackend:
    """``vllm.LLM`` with image inputs; the engine starts on the first generate call."""

    name = "vllm"

    def __init__(
        self,
        model: str,
        *,
        dtype: str = "auto",
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float = 0.9,
        max_model_len: int | None = None,
        max_num_seqs: int | None = None,
        revision: str | None = None,
        trust_remote_code: bool = False,
        seed: int = 0,
        limit_images: int = 1,
    ) -> None:
        self.model = model
        self.dtype = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}.get(dtype, dtype)
        self.tensor_parallel_size = tensor_parallel_size
        self.gpu_memory_utilization = gpu_memory_utilization
        self.max_model_len = max_model_len
        self.max_num_seqs = max_num_seqs
        self.revision = revision
        self.trust_remote_code = trust_remote_code
        self.seed = seed
        self.limit_images = limit_images
        self.window: int | None = None
        # Under a data-parallel launch each process takes its own GPUs; this must happen before
        # anything in the process initialises CUDA, so it happens here, not at load time.
        self.pinned_gpus = pin_gpus_for_rank(tensor_parallel_size)
        self._llm: Any = None
        self._processor: Any = None
        self._identity: dict[str, Any] | None = None

    def identity(self) -> dict[str, Any]:
        if self._identity is None:
            self._identity = {
                "backend": self.name,
                "model": model_identity(self.model, self.revision),
                "dtype": self.dtype,
            }
        return self._identity

    def describe(self) -> dict[str, Any]:
        info = {
            **self.identity(),
            "tensor_parallel_size": self.tensor_parallel_size,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "max_model_len": self.max_model_len,
            "pinned_gpus": self.pinned_gpus,
        }
        try:
            from importlib.metadata import version

            info["vllm"] = version("vllm")
        except Exception:  # not installed: the manifest simply lacks the version
            info["vllm"] = None
        return info

    def load(self) -> None:
        if self._llm is not None:
            return
        try:
            import vllm
        except ImportError as exc:
            raise ImportError(INSTALL_HINT) from exc
        path = resolve_model_path(self.model)
        target = str(path) if path is not None else self.model
        kwargs: dict[str, Any] = {
            "model": target,
            "dtype": self.dtype,
            "tensor_parallel_size": self.tensor_parallel_size,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "trust_remote_code": self.trust_remote_code,
            "seed": self.seed,
            "limit_mm_per_prompt": {"image": self.limit_images},
        }
        if self.revision and path is None:
            kwargs["revision"] = self.revision
        if self.max_model_len:
            kwargs["max_model_len"] = self.max_model_len
        if self.max_num_seqs:
            kwargs["max_num_seqs"] = self.max_num_seqs
        self._llm = vllm.LLM(**kwargs)
        self._processor = _load_processor(target, self.trust_remote_code)

    def generate(self, requests: Sequence[GenRequest]) -> Iterator[Completed]:
        if not requests:
            return
        self.load()
        import vllm

        start = time.perf_counter()
        try:
            inputs = build_inputs(self._processor, requests)
            params = [vllm.SamplingParams(**sampling_kwargs(r)) for r in requests]
            outputs = self._llm.generate(inputs, sampling_params=params, use_tqdm=False)
        except Exception as exc:  # one bad request fails the call: retry them one by one
            if len(requests) == 1:
                yield [(0, GenResult(error=short_error(exc)))]
                return
            for i, request in enumerate(requests):
                for single in self.generate([request]):
                    yield [(i, result) for _, result in single]
            return
        per = (time.perf_counter() - start) / len(requests)
        group: Completed = []
        for i, out in enumerate(outputs):
            completion = out.outputs[0]
            group.append(
                (
                    i,
                    GenResult(
                        text=completion.text,
                        tokens=len(completion.token_ids),
                        latency_s=per,
                        # vLLM's CompletionOutput.finish_reason is "stop" (EOS, a stop string
                        # or token) or "length" (vllm-project/vllm PR #2976 and the
                        # CompletionOutput docs).
                        truncated=finish_truncated(getattr(completion, "finish_reason", None)),
                    ),
                )
            )
        yield group

    def close(self) -> None:
        self._llm = None


def _load_processor(path: str, trust_remote_code: bool) -> Any:
    """The model's processor (the image-only Qwen2-VL one where torchvision is missing)."""
    from othink_bench.models.processor import load_processor

    return load_processor(path, trust_remote_code=trust_remote_code)
