"""The evaluation step: greedy evaluation of a checkpoint folder through the harness, with the
counting diagnostics the card reports (occupancy maps, constant-answer baseline).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from othink_bench.task import Split
from trainers.tinymodel.recipe import MakeTinyOptions
from trainers.tinymodel.results import TaskResult
from trainers.tinymodel.targets import COUNTING_TASK, TASKS


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
        samples = get_task(summary.task).load(split=split, limit=limit, seed=data_seed)
        result.extra["constant_answer_baseline"] = constant_baseline(samples)
        if summary.task == COUNTING_TASK:
            result.extra["occupancy"] = occupancy_report(records, samples)
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
    """Accuracy of always giving the most common gold answer (what a collapsed model gets)."""
    counts = Counter(s.gold for s in samples)
    gold, k = counts.most_common(1)[0]
    return {"answer": gold, "accuracy": round(k / len(samples), 4)}
