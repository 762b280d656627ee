"""The record store of a run directory: reading what earlier calls wrote (resume), merging
shard files, the per-run lock, and appending new records.

Records are appended and fsynced per group, so SIGKILL loses at most the group in flight; a
partial last line left by a killed writer is repaired before a run appends to the file.
Errored records of kind ``image`` or ``generation`` are redone on the next run by default (the
file was restored, the endpoint came back); the newer record replaces the older when records
are merged. ``gold`` and ``data`` errors are facts of the data and are not redone.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from othink_bench.harness.settings import RunLocked
from othink_bench.records import RECORDS_FILE, RunRecord, append_bytes, read_records, repair_tail

#: Error kinds redone by a rerun (by default); ``gold`` and ``data`` errors are deterministic.
RETRYABLE_ERRORS = frozenset({"image", "image_path", "generation", "serialization"})


def load_run_records(run_dir: str | Path) -> list[RunRecord]:
    """All records of a run: ``records.jsonl`` and any unmerged shard files, one per key
    (a later record replaces an earlier one)."""
    run_dir = Path(run_dir)
    by_key: dict[tuple[str, int], RunRecord] = {}
    files = [run_dir / RECORDS_FILE, *sorted(run_dir.glob("records.rank*.jsonl"))]
    for f in files:
        for r in read_records(f):
            by_key[r.key] = r
    return list(by_key.values())


def consolidate_records(run_dir: Path) -> list[RunRecord]:
    """Merge shard files into ``records.jsonl`` and drop superseded records (atomic rewrite).

    Left alone when there is nothing to merge, so a plain run's file is only ever appended to.
    """
    main = run_dir / RECORDS_FILE
    shards = sorted(run_dir.glob("records.rank*.jsonl"))
    raw = read_records(main)
    for f in shards:
        raw.extend(read_records(f))
    merged: dict[tuple[str, int], RunRecord] = {}
    for r in raw:
        merged[r.key] = r
    records = sorted(merged.values(), key=lambda r: (r.index, r.k, r.sample_id))
    if not shards and len(merged) == len(raw):
        return records
    tmp = main.with_suffix(".jsonl.tmp")
    try:
        tmp.unlink(missing_ok=True)
        append_bytes(tmp, "".join(r.model_dump_json() + "\n" for r in records).encode("utf-8"))
        os.replace(tmp, main)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    for f in shards:
        f.unlink(missing_ok=True)
    return records


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block (released even on SIGKILL)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; concurrent writers are the user's care
        yield
        return
    fh = path.open("a+")
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise RunLocked(
                f"{path.parent} is being written by another process; wait for it to finish "
                "(or stop it) before running the same evaluation again"
            ) from exc
        yield
    finally:
        fh.close()


class WriteError(Exception):
    """Records or prompts could not be written (the disk, not the backend, failed)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class Resume:
    """What a run directory already holds for a call: the keys not to redo (``done``), the
    earlier errors this call does again (``redo``), and the records that count towards the
    error guard of this process's shard (``counted``)."""

    done: set[tuple[str, int]] = field(default_factory=set)
    redo: dict[tuple[str, int], RunRecord] = field(default_factory=dict)
    counted: list[RunRecord] = field(default_factory=list)

    @classmethod
    def read(
        cls, run_dir: Path, own: Path, mine: set[int], samples: int, retry_errors: bool
    ) -> Resume:
        repair_tail(own)
        out = cls()
        for key, r in {r.key: r for r in load_run_records(run_dir)}.items():
            if retry_errors and r.error_kind in RETRYABLE_ERRORS:
                out.redo[key] = r
                continue
            out.done.add(key)
            if r.index in mine and r.k < samples:
                out.counted.append(r)
        return out
