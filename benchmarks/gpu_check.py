"""Paper-shape check on one CUDA GPU (issue 16): the project's CUDA paths, timed and measured once.

The GPU run, one command from the repository root on the GPU machine (the device tool's ``run``
with ``carry: [".whl"]`` and ``timeout_s: 480``; first ``bash benchmarks/gpu_wheels.sh`` here)::

    bash benchmarks/gpu_check.sh

which comes down to (the wrapper also logs nvidia-smi's view of the GPU first)::

    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 && python3 benchmarks/gpu_check.py --scale 2b --out $OUT/gpu_check_2b.md 2>&1 | tee -a $OUT/gpu_check.log

Then copy ``gpu_check_2b.md`` into ``benchmarks/results/`` and commit it. CPU dry run of the whole
script, scaled down (well under a minute; ``tests/test_gpu_check.py`` runs it)::

    python benchmarks/gpu_check.py --scale tiny --out /tmp/gpu_check_tiny.md

What it does, in order (each section is recorded even when an earlier one failed):

1. builds, offline from a config, a random-weight Qwen2-VL of Qwen2-VL-2B-Instruct's exact shape
   (``benchmarks/gpu_shape.py``: public config values, Qwen2's token ids and vocabulary size) and
   loads its processor the way the project does (stock ``AutoProcessor`` where torchvision is
   installed, the image-only one where not);
2. evaluates N gr-synth prompts (754 by default, the size of the GeoQA test prompt file) with
   the project's hf backend in bf16 and sdpa attention, every output forced to exactly
   ``--max-new-tokens`` tokens (``min_new_tokens``; random weights would never stop), then the same
   prompts with a bare batched ``generate`` loop as R1-V's GeoQA evaluation script does it
   (batches of 50 in file order, no length sorting); prints samples/s and peak GPU memory of both;
3. caps the process's GPU memory (``torch.cuda.set_per_process_memory_fraction``: the weights plus
   ``--oom-headroom-gib``) and asks the hf backend for a batch far too large, to show that its
   halving on CUDA out-of-memory recovers and every request still gets its full output; every
   ``generate`` call is recorded (batch size, memory in use when it starts), which shows whether a
   retry still holds the failed attempt's memory. On a CPU the OOM is simulated (the model's
   ``generate`` allocates a ballast tensor and raises ``torch.cuda.OutOfMemoryError`` above a batch
   size) and the report says so;
4. runs 3 GRPO-D optimizer steps through the project's trainer (``trainers.grpo``, recipe
   ``qwen2-vl-2b``, geometry betas 0 -> 0.02) with the 2B-shaped policy and its reference model,
   8 generations per prompt, bf16, gradient checkpointing on; prints each step's time, peak memory
   and beta, checked against the schedule;
5. writes everything to one markdown file (default ``benchmarks/results/gpu_check_<scale>.md``),
   rewritten after each section.

Exit status 0 when every section passed its checks, 1 otherwise.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.gpu_report import (  # noqa: E402
    Report,
    command_line,
    device_facts,
    git_commit,
    lock_differences,
    now_utc,
    versions,
)
from benchmarks.gpu_shape import QWEN2_VL_2B, SHAPES, build_checkpoint  # noqa: E402

TASK = "gr-synth"
GEOMETRY_BETAS = {"beta_min": 0.0, "beta_max": 0.02, "beta_ratio": 0.3}  # PAPER.md, geometry
#: Defaults per scale: prompts evaluated, forced output length, batch size of both evaluations,
#: requests (= batch asked for) and output length of the OOM test, GRPO completion length (forced)
#: and training prompts loaded. 2b: a run of about 5 minutes on one H200 (estimated: 754 x 128
#: tokens in batches of 50 is 16 x 128 decoding steps per evaluation).
DEFAULTS: dict[str, dict[str, int]] = {
    "2b": {"prompts": 754, "max_new_tokens": 128, "batch": 50, "oom_batch": 256,
           "oom_tokens": 4, "completion": 256, "grpo_prompts": 8},
    "tiny": {"prompts": 24, "max_new_tokens": 8, "batch": 10, "oom_batch": 16, "oom_tokens": 4,
             "completion": 8, "grpo_prompts": 8},
}


def log(msg: str) -> None:
    print(f"[gpu_check {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------
# memory and timing


class Meter:
    """Peak memory of a section: CUDA allocator peaks on a GPU, the process's peak RSS on a CPU."""

    def __init__(self, cuda: bool) -> None:
        self.cuda = cuda

    def reset(self) -> None:
        import torch

        if self.cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()

    def sync(self) -> None:
        import torch

        if self.cuda:
            torch.cuda.synchronize()

    def peak(self) -> dict[str, float]:
        import torch

        if self.cuda:
            torch.cuda.synchronize()
            return {"peak_allocated_gib": torch.cuda.max_memory_allocated() / 2**30,
                    "peak_reserved_gib": torch.cuda.max_memory_reserved() / 2**30}
        import resource

        return {"peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}

    def rows(self, peak: dict[str, float]) -> list[tuple[str, Any]]:
        if self.cuda:
            return [("peak GPU memory allocated (GiB)", peak["peak_allocated_gib"]),
                    ("peak GPU memory reserved (GiB)", peak["peak_reserved_gib"])]
        return [("peak process RSS so far (GiB; CPU, no GPU memory)", peak["peak_rss_gib"])]


def free_memory(cuda: bool) -> None:
    import torch

    gc.collect()
    if cuda:
        torch.cuda.empty_cache()


# ---------------------------------------------------------------------------------------------
# the sections


def build_requests(n: int, max_new_tokens: int) -> tuple[list[Any], list[Any], float]:
    """N gr-synth test prompts (seeds 0, 1, ... of the 200-sample test split) as GenRequests."""
    from othink_bench.backends.base import GenRequest
    from othink_bench.registry import get_task

    task = get_task(TASK)
    t0 = time.perf_counter()
    samples: list[Any] = []
    seed = 0
    while len(samples) < n:
        samples.extend(task.load(split="test", seed=seed, limit=n - len(samples)))
        seed += 1
    requests = [GenRequest(sample_id=s.id, messages=task.prompt(s), images=[s.image.load()],
                           max_new_tokens=max_new_tokens) for s in samples]
    return samples, requests, time.perf_counter() - t0


WARMUP_TOKENS = 2


def _warmup_requests(requests: list[Any]) -> list[Any]:
    """Two prompts, two tokens: a first batch so neither evaluation pays CUDA start-up."""
    from othink_bench.backends.base import GenRequest

    return [GenRequest(sample_id=f"warmup-{r.sample_id}", messages=r.messages, images=r.images,
                       max_new_tokens=WARMUP_TOKENS) for r in requests[:2]]


def section_build(args: argparse.Namespace, ctx: dict[str, Any]) -> tuple[str, dict[str, Any],
                                                                        list[tuple[str, Any]],
                                                                        list[str]]:
    import torch

    from othink_bench.models.processor import load_processor, torchvision_available

    shape = SHAPES[args.scale]
    info = build_checkpoint(ctx["workdir"] / "model", shape, dtype=ctx["dtype"],
                            device=ctx["device"])
    ctx["model_dir"] = str(info["path"])
    processor = load_processor(ctx["model_dir"])
    stock = type(processor).__name__ == "Qwen2VLProcessor"
    info.update(processor_class=type(processor).__name__,
                image_processor_class=type(processor.image_processor).__name__,
                torchvision=torchvision_available())
    notes = [f"config values from Qwen/Qwen2-VL-2B-Instruct's public config.json; sizes of "
             f"shape {shape.name!r}: text {shape.hidden_size} x {shape.num_layers} layers, "
             f"{shape.num_heads}/{shape.num_kv_heads} heads, intermediate "
             f"{shape.intermediate_size}; vision depth {shape.vision_depth}, embed "
             f"{shape.vision_embed_dim}, {shape.vision_heads} heads, patch {shape.patch_size}, "
             f"merge {shape.spatial_merge_size}; vocab {shape.vocab_size}",
             "tokenizer: built offline (Qwen2 pre-tokenizer, BPE from the project's corpus padded "
             f"to {shape.regular_tokens} tokens, then Qwen2's 14 special tokens: ids "
             f"{min(info['special_ids'].values())}-{max(info['special_ids'].values())})"]
    status = "ok"
    if info["torchvision"] and not stock:
        status = "FAILED"
        notes.append("torchvision is installed but the stock Qwen2VLProcessor was not used")
    if shape.name == "2b" and info["parameters"] != 2_208_985_600:
        notes.append(f"parameter count {info['parameters']} differs from 2208985600 (2B shape)")
        status = "FAILED"
    rows = [("parameters", info["parameters"]), ("dtype", info["dtype"]),
            ("vocab (model / tokenizer)", f"{shape.vocab_size} / {info['tokenizer_size']}"),
            ("weights on disk (GiB)", info["weights_bytes"] / 2**30),
            ("init on device (s)", info["init_s"]), ("save (s)", info["save_s"]),
            ("processor", f"{info['processor_class']} ({info['image_processor_class']})"),
            ("torchvision installed", info["torchvision"])]
    del processor
    if ctx["cuda"]:
        torch.cuda.empty_cache()
    return status, info, rows, notes


def _check_outputs(results: list[Any], tokens: int) -> dict[str, int]:
    return {"results": len(results), "errors": sum(1 for r in results if not r.ok),
            "full_length": sum(1 for r in results if r.ok and r.tokens == tokens)}


def section_hf_eval(args: argparse.Namespace, ctx: dict[str, Any]) -> tuple[Any, ...]:
    from othink_bench.backends.base import generate_all
    from othink_bench.backends.hf import HFBackend
    from othink_bench.models.processor import load_model
    from othink_bench.registry import get_task

    samples, requests = ctx["samples"], ctx["requests"]
    meter: Meter = ctx["meter"]
    meter.reset()
    t0 = time.perf_counter()
    model, processor = load_model(ctx["model_dir"], dtype=ctx["dtype"], device=ctx["device"],
                                  attn_implementation="sdpa")
    backend = HFBackend(ctx["model_dir"], batch_size=args.hf_batch_size, attn="sdpa",
                        loaded=(model, processor))
    meter.sync()
    load_s = time.perf_counter() - t0
    model.generation_config.min_new_tokens = WARMUP_TOKENS
    generate_all(backend, _warmup_requests(requests))  # CUDA/cuBLAS start-up, not timed
    model.generation_config.min_new_tokens = args.max_new_tokens  # random weights never stop
    t0 = time.perf_counter()
    results = generate_all(backend, requests)
    meter.sync()
    gen_s = time.perf_counter() - t0
    peak = meter.peak()
    task = get_task(TASK)
    t0 = time.perf_counter()
    scores = [task.score(r.text or "", s) for r, s in zip(results, samples, strict=True)]
    score_s = time.perf_counter() - t0
    checks = _check_outputs(results, args.max_new_tokens)
    n = len(requests)
    data = {"prompts": n, "batch_size": args.hf_batch_size, "max_new_tokens": args.max_new_tokens,
            "load_s": load_s, "generate_s": gen_s, "samples_per_s": n / gen_s,
            "tokens_per_s": n * args.max_new_tokens / gen_s, "score_s": score_s,
            "correct": sum(s.correct for s in scores), "dtype": str(model.dtype),
            "attn": str(getattr(model.config, "_attn_implementation", "?")), **checks, **peak}
    ctx["hf"] = data
    del backend, model, processor, results
    free_memory(ctx["cuda"])
    ok = checks["errors"] == 0 and checks["full_length"] == n
    rows = [("prompts", n), ("batch size (length-sorted)", args.hf_batch_size),
            ("new tokens per output (forced)", args.max_new_tokens),
            ("model dtype / attention", f"{data['dtype']} / {data['attn']}"),
            ("load (s)", load_s), ("generate (s)", gen_s), ("samples/s", data["samples_per_s"]),
            ("generated tokens/s", data["tokens_per_s"]),
            ("outputs at full length / errors", f"{checks['full_length']} / {checks['errors']}"),
            ("scoring all outputs (s)", score_s), *meter.rows(peak)]
    return "ok" if ok else "FAILED", data, rows, []


def section_reference_eval(args: argparse.Namespace, ctx: dict[str, Any]) -> tuple[Any, ...]:
    """R1-V's loop: from_pretrained(bf16, sdpa, device_map), batches of 50 in file order."""
    import torch
    from transformers import Qwen2VLForConditionalGeneration

    from othink_bench.models.processor import load_processor

    requests = ctx["requests"]
    meter: Meter = ctx["meter"]
    meter.reset()
    t0 = time.perf_counter()
    model = Qwen2VLForConditionalGeneration.from_pretrained(
        ctx["model_dir"], dtype=ctx["dtype"], attn_implementation="sdpa",
        device_map="auto" if ctx["cuda"] else "cpu")
    processor = load_processor(ctx["model_dir"])
    meter.sync()
    load_s = time.perf_counter() - t0
    bsz = args.batch_size

    def run(batch: list[Any], tokens: int) -> tuple[list[str], list[int]]:
        text = [processor.apply_chat_template(r.messages, tokenize=False,
                                              add_generation_prompt=True) for r in batch]
        inputs = processor(text=text, images=[im for r in batch for im in r.images],
                           padding=True, return_tensors="pt").to(model.device)
        with torch.inference_mode():
            generated = model.generate(**inputs, use_cache=True, do_sample=False,
                                       max_new_tokens=tokens, min_new_tokens=tokens)
        trimmed = [out[len(inp):] for inp, out in zip(inputs.input_ids, generated, strict=True)]
        return (processor.batch_decode(trimmed, skip_special_tokens=True,
                                       clean_up_tokenization_spaces=False),
                [len(t) for t in trimmed])

    run(_warmup_requests(requests), WARMUP_TOKENS)  # CUDA/cuBLAS start-up, not timed
    outputs: list[str] = []
    lengths: list[int] = []
    t0 = time.perf_counter()
    for i in range(0, len(requests), bsz):
        texts, sizes = run(requests[i:i + bsz], args.max_new_tokens)
        outputs += texts
        lengths += sizes
    meter.sync()
    gen_s = time.perf_counter() - t0
    peak = meter.peak()
    n = len(requests)
    data = {"prompts": n, "batch_size": bsz, "max_new_tokens": args.max_new_tokens,
            "load_s": load_s, "generate_s": gen_s, "samples_per_s": n / gen_s,
            "tokens_per_s": n * args.max_new_tokens / gen_s, "outputs": len(outputs),
            "full_length": sum(1 for n_ in lengths if n_ == args.max_new_tokens), **peak}
    ctx["reference_model"] = (model, processor)
    hf = ctx.get("hf")
    rows = [("prompts", n), ("batch size (file order, as R1-V)", bsz),
            ("new tokens per output (forced)", args.max_new_tokens), ("load (s)", load_s),
            ("generate (s)", gen_s), ("samples/s", data["samples_per_s"]),
            ("generated tokens/s", data["tokens_per_s"]),
            ("outputs at full length", data["full_length"]), *meter.rows(peak)]
    if hf:
        data["hf_over_reference"] = hf["samples_per_s"] / data["samples_per_s"]
        rows.append(("hf backend samples/s / this loop's", data["hf_over_reference"]))
    notes = ["images are passed to the processor as decoded PIL images (R1-V reads files through "
             "qwen_vl_utils.process_vision_info, whose resize the processor repeats)"]
    ok = data["outputs"] == n and data["full_length"] == n
    return "ok" if ok else "FAILED", data, rows, notes


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class _GenerateProbe:
    """Wraps ``model.generate`` for the OOM test and records every call the backend makes.

    Each call records its batch size, the GPU memory in use when it starts (CUDA) and how many
    earlier failed attempts still hold their tensors (``held``). On a CPU it also simulates the
    OOM: above ``simulate_above`` a call allocates a ballast tensor, as a real attempt allocates
    activations before it fails, and raises ``torch.cuda.OutOfMemoryError``. A failed attempt
    whose ballast is still alive at a later call means the caller retried while the failed
    attempt's frames (and, on a GPU, its activations) were still referenced.
    """

    BALLAST_ELEMENTS = 1 << 20

    def __init__(self, model: Any, simulate_above: int | None, cuda: bool) -> None:
        import weakref

        import torch

        self.model = model
        self.real = model.generate
        self.calls: list[dict[str, Any]] = []
        ballasts: list[Any] = []

        def generate(*a: Any, **kw: Any) -> Any:
            batch = int(kw["input_ids"].shape[0])
            call: dict[str, Any] = {"batch": batch,
                                    "held": sum(1 for r in ballasts if r() is not None)}
            if cuda:
                inputs = sum(v.numel() * v.element_size() for v in kw.values()
                             if isinstance(v, torch.Tensor) and v.is_cuda)
                call["allocated_gib"] = torch.cuda.memory_allocated() / 2**30
                call["inputs_gib"] = inputs / 2**30
            self.calls.append(call)
            if simulate_above is not None and batch > simulate_above:
                ballast = torch.empty(self.BALLAST_ELEMENTS)
                ballasts.append(weakref.ref(ballast))
                call["oom"] = True
                raise torch.cuda.OutOfMemoryError(
                    f"CUDA out of memory (simulated by gpu_check: batch {batch} > "
                    f"{simulate_above}; {ballast.numel()} ballast floats held by this attempt)")
            try:
                return self.real(*a, **kw)
            except torch.cuda.OutOfMemoryError:
                call["oom"] = True
                raise

        model.generate = generate

    def restore(self) -> None:
        self.model.generate = self.real


def section_oom(args: argparse.Namespace, ctx: dict[str, Any]) -> tuple[Any, ...]:
    import torch

    from othink_bench.backends.base import GenRequest, generate_all
    from othink_bench.backends.hf import HFBackend

    model, processor = ctx.pop("reference_model")
    n = min(args.oom_batch, len(ctx["requests"]))
    requests = [GenRequest(sample_id=r.sample_id, messages=r.messages, images=r.images,
                           max_new_tokens=args.oom_tokens) for r in ctx["requests"][:n]]
    model.generation_config.min_new_tokens = args.oom_tokens
    handler = _Warnings()
    hf_log = logging.getLogger("othink_bench.backends.hf")
    hf_log.addHandler(handler)
    simulated = not ctx["cuda"]
    data: dict[str, Any] = {"requests": n, "batch_size_requested": n, "simulated": simulated,
                            "max_new_tokens": args.oom_tokens}
    probe = None
    try:
        if simulated:
            data["simulated_limit"] = max(1, n // 4)
        else:
            free_memory(True)
            total = torch.cuda.get_device_properties(0).total_memory
            cap = torch.cuda.memory_allocated() + int(args.oom_headroom_gib * 2**30)
            torch.cuda.set_per_process_memory_fraction(min(1.0, cap / total))
            data.update(cap_gib=cap / 2**30, weights_gib=torch.cuda.memory_allocated() / 2**30)
        probe = _GenerateProbe(model, data.get("simulated_limit"), ctx["cuda"])
        backend = HFBackend(ctx["model_dir"], batch_size=n, attn="sdpa", loaded=(model, processor))
        t0 = time.perf_counter()
        results = generate_all(backend, requests)
        data["generate_s"] = time.perf_counter() - t0
        data["batch_size_after"] = backend.batch_size
    finally:
        hf_log.removeHandler(handler)
        if probe is not None:
            probe.restore()
        if ctx["cuda"]:
            torch.cuda.set_per_process_memory_fraction(1.0)
        del model, processor
        free_memory(ctx["cuda"])
    halvings = [m for m in handler.messages if "out of memory" in m.lower()]
    data.update(halvings=len(halvings), warnings=halvings, **_check_outputs(results, args.oom_tokens))
    calls = probe.calls if probe is not None else []
    data["calls"] = calls
    data["max_failed_attempts_held"] = max((c["held"] for c in calls), default=0)
    retries = calls[1:]
    if ctx["cuda"] and retries:
        data["max_extra_gib_at_retry"] = max(c["allocated_gib"] - c["inputs_gib"]
                                             for c in retries) - data["weights_gib"]
    recovered = data["errors"] == 0 and data["full_length"] == n
    ok = recovered and data["halvings"] > 0 and data["batch_size_after"] < n
    rows = [("OOM", "simulated (CPU dry run: model.generate raises torch.cuda.OutOfMemoryError "
             f"above batch {data.get('simulated_limit')})" if simulated else
             f"real, GPU memory capped at {data['cap_gib']:.2f} GiB "
             f"(weights {data['weights_gib']:.2f} GiB + {args.oom_headroom_gib} GiB)"),
            ("requests / batch size asked", f"{n} / {n}"),
            ("halvings logged", data["halvings"]), ("batch size after", data["batch_size_after"]),
            ("outputs at full length / errors", f"{data['full_length']} / {data['errors']}"),
            ("time (s)", data["generate_s"]),
            ("generate calls (batch sizes, in order)",
             ", ".join(str(c["batch"]) + ("!" if c.get("oom") else "") for c in calls[:16])
             + (" ..." if len(calls) > 16 else "") + "  (! = out of memory)")]
    if simulated:
        rows.append(("failed attempts still holding their tensors at a later call (max)",
                     data["max_failed_attempts_held"]))
    elif "max_extra_gib_at_retry" in data:
        rows.append(("GPU memory in use at a later call's start beyond the weights and that "
                     "call's inputs (GiB, max)", data["max_extra_gib_at_retry"]))
    notes = halvings[:6]
    held = data["max_failed_attempts_held"] > 0 or data.get("max_extra_gib_at_retry", 0) > 0.1
    data["retry_holds_failed_attempt"] = held
    data["oom_attempts"] = sum(1 for c in calls if c.get("oom"))
    if data["oom_attempts"] > data["halvings"]:
        notes.append(
            f"finding: {data['oom_attempts']} out-of-memory attempts for {data['halvings']} "
            "halvings: after a halving, the other half of the failed batch is still tried at the "
            "size that had just failed before it is split")
    if held:
        notes.append(
            "finding: the backend retries while the failed attempt is still referenced "
            "(othink_bench/backends/hf.py retries inside its `except` block, whose traceback "
            "keeps the failed call's frames and tensors alive), so each halved retry runs with "
            "less free memory than the halving assumes")
    if not data["halvings"]:
        notes.append(f"no OOM happened at batch {n}: raise --oom-batch or lower --oom-headroom-gib")
    return "ok" if ok else "FAILED", data, rows, notes


class _StepStats:
    """Per optimizer step: wall time, peak memory, and the beta TRL holds when the step ends."""

    def __init__(self, meter: Meter) -> None:
        from transformers import TrainerCallback

        outer = self
        self.meter = meter
        self.steps: list[dict[str, Any]] = []
        self.logs: list[dict[str, Any]] = []
        self.trainer: Any = None

        class Callback(TrainerCallback):
            def on_step_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                outer.meter.reset()
                outer._t0 = time.perf_counter()

            def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
                outer.meter.sync()
                outer.steps.append({"step": int(state.global_step) - 1,
                                    "time_s": time.perf_counter() - outer._t0,
                                    "beta_in_trainer": float(outer.trainer.beta),
                                    **outer.meter.peak()})

            def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                       **kw: Any) -> None:
                if logs:
                    outer.logs.append(dict(logs))

        self.callback = Callback()
        self._t0 = 0.0


def section_grpod(args: argparse.Namespace, ctx: dict[str, Any]) -> tuple[Any, ...]:
    from othink_bench.registry import get_task
    from trainers.config import GRPODConfig
    from trainers.data import task_dataset
    from trainers.grpo import build_grpo_trainer
    from trainers.recipes.resolve import resolve_recipe
    from trainers.run import load_training_processor

    meter: Meter = ctx["meter"]
    task = get_task(TASK)
    shape = SHAPES[args.scale]
    overrides: dict[str, Any] = {
        **GEOMETRY_BETAS, "max_steps": args.grpo_steps, "train_samples": args.grpo_prompts,
        "max_completion_length": args.completion_length,
        "generation_kwargs": {"min_new_tokens": args.completion_length},
        "activation_checkpointing": True, "save_strategy": "no", "logging_steps": 1,
        "report_to": "none", "disable_tqdm": True, "dataloader_num_workers": 0,
        "max_pixels": min(401408, shape.max_pixels),
    }
    resolved = resolve_recipe("qwen2-vl-2b", "grpod", "geometry", overrides)
    config = resolved.build_config(ctx["workdir"] / "grpod")
    if not isinstance(config, GRPODConfig):  # pragma: no cover - method grpod
        raise TypeError(f"recipe gave a {type(config).__name__}, not a GRPODConfig")
    dataset, _ = task_dataset(task, train_samples=args.grpo_prompts)
    processor = load_training_processor(ctx["model_dir"], resolved)
    stats = _StepStats(meter)
    meter.reset()
    t0 = time.perf_counter()
    trainer, beta_cb = build_grpo_trainer(task, ctx["model_dir"], processor, config, dataset,
                                          callbacks=[stats.callback])
    stats.trainer = trainer
    meter.sync()
    build_s = time.perf_counter() - t0
    load_peak = meter.peak()
    t0 = time.perf_counter()
    trainer.train()
    train_s = time.perf_counter() - t0
    schedule = config.schedule
    expected = [schedule(s, args.grpo_steps) for s in range(args.grpo_steps)]
    history = [b for _, b in beta_cb.history]
    steps = stats.steps
    policy = trainer.model
    data: dict[str, Any] = {
        "steps": steps, "betas": history, "expected_betas": expected, "build_s": build_s,
        "train_s": train_s, "load_peak": load_peak, "logs": stats.logs,
        "num_generations": config.num_generations,
        "prompts_per_step": (config.per_device_train_batch_size
                             * config.gradient_accumulation_steps // int(config.num_generations or 1)),
        "per_device_train_batch_size": config.per_device_train_batch_size,
        "gradient_accumulation_steps": config.gradient_accumulation_steps,
        "max_completion_length": config.max_completion_length, "bf16": bool(config.bf16),
        "gradient_checkpointing": bool(getattr(policy, "is_activation_checkpointing", None)
                                       or getattr(policy, "is_gradient_checkpointing", False)),
        "policy_dtype": str(next(policy.parameters()).dtype),
        "ref_model": trainer.ref_model is not None, "loss_type": config.loss_type,
        "policy_parameters": sum(p.numel() for p in policy.parameters()),
    }
    lengths = [lg.get("completions/mean_length") for lg in stats.logs
               if "completions/mean_length" in lg]
    data["completion_mean_lengths"] = lengths
    betas_match = (len(history) == args.grpo_steps
                   and all(abs(a - b) < 1e-12 for a, b in zip(history, expected, strict=True))
                   and all(abs(s["beta_in_trainer"] - b) < 1e-12
                           for s, b in zip(steps, expected, strict=False)))
    data["betas_match_schedule"] = betas_match
    del trainer, policy, beta_cb
    free_memory(ctx["cuda"])
    want_bf16 = ctx["cuda"]
    ok = (betas_match and len(steps) == args.grpo_steps and data["ref_model"]
          and data["gradient_checkpointing"] and data["bf16"] == want_bf16)
    rows: list[tuple[str, Any]] = [
        ("policy parameters", data["policy_parameters"]),
        ("policy dtype / bf16 / gradient checkpointing",
         f"{data['policy_dtype']} / {data['bf16']} / {data['gradient_checkpointing']}"),
        ("reference model loaded", data["ref_model"]),
        ("completions per step (generations x prompts)",
         f"{config.num_generations} x {data['prompts_per_step']}"),
        ("completion length (forced)", args.completion_length),
        ("trainer build: policy + reference load (s)", build_s), ("train (s)", train_s)]
    for s in steps:
        peak = s.get("peak_allocated_gib", s.get("peak_rss_gib"))
        rows.append((f"step {s['step']}: time (s) / peak memory (GiB) / beta",
                     f"{s['time_s']:.3f} / {peak:.2f} / {s['beta_in_trainer']:.6g}"))
    rows.append(("betas match the GRPO-D schedule (0 -> 0.02, w/t 0.3)", betas_match))
    notes = [] if ctx["cuda"] else [
        "CPU: trainers.config trains in float32 where there is no GPU (bf16 requested by the "
        "recipe); peak memory is the process's RSS"]
    notes.append("random weights earn no reward: every group's advantage is 0, so the loss is "
                 "the KL term alone; the forward, backward and optimizer work is the full step's")
    return "ok" if ok else "FAILED", data, rows, notes


SECTIONS: list[tuple[str, str, Callable[..., tuple[Any, ...]]]] = [
    ("build", "1. Random-weight model of the 2B shape, and its processor", section_build),
    ("hf_eval", "2a. Evaluation with the hf backend", section_hf_eval),
    ("reference_eval", "2b. Evaluation with a bare generate loop (R1-V style)",
     section_reference_eval),
    ("oom", "3. Out-of-memory halving", section_oom),
    ("grpod", "4. GRPO-D optimizer steps", section_grpod),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", choices=sorted(SHAPES), default="2b",
                   help="2b: Qwen2-VL-2B-Instruct's shape (GPU); tiny: the CPU dry run")
    p.add_argument("--out", type=Path, default=None,
                   help="results file (default benchmarks/results/gpu_check_<scale>.md)")
    p.add_argument("--workdir", type=Path, default=None, help="where the checkpoint is written")
    p.add_argument("--dtype", default=None, help="bf16 (GPU default) or fp32 (CPU default)")
    p.add_argument("--prompts", type=int, default=None, help="gr-synth prompts to evaluate")
    p.add_argument("--max-new-tokens", type=int, default=None, help="forced output length")
    p.add_argument("--batch-size", type=int, default=None, help="reference loop batch (R1-V: 50)")
    p.add_argument("--hf-batch-size", type=int, default=None, help="hf backend batch size")
    p.add_argument("--oom-batch", type=int, default=None, help="batch asked for in the OOM test")
    p.add_argument("--oom-tokens", type=int, default=None, help="output length in the OOM test")
    p.add_argument("--oom-headroom-gib", type=float, default=0.5,
                   help="GPU memory allowed above the weights in the OOM test")
    p.add_argument("--grpo-steps", type=int, default=3)
    p.add_argument("--grpo-prompts", type=int, default=None, help="training prompts to load")
    p.add_argument("--completion-length", type=int, default=None,
                   help="GRPO completion length (forced)")
    p.add_argument("--skip", default="", help="comma-separated sections to skip")
    p.add_argument("--budget-s", type=float, default=360.0,
                   help="start no section after this many seconds (the run must end in 8 min)")
    args = p.parse_args(argv)
    d = DEFAULTS[args.scale]
    for name, key in (("prompts", "prompts"), ("max_new_tokens", "max_new_tokens"),
                      ("batch_size", "batch"), ("hf_batch_size", "batch"),
                      ("oom_batch", "oom_batch"), ("oom_tokens", "oom_tokens"),
                      ("completion_length", "completion"), ("grpo_prompts", "grpo_prompts")):
        if getattr(args, name) is None:
            setattr(args, name, d[key])
    if args.out is None:
        args.out = ROOT / "benchmarks" / "results" / f"gpu_check_{args.scale}.md"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")  # everything is local; a hub call would only hang
    import torch
    import transformers

    from othink_bench.models.processor import resolve_dtype

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()
    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    dtype = resolve_dtype(args.dtype or ("bf16" if cuda else "fp32"), device)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gpu_check-"))
    try:
        return _run(args, command_line(argv), start, cuda, device, dtype, workdir)
    finally:
        transformers.logging.set_verbosity(verbosity)
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(args: argparse.Namespace, command: str, start: float, cuda: bool, device: str,
         dtype: Any, workdir: Path) -> int:
    via = os.environ.get("GPU_CHECK_VIA")
    if via:
        command = f"{via}  (runs: {command})"
    found = versions()
    header = {"date": now_utc(), "command": command, "versions": found,
              "lock_differences": lock_differences(found, ROOT / "constraints.txt"),
              "device": device_facts(), "commit": git_commit(ROOT), "scale": args.scale,
              "public_config": QWEN2_VL_2B, "settings": {k: str(v) for k, v in vars(args).items()}}
    report = Report(args.out, header)
    log(f"{header['device']['name']}; versions {header['versions']}")
    ctx: dict[str, Any] = {"cuda": cuda, "device": device, "dtype": dtype, "workdir": workdir,
                           "meter": Meter(cuda)}
    samples, requests, prep_s = build_requests(args.prompts, args.max_new_tokens)
    ctx.update(samples=samples, requests=requests)
    log(f"{len(requests)} {TASK} prompts built in {prep_s:.1f}s")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    for key, title, fn in SECTIONS:
        if key in skip:
            continue
        if time.perf_counter() - start > args.budget_s:
            report.add(key, title, "SKIPPED", {}, [],
                       [f"not started: {args.budget_s:.0f}s time budget spent"])
            log(f"section {key}: skipped (time budget)")
            continue
        log(f"section {key} ...")
        t0 = time.perf_counter()
        try:
            status, data, rows, notes = fn(args, ctx)
        except Exception as exc:  # a failure is a finding: record it, go on with the rest
            logging.getLogger(__name__).exception("section %s failed", key)
            status, data, rows = "FAILED", {"error": f"{type(exc).__name__}: {exc}"}, []
            notes = [f"error: {type(exc).__name__}: {str(exc)[:800]}"]
            ctx.pop("reference_model", None)
            free_memory(cuda)
        data["section_s"] = time.perf_counter() - t0
        rows = [*rows, ("section wall time (s)", data["section_s"])]
        header["elapsed_s"] = time.perf_counter() - start
        report.add(key, title, status, data, rows, notes)
        log(f"section {key}: {status} in {data['section_s']:.1f}s")
        for k, v in rows:
            log(f"  {k}: {v}")
    header["elapsed_s"] = time.perf_counter() - start
    report.write()
    log(f"{'ok' if report.ok else 'FAILED'} in {header['elapsed_s']:.1f}s; results in {args.out}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
