"""Task samples to the ``datasets.Dataset`` TRL's trainers read.

Why here and not in the tasks: the dataset must carry exactly what evaluation uses - the prompt
column is :meth:`Task.prompt` (the messages the harness sends, the image placeholder first), and
the rewards read the ``gold`` column with the task's own verifier - so the model is trained on
the prompt it is scored on. Samples come from any of a task's sources (``hub``, ``local``,
``synthetic``) through :meth:`Task.load`; ``train_samples`` keeps the first N (the paper's
few-shot counting).

Columns: ``prompt`` (conversational messages), ``image`` (an image feature), ``solution`` (the SFT
target), ``gold`` (the ground truth), ``id``; SFT datasets add ``completion`` (one assistant
message holding the solution), which makes TRL put the loss on the completion only.

Images are decoded one at a time under the harness's bounds (checked from the header, reduced
towards ``max_pixels`` as they decode: :mod:`othink_bench.images`) and kept only encoded (the
PNG bytes the ``Image`` feature would store anyway), so the dataset never holds every sample's
decoded pixels at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from othink_bench.images import DEFAULT_DECODE_PIXELS, DEFAULT_MAX_IMAGE_PIXELS
from othink_bench.task import ImageError, Sample, Task

log = logging.getLogger(__name__)


class TrainingDataError(RuntimeError):
    """No usable training samples could be built; the message says why."""


@dataclass
class DataReport:
    """What happened to the loaded samples: how many were used and why others were dropped."""

    loaded: int = 0
    used: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    solutions_from_gold: int = 0

    def drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "loaded": self.loaded,
            "used": self.used,
            "dropped": dict(self.dropped),
            "solutions_from_gold": self.solutions_from_gold,
        }


def load_samples(
    task: Task,
    *,
    source: str | None = None,
    data: str | None = None,
    image_root: str | None = None,
    train_samples: int | None = None,
    seed: int = 0,
) -> Sequence[Sample]:
    """The task's training split from a source; ``train_samples`` keeps the first N."""
    if train_samples is not None and train_samples < 1:
        raise TrainingDataError(f"train_samples must be >= 1, got {train_samples}")
    return task.load(
        split="train",
        source=source,  # type: ignore[arg-type]
        data=data,
        image_root=image_root,
        limit=train_samples,
        seed=seed,
    )


def sft_target(sample: Sample, style: str = "solution") -> tuple[str, bool]:
    """The SFT completion: the sample's solution, else the gold in the answer tags.

    Returns ``(text, from_gold)``. Wrapping a gold in tags is formatting, not parsing: the
    paper's hub solutions have exactly that shape (``<answer> 3 </answer>``). ``style``
    ``"answer-only"`` always gives that shape (no ``<think>`` part), which is how the CPU testbed
    makes a start whose format rate is well below 100% (``scripts/sweeps.sh``).
    """
    if style == "answer-only":
        return f"<answer> {sample.gold} </answer>", True
    if sample.solution is not None and sample.solution.strip():
        return sample.solution, False
    return f"<answer> {sample.gold} </answer>", True


def build_dataset(
    task: Task,
    samples: Sequence[Sample],
    *,
    for_sft: bool = False,
    report: DataReport | None = None,
    max_pixels: int | None = None,
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
    target_style: str = "solution",
) -> Any:
    """Build the training ``datasets.Dataset`` from samples (``target_style``: see
    :func:`sft_target`).

    Samples whose data carries an error (``meta["error"]``), or whose image cannot be decoded
    (or is over ``max_image_pixels``), are dropped and counted in ``report``; an empty result
    is an error, not an empty training. Images are reduced towards ``max_pixels`` (default
    :data:`~othink_bench.images.DEFAULT_DECODE_PIXELS`) and stored encoded.
    """
    from datasets import Dataset, Features, Image, Value

    feature = Image()
    budget = max_pixels or DEFAULT_DECODE_PIXELS
    report = report if report is not None else DataReport()
    rows: dict[str, list[Any]] = {k: [] for k in ("id", "prompt", "image", "solution", "gold")}
    if for_sft:
        rows["completion"] = []
    for sample in samples:
        report.loaded += 1
        if sample.meta.get("error"):
            report.drop("data error")
            log.warning("dropping training sample %s: %s", sample.id, sample.meta["error"])
            continue
        try:
            image = feature.encode_example(
                sample.image.load(max_pixels=budget, max_image_pixels=max_image_pixels)
            )
        except ImageError as exc:
            report.drop("image error")
            log.warning("dropping training sample %s: %s", sample.id, exc)
            continue
        target, from_gold = sft_target(sample, target_style)
        report.solutions_from_gold += int(from_gold)
        rows["id"].append(sample.id)
        rows["prompt"].append(task.prompt(sample))
        rows["image"].append(image)
        rows["solution"].append(target)
        rows["gold"].append(sample.gold)
        if for_sft:
            rows["completion"].append(
                [{"role": "assistant", "content": [{"type": "text", "text": target}]}]
            )
        report.used += 1
    if not rows["id"]:
        raise TrainingDataError(
            f"task {task.id}: none of the {report.loaded} loaded training samples is usable "
            f"(dropped: {report.dropped or 'none loaded'})"
        )
    if report.solutions_from_gold and for_sft and target_style == "solution":
        log.warning(
            "%d of %d samples have no solution; their SFT target is '<answer> gold </answer>'",
            report.solutions_from_gold, report.used,
        )
    features = {
        "id": Value("string"),
        "image": feature,
        "solution": Value("string"),
        "gold": Value("string"),
    }
    dataset = Dataset.from_dict(rows)
    return dataset.cast(Features({**dataset.features, **features}))


def task_dataset(
    task: Task,
    *,
    for_sft: bool = False,
    source: str | None = None,
    data: str | None = None,
    image_root: str | None = None,
    train_samples: int | None = None,
    seed: int = 0,
    max_pixels: int | None = None,
    target_style: str = "solution",
) -> tuple[Any, DataReport]:
    """Load a task's training split and build its dataset in one call (``max_pixels``: the
    training's image-area budget, which images are reduced towards as they decode)."""
    samples = load_samples(
        task,
        source=source,
        data=data,
        image_root=image_root,
        train_samples=train_samples,
        seed=seed,
    )
    report = DataReport()
    dataset = build_dataset(
        task, samples, for_sft=for_sft, report=report, max_pixels=max_pixels,
        target_style=target_style,
    )
    return dataset, report
