"""The evaluation harness: any checkpoint, any registered task, records that survive anything.

:func:`evaluate` is the one entry point, used by ``othink-bench run`` and by the trainers'
train-and-eval. For each task it

1. derives a run id from everything that determines the results - the model's identity (a
   content fingerprint of a local checkpoint, or hub id and revision), backend and dtype, task
   id and version, source, split, data path, generation settings, sampling seed and data
   seed - but *not* the selection (``limit``, ``offset``, ``sample_ids``), so a larger
   selection extends a smaller run instead of starting over; the folder is
   ``<model>--<task>-v<version>-<hash>``;
2. reads what ``runs/<run-id>/records.jsonl`` already holds (repairing a partial last line left
   by a killed writer) and skips finished ``(sample_id, k)`` pairs;
3. builds prompts with the task's own :meth:`Task.prompt`, hands windows of requests to the
   backend, scores each output with :meth:`Task.score`, and appends and fsyncs records per
   group the backend yields, so SIGKILL loses at most the group in flight;
4. records per-sample failures (missing or corrupt image, failed generation, unverifiable gold,
   malformed or non-UTF-8 data row, a prompt past the model's context, an image path outside
   the data folder) as records with ``error``/``error_kind`` and goes on, unless more than
   ``max_errors`` of the samples fail (after at least :data:`ERROR_MIN_SAMPLES`, or all of a
   smaller run), which stops the run with a message naming the cause; a source with no
   scorable sample at all is an error before a run directory exists;
4b. writes ``complete`` only when every requested sample has exactly one record, and leaves
   ``interrupted`` (SIGINT, SIGTERM) or ``failed`` (full disk, crash) when it stops otherwise;
5. under a multi-process launch (``accelerate launch``, ``torchrun``: ``RANK``/``WORLD_SIZE``)
   takes the shard ``index % world == rank`` into ``records.rank{r}.jsonl``; the main process
   waits until every shard's records are on disk and merges them into ``records.jsonl``.

Errored records of kind ``image`` or ``generation`` are redone on the next run by default (the
file was restored, the endpoint came back); the newer record replaces the older when records
are merged. ``gold`` and ``data`` errors are facts of the data and are not redone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import errno
import functools
import logging
import os
import platform
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from othink_bench.backends.base import (
    Backend,
    GenRequest,
    digest,
    distributed_env,
    request_seed,
    resolve_model_path,
)
from othink_bench.backends.factory import make_backend
from othink_bench.metrics import Metrics, error_summary, pct, pct_ci, summarize
from othink_bench.records import (
    MANIFEST_FILE,
    RECORDS_FILE,
    Manifest,
    ModelInfo,
    RunRecord,
    append_bytes,
    append_records,
    read_manifest,
    read_records,
    repair_tail,
    write_manifest,
)
from othink_bench.registry import get_tasks
from othink_bench.runstate import (
    PromptStore,
    Selection,
    confinement_root,
    outside,
    signals_as_interrupts,
    unscorable,
    writable_record,
)
from othink_bench.task import ImageError, Sample, Task

log = logging.getLogger(__name__)

#: The error-rate guard looks only after this many samples, so one early failure is not fatal.
ERROR_MIN_SAMPLES = 20
#: Error kinds redone by a rerun (by default); ``gold`` and ``data`` errors are deterministic.
RETRYABLE_ERRORS = frozenset({"image", "image_path", "generation", "serialization"})
RUN_ID_SCHEMA = 1

_ERROR_HINTS = {
    "image": "images are missing or unreadable: check --data and --image-root",
    "generation": "the backend fails to generate: check the model, device or endpoint",
    "gold": "gold answers cannot be verified: is --data the right file for this task?",
    "data": "rows of the data file are malformed: check --data",
    "encoding": "rows of the data file are not valid UTF-8 text: re-save --data as UTF-8",
    "image_path": "image paths point outside the data folder: set --image-root "
    "(or --allow-outside-images)",
    "prompt_too_long": "prompts exceed the model's context: lower --max-new-tokens or use a "
    "model with a longer context",
    "serialization": "records cannot be written: see the error",
    "score": "the task's scorer raised: a bug in the task",
}


class HarnessError(RuntimeError):
    """A run cannot go on; the message says why and what to do."""


class TooManyErrors(HarnessError):
    """More than ``max_errors`` of a task's samples failed.

    Raised by :func:`evaluate` after every task had its turn; ``summaries`` holds all of them,
    the stopped ones with ``status == "aborted"`` and their ``error``.
    """

    def __init__(self, message: str, summaries: Sequence[RunSummary] = ()) -> None:
        super().__init__(message)
        self.summaries = list(summaries)


class RunLocked(HarnessError):
    """Another process is writing the same run (shard)."""


@dataclass
class RunSettings:
    """How to evaluate. Defaults follow the paper: greedy, the task's token budget, seed 0."""

    backend: str = "hf"
    source: str | None = None
    split: str = "test"
    data: str | None = None
    image_root: str | None = None
    #: A count, or a fraction 0 < x < 1 of the split; with ``offset`` and ``sample_ids`` it
    #: selects the requested samples (none of the three is part of the run id).
    limit: int | float | None = None
    offset: int = 0
    sample_ids: tuple[str, ...] | None = None
    #: Image paths may leave the data file's folder (or ``image_root``) only when this is set.
    allow_outside_images: bool = False
    batch_size: int = 8
    max_new_tokens: int | None = None  # None: the task's own (256 counting, 1024 geometry)
    temperature: float = 0.0
    top_p: float = 1.0
    samples: int = 1
    seed: int = 0  # the sampling seed
    data_seed: int = 0  # which procedural test set (synthetic sources)
    out: str | Path = "runs"
    dtype: str = "auto"
    device: str = "auto"
    max_errors: float = 0.1
    retry_errors: bool = True
    progress: bool = True
    #: Backend-specific options (attn, base_url, api_key, concurrency, timeout,
    #: tensor_parallel_size, trust_remote_code, ...); ones a backend does not take are ignored.
    backend_options: dict[str, Any] = field(default_factory=dict)

    @property
    def selection(self) -> Selection:
        return Selection(self.limit, self.offset, self.sample_ids)

    def validate(self) -> None:
        self.selection.validate()
        if self.data_seed < 0:
            raise ValueError(f"data seed must be >= 0, got {self.data_seed}")
        if self.batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {self.batch_size}")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise ValueError(f"max new tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if self.samples > 1 and self.temperature == 0:
            raise ValueError(
                f"--samples {self.samples} draws several outputs per prompt, which greedy "
                "decoding makes identical; pass --temperature > 0 (e.g. 0.7)"
            )
        if not 0 <= self.max_errors <= 1:
            raise ValueError(f"max errors is a fraction in [0, 1], got {self.max_errors}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")


@dataclass
class RunSummary:
    """The outcome of one task of an :func:`evaluate` call."""

    run_id: str
    run_dir: Path
    task: str
    task_version: str
    model: ModelInfo
    metrics: Metrics
    status: str  # complete | aborted | failed (records missing)
    n_new: int  # records written by this call
    n_resumed: int  # records in scope that earlier calls had written
    elapsed_s: float
    samples_per_s: float | None
    settings: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # why the task was stopped (status "aborted")

    @property
    def accuracy(self) -> float:
        return self.metrics.accuracy.value


# ---------------------------------------------------------------------------------------------
# Run identity


def resolve_source(task: Task, settings: RunSettings) -> str:
    """The source a task reads: explicit, else ``local`` with ``--data``, else the task's default
    (the hub for the training split of a task that has one)."""
    if settings.source:
        if task.sources and settings.source not in task.sources:
            raise HarnessError(
                f"task {task.id} has no {settings.source!r} source; it has "
                f"{', '.join(task.sources)}"
            )
        return settings.source
    if settings.data:
        return "local"
    if settings.split == "train" and "hub" in task.sources:
        return "hub"
    return task.default_source


def generation_settings(task: Task, settings: RunSettings) -> dict[str, Any]:
    do_sample = settings.temperature > 0
    return {
        "max_new_tokens": settings.max_new_tokens or task.max_new_tokens,
        "do_sample": do_sample,
        "temperature": settings.temperature,
        "top_p": settings.top_p if do_sample else 1.0,
        "samples": settings.samples,
    }


def _abs(path: str | None) -> str | None:
    return str(Path(path).expanduser().resolve()) if path else None


def run_key(
    identity: dict[str, Any],
    task: Task,
    settings: RunSettings,
    source: str,
    model_info: ModelInfo | None = None,
) -> dict[str, Any]:
    """Everything that determines a run's results (what the run id hashes).

    A trained checkpoint's provenance (method, train task, step) is part of the key: two
    trainings that happen to end with identical weights are still two cells of a matrix.
    """
    key: dict[str, Any] = {
        "schema": RUN_ID_SCHEMA,
        "backend": identity,
        "task": task.id,
        "task_version": task.version,
        "source": source,
        "split": settings.split,
        "data": _abs(settings.data),
        "image_root": _abs(settings.image_root),
        "generation": generation_settings(task, settings),
        "seed": settings.seed,
    }
    # Before data_seed existed the one seed chose both; a run whose seeds agree keeps its id.
    if settings.data_seed != settings.seed:
        key["data_seed"] = settings.data_seed
    if model_info is not None:
        provenance = {
            k: getattr(model_info, k)
            for k in ("method", "train_task", "step")
            if getattr(model_info, k) is not None
        }
        if provenance:
            key["provenance"] = provenance
    return key


def _slug(text: str, limit: int = 40) -> str:
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    text = re.sub(r"-{2,}", "-", text).strip("._-")  # "--" separates model from task
    return (text or "model")[:limit].strip("._-") or "model"


def model_slug(model: str) -> str:
    """A readable name for a model spec: the folder name (with its parent for checkpoint-N)."""
    parts = [p for p in re.split(r"[\\/]+", model.rstrip("/\\")) if p]
    if not parts:
        return "model"
    if len(parts) > 1 and re.fullmatch(r"checkpoint-\d+", parts[-1]):
        return _slug(f"{parts[-2]}_{parts[-1]}")
    return _slug(parts[-1])


def make_run_id(task_id: str, model: str, key: dict[str, Any]) -> str:
    """``<model>--<task>-v<version>-<hash>``: readable, unique for what determines the
    results, and unambiguous (``--`` occurs only between the model and the task)."""
    version = _slug(str(key.get("task_version", "")), 12)
    return f"{model_slug(model)}--{_slug(task_id, 24)}-v{version}-{digest(key, 10)}"


def find_run_id(root: Path, run_id: str) -> str:
    """An existing run with the same hash under another readable name (a renamed checkpoint
    folder, a model passed by another path) is the same run; else ``run_id`` itself."""
    if (root / run_id).is_dir():
        return run_id
    hash_part = run_id.rsplit("-", 1)[1]
    matches = sorted(p.name for p in root.glob(f"*-{hash_part}") if (p / MANIFEST_FILE).exists())
    return matches[0] if matches else run_id


# ---------------------------------------------------------------------------------------------
# Records of a run directory


def shard_file(run_dir: Path, rank: int) -> Path:
    return run_dir / f"records.rank{rank}.jsonl"


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


# ---------------------------------------------------------------------------------------------
# Processes: shards, barriers, locks


class _Dist:
    """Rank and world size of this process (``RANK``/``WORLD_SIZE`` from any launcher).

    There is deliberately no collective barrier: a process group initialised here for a barrier
    would become the default group of any training that follows in the same process (the
    trainers' train-and-eval evaluates the base model before training), and pinning GPUs for
    vLLM must happen before CUDA is touched. Instead the main process waits until the records
    of every shard are on disk (:meth:`_TaskRun._wait_for_shards`) - a condition a stale file
    from an earlier launch cannot fake - and the other processes go on as soon as their shard
    is written.
    """

    def __init__(self) -> None:
        self.rank, self.world, self.local_rank = distributed_env()
        self.started = time.time()
        if not 0 <= self.rank < self.world:
            raise HarnessError(f"RANK={self.rank} is outside WORLD_SIZE={self.world}")

    @property
    def main(self) -> bool:
        return self.rank == 0


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
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


# ---------------------------------------------------------------------------------------------
# Manifest facts


_PACKAGES = (
    "othink-bench",
    "torch",
    "transformers",
    "trl",
    "accelerate",
    "datasets",
    "vllm",
    "pillow",
    "numpy",
    "tokenizers",
)


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    if "othink-bench" not in out:
        from othink_bench import __version__

        out["othink-bench"] = __version__
    return out


@functools.lru_cache(maxsize=1)
def git_revision() -> str | None:
    """The source tree's commit (``+dirty`` when it has uncommitted changes), if it is a repo."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def hardware_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        cuda = bool(torch.cuda.is_available())
        info["cuda"] = cuda
        if cuda:
            info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return info


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# The per-task loop


@dataclass
class _Item:
    index: int
    sample: Sample
    k: int
    prompt_hash: str | None = None


class _ErrorGuard:
    """Counts a shard's scored and errored records; stops the run past ``max_errors``."""

    def __init__(self, task: Task, max_errors: float, expected: int = ERROR_MIN_SAMPLES) -> None:
        self.task = task
        self.max_errors = max_errors
        self.expected = expected  # records in this shard's scope: all failing stops a small run
        self.total = 0
        self.kinds: Counter[str] = Counter()
        self.first: dict[str, str] = {}

    def add(self, record: RunRecord) -> None:
        self.total += 1
        if record.error is not None:
            kind = record.error_kind or "other"
            self.kinds[kind] += 1
            self.first.setdefault(kind, record.error)

    def check(self) -> None:
        errors = sum(self.kinds.values())
        if errors <= self.max_errors * self.total:
            return
        everything = self.total >= min(self.expected, ERROR_MIN_SAMPLES) and errors == self.total
        if self.total < ERROR_MIN_SAMPLES and not everything:
            return
        kind, count = self.kinds.most_common(1)[0]
        by_kind = ", ".join(f"{k}: {v}" for k, v in self.kinds.most_common())
        hint = _ERROR_HINTS.get(kind, "see the error")
        raise TooManyErrors(
            f"stopping task {self.task.id}: {errors} of {self.total} samples failed ({by_kind}), "
            f"more than --max-errors {self.max_errors:g}. Most are {kind} errors - {hint}. "
            f"First {kind} error: {self.first[kind]}. Records so far are kept; fix the cause and "
            "rerun the same command to redo the failed samples (or raise --max-errors)."
        )


def _record(item: _Item, task: Task, **fields: Any) -> RunRecord:
    try:
        breakdown = task.breakdown(item.sample)
    except Exception:  # a breakdown is a label for grouping; a bad sample just has none
        breakdown = ""
    return RunRecord(
        sample_id=item.sample.id,
        index=item.index,
        task=task.id,
        task_version=task.version,
        k=item.k,
        gold=item.sample.gold,
        breakdown=breakdown,
        prompt_hash=item.prompt_hash,
        **fields,
    )


def _scored(
    item: _Item, task: Task, text: str, tokens: int | None, latency: float | None
) -> RunRecord:
    try:
        score = task.score(text, item.sample)
    except Exception as exc:  # a scorer bug is reported per sample and counted by the guard
        return _record(
            item,
            task,
            output=text,
            error=f"scoring failed: {exc!r}",
            error_kind="score",
            tokens=tokens,
            latency_s=latency,
        )
    return _record(
        item,
        task,
        output=text,
        extracted=score.extracted,
        correct=score.correct,
        lenient_extracted=score.lenient_extracted,
        lenient_correct=score.lenient_correct,
        format_ok=score.format_ok,
        error=score.error,
        error_kind="gold" if score.error else None,
        tokens=tokens,
        latency_s=latency,
    )


def _precheck(item: _Item, task: Task) -> RunRecord | None:
    """A record for a sample that cannot be generated for (bad row, unverifiable gold)."""
    meta_error = item.sample.meta.get("error") if item.sample.meta else None
    if meta_error:
        kind = str(item.sample.meta.get("error_kind") or "data")
        return _record(item, task, error=str(meta_error), error_kind=kind)
    try:
        task.check_gold(item.sample.gold)
    except ValueError as exc:
        return _record(
            item,
            task,
            error=f"gold answer {item.sample.gold!r} cannot be verified: {exc}",
            error_kind="gold",
        )
    return None


def _wants_image(messages: list[dict[str, Any]]) -> bool:
    """Whether a prompt has an image placeholder (a sample has one image)."""
    return any(
        isinstance(part, dict) and part.get("type") == "image"
        for m in messages
        if isinstance(m.get("content"), list)
        for part in m["content"]
    )


def _unique_ids(samples: Sequence[Sample]) -> Sequence[Sample]:
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


class _WriteError(Exception):
    """Records or prompts could not be written (the disk, not the backend, failed)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _TaskRun:
    """One task of an evaluate call, in one process."""

    def __init__(
        self,
        task: Task,
        backend: Backend,
        model: str,
        model_info: ModelInfo,
        settings: RunSettings,
        dist: _Dist,
    ) -> None:
        self.task = task
        self.backend = backend
        self.model = model
        self.settings = settings
        self.dist = dist
        self.source = resolve_source(task, settings)
        self.generation = generation_settings(task, settings)
        self.key = run_key(backend.identity(), task, settings, self.source, model_info)
        self.run_id = find_run_id(Path(settings.out), make_run_id(task.id, model, self.key))
        self.run_dir = Path(settings.out) / self.run_id
        self.model_info = model_info
        self.n_new = 0
        self.elapsed = 0.0
        self.image_root = (
            confinement_root(settings.image_root, settings.data)
            if self.source == "local" and not settings.allow_outside_images
            else None
        )
        self.prompts: PromptStore | None = None

    # The manifest is written by the main process only.
    def _write_manifest(self, n_samples: int, status: str, **extra: Any) -> None:
        if not self.dist.main:
            return
        s = self.settings
        old: Manifest | None = None
        if (self.run_dir / MANIFEST_FILE).exists():
            try:
                old = read_manifest(self.run_dir)
            except ValueError:
                old = None
        limit = n_samples if s.limit is not None and s.selection.is_prefix else None
        if old is not None:
            if not s.selection.is_prefix:
                limit = old.limit
            else:
                limit = None if (old.limit is None or limit is None) else max(old.limit, limit)
            n_samples = max(n_samples, old.n_samples or 0)
        previous = old.model_dump() if old is not None else {}
        manifest = Manifest(
            **{k: v for k, v in previous.items() if k not in Manifest.model_fields},
            run_id=self.run_id,
            model=self.model_info,
            task=self.task.id,
            task_version=self.task.version,
            source=self.source,
            split=s.split,
            data=_abs(s.data),
            limit=limit,
            generation=self.generation,
            seed=s.seed,
            data_seed=s.data_seed,
            backend=self.backend.name,
            packages=package_versions(),
            git_revision=git_revision(),
            hardware=hardware_info(),
            started=old.started if old is not None and old.started else _now(),
            finished=_now() if status != "running" else None,
            n_samples=n_samples,
            status=status,
        )
        data = manifest.model_dump(mode="json")
        data.update(
            image_root=_abs(s.image_root),
            run_key=self.key,
            settings={
                "batch_size": s.batch_size,
                "max_errors": s.max_errors,
                "world_size": self.dist.world,
                "retry_errors": s.retry_errors,
                "allow_outside_images": s.allow_outside_images,
            },
        )
        data.update(extra)
        if status == "running":
            data.pop("error", None)
        write_manifest(self.run_dir, Manifest.model_validate(data))

    def _final_manifest(self, n: int, status: str, **extra: Any) -> None:
        """The manifest of a run that stops abnormally; a failure to write it (a full disk)
        is logged, never raised over the run's own outcome."""
        try:
            self._write_manifest(n, status, backend_info=self._describe(), **extra)
        except OSError as exc:
            log.error("cannot write %s: %s", self.run_dir / MANIFEST_FILE, exc)

    def run(self) -> RunSummary:
        s = self.settings
        sel = s.selection
        # Data first: a source that cannot be read fails before a run directory exists.
        samples = _unique_ids(
            self.task.load(
                split=s.split,  # type: ignore[arg-type]
                source=self.source,  # type: ignore[arg-type]
                data=s.data,
                image_root=s.image_root,
                limit=sel.load_limit(),
                seed=s.data_seed,
            )
        )
        positions = sel.positions(samples)
        where = s.data or f"task {self.task.id} ({self.source}/{s.split})"
        problem = unscorable(samples, positions, self.task, where)
        if problem is not None:
            from othink_bench.data import DataSourceError

            raise DataSourceError(problem)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        lock_name = f".lock.rank{self.dist.rank}" if self.dist.world > 1 else ".lock"
        with _locked(self.run_dir / lock_name):
            (self.run_dir / f"abort.rank{self.dist.rank}").unlink(missing_ok=True)
            return self._run_locked(samples, positions)

    def _run_locked(self, samples: Sequence[Sample], positions: Sequence[int]) -> RunSummary:
        s = self.settings
        t = self.task
        n = len(positions)
        scope = set(positions)
        own_positions = positions[self.dist.rank :: self.dist.world]
        mine = set(own_positions)
        own = (
            shard_file(self.run_dir, self.dist.rank)
            if self.dist.world > 1
            else (self.run_dir / RECORDS_FILE)
        )
        repair_tail(own)
        existing = {r.key: r for r in load_run_records(self.run_dir)}
        guard = _ErrorGuard(t, s.max_errors, len(own_positions) * s.samples)
        done: set[tuple[str, int]] = set()
        redo: dict[tuple[str, int], RunRecord] = {}  # earlier errors this run does again
        for key, r in existing.items():
            if s.retry_errors and r.error_kind in RETRYABLE_ERRORS:
                redo[key] = r
                continue
            done.add(key)
            if r.index in mine and r.k < s.samples:
                guard.add(r)
        try:
            self._write_manifest(n, "running")
        except OSError as exc:
            raise HarnessError(f"cannot write the manifest of {self.run_dir}: {exc}") from None
        self.prompts = PromptStore(self.run_dir)
        status, error = "complete", None
        try:
            self._generate(samples, own_positions, own, done, guard)
        except TooManyErrors as exc:
            status, error = "aborted", str(exc)
            if self.dist.world > 1:
                (self.run_dir / f"abort.rank{self.dist.rank}").write_text(error)
        except KeyboardInterrupt as exc:
            reason = str(exc) or "interrupted (SIGINT)"
            self._final_manifest(n, "interrupted", error=reason)
            raise
        except _WriteError as wrapped:  # a full disk, a vanished folder: one line, no traceback
            cause = wrapped.error
            reason = f"{type(cause).__name__}: {cause}"
            if cause.errno == errno.ENOSPC:
                reason = f"disk full (ENOSPC) while writing to {self.run_dir}: {cause}"
            self._final_manifest(n, "failed", error=reason)
            raise HarnessError(
                f"task {t.id} failed: {reason}. Records written so far are kept; free the "
                "space (or fix the cause) and rerun the same command to resume"
            ) from None
        except BaseException as exc:
            self._final_manifest(n, "failed", error=f"{type(exc).__name__}: {exc}")
            raise
        # Shards: the main process waits for every shard's records, then merges them.
        try:
            if self.dist.world == 1:
                consolidate_records(self.run_dir)
            elif self.dist.main and error is None:
                self._wait_for_shards(scope, redo)
                consolidate_records(self.run_dir)
        except OSError as exc:
            self._final_manifest(n, "failed", error=f"merging records: {exc}")
            raise HarnessError(
                f"task {t.id} failed merging the records of {self.run_dir}: {exc}; the shard "
                "files are kept, rerun the same command to finish"
            ) from None
        aborts = [
            f
            for f in sorted(self.run_dir.glob("abort.rank*"))
            if f.stat().st_mtime >= self.dist.started - 1
        ]
        if aborts and error is None:
            status, error = "aborted", aborts[0].read_text()
        if self.dist.main:
            for f in aborts:
                f.unlink(missing_ok=True)
        records = [
            r for r in load_run_records(self.run_dir) if r.index in scope and r.k < s.samples
        ]
        if error is None and self.dist.main:
            missing = n * s.samples - len({(r.index, r.k) for r in records})
            if missing or len(records) != n * s.samples:
                status = "failed"
                error = (
                    f"{missing} of {n * s.samples} requested samples have no record (or more "
                    "than one); rerun the same command to redo them"
                )
        extra: dict[str, Any] = {
            "backend_info": self._describe(),
            "selection": {**s.selection.describe(), "requested": n * s.samples},
        }
        if error:
            extra["error"] = error
        self._write_manifest(n, status, **extra)
        return RunSummary(
            run_id=self.run_id,
            run_dir=self.run_dir,
            task=t.id,
            task_version=t.version,
            model=self.model_info,
            metrics=summarize(records),
            status=status,
            n_new=sum(1 for r in records if r.key not in done),
            n_resumed=sum(1 for r in records if r.key in done),
            elapsed_s=self.elapsed,
            samples_per_s=self.n_new / self.elapsed if self.n_new and self.elapsed > 0 else None,
            settings={"source": self.source, "split": s.split, **self.generation},
            error=error,
        )

    def _wait_for_shards(
        self, scope: set[int], redo: dict[tuple[str, int], RunRecord], poll_s: float = 0.5
    ) -> None:
        """Block until every (index, k) in scope has a record, or another process aborted.

        An earlier error that is being redone does not count until its new record replaces it.
        """
        want = len(scope) * self.settings.samples
        timeout = float(os.environ.get("OTHINK_BENCH_SHARD_TIMEOUT", 7 * 24 * 3600))
        deadline = time.time() + timeout
        while True:
            have = {
                (r.index, r.k)
                for r in load_run_records(self.run_dir)
                if r.index in scope and r.k < self.settings.samples and redo.get(r.key) != r
            }
            if len(have) >= want:
                return
            if any(
                f.stat().st_mtime >= self.dist.started - 1 for f in self.run_dir.glob("abort.rank*")
            ):
                return
            if time.time() > deadline:
                raise HarnessError(
                    f"waited {timeout:.0f}s for the other shards of {self.run_dir} "
                    f"({len(have)} of {want} records); did a process die? Rerun to finish"
                )
            time.sleep(poll_s)

    def _describe(self) -> dict[str, Any]:
        try:
            return self.backend.describe()
        except Exception as exc:  # describing must never hide the run's own outcome
            return {"backend": self.backend.name, "describe_error": repr(exc)}

    def _items(
        self,
        samples: Sequence[Sample],
        positions: Sequence[int],
        done: set[tuple[str, int]],
        bar: Any,
    ) -> Iterator[_Item]:
        for index in positions:
            sample = samples[index]
            for k in range(self.settings.samples):
                if (sample.id, k) in done:
                    bar.update(1)
                else:
                    yield _Item(index, sample, k)

    def _generate(
        self,
        samples: Sequence[Sample],
        positions: Sequence[int],
        own: Path,
        done: set[tuple[str, int]],
        guard: _ErrorGuard,
    ) -> None:
        from tqdm import tqdm

        s = self.settings
        shard_size = len(positions)
        window = self.backend.window or max(1, shard_size * s.samples)
        bar = tqdm(
            total=shard_size * s.samples,
            desc=self.task.id if self.dist.world == 1 else f"{self.task.id}[{self.dist.rank}]",
            unit="sample",
            disable=not s.progress,
            position=self.dist.rank if self.dist.world > 1 else None,
            dynamic_ncols=True,
            leave=True,
        )
        start = time.perf_counter()
        try:
            for items in self._windows(samples, positions, done, bar, window):
                early, requests, pending = self._prepare(items)
                self._write(early, own, guard, bar)
                if requests:
                    self._run(requests, pending, own, guard, bar)
        finally:
            self.elapsed += time.perf_counter() - start
            bar.close()

    def _windows(
        self,
        samples: Sequence[Sample],
        positions: Sequence[int],
        done: set[tuple[str, int]],
        bar: Any,
        size: int,
    ) -> Iterator[list[_Item]]:
        batch: list[_Item] = []
        for item in self._items(samples, positions, done, bar):
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _write(self, records: list[RunRecord], own: Path, guard: _ErrorGuard, bar: Any) -> None:
        if not records:
            return
        records = [writable_record(r) for r in records]
        try:
            if self.prompts is not None:
                self.prompts.flush()  # before the records that refer to them
            append_records(own, records)
        except OSError as exc:
            raise _WriteError(exc) from exc
        self.n_new += len(records)
        bar.update(len(records))
        for r in records:
            guard.add(r)
        guard.check()

    def _precheck_image_path(self, item: _Item) -> RunRecord | None:
        path = item.sample.image.path
        if self.image_root is None or path is None or not outside(path, self.image_root):
            return None
        line = item.sample.meta.get("line") if item.sample.meta else None
        where = f"{self.settings.data}:{line}" if line else f"sample {item.sample.id}"
        return _record(
            item,
            self.task,
            error=f"{where}: image_path {path} is outside {self.image_root}; move the image "
            "there, pass --image-root DIR, or --allow-outside-images to read it anyway",
            error_kind="image_path",
        )

    def _prepare(self, items: list[_Item]) -> tuple[list[RunRecord], list[GenRequest], list[_Item]]:
        """Records for samples that cannot be asked, and requests for the others."""
        s = self.settings
        gen = self.generation
        early: list[RunRecord] = []
        requests: list[GenRequest] = []
        pending: list[_Item] = []
        loaded: dict[int, Any] = {}
        for item in items:
            rec = _precheck(item, self.task) or self._precheck_image_path(item)
            messages = self.task.prompt(item.sample) if rec is None else []
            if rec is None and self.prompts is not None:
                item.prompt_hash = self.prompts.add(messages, item.sample)
            images = []
            if rec is None and _wants_image(messages):
                try:
                    if item.index not in loaded:
                        loaded[item.index] = item.sample.image.load()
                    images = [loaded[item.index]]
                except ImageError as exc:
                    rec = _record(item, self.task, error=str(exc), error_kind="image")
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
        return early, requests, pending

    def _too_long(
        self, requests: list[GenRequest], pending: list[_Item]
    ) -> tuple[list[RunRecord], list[GenRequest], list[_Item]]:
        """Error records for prompts the model's context cannot hold with the token budget
        (checked before generation, so a huge row costs a bounded count, not a forward pass)."""
        context = getattr(self.backend, "context_length", None)
        count = getattr(self.backend, "prompt_tokens", None)
        limit = context() if callable(context) else None
        if limit is None or not callable(count):
            return [], requests, pending
        max_new = int(self.generation["max_new_tokens"])
        budget = limit - max_new
        if budget < 1:
            raise HarnessError(
                f"--max-new-tokens {max_new} leaves no room for a prompt in the model's "
                f"context of {limit} tokens; lower it"
            )
        bad: list[RunRecord] = []
        keep_r: list[GenRequest] = []
        keep_p: list[_Item] = []
        for request, item in zip(requests, pending, strict=True):
            n = int(count(request, budget))
            if n > budget:
                bad.append(
                    _record(
                        item,
                        self.task,
                        error=f"prompt is {'more than ' if n > budget + 16 else ''}{n} tokens; "
                        f"the model's context of {limit} tokens minus max_new_tokens {max_new} "
                        f"leaves {budget}",
                        error_kind="prompt_too_long",
                    )
                )
            else:
                keep_r.append(request)
                keep_p.append(item)
        return bad, keep_r, keep_p

    def _run(
        self,
        requests: list[GenRequest],
        pending: list[_Item],
        own: Path,
        guard: _ErrorGuard,
        bar: Any,
    ) -> None:
        """Generate for a window's requests, scoring and writing each group as it comes."""
        try:  # a model that cannot load stops the run; it is not N generation errors
            self.backend.load()
        except ImportError:
            raise  # e.g. vLLM missing: its message is the install hint
        except Exception as exc:
            raise HarnessError(
                f"cannot load model {self.model!r} with the {self.backend.name} backend: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        too_long, requests, pending = self._too_long(requests, pending)
        self._write(too_long, own, guard, bar)
        if not requests:
            return
        seen: set[int] = set()
        try:
            for group in self.backend.generate(requests):
                out: list[RunRecord] = []
                for i, result in group:
                    seen.add(i)
                    item = pending[i]
                    if result.error is not None or result.text is None:
                        out.append(
                            _record(
                                item,
                                self.task,
                                output=result.text,
                                error=result.error or "backend returned no text",
                                error_kind="generation",
                                tokens=result.tokens,
                                latency_s=result.latency_s,
                            )
                        )
                    else:
                        out.append(
                            _scored(item, self.task, result.text, result.tokens, result.latency_s)
                        )
                    if result.think_from:  # the endpoint split the reasoning; we rebuilt it
                        out[-1].think_from = result.think_from
                self._write(out, own, guard, bar)
        except (TooManyErrors, KeyboardInterrupt, _WriteError):
            raise
        except Exception as exc:  # the backend itself broke: every unanswered request failed
            lost = [i for i in range(len(requests)) if i not in seen]
            message = f"backend {self.backend.name} failed: {type(exc).__name__}: {exc}"
            log.warning("%s (%d requests recorded as generation errors)", message, len(lost))
            self._write(
                [
                    _record(pending[i], self.task, error=message, error_kind="generation")
                    for i in lost
                ],
                own,
                guard,
                bar,
            )


# ---------------------------------------------------------------------------------------------
# Public API


def _settings(settings: RunSettings | None, overrides: dict[str, Any]) -> RunSettings:
    base = dataclasses.replace(settings) if settings is not None else RunSettings()
    names = {f.name for f in dataclasses.fields(RunSettings)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise TypeError(
            f"unknown run setting(s) {', '.join(unknown)}; settings are {', '.join(sorted(names))}"
            " (backend-specific options go in backend_options={...})"
        )
    for k, v in overrides.items():
        setattr(base, k, v)
    base.validate()
    return base


def _model_info(model: str, backend: Backend, given: ModelInfo | None) -> ModelInfo:
    info = given.model_copy() if given is not None else ModelInfo.model_validate({"name": model})
    identity = backend.identity().get("model")
    path = None
    if backend.name in ("hf", "vllm"):
        with contextlib.suppress(OSError):
            resolved = resolve_model_path(model)
            path = str(resolved) if resolved is not None else None
    updates: dict[str, Any] = {}
    if info.path is None and path is not None:
        updates["path"] = path
    if info.revision is None and isinstance(identity, dict):
        updates["revision"] = identity.get("fingerprint") or identity.get("revision")
    return info.model_copy(update=updates) if updates else info


def evaluate(
    model: str,
    tasks: str | Sequence[str],
    *,
    model_info: ModelInfo | None = None,
    backend: str | Backend | None = None,
    settings: RunSettings | None = None,
    **overrides: Any,
) -> list[RunSummary]:
    """Evaluate ``model`` on ``tasks``; one :class:`RunSummary` per task, in order.

    ``model`` is a checkpoint folder, a hub id, ``tiny`` or (``openai``) a served model name.
    ``backend`` is a backend name (default ``settings.backend``, i.e. ``hf``) or a ready
    :class:`~othink_bench.backends.Backend` (e.g. a ``ScriptedBackend``, or an ``HFBackend``
    holding a model already in memory). ``model_info`` records how a checkpoint was made
    (method, train task, step, base model, label) in each run's manifest. Other keyword
    arguments override fields of :class:`RunSettings`.

    A task that fails wholesale (more than ``max_errors`` of its samples) is stopped, its
    records kept, and the other tasks still run; then :class:`TooManyErrors` is raised with all
    the summaries attached. A task whose data cannot be loaded raises the task's own error.
    """
    s = _settings(settings, overrides)
    task_list = get_tasks(tasks if isinstance(tasks, str) else list(tasks))
    if isinstance(backend, str) or backend is None:
        name = backend or s.backend
        s.backend = name
        opts = {
            "dtype": s.dtype,
            "device": s.device,
            "batch_size": s.batch_size,
            "seed": s.seed,
            **s.backend_options,
        }
        be: Backend = make_backend(name, model, **opts)
        owned = True
    else:
        be = backend
        s.backend = be.name
        owned = False
    dist = _Dist()
    info = _model_info(model, be, model_info)
    summaries: list[RunSummary] = []
    try:
        with signals_as_interrupts():  # SIGTERM, like Ctrl-C, leaves "interrupted"
            for task in task_list:
                summaries.append(_TaskRun(task, be, model, info, s, dist).run())
    finally:
        if owned:
            be.close()
    stopped = [x for x in summaries if x.status != "complete"]
    if stopped:
        raise TooManyErrors("\n".join(x.error or x.task for x in stopped), summaries)
    return summaries


# ---------------------------------------------------------------------------------------------
# Presentation


SUMMARY_HEADERS = [
    "task",
    "n",
    "accuracy % [95% CI]",
    "lenient %",
    "format %",
    "errors",
    "samples/s",
    "status",
]


def summary_rows(summaries: Sequence[RunSummary]) -> list[list[Any]]:
    rows = []
    for s in summaries:
        m = s.metrics
        n = f"{m.scored}" if m.k == 1 else f"{m.scored} ({m.n_samples}x{m.k})"
        rows.append(
            [
                f"{s.task} v{s.task_version}",
                n,
                pct_ci(m.accuracy),
                pct(m.lenient),
                pct(m.format_rate),
                error_summary(m),
                f"{s.samples_per_s:.2f}" if s.samples_per_s else "-",
                s.status,
            ]
        )
    return rows


def format_breakdown(summary: RunSummary) -> str:
    """Accuracy per breakdown label (counting: true count; geometry: answer form)."""
    from tabulate import tabulate

    rows = [[label, p.n, pct_ci(p)] for label, p in summary.metrics.by_breakdown.items()]
    return f"{summary.task} by breakdown\n" + tabulate(
        rows, headers=["breakdown", "n", "accuracy % [95% CI]"], disable_numparse=True
    )


def format_summary(summaries: Sequence[RunSummary], breakdown: bool = False) -> str:
    """The end-of-run table (optionally per-breakdown tables), then each run directory."""
    from tabulate import tabulate

    table = tabulate(summary_rows(summaries), headers=SUMMARY_HEADERS, disable_numparse=True)
    lines = [table, ""]
    if breakdown:
        for s in summaries:
            if s.metrics.by_breakdown:
                lines += [format_breakdown(s), ""]
    for s in summaries:
        resumed = f", {s.n_resumed} resumed" if s.n_resumed else ""
        lines.append(f"{s.task}: {s.run_dir}  ({s.n_new} new{resumed})")
    return "\n".join(lines)
