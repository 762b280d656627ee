"""`othink-bench run`: evaluate a checkpoint on tasks.

A thin layer over :func:`othink_bench.harness.evaluate`: it maps flags to
:class:`~othink_bench.harness.RunSettings`, prints the summary table (or its JSON,
:func:`~othink_bench.harness.present.summary_json`), and turns the harness's expected failures
(bad data, too many errors, a locked run) into one clear line and an exit code instead of a
traceback. ``othink-bench compare`` lives in :mod:`othink_bench.commands.compare`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from othink_bench.backends.factory import BACKENDS
from othink_bench.images import DEFAULT_DECODE_PIXELS, DEFAULT_MAX_IMAGE_PIXELS
from othink_bench.strict_json import dumps


def configure_run(parser: argparse.ArgumentParser) -> None:
    p = parser
    p.add_argument(
        "--model",
        required=True,
        help="checkpoint folder, hub id (owner/name), 'tiny' (the package's tiny Qwen2-VL: "
        "a trained one when bundled, else random weights built offline), a served model name (--backend openai), or a script "
        "JSON file (--backend scripted)",
    )
    p.add_argument("--tasks", required=True, help="comma-separated task ids or @suites, e.g. "
                   "gr,vc or @generalisation (`othink-bench tasks` lists both)")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="hf",
        help="hf: transformers in process (default); vllm: GPU, needs "
        "othink-bench[vllm]; openai: an OpenAI-compatible endpoint; "
        "scripted: outputs from a JSON file (tests, examples)",
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--source",
        choices=["hub", "local", "synthetic"],
        help="where samples come from (default: the task's own)",
    )
    data.add_argument("--split", choices=["test", "train"], default="test")
    data.add_argument("--data", help="data file or folder for --source local")
    data.add_argument("--image-root", help="folder that relative image paths resolve against")
    data.add_argument(
        "--limit",
        type=_limit,
        help="first N samples only, or a fraction 0<x<1 of the split (rounded up); a larger "
        "selection later extends the same run",
    )
    data.add_argument("--offset", type=int, default=0, help="skip the first N samples")
    data.add_argument(
        "--sample-ids",
        type=_sample_ids,
        help="only these samples: ID,ID,... or @FILE (one id per line)",
    )
    data.add_argument(
        "--data-seed",
        type=int,
        default=0,
        help="which procedural test set (synthetic tasks; default 0); --seed is the sampling seed",
    )
    data.add_argument(
        "--allow-outside-images",
        action="store_true",
        help="read image paths that leave the data file's folder (or --image-root): '../', "
        "absolute paths (off by default: such rows are per-sample errors)",
    )
    data.add_argument(
        "--max-image-pixels",
        type=int,
        default=DEFAULT_MAX_IMAGE_PIXELS,
        help="largest image area decoded, checked from the file's header before any pixel is "
        f"(default {DEFAULT_MAX_IMAGE_PIXELS}); larger images, and ones with an aspect ratio "
        "over 200:1, are per-sample image errors",
    )
    scoring = p.add_argument_group("prompt and scoring")
    scoring.add_argument(
        "--prompt",
        default="paper",
        help="the tasks' prompt variant (default paper; `othink-bench tasks --prompts` lists "
        "each task's: r1v-eval and r1v-train are R1-V's exact strings, direct asks for the "
        "answer alone and is read by the free-form profile); any other than paper is a run of "
        "its own",
    )
    scoring.add_argument(
        "--profile",
        action="append",
        metavar="NAME[,NAME]",
        help="also record this scoring profile's verdict in each record, beside the strict one "
        "(repeatable; e.g. r1v-legacy, math-verify-whole, free-form); the strict verifier stays "
        "the run's score",
    )
    gen = p.add_argument_group("generation (defaults follow the paper: greedy)")
    gen.add_argument("--batch-size", type=int, default=8)
    gen.add_argument(
        "--max-new-tokens",
        type=int,
        help="default: each task's own (the 'max tokens' column of `othink-bench tasks`)",
    )
    gen.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    gen.add_argument("--top-p", type=float, default=1.0)
    gen.add_argument(
        "--samples", type=int, default=1, help="outputs drawn per prompt (needs --temperature > 0)"
    )
    gen.add_argument(
        "--seed", type=int, default=0, help="sampling seed (with --temperature > 0; default 0)"
    )
    hw = p.add_argument_group("model loading (hf, vllm)")
    hw.add_argument(
        "--dtype",
        choices=["auto", "bf16", "fp16", "fp32"],
        default="auto",
        help="auto: bf16 on GPU, fp32 on CPU",
    )
    hw.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    hw.add_argument(
        "--threads",
        type=int,
        help="hf on CPU: torch's CPU threads (default: OMP_NUM_THREADS, else the usable cores "
        "minus one, left for preparing and scoring batches; the choice is printed and recorded)",
    )
    hw.add_argument("--attn", help="attention implementation, e.g. flash_attention_2, sdpa")
    hw.add_argument(
        "--trust-remote-code",
        action="store_true",
        help="run the checkpoint's own Python code (off by default)",
    )
    hw.add_argument(
        "--revision",
        "--model-revision",
        dest="revision",
        help="hub revision to pin in the run id; with --backend openai, what you know of the "
        "served checkpoint (a commit, a step): part of the run id",
    )
    hw.add_argument(
        "--max-pixels",
        type=int,
        help="hf: largest image area given to the model, applied through the model family's own "
        "image-processor keys (default: the checkpoint's); part of the run id. Every backend: "
        f"larger images are reduced towards it as they decode (default {DEFAULT_DECODE_PIXELS})",
    )
    hw.add_argument("--min-pixels", type=int, help="hf: smallest image area (as --max-pixels)")
    hw.add_argument("--tensor-parallel-size", type=int, help="vllm: GPUs per model replica")
    hw.add_argument("--gpu-memory-utilization", type=float, help="vllm: share of GPU memory")
    hw.add_argument("--max-model-len", type=int, help="vllm: context length")
    api = p.add_argument_group("openai-compatible endpoint")
    api.add_argument("--base-url", help="e.g. http://localhost:8000/v1 (or env OPENAI_BASE_URL)")
    api.add_argument("--api-key", help="default: env OPENAI_API_KEY")
    api.add_argument("--concurrency", type=int, help="parallel requests (default 8)")
    api.add_argument(
        "--timeout",
        type=float,
        help="seconds for one whole request, the complete answer included (default 120)",
    )
    api.add_argument(
        "--max-retries",
        type=int,
        help="retries on 429/5xx/timeouts (default 5); all attempts of a sample end within "
        "timeout x (max-retries + 1) seconds",
    )
    api.add_argument(
        "--no-merge-reasoning",
        action="store_true",
        help="keep the server's content as is: do not rebuild <think>{reasoning}</think> from "
        "message.reasoning_content / message.reasoning",
    )
    out = p.add_argument_group("output")
    out.add_argument("--out", default="runs", help="runs root (default: runs/)")
    out.add_argument(
        "--max-errors",
        type=float,
        default=0.1,
        help="stop a task when more than this fraction of samples fail "
        "(checked after 20; default 0.1; 1 disables)",
    )
    out.add_argument(
        "--no-retry-errors",
        action="store_true",
        help="keep earlier image/generation errors instead of redoing them",
    )
    out.add_argument("--no-progress", action="store_true", help="no progress bars")
    out.add_argument("--json", action="store_true", help="print the summaries as JSON")
    out.add_argument(
        "--breakdown",
        action="store_true",
        help="also print accuracy per breakdown (counting: true count; geometry: answer form)",
    )
    info = p.add_argument_group(
        "model description (recorded in the manifest; a checkpoint folder saved by "
        "`othink-bench train` supplies these from its othink_checkpoint.json, and a flag that "
        "differs overrides it with a warning)"
    )
    info.add_argument("--label", help="display name on boards")
    info.add_argument("--method", help="base | sft | grpo | grpod | ...")
    info.add_argument("--train-task", help="task the checkpoint was trained on")
    info.add_argument("--base-model", help="model the checkpoint was trained from")
    info.add_argument("--step", type=int, help="training step of the checkpoint")
    info.add_argument(
        "--train-seed", type=int, help="training seed (train-and-eval --seeds) of the checkpoint"
    )
    from othink_bench.reporting import add_report_args

    add_report_args(p)


def _limit(text: str) -> int | float:
    """``--limit``: a count (``8``) or a fraction of the split (``0.25``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither a count nor a fraction") from None
    if value.is_integer() and value >= 1:
        return int(value)
    if 0 < value < 1:
        return value
    raise argparse.ArgumentTypeError(f"{text!r}: use a count >= 1 or a fraction in (0, 1)")


def _sample_ids(text: str) -> tuple[str, ...]:
    from othink_bench.runstate import parse_sample_ids

    try:
        return parse_sample_ids(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _backend_options(args: argparse.Namespace) -> dict[str, Any]:
    opts = {
        "attn": args.attn,
        "threads": args.threads,
        "trust_remote_code": args.trust_remote_code or None,
        "revision": args.revision,
        "max_pixels": args.max_pixels,
        "min_pixels": args.min_pixels,
        "tensor_parallel_size": args.tensor_parallel_size,
        "gpu_memory_utilization": args.gpu_memory_utilization,
        "max_model_len": args.max_model_len,
        "base_url": args.base_url,
        "api_key": args.api_key,
        "concurrency": args.concurrency,
        "timeout": args.timeout,
        "max_retries": args.max_retries,
        "merge_reasoning": False if args.no_merge_reasoning else None,
    }
    return {k: v for k, v in opts.items() if v is not None}


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Failures that deserve one line, not a traceback."""
    from othink_bench.harness import HarnessError
    from othink_bench.registry import UnknownTaskError

    errors: list[type[BaseException]] = [
        HarnessError,
        UnknownTaskError,
        FileNotFoundError,
        ValueError,
        ImportError,
    ]
    with contextlib.suppress(ImportError):
        from othink_bench.data_sources import DataSourceError

        errors.append(DataSourceError)
    with contextlib.suppress(ImportError):
        from othink_bench.models.processor import ModelLoadError

        errors.append(ModelLoadError)
    return tuple(errors)


def model_description(args: argparse.Namespace) -> dict[str, Any]:
    """The manifest's model description: the flags over what a checkpoint folder records
    (:mod:`othink_bench.models.provenance`), so ``train`` then ``run`` gives the rows of
    ``train-and-eval``. Warns on stderr for each flag that contradicts the folder's file;
    raises :class:`~othink_bench.models.provenance.CheckpointMetaError` for an unreadable one."""
    from othink_bench.models.provenance import CHECKPOINT_META, merge_provenance, read_provenance

    folder = Path(args.model).expanduser()
    found = None
    if args.backend in ("hf", "vllm") and args.model != "tiny" and folder.is_dir():
        found = read_provenance(folder)
    given = {
        "method": args.method,
        "base_model": args.base_model,
        "train_task": args.train_task,
        "step": args.step,
        "train_seed": args.train_seed,
        "label": args.label,
    }
    fields, warnings = merge_provenance(given, found, str(folder / CHECKPOINT_META))
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    return fields


def execute_run(args: argparse.Namespace) -> int:
    from othink_bench.commands.run_checks import check_run_args
    from othink_bench.models.provenance import CheckpointMetaError
    from othink_bench.reporting import preflight

    # Everything that needs no model is checked before torch and transformers load.
    if problem := preflight(args) or check_run_args(args):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        described = model_description(args)
    except CheckpointMetaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, value in described.items():  # what --report-to logs, too
        setattr(args, name, value)

    from othink_bench.backends.base import distributed_env
    from othink_bench.harness import RunSettings, TooManyErrors, evaluate, format_summary
    from othink_bench.harness.present import summary_json
    from othink_bench.records import ModelInfo
    from othink_bench.reporting import report_from_args
    from othink_bench.runstate import Terminated

    info = ModelInfo(name=args.model, path=None, revision=None, **described)
    settings = RunSettings(
        backend=args.backend,
        source=args.source,
        split=args.split,
        data=args.data,
        image_root=args.image_root,
        limit=args.limit,
        offset=args.offset,
        sample_ids=args.sample_ids,
        allow_outside_images=args.allow_outside_images,
        max_image_pixels=args.max_image_pixels,
        batch_size=args.batch_size,
        max_new_tokens=args.max_new_tokens,
        temperature=args.temperature,
        top_p=args.top_p,
        samples=args.samples,
        seed=args.seed,
        data_seed=args.data_seed,
        out=args.out,
        prompt=args.prompt,
        profiles=args.profiles,
        dtype=args.dtype,
        device=args.device,
        max_errors=args.max_errors,
        retry_errors=not args.no_retry_errors,
        progress=not args.no_progress,
        backend_options=_backend_options(args),
    )
    rank = distributed_env()[0]
    try:
        summaries = evaluate(args.model, args.tasks, model_info=info, settings=settings)
    except TooManyErrors as exc:
        if rank == 0 and exc.summaries:
            print(format_summary(exc.summaries, breakdown=args.breakdown))
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Terminated as exc:  # before _expected_errors(), whose imports take seconds
        print(f"{exc}; finished work is kept and a rerun resumes it", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        raise  # Ctrl-C: the CLI says so, without first importing transformers
    except _expected_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if rank != 0:
        return 0
    if args.json:
        print(dumps([summary_json(s) for s in summaries], where="--json output", indent=2))
    else:
        print(format_summary(summaries, breakdown=args.breakdown))
    for line in report_from_args(args, summaries):
        print(line, file=sys.stderr if args.json else sys.stdout)
    return 0
