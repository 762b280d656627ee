"""One task of an :func:`~othink_bench.harness.evaluate` call, in one process: load the data,
take the run's lock, resume, run the pipeline, merge shards, and write the final manifest.

A run writes ``complete`` only when every requested sample has exactly one record, and leaves
``interrupted`` (SIGINT, SIGTERM) or ``failed`` (full disk, crash) when it stops otherwise; more
than ``max_errors`` failing samples stop it as ``aborted``. A source with no scorable sample at
all is an error before a run directory exists.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Sequence
from typing import Any

from othink_bench.backends.base import Backend
from othink_bench.harness.identity import RunIdentity
from othink_bench.harness.manifest import write_run_manifest
from othink_bench.harness.pipeline import Pipeline, load_backend
from othink_bench.harness.prepare import unique_ids
from othink_bench.harness.scoring import ErrorGuard
from othink_bench.harness.settings import HarnessError, RunSettings, RunSummary, TooManyErrors
from othink_bench.harness.sharding import (
    Dist,
    abort_file,
    own_positions,
    own_records_file,
    recent_aborts,
    wait_for_shards,
)
from othink_bench.harness.store import (
    Resume,
    WriteError,
    consolidate_records,
    load_run_records,
    locked,
)
from othink_bench.metrics import summarize
from othink_bench.records import ModelInfo, read_manifest
from othink_bench.results import write_results
from othink_bench.runstate import PromptStore, confinement_root, unscorable
from othink_bench.task import Sample, Task

log = logging.getLogger(__name__)


class TaskRun:
    """One task of an evaluate call, in one process."""

    def __init__(
        self,
        task: Task,
        backend: Backend,
        model: str,
        model_info: ModelInfo,
        settings: RunSettings,
        dist: Dist,
    ) -> None:
        self.ident = RunIdentity.of(task, backend, model, model_info, settings)
        self.dist = dist
        self.n_new = 0
        self.elapsed = 0.0
        self._before: dict[str, Any] | None = None  # the manifest before this call, if any
        self.image_root = (
            confinement_root(settings.image_root, settings.data)
            if self.ident.source == "local" and not settings.allow_outside_images
            else None
        )

    def _manifest(self, n: int, status: str, **extra: Any) -> None:
        write_run_manifest(self.ident, self.dist, n, status, **extra)

    def _results(self) -> None:
        """``results.json`` from the folder's records and the manifest just written (main
        process only), so that a resumed run's file says where it now stands."""
        if self.dist.main:
            run_dir = self.ident.run_dir
            write_results(run_dir, read_manifest(run_dir), load_run_records(run_dir))

    def _final_manifest(self, n: int, status: str, **extra: Any) -> None:
        """The manifest (and results) of a run that stops abnormally; a failure to write them
        (a full disk, a damaged record) is logged, never raised over the run's own outcome."""
        try:
            self._manifest(n, status, backend_info=self._describe(), **extra)
            self._results()
        except (OSError, ValueError) as exc:
            log.error("cannot write the manifest or results of %s: %s", self.ident.run_dir, exc)

    def _nothing_generated(self) -> bool:
        """True when this call wrote no record (a finished run met again, e.g. by a matrix that
        reuses its evaluations); in one process only, where that is known."""
        return self.n_new == 0 and self.dist.world == 1

    def _recorded_backend_info(self) -> dict[str, Any]:
        """What produced the records: this backend, or, when this call generated nothing, what
        the manifest already says. A backend that had nothing to do never loaded its model and
        knows less (no model class, parameter count or CPU threads); its description must not
        replace the one of the backend that did the work."""
        before = (self._before or {}).get("backend_info")
        if self._nothing_generated() and isinstance(before, dict) and before:
            return before
        return self._describe()

    def _describe(self) -> dict[str, Any]:
        backend = self.ident.backend
        try:
            return backend.describe()
        except Exception as exc:  # describing must never hide the run's own outcome
            return {"backend": backend.name, "describe_error": repr(exc)}

    def run(self) -> RunSummary:
        r = self.ident
        s = r.settings
        sel = s.selection
        # Data first: a source that cannot be read fails before a run directory exists.
        samples = unique_ids(
            r.task.load(
                split=s.split,  # type: ignore[arg-type]
                source=r.source,  # type: ignore[arg-type]
                data=s.data,
                image_root=s.image_root,
                limit=sel.load_limit(),
                seed=s.data_seed,
            )
        )
        positions = sel.positions(samples)
        where = s.data or f"task {r.task.id} ({r.source}/{s.split})"
        problem = unscorable(samples, positions, r.task, where)
        if problem is not None:
            from othink_bench.data_sources import DataSourceError

            raise DataSourceError(problem)
        if not r.run_dir.exists():
            # A new run loads its model before its folder exists: a model that cannot load
            # leaves no run folder behind (a resumed run loads only when work is left).
            load_backend(r)
        r.run_dir.mkdir(parents=True, exist_ok=True)
        lock_name = f".lock.rank{self.dist.rank}" if self.dist.world > 1 else ".lock"
        with locked(r.run_dir / lock_name):
            abort_file(r.run_dir, self.dist.rank).unlink(missing_ok=True)
            return self._run_locked(samples, positions)

    def _run_locked(self, samples: Sequence[Sample], positions: Sequence[int]) -> RunSummary:
        r = self.ident
        s = r.settings
        t = r.task
        n = len(positions)
        scope = set(positions)
        mine_positions = own_positions(positions, self.dist)
        own = own_records_file(r.run_dir, self.dist)
        resume = Resume.read(r.run_dir, own, set(mine_positions), s.samples, s.retry_errors)
        guard = ErrorGuard(t, s.max_errors, len(mine_positions) * s.samples)
        for record in resume.counted:
            guard.add(record)
        done = resume.done
        try:  # what the manifest said before this call marks the run as running
            self._before = read_manifest(r.run_dir).model_dump()
        except (OSError, ValueError):
            self._before = None
        try:
            self._manifest(n, "running")
        except OSError as exc:
            raise HarnessError(f"cannot write the manifest of {r.run_dir}: {exc}") from None
        status, error = "complete", None
        try:
            self._generate(samples, mine_positions, own, done, guard)
        except TooManyErrors as exc:
            status, error = "aborted", str(exc)
            if self.dist.world > 1:
                abort_file(r.run_dir, self.dist.rank).write_text(error)
        except KeyboardInterrupt as exc:
            reason = str(exc) or "interrupted (SIGINT)"
            self._final_manifest(n, "interrupted", error=reason)
            raise
        except WriteError as wrapped:  # a full disk, a vanished folder: one line, no traceback
            cause = wrapped.error
            reason = f"{type(cause).__name__}: {cause}"
            if cause.errno == errno.ENOSPC:
                reason = f"disk full (ENOSPC) while writing to {r.run_dir}: {cause}"
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
                consolidate_records(r.run_dir)
            elif self.dist.main and error is None:
                wait_for_shards(r.run_dir, self.dist, scope, s.samples, resume.redo)
                consolidate_records(r.run_dir)
        except OSError as exc:
            self._final_manifest(n, "failed", error=f"merging records: {exc}")
            raise HarnessError(
                f"task {t.id} failed merging the records of {r.run_dir}: {exc}; the shard "
                "files are kept, rerun the same command to finish"
            ) from None
        aborts = recent_aborts(r.run_dir, self.dist)
        if aborts and error is None:
            status, error = "aborted", aborts[0].read_text()
        if self.dist.main:
            for f in aborts:
                f.unlink(missing_ok=True)
        records = [
            x for x in load_run_records(r.run_dir) if x.index in scope and x.k < s.samples
        ]
        if error is None and self.dist.main:
            missing = n * s.samples - len({(x.index, x.k) for x in records})
            if missing or len(records) != n * s.samples:
                status = "failed"
                error = (
                    f"{missing} of {n * s.samples} requested samples have no record (or more "
                    "than one); rerun the same command to redo them"
                )
        extra: dict[str, Any] = {
            "backend_info": self._recorded_backend_info(),
            "selection": {**s.selection.describe(), "requested": n * s.samples},
        }
        if error:
            extra["error"] = error
        before = self._before or {}
        kept = (before.get("finished") if self._nothing_generated()
                and before.get("status") == status else None)
        self._manifest(n, status, finished=kept, **extra)
        try:
            self._results()
        except OSError as exc:
            raise HarnessError(f"cannot write the results of {r.run_dir}: {exc}") from None
        return RunSummary(
            run_id=r.run_id,
            run_dir=r.run_dir,
            task=t.id,
            task_version=t.version,
            model=r.model_info,
            metrics=summarize(records, max_new_tokens=r.generation.get("max_new_tokens")),
            status=status,
            n_new=sum(1 for x in records if x.key not in done),
            n_resumed=sum(1 for x in records if x.key in done),
            elapsed_s=self.elapsed,
            samples_per_s=self.n_new / self.elapsed if self.n_new and self.elapsed > 0 else None,
            settings={"source": r.source, "split": s.split, **r.generation},
            error=error,
        )

    def _generate(
        self,
        samples: Sequence[Sample],
        positions: Sequence[int],
        own: Any,
        done: set[tuple[str, int]],
        guard: ErrorGuard,
    ) -> None:
        from tqdm import tqdm

        r = self.ident
        s = r.settings
        bar = tqdm(
            total=len(positions) * s.samples,
            desc=r.task.id if self.dist.world == 1 else f"{r.task.id}[{self.dist.rank}]",
            unit="sample",
            disable=not s.progress,
            position=self.dist.rank if self.dist.world > 1 else None,
            dynamic_ncols=True,
            leave=True,
        )
        pipeline = Pipeline(r, own, guard, PromptStore(r.run_dir), self.image_root, bar)
        start = time.perf_counter()
        try:
            pipeline.run_all(samples, positions, done)
        finally:
            self.n_new += pipeline.n_new
            self.elapsed += time.perf_counter() - start
            bar.close()
