"""Batch invariance: do outputs and verdicts change when a sample is generated inside a padded
batch instead of alone?

Greedy decoding is deterministic for one prompt, but batched generation left-pads shorter
prompts and runs other matrix shapes (other kernels, other reduction orders), so in floating
point the same prompt can decode differently at batch 8 than at batch 1; a benchmark that
reports a number "at batch 32" should know how much of it is the batch. :func:`check` generates
the same K requests at each batch size with one backend (the model loaded once), scores every
output with the task's verifier, and counts, against the first batch size (1: each sample
alone), how many outputs differ and how many verdicts flip in each direction. It also counts
how many requests sat in a batch with a longer prompt, i.e. were generated left-padded (the
batches are formed as the ``hf`` backend forms them: by settings, then prompt length).

``benchmarks/batch_invariance.py`` runs it on a model and tasks from the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from othink_bench.backends.base import Backend, GenRequest, GenResult, generate_all
from othink_bench.task import Sample, Task


@dataclass
class BatchResult:
    """One batch size's outputs and how they compare with the reference batch size's."""

    batch_size: int
    outputs: list[str | None]
    correct: list[bool]
    padded: int = 0  # requests generated with left padding (a longer prompt in their batch)
    changed_outputs: int = 0
    became_right: int = 0
    became_wrong: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(self.correct) / len(self.correct) if self.correct else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_size": self.batch_size,
            "n": len(self.outputs),
            "accuracy": self.accuracy,
            "padded_requests": self.padded,
            "changed_outputs": self.changed_outputs,
            "changed_verdicts": self.became_right + self.became_wrong,
            "became_right": self.became_right,
            "became_wrong": self.became_wrong,
            "examples": self.examples,
        }


def requests_for(task: Task, samples: Sequence[Sample], max_new_tokens: int) -> list[GenRequest]:
    """Greedy requests for ``samples`` with the task's prompt (images decoded once)."""
    out = []
    for s in samples:
        out.append(
            GenRequest(
                sample_id=s.id,
                messages=task.prompt(s),
                images=[s.image.load()],
                max_new_tokens=max_new_tokens,
            )
        )
    return out


def padded_requests(lengths: Sequence[int], batch_size: int) -> int:
    """How many requests sit in a batch with a longer prompt when requests of these prompt
    lengths are sorted by length and cut into batches of ``batch_size`` (the ``hf`` order)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    padded = 0
    for start in range(0, len(order), batch_size):
        batch = [lengths[i] for i in order[start : start + batch_size]]
        padded += sum(n < max(batch) for n in batch)
    return padded


def check(
    backend: Backend,
    set_batch_size: Callable[[int], None],
    task: Task,
    requests: Sequence[GenRequest],
    samples: Sequence[Sample],
    batch_sizes: Sequence[int],
    lengths: Sequence[int] | None = None,
    show: int = 3,
) -> list[BatchResult]:
    """Generate ``requests`` at each of ``batch_sizes`` (``set_batch_size(b)`` switches the
    backend) and compare each with the first. ``lengths``: the prompts' token counts, for the
    padded-request counts (left at 0 without them)."""
    if not batch_sizes:
        raise ValueError("batch_sizes is empty: give at least one batch size, e.g. 1,8,32")
    results: list[BatchResult] = []
    for b in batch_sizes:
        set_batch_size(b)
        got: list[GenResult] = generate_all(backend, requests)
        outputs = [r.text for r in got]
        correct = [
            r.text is not None and task.score(r.text, s).correct
            for r, s in zip(got, samples, strict=True)
        ]
        res = BatchResult(b, outputs, correct)
        if lengths is not None:
            res.padded = padded_requests(lengths, b)
        if results:
            ref = results[0]
            for i, (a, c) in enumerate(zip(ref.outputs, outputs, strict=True)):
                if a == c:
                    continue
                res.changed_outputs += 1
                res.became_right += (not ref.correct[i]) and correct[i]
                res.became_wrong += ref.correct[i] and not correct[i]
                if len(res.examples) < show:
                    res.examples.append({"sample_id": samples[i].id,
                                         f"batch_{ref.batch_size}": a, f"batch_{b}": c})  # fmt: skip
        results.append(res)
    return results
