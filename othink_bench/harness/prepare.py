"""Preparing a window of work: which samples can be asked (bad rows, unverifiable gold, images
outside the data folder, missing, unreadable or oversized images and prompts past the model's
context become error records), their prompts (stored once per run) and decoded images (checked
from the header and reduced towards the model's image budget as they decode, so a window holds
no full-size bomb: :mod:`othink_bench.images`), and the generation requests."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from othink_bench.backends.base import Backend, GenRequest, request_seed
from othink_bench.harness.scoring import Item, make_record, precheck
from othink_bench.harness.settings import HarnessError, RunSettings
from othink_bench.records import RunRecord
from othink_bench.runstate import PromptStore, outside
from othink_bench.task import ImageError, Sample, Task

log = logging.getLogger(__name__)


@dataclass
class Window:
    """A window of items, prepared: records for those that cannot be asked (``early``), and the
    requests for the others with their items (``pending``, in request order)."""

    early: list[RunRecord] = field(default_factory=list)
    requests: list[GenRequest] = field(default_factory=list)
    pending: list[Item] = field(default_factory=list)
    #: Records for prompts past the model's context (taken out of ``requests``), and whether
    #: that check and the backend's own preparation have run.
    too_long: list[RunRecord] = field(default_factory=list)
    staged: bool = False
    #: ``(hash, line)`` of the window's prompts, for the run's prompt store.
    prompts: list[tuple[str, str]] = field(default_factory=list)


def wants_image(messages: list[dict[str, Any]]) -> bool:
    """Whether a prompt has an image placeholder (a sample has one image)."""
    return any(
        isinstance(part, dict) and part.get("type") == "image"
        for m in messages
        if isinstance(m.get("content"), list)
        for part in m["content"]
    )


def unique_ids(samples: Sequence[Sample]) -> Sequence[Sample]:
    """Resume keys on sample ids: give repeated ids (duplicate rows) a stable suffix."""
    if not isinstance(samples, list):
        return samples  # lazily generated splits have unique ids by construction
    seen: Counter[str] = Counter()
    out: list[Sample] = []
    renamed = 0
    for s in samples:
        seen[s.id] += 1
        if seen[s.id] > 1:
            s = dataclasses.replace(s, id=f"{s.id}~{seen[s.id]}")
            renamed += 1
        out.append(s)
    if renamed:
        log.warning("%d samples repeat an earlier sample id; they get a ~N suffix", renamed)
    return out


def where(item: Item, data: str | None) -> str:
    """``FILE:LINE`` of a sample read from a data file, else ``sample ID``."""
    line = item.sample.meta.get("line") if item.sample.meta else None
    return f"{data}:{line}" if line else f"sample {item.sample.id}"


def precheck_image_path(
    item: Item, task: Task, image_root: Path | None, data: str | None
) -> RunRecord | None:
    """An ``image_path`` error record for a local image outside the data folder."""
    path = item.sample.image.path
    if image_root is None or path is None or not outside(path, image_root):
        return None
    return make_record(
        item,
        task,
        error=f"{where(item, data)}: image_path {path} is outside {image_root}; move the image "
        "there, pass --image-root DIR, or --allow-outside-images to read it anyway",
        error_kind="image_path",
    )


def prepare_window(
    items: list[Item],
    task: Task,
    settings: RunSettings,
    generation: dict[str, Any],
    image_root: Path | None,
) -> Window:
    """Records for samples that cannot be asked, and requests for the others."""
    s = settings
    gen = generation
    early: list[RunRecord] = []
    requests: list[GenRequest] = []
    pending: list[Item] = []
    prompts: list[tuple[str, str]] = []
    loaded: dict[int, Any] = {}
    for item in items:
        rec = precheck(item, task) or precheck_image_path(item, task, image_root, s.data)
        messages = task.prompt(item.sample) if rec is None else []
        if rec is None:
            item.prompt_hash, line = PromptStore.entry(messages, item.sample)
            prompts.append((item.prompt_hash, line))
        images = []
        if rec is None and wants_image(messages):
            try:
                if item.index not in loaded:
                    loaded[item.index] = item.sample.image.load(
                        max_pixels=s.decode_pixels, max_image_pixels=s.max_image_pixels
                    )
                images = [loaded[item.index]]
            except ImageError as exc:
                from_file = bool(item.sample.meta and item.sample.meta.get("line"))
                error = f"{where(item, s.data)}: {exc}" if from_file else str(exc)
                rec = make_record(item, task, error=error, error_kind="image")
        if rec is not None:
            early.append(rec)
            continue
        requests.append(
            GenRequest(
                sample_id=item.sample.id,
                messages=messages,
                images=images,
                k=item.k,
                max_new_tokens=gen["max_new_tokens"],
                temperature=s.temperature,
                top_p=gen["top_p"],
                seed=request_seed(s.seed, item.sample.id, item.k) if gen["do_sample"] else None,
            )
        )
        pending.append(item)
    return Window(early, requests, pending, prompts=prompts)

def too_long(
    backend: Backend, task: Task, generation: dict[str, Any], window: Window
) -> list[RunRecord]:
    """Error records for prompts the model's context cannot hold with the token budget
    (checked before generation, so a huge row costs a bounded count, not a forward pass)."""
    requests, pending = window.requests, window.pending
    context = getattr(backend, "context_length", None)
    count = getattr(backend, "prompt_tokens", None)
    limit = context() if callable(context) else None
    if limit is None or not callable(count):
        return []
    max_new = int(generation["max_new_tokens"])
    budget = limit - max_new
    if budget < 1:
        raise HarnessError(
            f"--max-new-tokens {max_new} leaves no room for a prompt in the model's "
            f"context of {limit} tokens; lower it"
        )
    bad: list[RunRecord] = []
    keep_r: list[GenRequest] = []
    keep_p: list[Item] = []
    for request, item in zip(requests, pending, strict=True):
        n = int(count(request, budget))
        if n > budget:
            bad.append(
                make_record(
                    item,
                    task,
                    error=f"prompt is {'more than ' if n > budget + 16 else ''}{n} tokens; "
                    f"the model's context of {limit} tokens minus max_new_tokens {max_new} "
                    f"leaves {budget}",
                    error_kind="prompt_too_long",
                )
            )
        else:
            keep_r.append(request)
            keep_p.append(item)
    window.requests, window.pending = keep_r, keep_p
    return bad
