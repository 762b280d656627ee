"""Run integrity helpers for the harness: signals, writable records, sample selection,
the per-run prompt store and the prompt-length check.

* :func:`signals_as_interrupts` turns SIGTERM (``timeout``, a scheduler) into
  :class:`Terminated`, a :class:`KeyboardInterrupt`, so every way a run is stopped goes through
  the one path that writes ``interrupted`` into the manifest.
* :func:`writable_record` makes a record serialisable whatever a backend returned: lone UTF-16
  surrogates (from a JSON ``"\\ud800"`` escape) are replaced by U+FFFD and the record says so in
  ``repaired``; anything else that cannot be written becomes a ``serialization`` error record.
* :class:`Selection` is ``--limit`` (a count or a fraction), ``--offset`` and ``--sample-ids``.
* :class:`PromptStore` keeps each rendered prompt once per run (``prompts.jsonl``, keyed by a
  content hash that records carry as ``prompt_hash``).
* :func:`confinement_root` / :func:`outside` keep image paths in the data folder, and
  :func:`unscorable` says why a source yields no sample that could be scored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import signal
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from othink_bench.backends.base import digest
from othink_bench.records import RunRecord, append_bytes
from othink_bench.task import Sample, Task

PROMPTS_FILE = "prompts.jsonl"


class Terminated(KeyboardInterrupt):
    """The process got SIGTERM; handled like Ctrl-C (the run is marked ``interrupted``)."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.signum = signum


@contextlib.contextmanager
def signals_as_interrupts() -> Iterator[None]:
    """Raise :class:`Terminated` on SIGTERM for the block (main thread only; else a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------------------------------------
# Records that can always be written


def replace_surrogates(text: str) -> tuple[str, int]:
    """``text`` with lone surrogates replaced by U+FFFD, and how many were replaced."""
    try:
        text.encode("utf-8")
        return text, 0
    except UnicodeEncodeError:
        pass
    fixed = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return fixed, sum(1 for a, b in zip(text, fixed, strict=False) if a != b and b == "\ufffd")


_TEXT_FIELDS = ("output", "extracted", "lenient_extracted", "error", "gold", "breakdown")


def writable_record(record: RunRecord) -> RunRecord:
    """A record that serialises: lone surrogates replaced (noted in ``repaired``), or, if it
    still cannot be written, an error record of kind ``serialization`` for the same sample."""
    updates: dict[str, Any] = {}
    notes = []
    for name in _TEXT_FIELDS:
        value = getattr(record, name)
        if isinstance(value, str):
            fixed, count = replace_surrogates(value)
            if count:
                updates[name] = fixed
                notes.append(f"{count} lone surrogate(s) in {name} replaced with U+FFFD")
    if updates:
        updates["repaired"] = "; ".join(notes)
        record = record.model_copy(update=updates)
    try:
        record.model_dump_json()
        return record
    except Exception as exc:  # any failure to serialise is this sample's error
        sid, _ = replace_surrogates(record.sample_id)
        return RunRecord(
            sample_id=sid,
            index=record.index,
            task=record.task,
            task_version=record.task_version,
            k=record.k,
            gold=replace_surrogates(record.gold)[0],
            error=f"record cannot be written: {type(exc).__name__}: {exc}"[:500],
            error_kind="serialization",
            prompt_hash=record.prompt_hash,
        )


# ---------------------------------------------------------------------------------------------
# Sample selection


@dataclass(frozen=True)
class Selection:
    """Which samples of a split a call asks for: ``offset``, then ``limit`` (a count, or a
    fraction 0 < x < 1 of the split, rounded up), or explicit ``sample_ids``."""

    limit: int | float | None = None
    offset: int = 0
    sample_ids: tuple[str, ...] | None = None

    def validate(self) -> None:
        if isinstance(self.limit, float) and not self.limit.is_integer():
            if not 0 < self.limit < 1:
                raise ValueError(
                    f"limit is a count (>= 1) or a fraction in (0, 1), got {self.limit}"
                )
        elif self.limit is not None and self.limit < 1:
            raise ValueError(f"limit must be >= 1 (or a fraction in (0, 1)), got {self.limit}")
        if self.offset < 0:
            raise ValueError(f"offset must be >= 0, got {self.offset}")
        if self.sample_ids is not None and self.offset:
            raise ValueError("--sample-ids and --offset exclude each other")
        if self.sample_ids is not None and not self.sample_ids:
            raise ValueError("--sample-ids names no sample")

    @property
    def fraction(self) -> bool:
        return isinstance(self.limit, float) and not self.limit.is_integer()

    def load_limit(self) -> int | None:
        """How many leading samples a loader must read (None: all of them)."""
        if self.sample_ids is not None or self.fraction or self.limit is None:
            return None
        return self.offset + int(self.limit)

    @property
    def is_prefix(self) -> bool:
        return self.sample_ids is None and self.offset == 0

    def positions(self, samples: Sequence[Sample]) -> Sequence[int]:
        """Indices (into the loaded split) of the selected samples, in order."""
        n = len(samples)
        if self.sample_ids is not None:
            wanted = dict.fromkeys(self.sample_ids)
            where: dict[str, int] = {}
            for i in range(n):
                sid = samples[i].id
                if sid in wanted and sid not in where:
                    where[sid] = i
            missing = [x for x in wanted if x not in where]
            if missing:
                shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
                raise ValueError(
                    f"--sample-ids: {len(missing)} id(s) are not in the data ({shown}); "
                    f"ids look like {samples[0].id!r}"
                    if n
                    else "--sample-ids: the data is empty"
                )
            return sorted(where.values())
        if self.limit is None:
            count = n - self.offset
        elif self.fraction:
            count = math.ceil(float(self.limit) * n)
        else:
            count = int(self.limit)
        return range(min(self.offset, n), min(n, self.offset + max(count, 0)))

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"limit": self.limit, "offset": self.offset}
        if self.sample_ids is not None:
            out["sample_ids"] = len(self.sample_ids)
            out["sample_ids_digest"] = digest(sorted(self.sample_ids), 12)
        return out


def parse_sample_ids(spec: str) -> tuple[str, ...]:
    """``ID,ID,...`` or ``@FILE`` (one id per line, or a JSON list)."""
    if spec.startswith("@"):
        path = Path(spec[1:])
        if not path.is_file():
            raise ValueError(f"--sample-ids: no such file {path}")
        text = path.read_text(encoding="utf-8-sig")
        if text.lstrip().startswith("["):
            try:
                ids = [str(x) for x in json.loads(text)]
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: not a JSON list of ids: {exc}") from None
        else:
            ids = [line.strip() for line in text.splitlines()]
    else:
        ids = [x.strip() for x in spec.split(",")]
    ids = [x for x in ids if x]
    if not ids:
        raise ValueError(f"--sample-ids {spec!r} names no sample")
    return tuple(dict.fromkeys(ids))


# ---------------------------------------------------------------------------------------------
# Prompts, stored once per run


def image_reference(sample: Sample) -> dict[str, Any] | None:
    """How a prompt's image is found again: its file, the hash of its bytes, or (procedural
    tasks) the sample id that regenerates it."""
    ref = sample.image
    if ref.path is not None:
        return {"path": ref.path}
    if ref.data is not None:
        return {"sha256": hashlib.sha256(ref.data).hexdigest()}
    if ref.pil is not None:
        return {"generated": sample.id}
    return None


class PromptStore:
    """``prompts.jsonl``: ``{"hash", "messages", "image"}`` lines, each prompt once."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / PROMPTS_FILE
        self.known: set[str] = set()
        self.pending: dict[str, str] = {}
        if self.path.exists():
            for raw in self.path.read_bytes().split(b"\n"):
                with contextlib.suppress(ValueError):
                    self.known.add(str(json.loads(raw)["hash"]))

    @staticmethod
    def entry(messages: list[dict[str, Any]], sample: Sample) -> tuple[str, str]:
        """A prompt's hash and its line (a pure function: the harness computes it on its
        preparation thread and hands it to :meth:`put` on its writer thread)."""
        entry = {"messages": messages, "image": image_reference(sample)}
        key = digest(entry, 16)
        line = json.dumps({"hash": key, **entry}, sort_keys=True, ensure_ascii=False)
        return key, replace_surrogates(line)[0] + "\n"

    def put(self, key: str, line: str) -> None:
        if key not in self.known and key not in self.pending:
            self.pending[key] = line

    def add(self, messages: list[dict[str, Any]], sample: Sample) -> str:
        key, line = self.entry(messages, sample)
        self.put(key, line)
        return key

    def flush(self) -> None:
        """Append new prompts (before the records that refer to them)."""
        if not self.pending:
            return
        append_bytes(self.path, "".join(self.pending.values()).encode("utf-8"))
        self.known.update(self.pending)
        self.pending.clear()


def read_prompts(run_dir: str | Path) -> dict[str, dict[str, Any]]:
    """The prompts of a run by hash (for reproducing a record)."""
    path = Path(run_dir) / PROMPTS_FILE
    out: dict[str, dict[str, Any]] = {}
    if path.exists():
        for raw in path.read_bytes().split(b"\n"):
            with contextlib.suppress(ValueError, KeyError, TypeError):
                entry = json.loads(raw)
                out[str(entry["hash"])] = entry
    return out


# ---------------------------------------------------------------------------------------------
# Data checks


def confinement_root(image_root: str | None, data: str | None) -> Path | None:
    """The folder local image paths must stay in: ``--image-root``, else the data file's
    folder (``None``: nothing to confine to)."""
    if image_root:
        return Path(image_root)
    if data:
        path = Path(data)
        return path if path.is_dir() else path.parent
    return None


def outside(path: str, root: Path) -> bool:
    """Whether ``path`` leaves ``root`` (``..`` or an absolute path elsewhere; lexically, so a
    symlink the user put inside the folder is allowed)."""
    full = os.path.normpath(os.path.abspath(path))
    base = os.path.normpath(os.path.abspath(root))
    try:
        return os.path.commonpath([full, base]) != base
    except ValueError:  # different drives (Windows)
        return True


def unscorable(
    samples: Sequence[Sample], positions: Sequence[int], task: Task, where: str
) -> str | None:
    """Why no selected sample can be scored (every one is a bad row or has unverifiable gold),
    or ``None``; lazily generated splits are never checked."""
    if not positions:
        return f"{where}: the selection holds no sample (check --limit, --offset, --sample-ids)"
    if not isinstance(samples, list):
        return None
    first: str | None = None
    for i in positions:
        sample = samples[i]
        error = sample.meta.get("error") if sample.meta else None
        if not error:
            try:
                task.check_gold(sample.gold)
                return None
            except ValueError as exc:
                line = sample.meta.get("line") if sample.meta else None
                error = f"{where}{f':{line}' if line else ''}: gold {sample.gold!r}: {exc}"
        first = first or str(error)
    return (
        f"{where}: none of the {len(positions)} selected rows can be scored for task {task.id}. "
        f"First bad row: {first}. Fix the rows, or pass the data file this task expects"
    )
