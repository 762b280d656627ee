"""Recover what a run's records refer to: each sample's question and image.

A record keeps the sample's id, its position in the loaded split, the gold answer and the model's
output, but not the image or the question. Both are recovered from the run's manifest: the task
is looked up in the registry and its split is loaded again the way the run loaded it (procedural
tasks regenerate item ``index`` from (split, seed, index); local data is read back from the
manifest's ``data`` path and ``image_root``). A recovered sample is trusted only when its id and
its gold answer match the record's; otherwise the record is shown without it, with the reason.
Nothing here raises for a sample that cannot be recovered: a missing data file, an offline hub
or a changed task all become a note on the page.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from othink_bench.records import Manifest, RunRecord
from othink_bench.task import Sample, Task


@dataclass
class Recovered:
    """What could be recovered for one sample id."""

    question: str | None = None
    image: Image.Image | None = None
    note: str | None = None  # why something is missing or may differ from what the run saw


@dataclass
class RunSamples:
    """The recovered samples of one run, by sample id, and a note for the run as a whole."""

    by_id: dict[str, Recovered] = field(default_factory=dict)
    note: str | None = None

    def get(self, sample_id: str) -> Recovered:
        return self.by_id.get(sample_id, Recovered(note=self.note or "sample not recovered"))


def _extra(manifest: Manifest, name: str) -> Any:
    extra = manifest.model_extra or {}
    return extra.get(name)


def _load_split(task: Task, manifest: Manifest) -> Sequence[Sample]:
    data_seed = _extra(manifest, "data_seed")
    seed = data_seed if isinstance(data_seed, int) else manifest.seed
    return task.load(
        split=manifest.split,  # type: ignore[arg-type]
        source=manifest.source,  # type: ignore[arg-type]
        data=manifest.data,
        image_root=_extra(manifest, "image_root"),
        limit=None,
        seed=seed,
    )


MAX_ID_MAP = 20_000  # beyond this many samples, a lazily generated split is not scanned by id


def run_ids(samples: Sequence[Sample]) -> list[str] | None:
    """The ids the harness gave a loaded list (a repeated id gets a ``~N`` suffix, as in
    ``othink_bench.harness``); ``None`` for a lazily generated split (unique by construction)."""
    if not isinstance(samples, list):
        return None
    seen: Counter[str] = Counter()
    out = []
    for s in samples:
        seen[s.id] += 1
        out.append(s.id if seen[s.id] == 1 else f"{s.id}~{seen[s.id]}")
    return out


def _find(
    samples: Sequence[Sample],
    ids: list[str] | None,
    record: RunRecord,
    index: dict[str, int] | None,
) -> Sample | None:
    """The loaded sample of a record: by its index when that matches, else by id."""
    if 0 <= record.index < len(samples):
        at = ids[record.index] if ids is not None else samples[record.index].id
        if at == record.sample_id:
            return samples[record.index]
    if index is None:
        return None
    pos = index.get(record.sample_id)
    return samples[pos] if pos is not None else None


def thumbnail(image: Image.Image, max_side: int) -> Image.Image:
    """A copy no larger than ``max_side`` on either side (never enlarged)."""
    im = image.convert("RGB")
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return im


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def recover_samples(
    manifest: Manifest,
    records: Sequence[RunRecord],
    *,
    max_side: int = 448,
    with_images: bool = True,
    hub: bool = False,
) -> RunSamples:
    """Recover question and image (as a thumbnail of at most ``max_side``) for each record.

    A run on hub data is recovered only with ``hub=True`` (which may download the dataset).
    """
    from othink_bench.registry import UnknownTaskError, get_task

    out = RunSamples()
    try:
        task = get_task(manifest.task)
    except UnknownTaskError as exc:
        out.note = f"task {manifest.task!r} is not installed here ({exc}); no images or questions"
        return out
    if task.version != manifest.task_version:
        out.note = (
            f"the run used {task.id} v{manifest.task_version}; images and questions are from "
            f"v{task.version}, installed here, and are shown only where the gold answer matches"
        )
    if manifest.source == "hub" and not hub:
        out.note = (
            "the run's data is on the Hugging Face hub: pass --hub to load it (a download "
            "unless cached); no images or questions"
        )
        return out
    try:
        samples = _load_split(task, manifest)
    except Exception as exc:  # a missing file, an offline hub: the page still shows the records
        out.note = (
            f"the run's data cannot be loaded here ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); no images or questions"
        )
        return out
    ids = run_ids(samples)
    index: dict[str, int] | None = None
    for record in records:
        if record.sample_id in out.by_id:
            continue
        sample = _find(samples, ids, record, index)
        if sample is None and index is None and len(samples) <= MAX_ID_MAP:
            # Not at its recorded position (e.g. another offset): look it up by id, one pass.
            all_ids = ids if ids is not None else [s.id for s in samples]
            index = {sid: i for i, sid in enumerate(all_ids)}
            sample = _find(samples, ids, record, index)
        out.by_id[record.sample_id] = _recovered(sample, record, max_side, with_images)
    return out


def _recovered(
    sample: Sample | None, record: RunRecord, max_side: int, with_images: bool
) -> Recovered:
    if sample is None:
        return Recovered(note="this sample id is not in the data the run names")
    if sample.meta.get("error"):
        return Recovered(note=f"data row: {sample.meta['error']}")
    if sample.gold.strip() != record.gold.strip():
        return Recovered(
            note=(
                f"the data now gives gold {sample.gold!r} for this id, the record {record.gold!r}:"
                " not the sample the run saw"
            )
        )
    rec = Recovered(question=sample.question)
    if with_images:
        from othink_bench.task import ImageError

        try:
            rec.image = thumbnail(sample.image.load(), max_side)
        except ImageError as exc:
            rec.note = f"image: {exc}"
    return rec

