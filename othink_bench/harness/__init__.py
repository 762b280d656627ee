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
   group the backend yields - preparing the next window on one thread and scoring and
   writing on another while the main thread generates, with the records and their order those
   of the stages run one after another - so SIGKILL loses at most the group being generated
   and the one being written;
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

The stages live in their own modules: :mod:`~othink_bench.harness.identity` (run ids, folder
names, model identity), :mod:`~othink_bench.harness.store` (records, resume, lock),
:mod:`~othink_bench.harness.prepare` (windows of requests), :mod:`~othink_bench.harness.scoring`
(records from outputs, the error guard), :mod:`~othink_bench.harness.pipeline` (the loop, on
the threads of :mod:`~othink_bench.harness.workers`),
:mod:`~othink_bench.harness.sharding`, :mod:`~othink_bench.harness.manifest` and
:mod:`~othink_bench.harness.task_run` (one task, start to end). This module holds
:func:`evaluate` and the public names.

Errored records of kind ``image`` or ``generation`` are redone on the next run by default (the
file was restored, the endpoint came back); the newer record replaces the older when records
are merged. ``gold`` and ``data`` errors are facts of the data and are not redone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from othink_bench.backends.base import Backend
from othink_bench.backends.factory import make_backend
from othink_bench.harness.identity import identify_model
from othink_bench.harness.present import format_summary
from othink_bench.harness.scoring import check_profiles
from othink_bench.harness.settings import (
    HarnessError,
    RunLocked,
    RunSettings,
    RunSummary,
    TooManyErrors,
)
from othink_bench.harness.sharding import Dist
from othink_bench.harness.store import load_run_records
from othink_bench.harness.task_run import TaskRun
from othink_bench.records import ModelInfo
from othink_bench.registry import get_tasks
from othink_bench.runstate import signals_as_interrupts

__all__ = [
    "HarnessError",
    "RunLocked",
    "RunSettings",
    "RunSummary",
    "TooManyErrors",
    "evaluate",
    "format_summary",
    "load_run_records",
]


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
    task_list = [
        t.with_prompt(s.prompt) for t in get_tasks(tasks if isinstance(tasks, str) else list(tasks))
    ]
    check_profiles(task_list, s.profiles)
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
    dist = Dist()
    info = identify_model(model, be, model_info)
    summaries: list[RunSummary] = []
    try:
        with signals_as_interrupts():  # SIGTERM, like Ctrl-C, leaves "interrupted"
            for task in task_list:
                summaries.append(TaskRun(task, be, model, info, s, dist).run())
    finally:
        if owned:
            be.close()
    stopped = [x for x in summaries if x.status != "complete"]
    if stopped:
        raise TooManyErrors("\n".join(x.error or x.task for x in stopped), summaries)
    return summaries
