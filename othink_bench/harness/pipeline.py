"""The pipeline loop of one task in one process: windows of work through preparation,
generation, scoring and the record store, on three threads.

Items (one per sample and draw ``k`` not yet done) are cut into windows of the backend's size.
A *preparation* thread builds each window - lazily generated samples are rendered, images
decoded, prompts built (:mod:`othink_bench.harness.prepare`), and, once the model is loaded,
prompt lengths checked and the backend's own preparation run (``backend.prepare``, e.g. the hf
backend's chat templates and image processing) - one window ahead of the main thread, which
only generates. Each group the backend yields goes to a *writer* thread that scores it and
appends it (fsynced) to the records, while the main thread generates the next group.

The order of records on disk, and every record, is the same as when the stages run one after
another. The writer is never more than one group behind: the main thread hands over a group
only once the previous one is on disk, so SIGKILL loses the group being generated and, at most,
the one being written. An exception on either helper thread is raised on the main thread, where
the run's error handling (``interrupted``, ``failed``, ``aborted``) sees it as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from othink_bench.backends.base import GenResult
from othink_bench.harness.identity import RunIdentity
from othink_bench.harness.prepare import Window, prepare_window, too_long
from othink_bench.harness.scoring import (
    ErrorGuard,
    Item,
    make_record,
    record_profiles,
    result_record,
)
from othink_bench.harness.settings import HarnessError, TooManyErrors
from othink_bench.harness.store import WriteError
from othink_bench.harness.workers import Prefetch, Writer
from othink_bench.records import RunRecord, append_records
from othink_bench.runstate import PromptStore, writable_record
from othink_bench.task import Sample

log = logging.getLogger(__name__)

#: Windows prepared ahead of the one being generated (each holds decoded images and, for the
#: hf backend, processed pixel values: memory grows with this times the window size).
PREFETCH_WINDOWS = 1


@dataclass
class _Work:
    """What the writer gets: records ready to write, or a group of results to score first."""

    records: list[RunRecord] | None = None
    results: list[tuple[Item, GenResult]] | None = None
    #: The window's prompts, with the first work of each window (stored before its records).
    prompts: list[tuple[str, str]] | None = None


def load_backend(run: RunIdentity) -> None:
    """Load the run's model (idempotent); one that cannot load is a :class:`HarnessError`
    naming the model and the cause."""
    backend = run.backend
    try:
        backend.load()
    except ImportError:
        raise  # e.g. vLLM missing: its message is the install hint
    except Exception as exc:
        raise HarnessError(
            f"cannot load model {run.model!r} with the {backend.name} backend: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


class Pipeline:
    """Generates and records the items of one shard (``positions``) not yet ``done``."""

    def __init__(
        self,
        run: RunIdentity,
        own: Path,
        guard: ErrorGuard,
        prompts: PromptStore,
        image_root: Path | None,
        bar: Any,
    ) -> None:
        self.run = run
        self.own = own
        self.guard = guard
        self.prompts = prompts
        self.image_root = image_root
        self.bar = bar
        self.n_new = 0
        self._loaded = False
        self._window_prompts: list[tuple[str, str]] | None = None
        # Set once the main thread has loaded the model (or found the first window needs none):
        # from then on the preparation thread also runs the model-side preparation.
        self._released = threading.Event()

    # -- preparation (its own thread) -------------------------------------------------------------

    def items(
        self, samples: Sequence[Sample], positions: Sequence[int], done: set[tuple[str, int]]
    ) -> Iterator[Item]:
        for index in positions:
            sample = samples[index]
            for k in range(self.run.settings.samples):
                if (sample.id, k) in done:
                    self.bar.update(1)
                else:
                    yield Item(index, sample, k)

    def windows(self, items: Iterator[Item], size: int) -> Iterator[list[Item]]:
        batch: list[Item] = []
        for item in items:
            batch.append(item)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _produce(
        self, samples: Sequence[Sample], positions: Sequence[int], done: set[tuple[str, int]]
    ) -> Callable[[Callable[[], bool]], Iterator[Window]]:
        run = self.run
        size = run.backend.window or max(1, len(positions) * run.settings.samples)

        def produce(stopped: Callable[[], bool]) -> Iterator[Window]:
            first = True
            for items in self.windows(self.items(samples, positions, done), size):
                window = prepare_window(
                    items, run.task, run.settings, run.generation, self.image_root
                )
                if not first and window.requests:
                    while not self._released.wait(0.05):
                        if stopped():
                            return
                    if self._loaded:
                        self._stage_model_side(window)
                first = False
                if stopped():
                    return
                yield window

        return produce

    def _stage_model_side(self, window: Window) -> None:
        """Prompt lengths against the context, and the backend's own preparation."""
        run = self.run
        window.too_long = too_long(run.backend, run.task, run.generation, window)
        prepare = getattr(run.backend, "prepare", None)
        if window.requests and callable(prepare):
            window.requests = prepare(window.requests)
        window.staged = True

    # -- writing (its own thread) -----------------------------------------------------------------

    def _write(self, work: _Work) -> None:
        for key, line in work.prompts or ():
            self.prompts.put(key, line)
        if work.results is not None:
            profiles = record_profiles(self.run.task, self.run.settings.profiles)
            records = [
                result_record(item, self.run.task, r, profiles) for item, r in work.results
            ]
        else:
            records = work.records or []
        if not records:
            return
        records = [writable_record(r) for r in records]
        try:
            self.prompts.flush()  # before the records that refer to them
            append_records(self.own, records)
        except OSError as exc:
            raise WriteError(exc) from exc
        self.n_new += len(records)
        self.bar.update(len(records))
        for r in records:
            self.guard.add(r)
        self.guard.check()

    # -- the main thread: generation --------------------------------------------------------------

    def run_all(
        self, samples: Sequence[Sample], positions: Sequence[int], done: set[tuple[str, int]]
    ) -> None:
        produce = self._produce(samples, positions, done)
        with (
            Writer(self._write, name="othink-writer") as writer,
            Prefetch(produce, depth=PREFETCH_WINDOWS, name="othink-prepare") as windows,
        ):
            try:
                for window in windows:
                    self._window_prompts = window.prompts
                    if window.early:
                        self._put(writer, _Work(records=window.early))
                    if window.requests:
                        self.generate(window, writer)
                    self._released.set()
                writer.finish()
            finally:
                self._released.set()

    def _put(self, writer: Writer[_Work], work: _Work) -> None:
        if self._window_prompts is not None:
            work.prompts, self._window_prompts = self._window_prompts, None
        writer.put(work)

    def load_backend(self) -> None:
        """A model that cannot load stops the run; it is not N generation errors."""
        load_backend(self.run)
        self._loaded = True

    def generate(self, window: Window, writer: Writer[_Work]) -> None:
        """Generate for a window's requests, handing each group to the writer as it comes."""
        run = self.run
        if not window.staged:
            self.load_backend()
            window.too_long = too_long(run.backend, run.task, run.generation, window)
        self._released.set()
        if window.too_long:
            self._put(writer, _Work(records=window.too_long))
        requests, pending = window.requests, window.pending
        if not requests:
            return
        seen: set[int] = set()
        try:
            for group in run.backend.generate(requests):
                seen.update(i for i, _ in group)
                self._put(writer, _Work(results=[(pending[i], result) for i, result in group]))
        except (TooManyErrors, KeyboardInterrupt, WriteError):
            raise
        except Exception as exc:  # the backend itself broke: every unanswered request failed
            lost = [i for i in range(len(requests)) if i not in seen]
            message = f"backend {run.backend.name} failed: {type(exc).__name__}: {exc}"
            log.warning("%s (%d requests recorded as generation errors)", message, len(lost))
            records = [
                make_record(pending[i], run.task, error=message, error_kind="generation")
                for i in lost
            ]
            self._put(writer, _Work(records=records))
