"""The sample viewer's data: a run's records with its samples recovered
(:mod:`leaderboard.samples`), each distinct image written once, and the records two runs share.
Records are read through :mod:`othink_bench.verify_records`: a run whose records do not verify
is refused (a ``ValueError`` naming the file, the line and the fix), as boards and ``compare``
refuse it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from leaderboard.samples import RunSamples, png_bytes, recover_samples
from othink_bench.records import Manifest, RunRecord, read_manifest, write_atomic

IMAGES_DIR = "images"


@dataclass
class ImageStore:
    """Writes each distinct image once under ``out/images/``; stops at ``max_bytes`` in all."""

    out: Path
    max_bytes: int = 200 * 2**20
    written: dict[str, str] = field(default_factory=dict)  # content hash -> relative path
    total: int = 0
    skipped: int = 0

    def add(self, image: Image.Image) -> str | None:
        data = png_bytes(image)
        digest = hashlib.sha256(data).hexdigest()[:20]
        if digest in self.written:
            return self.written[digest]
        if self.total + len(data) > self.max_bytes:
            self.skipped += 1
            return None
        rel = f"{IMAGES_DIR}/{digest}.png"
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)  # content-addressed: a half-written file would be kept
        self.total += len(data)
        self.written[digest] = rel
        return rel


@dataclass
class RunView:
    run_dir: Path
    manifest: Manifest
    records: list[RunRecord]
    samples: RunSamples
    images: dict[str, tuple[str, int, int] | None]  # sample id -> (path, width, height)

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def title(self) -> str:
        m = self.manifest.model
        return m.label or m.name


@dataclass
class Recovery:
    """What was recovered of one data source: shared by every run that read the same data."""

    samples: RunSamples = field(default_factory=RunSamples)
    images: dict[str, tuple[str, int, int] | None] = field(default_factory=dict)


def _data_key(m: Manifest) -> tuple[object, ...]:
    extra = m.model_extra or {}
    return (m.task, m.task_version, m.source, m.split, m.data, extra.get("image_root"),
            extra.get("data_seed", m.seed))


def load_view(
    run_dir: Path,
    store: ImageStore | None,
    *,
    max_side: int = 448,
    max_samples: int | None = None,
    memo: dict[tuple[object, ...], Recovery] | None = None,
    hub: bool = False,
) -> RunView:
    """Read a run and recover its samples; images go into ``store`` (``None``: no images).

    Runs that read the same data share ``memo``, so each sample is recovered once.
    """
    from othink_bench.verify_records import verified_records

    try:
        manifest = read_manifest(run_dir)
    except ValueError as exc:
        raise ValueError(f"{Path(run_dir) / 'manifest.json'}: not a valid run manifest ({exc})") from exc
    records = sorted(verified_records(run_dir, manifest), key=lambda r: (r.index, r.k, r.sample_id))
    if max_samples is not None:
        kept = set(sorted({r.index for r in records})[:max_samples])
        records = [r for r in records if r.index in kept]
    shared = Recovery() if memo is None else memo.setdefault(_data_key(manifest), Recovery())
    missing = [r for r in records if r.sample_id not in shared.samples.by_id]
    if missing:
        got = recover_samples(
            manifest, missing, max_side=max_side, with_images=store is not None, hub=hub
        )
        shared.samples.note = got.note
        for sid, rec in got.by_id.items():
            if rec.image is not None and store is not None:
                rel = store.add(rec.image)
                shared.images[sid] = (rel, *rec.image.size) if rel else None
                rec.image = None  # written; do not keep every image in memory
            shared.samples.by_id[sid] = rec
    return RunView(run_dir, manifest, records, shared.samples, shared.images)


def shared_pairs(a: RunView, b: RunView) -> list[tuple[RunRecord, RunRecord]]:
    """Records of both runs on the same (sample id, k): disagreements first, then in order."""
    rb = {r.key: r for r in b.records}
    pairs = [(r, rb[r.key]) for r in a.records if r.key in rb]
    pairs.sort(key=lambda p: (p[0].correct == p[1].correct, p[0].index, p[0].k, p[0].sample_id))
    return pairs
