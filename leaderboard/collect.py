"""Read run directories into typed runs and cells: the only part that reads files.

A board is a pure function of run records. This module turns run directories (``manifest.json``
plus ``records.jsonl``) into :class:`Run` objects keyed by everything that determines a number:
the model (base model, method, label), how it was trained (train task, step) and what it was
scored on: the test set (task, task version, source, split, data file, data seed). Those keys
are what later code groups by, so records of different task versions, sources or test sets can
never meet in one cell. A run that scored no sample (a model that never loaded, a run that
failed at its start, data that gave only errors) becomes no cell: it is kept as a
:class:`SkippedRun` with the reason. It also finds the trainer logs (TRL's
``trainer_state.json``) next to the checkpoints the plots need.

Nothing here formats text or draws; nothing here depends on the clock or on the order in which
directories were given.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

from othink_bench.metrics import EXCLUDED_ERROR_KINDS
from othink_bench.records import (
    RECORDS_FILE,
    Manifest,
    RunRecord,
    find_run_dirs,
    read_manifest,
    read_records,
)
from othink_bench.stats import Proportion, wilson

METHOD_ORDER: tuple[str, ...] = ("base", "sft", "grpo", "grpod")
METHOD_NAMES: dict[str, str] = {"base": "base", "sft": "SFT", "grpo": "GRPO", "grpod": "GRPO-D"}
# Records whose error is a property of the data (the same for every model) are left out of n;
# a generation error is the model's failure and counts as wrong.
DATA_ERROR_KINDS = EXCLUDED_ERROR_KINDS  # the same exclusions as `othink-bench run`
TRAINER_STATE = "trainer_state.json"
# Manifest statuses of a run that ran to its end (the harness writes "complete").
DONE_STATUSES = frozenset({"complete", "finished"})


def method_rank(method: str) -> int:
    return METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER)


def method_name(method: str) -> str:
    return METHOD_NAMES.get(method, method)


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that orders embedded numbers numerically ("v2" < "v10", "3" < "10")."""
    parts = re.split(r"(\d+)", text)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p != "")


def short_model_name(name: str) -> str:
    """A model name for display: a local path shows its last component, a hub id stays whole."""
    if name.startswith(("/", "./", "../", "~")) or "\\" in name or name.count("/") > 1:
        return Path(name.rstrip("/\\")).name or name
    return name


@dataclass(frozen=True)
class EvalKey:
    """What a number was scored on, the test set: one board column. Test sets never merge.

    ``data`` is the data file or folder the manifest names (empty for the hub and for
    procedural tasks); ``data_seed`` the seed a procedural task generated its samples from
    (None where the seed does not choose the samples).
    """

    task: str
    version: str
    source: str
    split: str
    data: str = ""
    data_seed: int | None = None

    def sort_key(self) -> tuple[Any, ...]:
        seed = -math.inf if self.data_seed is None else self.data_seed
        return (self.task, natural_key(self.version), self.source, self.split, self.data, seed)

    @property
    def version_label(self) -> str:
        return f"v{self.version}" if self.version[:1].isdigit() else self.version

    @property
    def slug(self) -> str:
        text = f"{self.task}-{self.version_label}-{self.source}-{self.split}"
        if self.data_seed not in (None, 0):
            text += f"-seed{self.data_seed}"
        if self.data:
            text += "-" + hashlib.sha1(self.data.encode("utf-8", "replace")).hexdigest()[:8]
        return slugify(text)


@dataclass(frozen=True)
class ModelKey:
    """Which model produced a number: one board row (before the train task is chosen).

    ``variant`` separates two models of the same base and method (e.g. two recipes). It is the
    manifests' label, but only where labels actually tell apart runs of one cell; labels that
    merely restate method, train task and step (the matrix writes ``grpod:vc@300``) leave it
    empty, so every checkpoint of a method stays in one row.

    ``train_seed`` is the training seed of a checkpoint trained with ``train-and-eval --seeds``,
    set only where a model has runs of two or more seeds (:func:`assign_seeds`): each seed is
    then its own row (``+ SFT (seed 1)``), and :mod:`leaderboard.seeds` pools the rows that
    differ only in it. None (one training, one seed, or the base model) changes nothing.
    """

    base: str
    method: str
    variant: str = ""
    train_seed: int | None = None

    def sort_key(self) -> tuple[Any, ...]:
        key = (natural_key(self.base), method_rank(self.method), self.method, self.variant)
        return key if self.train_seed is None else (*key, self.train_seed)

    @property
    def display(self) -> str:
        if self.variant:
            name = self.variant
        elif self.method == "base":
            name = short_model_name(self.base)
        else:
            name = f"+ {method_name(self.method)}"
        return name if self.train_seed is None else f"{name} (seed {self.train_seed})"

    @property
    def base_key(self) -> ModelKey:
        return ModelKey(self.base, "base")

    @property
    def unseeded(self) -> ModelKey:
        """The model without its training seed: what the seeds of one method share."""
        return ModelKey(self.base, self.method, self.variant)


@dataclass(frozen=True)
class CellKey:
    """Everything that identifies one measured number."""

    model: ModelKey
    train_task: str | None
    step: int | None
    column: EvalKey

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.model.sort_key(),
            natural_key(self.train_task or ""),
            step_key(self.step),
            self.column.sort_key(),
        )


def step_key(step: int | None) -> float:
    """Steps in order; an unknown step (the final saved model) sorts after every known one."""
    return math.inf if step is None else float(step)


def slugify(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")
    return slug or "x"


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

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def model(self) -> ModelKey:
        info = self.manifest.model
        method = info.method or "base"
        base = info.base_model or info.name
        return ModelKey(base=base, method=method, variant=self.variant,
                        train_seed=self.seed_row)

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
        return {r.key: r.correct for r in self.records}

    @cached_property
    def accuracy(self) -> Proportion:
        return wilson(sum(r.correct for r in self.records), len(self.records))

    @cached_property
    def lenient_accuracy(self) -> Proportion:
        return wilson(sum(r.lenient_correct for r in self.records), len(self.records))

    @cached_property
    def format_rate(self) -> Proportion:
        return wilson(sum(r.format_ok for r in self.records), len(self.records))

    def sort_key(self) -> tuple[Any, ...]:
        return (*self.cell_key.sort_key(), self.run_id)


@dataclass
class TrainingLog:
    """One training's TRL log history, found next to a checkpoint a run evaluated."""

    model: ModelKey
    train_task: str | None
    path: str  # posix path shown on boards
    history: list[dict[str, Any]]
    refs: tuple[str, ...] = ()  # runs that evaluated checkpoints of this training

    def series(self, key: str) -> tuple[list[float], list[float]]:
        """(steps, values) of one logged quantity, by step, one value per step (the last)."""
        by_step: dict[float, float] = {}
        for entry in self.history:
            step, value = entry.get("step"), entry.get(key)
            if _is_number(step) and _is_number(value):
                by_step[float(cast(float, step))] = float(cast(float, value))
        steps = sorted(by_step)
        return steps, [by_step[s] for s in steps]

    def sort_key(self) -> tuple[Any, ...]:
        return (self.model.sort_key(), natural_key(self.train_task or ""), self.path)


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


@dataclass
class Collection:
    """Every run found, the run chosen for each cell, and the trainer logs."""

    runs: list[Run]
    anchor: Path
    cells: dict[CellKey, Run] = field(default_factory=dict)
    logs: list[TrainingLog] = field(default_factory=list)
    skipped: list[SkippedRun] = field(default_factory=list)  # runs that fill no cell

    @property
    def superseded(self) -> list[Run]:
        return [r for r in self.runs if r.superseded_by]

    @property
    def columns(self) -> list[EvalKey]:
        return sorted({k.column for k in self.cells}, key=EvalKey.sort_key)

    @property
    def models(self) -> list[ModelKey]:
        return sorted({k.model for k in self.cells}, key=ModelKey.sort_key)

    @property
    def bases(self) -> list[str]:
        return sorted({m.base for m in self.models}, key=natural_key)

    def final(self, model: ModelKey, train_task: str | None, column: EvalKey) -> Run | None:
        """The run of the last checkpoint (highest step; no step means the final model)."""
        best: Run | None = None
        for key, run in self.cells.items():
            if key.model == model and key.train_task == train_task and key.column == column:
                if best is None or step_key(key.step) > step_key(best.step):
                    best = run
        return best

    def steps(self, model: ModelKey, train_task: str | None, column: EvalKey) -> list[Run]:
        """Every checkpoint of one training evaluated on one column, by step."""
        found = [
            run
            for key, run in self.cells.items()
            if key.model == model and key.train_task == train_task and key.column == column
        ]
        return sorted(found, key=lambda r: step_key(r.step))

    def train_tasks(self, model: ModelKey) -> list[str | None]:
        tasks = {k.train_task for k in self.cells if k.model == model}
        return sorted(tasks, key=lambda t: (t is None, natural_key(t or "")))


def default_anchor(paths: Sequence[str | Path]) -> Path:
    """Where displayed paths start: the common folder above the given inputs."""
    parents = [str(Path(p).resolve().parent) for p in paths]
    return Path(os.path.commonpath(parents)) if parents else Path.cwd()


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


def skip_reason(run: Run) -> str | None:
    """Why a run must not become a row: it scored nothing, or its model produced nothing."""
    status = run.manifest.status
    error = (run.manifest.model_extra or {}).get("error")
    said = f"status {status!r}" + (f": {str(error)[:200]}" if error else "")
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
    """Read one run directory; duplicate (sample, k) lines keep the last one written."""
    manifest = read_manifest(run_dir)
    by_key: dict[tuple[str, int], RunRecord] = {}
    for record in read_records(run_dir / RECORDS_FILE):
        by_key[record.key] = record
    excluded = sum(1 for r in by_key.values() if r.error_kind in DATA_ERROR_KINDS)
    kept = [r for r in by_key.values() if r.error_kind not in DATA_ERROR_KINDS]
    kept.sort(key=lambda r: (r.index, r.sample_id, r.k))
    for r in by_key.values():
        if (r.task, r.task_version) != (manifest.task, manifest.task_version):
            raise ValueError(
                f"{run_dir}: record {r.sample_id!r} is for {r.task} {r.task_version}, but the "
                f"manifest says {manifest.task} {manifest.task_version}; a run holds one task version"
            )
    return Run(
        run_dir=run_dir,
        path=display_path(run_dir, anchor),
        manifest=manifest,
        records=kept,
        excluded=excluded,
        data_seed=data_seed(manifest, list(by_key.values())),
    )


def assign_variants(runs: Sequence[Run]) -> None:
    """Give a run its label as variant only where labels tell apart runs of one cell.

    Runs of one base model and method that share train task, step and column but carry
    different labels are different models (two recipes, say): every label seen in such a clash
    becomes a variant, for all runs with that label. Otherwise the label is display text and
    the run joins its method's row.
    """
    groups: dict[tuple[Any, ...], set[str]] = {}
    for run in runs:
        model = run.model
        key = (model.base, model.method, run.train_task, run.step, run.column, run.train_seed)
        groups.setdefault(key, set()).add(run.label)
    distinct: set[tuple[str, str, str]] = set()
    for (base, method, *_), labels in groups.items():
        if len(labels) > 1:
            distinct.update((base, method, label) for label in labels)
    for run in runs:
        model = run.model
        if (model.base, model.method, run.label) in distinct:
            run.variant = run.label


def assign_seeds(runs: Sequence[Run]) -> None:
    """Make the training seed a row axis of the models trained with two or more seeds.

    A model (base, method, variant) whose runs record one training seed only (``--seeds 1``)
    stays one row, as a model trained without seeds: a board of one seed is today's board.
    """
    seeds: dict[tuple[str, str, str], set[int]] = {}
    for run in runs:
        if run.train_seed is not None:
            m = run.model
            seeds.setdefault((m.base, m.method, m.variant), set()).add(run.train_seed)
    for run in runs:
        m = run.model
        if len(seeds.get((m.base, m.method, m.variant), ())) > 1:
            run.seed_row = run.train_seed


def _preference(run: Run) -> tuple[Any, ...]:
    m = run.manifest
    return (run.done, m.finished or "", len(run.records), run.run_id)


def select_cells(runs: Iterable[Run]) -> dict[CellKey, Run]:
    """One run per cell key. Duplicates (reruns) give way to the finished, latest, largest run."""
    groups: dict[CellKey, list[Run]] = {}
    for run in runs:
        groups.setdefault(run.cell_key, []).append(run)
    chosen: dict[CellKey, Run] = {}
    for key in sorted(groups, key=CellKey.sort_key):
        group = sorted(groups[key], key=_preference)
        winner = group[-1]
        chosen[key] = winner
        for loser in group[:-1]:
            loser.superseded_by = winner.ref or winner.run_id
    return chosen


def _resolve_model_path(run: Run) -> list[Path]:
    """Where the checkpoint a run evaluated may be: as given, or relative to the run's folders."""
    raw = run.manifest.model.path
    if not raw:
        return []
    given = Path(raw).expanduser()
    if given.is_absolute():
        return [given]
    bases = [*run.run_dir.resolve().parents, Path.cwd()]
    return [b / given for b in bases]


def find_trainer_states(run: Run) -> list[Path]:
    """trainer_state.json files of the training a run's checkpoint came from.

    TRL writes one into every checkpoint folder (the history up to that step) and one into the
    output folder at the end (the whole history). The checkpoint folder, its parent and the
    parent's other checkpoints are all candidates; :func:`load_training_logs` keeps the longest.
    """
    found: list[Path] = []
    for ckpt in _resolve_model_path(run):
        for folder in (ckpt, ckpt.parent):
            candidate = folder / TRAINER_STATE
            if candidate.is_file():
                found.append(candidate)
        if ckpt.is_dir():
            found.extend(sorted(p for p in ckpt.glob(f"checkpoint-*/{TRAINER_STATE}")))
        if found:
            break
    unique: dict[Path, Path] = {}
    for p in found:
        unique.setdefault(p.resolve(), p)
    return sorted(unique.values())


def _read_history(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise ValueError(f"{path}: not a readable trainer_state.json (nested too deeply)") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable trainer_state.json ({exc})") from exc
    history = data.get("log_history", []) if isinstance(data, dict) else []
    return [e for e in history if isinstance(e, dict)]


def load_training_logs(runs: Iterable[Run], anchor: Path) -> list[TrainingLog]:
    """One log per training (model key and train task): the longest history found."""
    best: dict[tuple[ModelKey, str | None], tuple[int, str, list[dict[str, Any]]]] = {}
    refs: dict[tuple[ModelKey, str | None], set[str]] = {}
    for run in runs:
        if run.model.method == "base":
            continue
        key = (run.model, run.train_task)
        for path in find_trainer_states(run):
            history = _read_history(path)
            shown = display_path(path, anchor)
            refs.setdefault(key, set()).add(run.ref)
            current = best.get(key)
            if current is None or (len(history), shown) > (current[0], current[1]):
                best[key] = (len(history), shown, history)
    logs = [
        TrainingLog(
            model=model,
            train_task=task,
            path=shown,
            history=history,
            refs=tuple(sorted(refs.get((model, task), set()), key=natural_key)),
        )
        for (model, task), (_, shown, history) in best.items()
    ]
    return sorted(logs, key=TrainingLog.sort_key)


def collect(paths: Sequence[str | Path], root: str | Path | None = None) -> Collection:
    """Find and read every run under ``paths`` (run directories or folders holding them).

    ``root`` is where displayed paths start (default: the folder above the inputs), so a board
    names ``runs/<run-id>`` rather than a machine-specific absolute path.
    """
    if not paths:
        raise ValueError("no run directories or runs roots given")
    anchor = Path(root).resolve() if root is not None else default_anchor(paths)
    dirs = {d.resolve(): d for d in find_run_dirs(paths)}  # one run given twice is one run
    loaded = [load_run(d, anchor) for _, d in sorted(dirs.items())]
    ids: dict[str, Path] = {}
    for run in loaded:
        other = ids.setdefault(run.run_id, run.run_dir)
        if other != run.run_dir:  # two copies of a run would count its samples twice
            raise ValueError(f"run id {run.run_id!r} appears twice: {other} and {run.run_dir}")
    runs: list[Run] = []
    skipped: list[SkippedRun] = []
    for run in loaded:
        reason = skip_reason(run)
        if reason is None:
            runs.append(run)
        else:
            skipped.append(SkippedRun(run.run_id, run.path, run.manifest.status, reason))
    skipped.sort(key=lambda x: (natural_key(x.path), x.run_id))
    assign_variants(runs)
    assign_seeds(runs)
    runs.sort(key=Run.sort_key)
    for no, run in enumerate(runs, 1):
        run.ref = f"r{no}"
    cells = select_cells(runs)
    logs = load_training_logs(runs, anchor)
    return Collection(runs=runs, anchor=anchor, cells=cells, logs=logs, skipped=skipped)


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
    }
