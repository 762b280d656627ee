"""``othink-bench make-tiny``: build the bundled tiny model from scratch, offline, on a CPU.

Why this exists: the machines this project is built on (and most users' laptops) cannot download
Qwen2-VL or the paper's data, and have no GPU. The only way to show there that the trainers learn
and that the train/eval matrices mean something is a small model that already does the tasks a
little and that this project trained itself. This command is that recipe, end to end and
reproducible:

1. :func:`othink_bench.models.tiny.build_tiny` - a random ~2.3M-parameter Qwen2-VL with a locally
   trained BPE tokenizer, the Qwen2-VL chat template and image processor;
2. SFT warm-up with this project's own SFT trainer (:func:`trainers.sft.build_sft_trainer` over
   :func:`trainers.data.build_dataset`: the evaluation prompt in, the task's solution out, loss on
   the assistant turn only) on the *training* splits of ``vc-synth-tiny`` and ``gr-synth-tiny``,
   mixed (2:1 by default) in task-homogeneous batches (a counting sequence is half as long as a
   geometry one, so mixed batches would mostly pay for padding);
3. evaluation of the saved folder with the harness (:func:`othink_bench.harness.evaluate`,
   greedy, the tasks' own token budgets) on both *test* splits, plus an optional validation on a
   disjoint training stream (data seed + 1) - the only numbers a person tuning this recipe
   should look at;
4. a model card (``README.md``) and a machine-readable ``make_tiny.json`` next to the weights,
   and the folder swapped into place atomically.

The recipe starts from what was known to work on 2 CPU cores (112x112 grid images with a 16-bit
occupancy scratchpad, batch 16, lr 1e-3 cosine, 1500 steps of counting alone). Mixed with geometry
in task-homogeneous batches, counting is learned sooner: 1500 steps gave 96% on the validation
stream, far above the 30-75% the bundled model should have (RL needs room), while 1000 steps gave
55-70% - hence the default of 1000 steps (:data:`STEP_CHOICE` records the sweep). Determinism: the weights come from ``torch.manual_seed(seed)``, the data
from the tasks' seeded generators, the batch order from ``random.Random(seed)`` with a sequential
sampler and no dataloader workers, and torch runs one thread by default (the same float rounding
whatever the machine's core count, and no collapse when another job shares the cores: two threads
on one free core ran about 20 times slower), so the same seed on the same software gives the same
model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from othink_bench.task import Split

log = logging.getLogger(__name__)

COUNTING_TASK = "vc-synth-tiny"
GEOMETRY_TASK = "gr-synth-tiny"
TASKS: tuple[str, str] = (COUNTING_TASK, GEOMETRY_TASK)

#: The card and ``make_tiny.json`` written next to the weights.
CARD_FILE = "README.md"
RESULT_FILE = "make_tiny.json"

#: What the bundled model is meant to reach (the issue's targets); reported, never tuned on:
#: counting accuracy in this range (above chance, with room for RL), a geometry interval whose
#: lower end is above 0, and a format rate above 80% on both tasks.
COUNTING_TARGET: tuple[float, float] = (0.30, 0.75)
FORMAT_TARGET: float = 0.80

#: How the default step count was chosen: development runs of this recipe (seed 0, everything
#: else at its default) scored on the *validation* stream (train split, data seed 1, 100 samples
#: per task), never on the test split: (steps, torch threads, counting %, geometry %). The
#: default thread count went from 2 to 1 after the sweep (robust speed on shared cores, the same
#: rounding on every machine); the step count was not re-tuned for it.
STEP_CHOICE: tuple[tuple[int, int, float, float], ...] = (
    (1500, 2, 96.0, 5.0),
    (1000, 2, 55.0, 6.0),
    (1000, 1, 70.0, 6.0),
)


@dataclass
class MakeTinyOptions:
    """Everything that determines a build (the defaults build the bundled checkpoint)."""

    out: Path | None = None  # None: the bundled folder othink_bench/models/tiny_ckpt
    seed: int = 0
    data_seed: int = 0
    steps: int = 1000
    batch_size: int = 16
    learning_rate: float = 1e-3
    lr_scheduler: str = "cosine"
    warmup_steps: int = 0
    counting_share: float = 2 / 3
    counting_pool: int | None = None  # None: every counting batch row is a distinct sample
    geometry_pool: int | None = None
    eval_limit: int = 200
    val_limit: int = 100
    eval_batch_size: int = 32
    max_new_tokens: int | None = None  # None: the tasks' own budgets (256 / 1024)
    threads: int = 1  # torch intra-op threads: fixed, so every machine rounds the same way
    logging_steps: int = 50
    work: Path | None = None  # None: a temporary folder, removed at the end
    keep_work: bool = False
    progress: bool = True

    def validate(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {self.batch_size}")
        if not 0.0 <= self.counting_share <= 1.0:
            raise ValueError(f"counting share must be in [0, 1], got {self.counting_share}")
        if self.seed < 0 or self.data_seed < 0:
            raise ValueError("seeds must be >= 0")
        if self.eval_limit < 1:
            raise ValueError(f"eval limit must be >= 1, got {self.eval_limit}")
        if self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads}")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise ValueError(f"max new tokens must be >= 1, got {self.max_new_tokens}")
        if self.val_limit < 0:
            raise ValueError(f"val limit must be >= 0, got {self.val_limit}")
        for name in ("counting_pool", "geometry_pool"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("out", "work"):
            d[key] = None if d[key] is None else str(d[key])
        return d


@dataclass
class TaskResult:
    """One task's evaluation: counts, Wilson 95% intervals, format rate, run folder."""

    task: str
    task_version: str
    split: str
    data_seed: int
    n: int
    correct: int
    accuracy: float
    accuracy_low: float
    accuracy_high: float
    format_ok: int
    format_rate: float
    format_low: float
    format_high: float
    lenient: float
    errors: int
    elapsed_s: float
    run_id: str  # the harness's run folder name under the work folder's runs/
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class MakeTinyResult:
    """What a build produced; ``make_tiny.json`` holds :meth:`to_dict`."""

    out: Path
    options: MakeTinyOptions
    command: str
    data: dict[str, Any]
    training: dict[str, Any]
    test: dict[str, TaskResult]
    validation: dict[str, TaskResult]
    timings: dict[str, float]
    cpu_timings: dict[str, float]
    weights_bytes: int
    weights_sha256: str
    num_parameters: int
    software: dict[str, str]
    targets_met: dict[str, bool]

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "options": self.options.to_dict(),
            "command": self.command,
            "data": self.data,
            "training": self.training,
            "test": {k: asdict(v) for k, v in self.test.items()},
            "validation": {k: asdict(v) for k, v in self.validation.items()},
            "timings": self.timings,
            "cpu_timings": self.cpu_timings,
            "weights_bytes": self.weights_bytes,
            "weights_sha256": self.weights_sha256,
            "num_parameters": self.num_parameters,
            "software": self.software,
            "targets_met": self.targets_met,
        }


# ---------------------------------------------------------------------------------------------
# Data


def batch_plan(
    steps: int,
    batch_size: int,
    counting_share: float,
    pools: tuple[int, int],
    seed: int,
) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """The training order: ``steps`` task-homogeneous batches of ``(task, sample index)`` rows.

    ``round(steps * counting_share)`` batches are counting (task 0), the rest geometry (task 1),
    in an order shuffled by ``random.Random(seed)``. Within a task, samples are drawn epoch by
    epoch from a fresh permutation of its pool, so a pool as large as the rows it must fill is
    seen exactly once. Returns the flat row list and the number of batches of each task.
    """
    rng = random.Random(seed)
    n_count = round(steps * counting_share)
    kinds = [0] * n_count + [1] * (steps - n_count)
    rng.shuffle(kinds)
    streams: list[list[int]] = [[], []]

    def take(task: int) -> list[int]:
        stream = streams[task]
        while len(stream) < batch_size:
            perm = list(range(pools[task]))
            rng.shuffle(perm)
            stream.extend(perm)
        batch, streams[task] = stream[:batch_size], stream[batch_size:]
        return batch

    rows = [(kind, i) for kind in kinds for i in take(kind)]
    return rows, (n_count, steps - n_count)


def _pool_sizes(opts: MakeTinyOptions) -> tuple[int, int]:
    n_count = round(opts.steps * opts.counting_share)
    need = (n_count * opts.batch_size, (opts.steps - n_count) * opts.batch_size)
    pools = (opts.counting_pool or need[0], opts.geometry_pool or need[1])
    return max(1, pools[0]), max(1, pools[1])


def build_training_data(opts: MakeTinyOptions) -> tuple[Any, dict[str, Any]]:
    """The SFT dataset in training order (for a sequential sampler) and a description of it."""
    from datasets import concatenate_datasets

    from othink_bench.registry import get_task
    from trainers.data import DataReport, build_dataset

    pools = _pool_sizes(opts)
    rows, n_batches = batch_plan(opts.steps, opts.batch_size, opts.counting_share, pools,
                                 opts.seed)
    parts, info = [], {}
    for t, (task_id, pool) in enumerate(zip(TASKS, pools, strict=True)):
        task = get_task(task_id)
        used = sorted({i for kind, i in rows if kind == t})
        size = (used[-1] + 1) if used else 0
        if size == 0:  # the task gets no batch (counting_share 0 or 1): one row keeps shapes
            size = 1
        report = DataReport()
        samples = task.load(split="train", limit=size, seed=opts.data_seed)
        parts.append(build_dataset(task, samples, for_sft=True, report=report))
        if report.used != size:
            raise RuntimeError(f"{task_id}: {report.used} of {size} training samples usable "
                               f"({report.dropped})")
        info[task_id] = {
            "version": task.version,
            "split": "train",
            "data_seed": opts.data_seed,
            "indices": f"0..{size - 1}",
            "distinct_samples": len(used),
            "pool": pool,
            "batches": n_batches[t],
            "rows": n_batches[t] * opts.batch_size,
        }
    offset = len(parts[0])
    order = [i if kind == 0 else offset + i for kind, i in rows]
    dataset = concatenate_datasets(parts).select(order)
    return dataset, {"tasks": info, "rows": len(order), "order_seed": opts.seed}


# ---------------------------------------------------------------------------------------------
# Training


def _loss_logger(progress: bool) -> Any:
    from transformers import TrainerCallback

    class LossLog(TrainerCallback):  # type: ignore[misc]
        """Keeps (step, loss, seconds) at every logging step and prints one line for each."""

        def __init__(self) -> None:
            self.t0 = time.perf_counter()
            self.points: list[dict[str, float]] = []

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
            if not logs or "loss" not in logs:
                return
            point = {
                "step": int(state.global_step),
                "loss": round(float(logs["loss"]), 4),
                "token_accuracy": round(float(logs.get("mean_token_accuracy", float("nan"))), 4),
                "elapsed_s": round(time.perf_counter() - self.t0, 1),
            }
            self.points.append(point)
            if progress:
                print(f"  step {point['step']:>5}/{state.max_steps}  loss {point['loss']:.4f}  "
                      f"token acc {point['token_accuracy']:.3f}  {point['elapsed_s']:.0f}s",
                      flush=True)

    return LossLog()


def train_sft(
    base: Path,
    dataset: Any,
    opts: MakeTinyOptions,
    work: Path,
    callbacks: Sequence[Any] = (),
) -> tuple[Any, dict[str, Any]]:
    """SFT the random tiny at ``base`` on ``dataset`` (rows already in order) with the project's
    SFT trainer; returns the trained model (in memory) and a description of the training.
    ``callbacks`` (transformers ``TrainerCallback``) are added to the trainer's."""
    import torch

    from othink_bench.models.processor import load_model
    from trainers.config import SFTRecipeConfig
    from trainers.sft import build_sft_trainer

    torch.manual_seed(opts.seed)
    model, processor = load_model(str(base), device="cpu", dtype="float32")
    model.train()
    config = SFTRecipeConfig(
        output_dir=str(work / "sft"),
        max_steps=opts.steps,
        per_device_train_batch_size=opts.batch_size,
        gradient_accumulation_steps=1,
        learning_rate=opts.learning_rate,
        lr_scheduler_type=opts.lr_scheduler,
        warmup_steps=opts.warmup_steps,
        train_sampling_strategy="sequential",  # the order is batch_plan's, seeded
        dataloader_num_workers=0,
        gradient_checkpointing=False,  # 2.3M parameters: recomputation only costs time
        activation_checkpointing=False,
        logging_steps=opts.logging_steps,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=opts.seed,
        data_seed=opts.seed,
        bf16=False,
        use_cpu=True,
    )
    logger = _loss_logger(opts.progress)
    trainer = build_sft_trainer(model, processor, config, dataset,
                                callbacks=[logger, *callbacks])
    # The stock PrinterCallback would print every log dict again; ours prints one line.
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    t0 = time.perf_counter()
    output = trainer.train()
    seconds = time.perf_counter() - t0
    steps = int(trainer.state.global_step)
    info = {
        "trainer": "trainers.sft.build_sft_trainer (trl.SFTTrainer, completion-only loss)",
        "steps": steps,
        "batch_size": opts.batch_size,
        "learning_rate": opts.learning_rate,
        "lr_scheduler": opts.lr_scheduler,
        "warmup_steps": opts.warmup_steps,
        "optimizer": str(getattr(config.optim, "value", config.optim)),
        "weight_decay": config.weight_decay,
        "max_grad_norm": config.max_grad_norm,
        "precision": "float32",
        "seconds": round(seconds, 1),
        "seconds_per_step": round(seconds / max(steps, 1), 3),
        "final_train_loss": float(output.training_loss),
        "loss_curve": logger.points,
        "torch_threads": torch.get_num_threads(),
    }
    model.eval()
    return trainer.model, info


def save_trained(base: Path, model: Any, dest: Path) -> int:
    """Copy the random build's folder (tokenizer, processor, configs) to ``dest`` and put the
    trained weights in it; returns the size of ``model.safetensors`` in bytes."""
    shutil.copytree(base, dest, dirs_exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        weights = Path(tmp) / "model.safetensors"
        if not weights.is_file():
            raise RuntimeError(f"save_pretrained wrote no single model.safetensors in {tmp}")
        shutil.copyfile(weights, dest / "model.safetensors")
    os.chmod(dest / "model.safetensors", 0o644)
    return (dest / "model.safetensors").stat().st_size


# ---------------------------------------------------------------------------------------------
# Evaluation


def _task_result(summary: Any, split: Split, data_seed: int) -> TaskResult:
    m = summary.metrics
    return TaskResult(
        task=summary.task,
        task_version=summary.task_version,
        split=split,
        data_seed=data_seed,
        n=m.accuracy.n,
        correct=m.accuracy.k,
        accuracy=m.accuracy.value,
        accuracy_low=m.accuracy.low,
        accuracy_high=m.accuracy.high,
        format_ok=m.format_rate.k,
        format_rate=m.format_rate.value,
        format_low=m.format_rate.low,
        format_high=m.format_rate.high,
        lenient=m.lenient.value,
        errors=m.errors,
        elapsed_s=round(summary.elapsed_s, 1),
        run_id=str(summary.run_id),
    )


def evaluate_folder(
    folder: Path, *, split: Split, data_seed: int, limit: int, opts: MakeTinyOptions, work: Path
) -> dict[str, TaskResult]:
    """Greedy evaluation of a checkpoint folder on both tiny tasks through the harness."""
    from othink_bench.harness import evaluate, load_run_records
    from othink_bench.records import ModelInfo
    from othink_bench.registry import get_task

    info = ModelInfo(name="tiny", path=str(folder), revision=None, method="sft",
                     base_model="random tiny", train_task=None, step=None,
                     label="tiny (make-tiny)")
    summaries = evaluate(
        str(folder),
        list(TASKS),
        model_info=info,
        split=split,
        seed=data_seed,  # greedy: the sampling seed only keeps the earlier run ids
        data_seed=data_seed,
        limit=limit,
        batch_size=opts.eval_batch_size,
        max_new_tokens=opts.max_new_tokens,
        device="cpu",
        dtype="float32",
        out=str(work / "runs"),
        progress=False,
    )
    results = {}
    for summary in summaries:
        result = _task_result(summary, split, data_seed)
        records = load_run_records(summary.run_dir)
        if summary.task == COUNTING_TASK:
            samples = get_task(COUNTING_TASK).load(split=split, limit=limit, seed=data_seed)
            result.extra["occupancy"] = occupancy_report(records, samples)
            result.extra["constant_answer_baseline"] = constant_baseline(samples)
        result.extra["by_breakdown"] = _breakdown(records)
        result.extra["mean_output_tokens"] = _mean([r.tokens for r in records if r.tokens])
        results[summary.task] = result
    return results


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _breakdown(records: Sequence[Any]) -> dict[str, str]:
    groups: dict[str, list[bool]] = {}
    for r in records:
        if r.error is None:
            groups.setdefault(r.breakdown or "-", []).append(bool(r.correct))
    return {k: f"{sum(v)}/{len(v)}" for k, v in sorted(groups.items(), key=lambda kv: _nat(kv[0]))}


def _nat(label: str) -> tuple[int, str]:
    tail = label.rsplit("=", 1)[-1]
    return (int(tail), label) if tail.isdigit() else (10**9, label)


def _think(text: str) -> str | None:
    """The content of the first ``<think>...</think>`` block (string search, no parsing)."""
    start = text.find("<think>")
    end = text.find("</think>", start + 7) if start >= 0 else -1
    return text[start + 7:end] if start >= 0 and end >= 0 else None


def _bits(think: str | None) -> str | None:
    """A written occupancy map as 16 characters of 0/1, else None."""
    if think is None:
        return None
    flat = "".join(think.split())
    return flat if len(flat) == 16 and set(flat) <= {"0", "1"} else None


def occupancy_report(records: Sequence[Any], samples: Sequence[Any]) -> dict[str, Any]:
    """How the model's ``<think>`` occupancy maps relate to the true maps and to its answers.

    The true map is the sample's own SFT target (its ``solution``); this is diagnostics for the
    card (the issue's caveat: a model may write *about N ones* rather than the true map).
    """
    by_id = {s.id: s for s in samples}
    n = well = exact = ones_true = ones_answer = 0
    agree = chance = 0.0
    for r in records:
        sample = by_id.get(r.sample_id)
        if sample is None or r.error is not None:
            continue
        n += 1
        written = _bits(_think(r.output or ""))
        truth = _bits(_think(sample.solution or ""))
        if written is None or truth is None:
            continue
        well += 1
        exact += written == truth
        agree += sum(a == b for a, b in zip(written, truth, strict=True))
        ones, true_ones = written.count("1"), truth.count("1")
        # expected agreement if the written ones were placed at random (same number of ones)
        chance += (ones * true_ones + (16 - ones) * (16 - true_ones)) / 16
        ones_true += ones == int(sample.gold)
        ones_answer += r.extracted is not None and r.extracted.strip() == str(ones)
    return {
        "n": n,
        "well_formed_maps": well,
        "exact_maps": exact,
        "bit_agreement": round(agree / (16 * well), 4) if well else None,
        "bit_agreement_if_random_positions": round(chance / (16 * well), 4) if well else None,
        "ones_equal_true_count": ones_true,
        "ones_equal_own_answer": ones_answer,
    }


def constant_baseline(samples: Sequence[Any]) -> dict[str, Any]:
    """Accuracy of always answering the most common count (what a collapsed model would get)."""
    counts = Counter(s.gold for s in samples)
    gold, k = counts.most_common(1)[0]
    return {"answer": gold, "accuracy": round(k / len(samples), 4)}


# ---------------------------------------------------------------------------------------------
# The card


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _ci(r: TaskResult) -> str:
    return f"{_pct(r.accuracy)}% [{_pct(r.accuracy_low)}, {_pct(r.accuracy_high)}]"


def _fmt(r: TaskResult) -> str:
    return f"{_pct(r.format_rate)}% [{_pct(r.format_low)}, {_pct(r.format_high)}]"


def targets_met(test: dict[str, TaskResult]) -> dict[str, bool]:
    lo, hi = COUNTING_TARGET
    count, geo = test[COUNTING_TASK], test[GEOMETRY_TASK]
    fmt = FORMAT_TARGET
    return {
        "counting_accuracy_in_30_75": lo <= count.accuracy <= hi,
        "geometry_ci_excludes_0": geo.accuracy_low > 0.0,
        "counting_format_above_80": count.format_rate > fmt,
        "geometry_format_above_80": geo.format_rate > fmt,
    }


def _eval_table(results: dict[str, TaskResult]) -> list[str]:
    lines = [
        "| task | version | split (data seed) | n | accuracy [Wilson 95%] | format rate [95%] "
        "| lenient | mean output tokens |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        lines.append(
            f"| `{r.task}` | {r.task_version} | {r.split} ({r.data_seed}) | {r.n} | "
            f"{r.correct}/{r.n} = {_ci(r)} | {r.format_ok}/{r.n} = {_fmt(r)} | "
            f"{_pct(r.lenient)}% | {r.extra.get('mean_output_tokens')} |"
        )
    return lines


def render_card(result: MakeTinyResult) -> str:
    """The model card: how it was built, the exact command, data, timings, accuracies."""
    o, t, d = result.options, result.training, result.data
    count, geo = result.test[COUNTING_TASK], result.test[GEOMETRY_TASK]
    occ = count.extra.get("occupancy", {})
    base = count.extra.get("constant_answer_baseline", {})
    met = result.targets_met
    fmt_ok = met["counting_format_above_80"] and met["geometry_format_above_80"]
    well = occ.get("well_formed_maps") or 0
    lines = [
        "# othink-bench tiny: a 2.3M-parameter Qwen2-VL trained on CPU",
        "",
        "The bundled model behind `--model tiny`. It is a real `Qwen2VLForConditionalGeneration`",
        "checkpoint (vision tower, merger, Qwen2 decoder), small enough to train and run on two",
        "CPU cores, trained by this project's own SFT trainer so that trainers, harness and",
        "leaderboard can be shown end to end offline. It does the project's *tiny* synthetic",
        "presets a little - far from perfectly, so RL has room - and nothing else: on the paper's",
        "data (`vc`, `gr`) or the full-size synthetic tasks it is a smoke-test model, not a result.",
        "",
        "## Results (greedy, the tasks' own prompts, parsers and verifiers)",
        "",
        *_eval_table(result.test),
        "",
    ]
    if result.validation:
        lines += [
            "Validation on a disjoint stream of the *training* split (data seed "
            f"{o.data_seed + 1}; these, not the test numbers, are what a change to the recipe "
            "should be judged on):",
            "",
            *_eval_table(result.validation),
            "",
        ]
    lines += [
        f"- Counting: {_ci(count)} (always answering the most common count, "
        f"{base.get('answer')}, would score {_pct(base.get('accuracy', 0.0))}%; a uniform guess "
        "over 3-10 scores 12.5%). Per true count: "
        + ", ".join(f"{k} {v}" for k, v in count.extra.get("by_breakdown", {}).items()) + ".",
        f"- Geometry: {_ci(geo)}. Per answer form: "
        + ", ".join(f"{k} {v}" for k, v in geo.extra.get("by_breakdown", {}).items()) + ".",
        f"- Targets of the issue: counting 30-75% "
        f"{'met' if met['counting_accuracy_in_30_75'] else 'NOT met'}; geometry interval "
        f"excludes 0 {'met' if met['geometry_ci_excludes_0'] else 'NOT met'}; format rate "
        f"> 80% on both {'met' if fmt_ok else 'NOT met'}.",
        "",
        "### Caveat: the occupancy scratchpad",
        "",
        "The counting target is `<think>{16-bit occupancy map of the 4x4 grid}</think>"
        "<answer>N</answer>`. What the model writes in `<think>` on the "
        f"{occ.get('n')} counting test images:",
        "",
        f"- well-formed 16-bit maps: {well}/{occ.get('n')}",
        f"- maps exactly equal to the true map: {occ.get('exact_maps')}/{well}",
        f"- bits agreeing with the true map: {_pct(occ.get('bit_agreement') or 0.0)}% (the same "
        "numbers of ones at random positions would agree on "
        f"{_pct(occ.get('bit_agreement_if_random_positions') or 0.0)}%)",
        f"- maps whose number of ones equals the true count: {occ.get('ones_equal_true_count')}"
        f"/{well}",
        f"- maps whose number of ones equals the model's own answer: "
        f"{occ.get('ones_equal_own_answer')}/{well}",
        "",
        _occupancy_sentence(occ, count.accuracy),
        "",
        "## How it was built",
        "",
        "The step count is the one knob chosen by measurement, on the validation stream only "
        "(train split, data seed 1, 100 samples per task; seed 0, other settings at their "
        "defaults): "
        + "; ".join(f"{st} steps with {th} torch thread{'s' if th != 1 else ''} gave counting "
                    f"{c:.0f}%, geometry {g:.0f}%" for st, th, c, g in STEP_CHOICE)
        + ". 1500 steps left no room for RL on counting, so the default is 1000. The default "
        "thread count went from 2 to 1 after that sweep (two threads on a shared core ran about "
        "20 times slower, and one thread rounds the same way on every machine); the step count "
        "was not re-tuned for it.",
        "",
        "```bash",
        result.command,
        "```",
        "",
        "1. `othink_bench.models.tiny.build_tiny(seed="
        f"{o.seed})`: random weights from `torch.manual_seed({o.seed})`; byte-level BPE tokenizer "
        "trained locally on the default corpus (digits single tokens, `<think>`/`<answer>` tags "
        "single non-special tokens), Qwen2-VL chat template, Qwen2-VL image processor (a 112x112 "
        "image is 16 image tokens).",
        f"   {result.num_parameters:,} parameters; `model.safetensors` is "
        f"{result.weights_bytes / 1e6:.1f} MB (float32), sha256 `{result.weights_sha256}`.",
        "2. SFT with `trainers.sft.build_sft_trainer` (`trl.SFTTrainer`; prompt-completion data "
        "from `trainers.data.build_dataset`: the evaluation prompt with the image first, the "
        "solution as the completion, loss on the completion only).",
        f"   {t['steps']} steps, batch {t['batch_size']}, AdamW ({t['optimizer']}) lr "
        f"{t['learning_rate']:g} {t['lr_scheduler']} with {t['warmup_steps']} warm-up steps, "
        f"weight decay {t['weight_decay']:g}, grad-norm clip {t['max_grad_norm']:g}, "
        f"{t['precision']}, seed {o.seed}.",
        f"   Batches hold one task each; {_pct(o.counting_share)}% of them are counting, in an "
        f"order shuffled with `random.Random({o.seed})` and read by a sequential sampler.",
        "3. Evaluation of the saved folder with `othink_bench.harness.evaluate` (hf backend, "
        f"greedy, batch {o.eval_batch_size}, max new tokens "
        + ("256 counting / 1024 geometry, the tasks' own" if o.max_new_tokens is None
           else f"{o.max_new_tokens} (NOT the tasks' own budgets)") + ").",
        "",
        "### Data",
        "",
        "| task | version | split | data seed | indices | distinct samples | batches | rows |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task_id, info in d["tasks"].items():
        lines.append(
            f"| `{task_id}` | {info['version']} | {info['split']} | {info['data_seed']} | "
            f"{info['indices']} | {info['distinct_samples']} | {info['batches']} | "
            f"{info['rows']} |"
        )
    lines += [
        "",
        f"Test: the first {o.eval_limit} samples of each task's `test` split (data seed 0; the "
        "procedural test and train splits are disjoint random streams). Nothing in this recipe "
        "was chosen by looking at the test split.",
        "",
        "- `vc-synth-tiny`: 112x112 images, a jittered 4x4 grid (at most one object per 28x28 "
        "cell), 3-10 objects; target `<think>0100 1101 1100 0001</think><answer>7</answer>`.",
        "- `gr-synth-tiny`: one- and two-step angle problems (triangle angle sum, parallel lines "
        "and a transversal, isosceles base angles, exterior angle) with 112x112 diagrams; target "
        "`<think>{reasoning}</think><answer>{answer}</answer>`.",
        "",
        "### Training loss",
        "",
        "| step | loss | token accuracy | seconds |",
        "|---|---|---|---|",
    ]
    curve = t.get("loss_curve", [])
    stride = max(1, len(curve) // 15)
    shown = curve[::stride] + ([curve[-1]] if curve and curve[-1] not in curve[::stride] else [])
    for p in shown:
        lines.append(f"| {p['step']} | {p['loss']:.4f} | {p['token_accuracy']:.3f} | "
                     f"{p['elapsed_s']:.0f} |")
    tm = result.timings
    sw = result.software
    lines += [
        "",
        "### Timings",
        "",
        f"On {sw.get('cpu_count')} CPU cores ({sw.get('machine')}), torch "
        f"{sw.get('torch')} with {t['torch_threads']} thread"
        f"{'s' if t['torch_threads'] != 1 else ''}:",
        "",
        "| phase | wall seconds | CPU seconds (all threads of the process) |",
        "|---|---|---|",
        *(f"| {k} | {v:.0f} | {result.cpu_timings.get(k, float('nan')):.0f} |"
          for k, v in tm.items()),
        "",
        f"Training ran at {t['seconds_per_step']:.2f} s/step on average "
        f"({_fastest_rate(t.get('loss_curve', []))}). The build machine was shared with other "
        "jobs, so the wall times are upper bounds for an idle machine.",
        "",
        "### Software",
        "",
        ", ".join(f"{k} {v}" for k, v in sw.items() if k not in ("cpu_count", "machine")) + ".",
        "",
        "## Reproducing",
        "",
        "Rebuilding with the same seed on the same software gives the same weights and the same "
        "accuracies (weights from `torch.manual_seed`, data from the tasks' seeded generators, "
        "batch order from a seeded `random.Random`, no dataloader workers, a fixed number of "
        f"torch threads ({o.threads})); another CPU or "
        "library version changes float rounding and therefore the numbers within noise. "
        "Two builds of the default command on the build machine gave bit-identical weights; "
        "compare yours with the hash above. `make_tiny.json` holds every number above.",
        "",
    ]
    return "\n".join(lines)


def _fastest_rate(curve: Sequence[dict[str, float]]) -> str:
    """The fastest stretch between logged steps, i.e. the speed on an unloaded machine."""
    rates = [
        (b["elapsed_s"] - a["elapsed_s"]) / (b["step"] - a["step"])
        for a, b in zip(curve, curve[1:], strict=False)
        if b["step"] > a["step"]
    ]
    return f"{min(rates):.2f} s/step over the fastest logged stretch" if rates else "one stretch"


def _occupancy_sentence(occ: dict[str, Any], accuracy: float) -> str:
    """What the scratchpad numbers say, in words (the issue's caveat, checked on this model)."""
    well = occ.get("well_formed_maps") or 0
    if not well:
        return "The model wrote no well-formed map, so the scratchpad cannot be compared."
    exact = (occ.get("exact_maps") or 0) / well
    count_ok = (occ.get("ones_equal_true_count") or 0) / well
    consistent = (occ.get("ones_equal_own_answer") or 0) / well
    agree = occ.get("bit_agreement") or 0.0
    chance = occ.get("bit_agreement_if_random_positions") or 0.0
    rarely = "rarely" if exact < 0.25 else "often not"
    where = (
        "barely better than random positions" if agree - chance < 0.1 else "only partly right"
    ) + f" ({_pct(agree)}% of bits agree, {_pct(chance)}% would at random positions)"
    relies = (
        "the answer is essentially the number of ones it wrote"
        if consistent >= 0.9
        else "the answer follows the number of ones it wrote only part of the time"
    )
    return (
        f"So the maps are {rarely} the true map ({_pct(exact)}% exact), and the positions of "
        f"the ones are {where}. The number of ones "
        f"is right more often ({_pct(count_ok)}%), and {relies} ({_pct(consistent)}%); the "
        f"answers ({_pct(accuracy)}% correct) come from a learned count, not from a faithful "
        "map. Treat the `<think>` text of this model as a counting aid, not as reasoning."
    )


# ---------------------------------------------------------------------------------------------
# The pipeline


def software_versions() -> dict[str, str]:
    import datasets
    import tokenizers
    import torch
    import transformers
    import trl

    from othink_bench import __version__

    return {
        "othink-bench": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "trl": trl.__version__,
        "datasets": datasets.__version__,
        "tokenizers": tokenizers.__version__,
        "machine": platform.machine(),
        "cpu_count": str(os.cpu_count()),
    }


def command_line(opts: MakeTinyOptions) -> str:
    """The exact ``othink-bench make-tiny`` command that reproduces ``opts``."""
    from othink_bench.models.tiny import BUNDLED_TINY_DIR

    defaults = MakeTinyOptions()
    parts = ["othink-bench make-tiny"]
    out = Path(opts.out) if opts.out is not None else BUNDLED_TINY_DIR
    if out.resolve() != BUNDLED_TINY_DIR.resolve():
        parts.append(f"--out {out}")
    flags = [
        ("seed", "--seed"), ("data_seed", "--data-seed"), ("steps", "--steps"),
        ("batch_size", "--batch-size"), ("learning_rate", "--lr"),
        ("lr_scheduler", "--lr-scheduler"), ("warmup_steps", "--warmup-steps"),
        ("counting_pool", "--counting-pool"), ("geometry_pool", "--geometry-pool"),
        ("eval_limit", "--eval-limit"), ("val_limit", "--val-limit"),
        ("eval_batch_size", "--eval-batch-size"), ("max_new_tokens", "--max-new-tokens"),
        ("threads", "--threads"),
    ]
    for name, flag in flags:
        value = getattr(opts, name)
        if value != getattr(defaults, name):
            parts.append(f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}")
    if abs(opts.counting_share - defaults.counting_share) > 1e-9:
        parts.append(f"--counting-share {opts.counting_share:g}")
    return " ".join(parts)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_out(out: Path) -> None:
    from othink_bench.models.tiny import MARKER_FILE

    if out.exists():
        if not out.is_dir():
            raise FileExistsError(f"{out} is a file; make-tiny writes a checkpoint folder")
        if any(out.iterdir()) and not (out / MARKER_FILE).is_file():
            raise FileExistsError(
                f"{out} exists and is not a tiny checkpoint (no {MARKER_FILE}); choose another "
                "--out or remove it"
            )


def _swap_into_place(stage: Path, out: Path) -> None:
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        os.replace(out, old)
    os.replace(stage, out)
    shutil.rmtree(old, ignore_errors=True)


def make_tiny(opts: MakeTinyOptions) -> MakeTinyResult:
    """Build, train, evaluate and write the tiny checkpoint with its card; see the module doc."""
    import torch

    from othink_bench.models.tiny import BUNDLED_TINY_DIR, MARKER_FILE, build_tiny

    opts.validate()
    out = Path(opts.out) if opts.out is not None else BUNDLED_TINY_DIR
    out = out.expanduser().resolve()
    _check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    own_work = opts.work is None
    work = (Path(tempfile.mkdtemp(prefix="othink-make-tiny-")) if own_work
            else Path(opts.work).expanduser().resolve())  # type: ignore[arg-type]
    work.mkdir(parents=True, exist_ok=True)
    stage: Path | None = None  # made next to ``out`` only once there is something to stage
    threads_before = torch.get_num_threads()
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    t_all, c_all = time.perf_counter(), time.process_time()
    clock: list[float] = []

    def start() -> None:
        clock[:] = [time.perf_counter(), time.process_time()]

    def stop(name: str) -> float:
        timings[name] = time.perf_counter() - clock[0]
        cpu[name] = time.process_time() - clock[1]
        return timings[name]

    def say(msg: str) -> None:
        if opts.progress:
            print(msg, flush=True)

    try:
        torch.set_num_threads(opts.threads)
        torch.manual_seed(opts.seed)
        random.seed(opts.seed)
        start()
        base = build_tiny(work / "random", seed=opts.seed)
        say(f"built the random tiny in {stop('build random tiny'):.1f}s: {base}")

        start()
        dataset, data_info = build_training_data(opts)
        say(f"training data: {data_info['rows']} rows in {stop('generate training data'):.1f}s")

        say(f"SFT: {opts.steps} steps, batch {opts.batch_size}, lr {opts.learning_rate:g}")
        start()
        model, train_info = train_sft(base, dataset, opts, work)
        stop("SFT training")

        start()
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        weights_bytes = save_trained(base, model, stage)
        num_parameters = sum(p.numel() for p in model.parameters())
        del model
        stop("save")

        validation: dict[str, TaskResult] = {}
        if opts.val_limit:
            start()
            validation = evaluate_folder(stage, split="train", data_seed=opts.data_seed + 1,
                                         limit=opts.val_limit, opts=opts, work=work)
            stop("validation (train split, held-out stream)")
            for r in validation.values():
                say(f"validation {r.task}: {_ci(r)}, format {_fmt(r)}")
        start()
        test = evaluate_folder(stage, split="test", data_seed=0, limit=opts.eval_limit,
                               opts=opts, work=work)
        stop("test evaluation")
        for r in test.values():
            say(f"test {r.task}: {_ci(r)}, format {_fmt(r)}")
        timings["total"] = time.perf_counter() - t_all
        cpu["total"] = time.process_time() - c_all
        timings = {k: round(v, 1) for k, v in timings.items()}
        cpu = {k: round(v, 1) for k, v in cpu.items()}

        result = MakeTinyResult(
            out=out,
            options=opts,
            command=command_line(opts),
            data=data_info,
            training=train_info,
            test=test,
            validation=validation,
            timings=timings,
            cpu_timings=cpu,
            weights_bytes=weights_bytes,
            weights_sha256=_sha256(stage / "model.safetensors"),
            num_parameters=num_parameters,
            software=software_versions(),
            targets_met=targets_met(test),
        )
        (stage / CARD_FILE).write_text(render_card(result), encoding="utf-8")
        (stage / RESULT_FILE).write_text(
            json.dumps(result.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        marker_path = stage / MARKER_FILE
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
        marker.update({
            "trained": True,
            "recipe": "othink-bench make-tiny",
            "command": result.command,
            "sft_steps": train_info["steps"],
            "test_accuracy": {k: round(v.accuracy, 4) for k, v in test.items()},
        })
        marker_path.write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n", "utf-8")
        _swap_into_place(stage, out)
        say(f"wrote {out} ({weights_bytes / 1e6:.1f} MB of weights) in {timings['total']:.0f}s")
        return result
    finally:
        torch.set_num_threads(threads_before)
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        if own_work and not opts.keep_work:
            shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# CLI


def _share(text: str) -> float:
    """``2:1`` (counting:geometry batches) or a fraction like ``0.667``."""
    if ":" in text:
        a, _, b = text.partition(":")
        try:
            x, y = float(a), float(b)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not RATIO like 2:1") from None
        if x < 0 or y < 0 or x + y == 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a usable ratio")
        return x / (x + y)
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction or a ratio") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not in [0, 1]")
    return value


def configure_make_tiny(parser: argparse.ArgumentParser) -> None:
    d = MakeTinyOptions()
    parser.description = (
        "Build the bundled tiny Qwen2-VL from scratch, offline, on CPU: random init and a local "
        "tokenizer (build_tiny), SFT on the vc-synth-tiny and gr-synth-tiny training splits with "
        "this project's SFT trainer, greedy evaluation on both test splits, a model card. "
        "The defaults rebuild the shipped checkpoint (about 7 minutes on 2 idle cores)."
    )
    parser.add_argument("--out", type=Path, default=None,
                        help="checkpoint folder to (re)write (default: the bundled "
                        "othink_bench/models/tiny_ckpt); replaced atomically at the end")
    parser.add_argument("--seed", type=int, default=d.seed,
                        help="weights, batch order and trainer seed (default %(default)s)")
    parser.add_argument("--data-seed", type=int, default=d.data_seed,
                        help="training-split stream of the tasks (default %(default)s); "
                        "validation uses DATA_SEED+1")
    parser.add_argument("--steps", type=int, default=d.steps,
                        help="SFT optimizer steps (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=d.batch_size,
                        help="SFT batch size (default %(default)s)")
    parser.add_argument("--lr", dest="learning_rate", type=float, default=d.learning_rate,
                        help="peak learning rate (default %(default)s)")
    parser.add_argument("--lr-scheduler", default=d.lr_scheduler,
                        help="transformers scheduler name (default %(default)s)")
    parser.add_argument("--warmup-steps", type=int, default=d.warmup_steps,
                        help="linear warm-up steps (default %(default)s)")
    parser.add_argument("--counting-share", type=_share, default=d.counting_share,
                        metavar="RATIO", help="share of counting batches: a fraction or "
                        "counting:geometry like 2:1 (default 2:1)")
    parser.add_argument("--counting-pool", type=int, default=None, metavar="N",
                        help="distinct counting training samples (default: one per row)")
    parser.add_argument("--geometry-pool", type=int, default=None, metavar="N",
                        help="distinct geometry training samples (default: one per row)")
    parser.add_argument("--eval-limit", type=int, default=d.eval_limit,
                        help="test samples per task (default %(default)s)")
    parser.add_argument("--val-limit", type=int, default=d.val_limit,
                        help="also evaluate N samples per task of a held-out training stream "
                        "(default %(default)s; 0: none)")
    parser.add_argument("--eval-batch-size", type=int, default=d.eval_batch_size,
                        help="generation batch size (default %(default)s)")
    parser.add_argument("--max-new-tokens", type=int, default=None,
                        help="generation budget for evaluation (default: the tasks' own, 256 "
                        "counting / 1024 geometry); smaller only for quick checks")
    parser.add_argument("--threads", type=int, default=d.threads,
                        help="torch CPU threads (default %(default)s: the same float rounding on "
                        "every machine, and no slowdown when another job shares the cores)")
    parser.add_argument("--logging-steps", type=int, default=d.logging_steps,
                        help="print the loss every N steps (default %(default)s)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the random build, trainer output and evaluation records "
                        "(default: a temporary folder, removed at the end)")
    parser.add_argument("--keep-work", action="store_true",
                        help="keep the temporary work folder")
    parser.add_argument("--quiet", action="store_true", help="print only the final summary")


def execute_make_tiny(args: argparse.Namespace) -> int:
    opts = MakeTinyOptions(
        out=args.out,
        seed=args.seed,
        data_seed=args.data_seed,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        lr_scheduler=args.lr_scheduler,
        warmup_steps=args.warmup_steps,
        counting_share=args.counting_share,
        counting_pool=args.counting_pool,
        geometry_pool=args.geometry_pool,
        eval_limit=args.eval_limit,
        val_limit=args.val_limit,
        eval_batch_size=args.eval_batch_size,
        max_new_tokens=args.max_new_tokens,
        threads=args.threads,
        logging_steps=args.logging_steps,
        work=args.work,
        keep_work=args.keep_work,
        progress=not args.quiet,
    )
    try:
        opts.validate()
    except ValueError as exc:
        print(f"make-tiny: {exc}", file=sys.stderr)
        return 2
    try:
        result = make_tiny(opts)
    except FileExistsError as exc:
        print(f"make-tiny: {exc}", file=sys.stderr)
        return 2
    for r in result.test.values():
        print(f"{r.task} v{r.task_version} test: accuracy {_ci(r)}, format {_fmt(r)}")
    print(f"{result.out} ({result.weights_bytes / 1e6:.1f} MB), card: {result.out / CARD_FILE}")
    return 0
