"""One run directory read: its manifest and its scored records as a :class:`Run`, or, where it
scored no sample, the reason it fills no cell (:class:`SkippedRun`); and a run's keys as plain
fields for the frames and the CSV and JSON outputs.

A run that scored no sample (a model that never loaded, a run that failed at its start, data
that gave only errors), or whose records do not verify against its manifest and its task's
verifier (:mod:`othink_bench.verify_records`), becomes no cell. Records whose error is a property of the data are left
out of n, as ``othink-bench run`` leaves them out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from leaderboard.keys import CellKey, EvalKey, ModelKey
from othink_bench.metrics import EXCLUDED_ERROR_KINDS
from othink_bench.records import Manifest, RunRecord
from othink_bench.stats import Proportion, wilson
from othink_bench.task import DEFAULT_PROMPT
from othink_bench.truncation import TruncationStats, truncation_stats
from othink_bench.verify_records import check_run

# Records whose error is a property of the data (the same for every model) are left out of n;
# a generation error is the model's failure and counts as wrong.
DATA_ERROR_KINDS = EXCLUDED_ERROR_KINDS  # the same exclusions as `othink-bench run`
# Manifest statuses of a run that ran to its end (the harness writes "complete").
DONE_STATUSES = frozenset({"complete", "finished"})


@dataclass(eq=False)
class Run:
    """One run directory: its manifest and its scored records."""

    run_dir: Path
    path: str  # posix path shown on boards, relative to the collection's anchor
    manifest: Manifest
    records: list[RunRecord]  # one per (sample_id, k), data-error records left out
    excluded: int = 0  # records left out because of a data error (bad gold or image)
    ref: str = ""  # short name on boards: r1, r2, ...
    superseded_by: str | None = None  # ref of the run chosen instead for the same cell
    variant: str = ""  # see ModelKey; set by assign_variants
    data_seed: int | None = None  # see EvalKey; set by load_run from the ids and manifest
    seed_row: int | None = None  # see ModelKey.train_seed; set by assign_seeds
    unverified: str | None = None  # why its records do not verify (then it fills no cell)
    overlap: str | None = None  # its test set overlaps its training set (leaderboard --overlap)

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def model(self) -> ModelKey:
        info = self.manifest.model
        method = info.method or "base"
        base = info.base_model or info.name
        name, tag, scorer = self.prompt
        return ModelKey(base=base, method=method, variant=self.variant,
                        train_seed=self.seed_row, sweep=self.sweep,
                        prompt="" if name == DEFAULT_PROMPT else tag,
                        scorer="" if scorer == "strict" else scorer)

    @cached_property
    def prompt(self) -> tuple[str, str, str]:
        """(name, ``name@version``, scoring profile) of the run's prompt variant, from the
        manifest; runs written before prompt variants used the paper prompt, scored strictly."""
        got = (self.manifest.model_extra or {}).get("prompt")
        if not isinstance(got, dict):
            return DEFAULT_PROMPT, f"{DEFAULT_PROMPT}@1", "strict"
        name = str(got.get("name") or DEFAULT_PROMPT)
        scorer = str(got.get("scored_by") or "strict")
        return name, f"{name}@{got.get('version', '1')}", scorer

    def correct(self, record: RunRecord) -> bool:
        """A record's verdict on this run's board: the strict one, or, for a prompt variant
        read by another profile (``direct``: ``free-form``), that profile's recorded verdict
        (absent or failed: wrong)."""
        scorer = self.prompt[2]
        if scorer == "strict":
            return record.correct
        got = (record.profiles or {}).get(scorer)
        return bool(got is not None and got.error is None and got.correct)

    @property
    def sweep(self) -> tuple[tuple[str, Any], ...]:
        """The swept settings the manifest records (train-and-eval --sweep), by name; () none."""
        swept = self.manifest.model.sweep or {}
        return tuple(sorted((str(k), _hashable(v)) for k, v in swept.items()))

    @property
    def train_seed(self) -> int | None:
        """The training seed the manifest records (None: not recorded)."""
        return self.manifest.model.train_seed

    @property
    def label(self) -> str:
        return self.manifest.model.label or ""

    @property
    def train_task(self) -> str | None:
        return self.manifest.model.train_task

    @property
    def step(self) -> int | None:
        return self.manifest.model.step

    @property
    def column(self) -> EvalKey:
        m = self.manifest
        return EvalKey(
            task=m.task,
            version=m.task_version,
            source=m.source,
            split=m.split,
            data=m.data or "",
            data_seed=self.data_seed,
        )

    @property
    def cell_key(self) -> CellKey:
        return CellKey(self.model, self.train_task, self.step, self.column)

    @property
    def done(self) -> bool:
        """Whether the run ran to its end (not running, not aborted)."""
        return self.manifest.status in DONE_STATUSES

    @property
    def same_task(self) -> bool:
        return self.train_task is not None and self.train_task == self.manifest.task

    @cached_property
    def outcomes(self) -> dict[tuple[str, int], bool]:
        return {r.key: self.correct(r) for r in self.records}

    @cached_property
    def accuracy(self) -> Proportion:
        return wilson(sum(self.correct(r) for r in self.records), len(self.records))

    @cached_property
    def lenient_accuracy(self) -> Proportion:
        return wilson(sum(r.lenient_correct for r in self.records), len(self.records))

    @cached_property
    def format_rate(self) -> Proportion:
        return wilson(sum(r.format_ok for r in self.records), len(self.records))

    @cached_property
    def truncation(self) -> TruncationStats:
        """Outputs cut off at the token budget and outputs leaving a ``<think>`` open."""
        budget = self.manifest.generation.get("max_new_tokens")
        budget = budget if isinstance(budget, int) and not isinstance(budget, bool) else None
        return truncation_stats(self.records, budget)

    def sort_key(self) -> tuple[Any, ...]:
        return (*self.cell_key.sort_key(), self.run_id)


def _hashable(value: Any) -> Any:
    """A swept value as a row key holds it (a list a manifest was edited to hold: a tuple)."""
    return tuple(map(_hashable, value)) if isinstance(value, list) else value


def display_path(path: Path, anchor: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), anchor)).as_posix()
    except ValueError:  # another drive on Windows
        return path.resolve().as_posix()


def data_seed(manifest: Manifest, records: Sequence[RunRecord]) -> int | None:
    """The seed that chose a run's samples, from what the run recorded.

    The records' sample ids are the ground truth: a procedural task names its samples
    ``<task>/<split>/<seed>/<index>``, so ``vc-synth-tiny/test/3/...`` and ``.../test/0/...``
    are different test sets whatever the manifest says. Otherwise a manifest's ``data_seed``
    (written by harnesses that keep the data seed apart from the sampling seed), and for an
    older manifest of a procedural source its one ``seed``, which then chose the samples too.
    Hub and local data are chosen by their file, not by a seed.
    """
    pattern = re.compile(rf"{re.escape(manifest.task)}/{re.escape(manifest.split)}/(-?\d+)/\d+")
    seeds: set[int] = set()
    for r in records:
        m = pattern.fullmatch(r.sample_id)
        if m is None:
            seeds = set()
            break
        seeds.add(int(m.group(1)))
    if len(seeds) == 1:
        return seeds.pop()
    if manifest.source != "synthetic":
        return None
    declared = getattr(manifest, "data_seed", None)
    if isinstance(declared, int) and not isinstance(declared, bool):
        return declared
    return manifest.seed


@dataclass(frozen=True)
class SkippedRun:
    """A run directory that fills no cell, and why (shown on the board, never a row)."""

    run_id: str
    path: str
    status: str
    reason: str
    refused: bool = False  # its records do not verify (then no viewer page either)


def skip_reason(run: Run) -> str | None:
    """Why a run must not become a row: it scored nothing, or its model produced nothing."""
    status = run.manifest.status
    error = (run.manifest.model_extra or {}).get("error")
    said = f"status {status!r}" + (f": {str(error)[:200]}" if error else "")
    if run.unverified is not None:
        return f"refused, its records do not verify: {run.unverified}"
    if not run.records:
        if run.excluded:
            return f"0 scored samples: all {run.excluded} records are data errors ({said})"
        if status in DONE_STATUSES:
            return f"0 scored samples: the run has no records ({said})"
        if status == "running":
            return f"0 scored samples yet: still running, or killed before its first ({said})"
        return f"0 scored samples: the model never loaded or the run stopped first ({said})"
    generated = [r for r in run.records if r.error_kind != "generation"]
    if not generated:
        first = run.records[0].error or "no message"
        return (
            f"the model produced no output: all {len(run.records)} records are generation "
            f"errors (first: {first[:200]}; {said})"
        )
    return None


def load_run(run_dir: Path, anchor: Path) -> Run:
    """Read one run directory through :func:`~othink_bench.verify_records.check_run`; a run
    whose records do not verify keeps the reason in ``unverified`` and fills no cell."""
    check = check_run(run_dir)
    manifest, records = check.manifest, check.records
    excluded = sum(1 for r in records if r.error_kind in DATA_ERROR_KINDS)
    kept = [r for r in records if r.error_kind not in DATA_ERROR_KINDS]
    kept.sort(key=lambda r: (r.index, r.sample_id, r.k))
    return Run(
        run_dir=run_dir,
        path=display_path(run_dir, anchor),
        manifest=manifest,
        records=kept,
        excluded=excluded,
        data_seed=data_seed(manifest, records),
        unverified=None if check.ok else check.reason(),
    )


# -- the keys of a run, as plain fields (frames, CSV, JSON) -----------------------------------

RUN_COLUMNS = (
    "ref",
    "run_id",
    "path",
    "base_model",
    "method",
    "label",
    "variant",
    "train_task",
    "step",
    "task",
    "task_version",
    "source",
    "split",
    "data",
    "data_seed",
)


def run_fields(run: Run) -> dict[str, Any]:
    """The keys that identify a run's cell (shared by the frames and the CSV/JSON outputs)."""
    model = run.model
    col = run.column
    return {
        "ref": run.ref,
        "run_id": run.run_id,
        "path": run.path,
        "base_model": model.base,
        "method": model.method,
        "label": run.label,
        "variant": model.variant,
        "train_task": run.train_task,
        "step": run.step,
        "task": col.task,
        "task_version": col.version,
        "source": col.source,
        "split": col.split,
        "data": col.data,
        "data_seed": col.data_seed,
        "train_seed": run.train_seed,  # not a CSV column: a row's name carries its seed there
        **({"sweep": dict(run.sweep)} if run.sweep else {}),  # nor this: the name carries it
        **({"prompt": model.prompt} if model.prompt else {}),  # nor this (paper: no key)
        **({"scored_by": model.scorer} if model.scorer else {}),
    }
