"""train-and-eval: train each (method, train task), evaluate everything on every eval task.

Why a matrix: the paper's claims are same-task (train on VC, test on VC) *and* cross-task
(train on GR, test on VC) comparisons of SFT, GRPO and GRPO-D against the base model. This
module runs that grid with the same harness as ``othink-bench run`` - so every number is a run
directory of records with a manifest, which the leaderboard reads - and makes the grid
restartable: a training with its final marker is reused (:mod:`trainers.checkpoints`), and an
evaluation resumes from its records (the harness skips finished samples; a cell whose run is
complete is not even reloaded).

Output folder (``--out DIR``)::

    DIR/train/<model>/<train task>/<method>/checkpoint-<step>/   trained checkpoints
    DIR/train/<model>/<train task>/<method>/seed-<s>/checkpoint-<step>/   ... with --seeds
    DIR/runs/<run-id>/{manifest.json,records.jsonl}             one per (checkpoint, eval task)
    DIR/matrix.json                                             the cells, rewritten per cell
    DIR/matrix.md                                               the tables, for people

Each run's ``manifest.json`` names what was evaluated in ``model``: ``method`` (base, sft, grpo,
grpod), ``train_task`` (None for the base model), ``step`` (0 for the base model), and
``base_model``; ``matrix.json`` adds whether the checkpoint was the final one.

Seeds (``--seeds``): each (method, train task) is trained once per training seed - the TRL
``seed`` (weight init of anything random, the sampler's order, GRPO's sampling) - on the same
training data (the recipe's ``data_seed`` is not touched) and every seed's checkpoints are
evaluated on the same test samples (the harness's data seed is not touched; decoding is greedy).
Each seed has its own training folder, its own cells (``train_seed`` in the cell and in the
manifest's ``model``) and resumes on its own. The base model has no training seed: it is
evaluated once. Without ``--seeds`` nothing changes: no seed folder, no ``train_seed``.
"""

from __future__ import annotations

import gc
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trainers.checkpoints import CheckpointInfo, list_checkpoints
from trainers.config import METHODS, ConfigError
from trainers.run import TrainResult, slug, train

log = logging.getLogger(__name__)

MATRIX_FILE = "matrix.json"
MATRIX_MD = "matrix.md"
ALL_METHODS: tuple[str, ...] = ("base", *METHODS)


@dataclass
class MatrixSpec:
    """What to train and evaluate, and how."""

    model: str
    methods: list[str]
    train_tasks: list[str]
    eval_tasks: list[str]
    out: Path
    recipe: str | None = None
    eval_checkpoints: str = "final"  # final | all
    train_samples: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    eval_limit: int | None = None
    eval_settings: dict[str, Any] = field(default_factory=dict)
    eval_data: dict[str, str] = field(default_factory=dict)  # eval task -> data path
    eval_image_root: dict[str, str] = field(default_factory=dict)
    seeds: list[int] | None = None  # training seeds (None: the recipe's one seed, no seed axis)

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        if self.seeds is not None:
            self.seeds = check_seeds(self.seeds)
            if any(k.partition(".")[2] == "seed" or k == "seed" for k in self.overrides):
                raise ConfigError(
                    "seed=... as a recipe override and --seeds both set the training seed; "
                    "drop the override (--seeds 0,1,2 lists the seeds)"
                )
        unknown = [m for m in self.methods if m not in ALL_METHODS]
        if unknown:
            raise ConfigError(
                f"unknown method(s) {', '.join(unknown)}; choose from {', '.join(ALL_METHODS)}"
            )
        if not self.methods:
            raise ConfigError("no method to run; pass --methods base,sft,grpo,grpod")
        if self.eval_checkpoints not in ("final", "all"):
            raise ConfigError(
                f"--eval-checkpoints must be 'final' or 'all', got {self.eval_checkpoints!r}"
            )
        if not self.eval_tasks:
            raise ConfigError("no eval task; pass --eval-tasks")
        if any(m != "base" for m in self.methods) and not self.train_tasks:
            raise ConfigError("no train task; pass --train-tasks")
        if self.eval_limit is not None and self.eval_limit < 1:
            raise ConfigError(f"--eval-limit must be >= 1, got {self.eval_limit}")
        for name in (*self.eval_data, *self.eval_image_root):
            if name not in self.eval_tasks:
                raise ConfigError(f"eval data given for {name!r}, which is not an eval task")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["out"] = str(self.out)
        if self.seeds is None:  # matrices without seeds keep their old matrix.json
            del out["seeds"]
        return out

    @property
    def train_seeds(self) -> list[int | None]:
        """The seeds each (method, train task) is trained with; [None]: the recipe's own."""
        return list(self.seeds) if self.seeds is not None else [None]


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """Distinct non-negative training seeds, in the order given."""
    out = [int(s) for s in seeds]
    if not out:
        raise ConfigError("--seeds needs at least one seed")
    bad = [s for s in out if s < 0]
    if bad:
        raise ConfigError(f"training seeds must be >= 0, got {', '.join(map(str, bad))}")
    dupes = sorted({s for s in out if out.count(s) > 1})
    if dupes:
        raise ConfigError(f"training seed(s) {', '.join(map(str, dupes))} given twice in --seeds")
    return out


def parse_seeds(text: str) -> list[int]:
    """``--seeds``: a count N (seeds 0..N-1) or a comma list of seeds (``0,1,2``; ``7,`` is
    the one seed 7)."""
    text = text.strip()
    try:
        values = [int(p) for p in text.split(",") if p.strip()]
    except ValueError:
        raise ConfigError(
            f"--seeds takes a count (--seeds 3: seeds 0, 1, 2) or a comma list of "
            f"non-negative integers (--seeds 0,1,2), got {text!r}"
        ) from None
    if "," in text:
        return check_seeds(values)
    if len(values) != 1 or values[0] < 1:
        raise ConfigError(f"--seeds N needs N >= 1 (a count), got {text!r}")
    return list(range(values[0]))


@dataclass
class MatrixCell:
    """One evaluated (checkpoint, eval task)."""

    method: str
    train_task: str | None
    eval_task: str
    step: int
    final: bool
    checkpoint: str
    run_id: str
    run_dir: str
    status: str
    n: int
    accuracy: float | None
    accuracy_low: float | None
    accuracy_high: float | None
    format_rate: float | None
    errors: int
    cell_key: str = ""
    train_seed: int | None = None

    @property
    def same_task(self) -> bool:
        return self.train_task == self.eval_task

    @property
    def slot(self) -> Slot:
        """Where the cell sits in the matrix; a retrained checkpoint replaces its old cell."""
        return slot(self.method, self.train_task, self.eval_task, self.step, self.train_seed)


Slot = tuple[str, str, str, int, int]


def slot(
    method: str, train_task: str | None, eval_task: str, step: int, train_seed: int | None = None
) -> Slot:
    return (method, train_task or "", eval_task, step, -1 if train_seed is None else train_seed)


def cell_dict(cell: MatrixCell) -> dict[str, Any]:
    """A cell as matrix.json stores it (no ``train_seed`` key without seeds, as before)."""
    out = asdict(cell)
    if cell.train_seed is None:
        del out["train_seed"]
    return out


def _num(x: float) -> float | None:
    return None if x != x else float(x)  # NaN (no scored records) -> None


def _cell(
    summary: Any, method: str, train_task: str | None, step: int, final: bool, checkpoint: str,
    key: str, train_seed: int | None = None,
) -> MatrixCell:
    m = summary.metrics
    return MatrixCell(
        method=method,
        train_task=train_task,
        eval_task=summary.task,
        step=step,
        final=final,
        checkpoint=checkpoint,
        run_id=summary.run_id,
        run_dir=str(summary.run_dir),
        status=summary.status,
        n=m.n,
        accuracy=_num(m.accuracy.value),
        accuracy_low=_num(m.accuracy.low),
        accuracy_high=_num(m.accuracy.high),
        format_rate=_num(m.format_rate.value),
        errors=m.errors,
        cell_key=key,
        train_seed=train_seed,
    )


class Matrix:
    """Runs a :class:`MatrixSpec`, writing ``matrix.json`` after every cell."""

    def __init__(
        self,
        spec: MatrixSpec,
        *,
        echo: Callable[[str], None] = print,
        train_fn: Callable[..., TrainResult] = train,
        train_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.echo = echo
        self.train_fn = train_fn
        self.train_kwargs = dict(train_kwargs or {})
        self.cells: dict[Slot, MatrixCell] = {}
        self.trainings: dict[str, dict[str, Any]] = {}
        self._load_existing()

    # -- persistence ---------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.spec.out / MATRIX_FILE

    def _load_existing(self) -> None:
        if not self.path.is_file():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            for raw in data.get("cells", []):
                cell = MatrixCell(**raw)
                self.cells[cell.slot] = cell
        except (ValueError, TypeError) as exc:
            log.warning("ignoring unreadable %s (%s); cells will be re-checked", self.path, exc)
            self.cells = {}

    def save(self) -> None:
        if not _is_main_process():
            return
        self.spec.out.mkdir(parents=True, exist_ok=True)
        data = {
            "spec": self.spec.to_dict(),
            "trainings": self.trainings,
            "cells": [cell_dict(c) for c in self.ordered_cells()],
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
        (self.spec.out / MATRIX_MD).write_text(render_markdown(self.ordered_cells()) + "\n")

    def ordered_cells(self) -> list[MatrixCell]:
        order = {m: i for i, m in enumerate(ALL_METHODS)}
        return sorted(
            self.cells.values(),
            key=lambda c: (order.get(c.method, 99), c.train_task or "", c.eval_task, c.step,
                           -1 if c.train_seed is None else c.train_seed),
        )

    # -- running ---------------------------------------------------------------------------------
    def run(self) -> list[MatrixCell]:
        spec = self.spec
        if "base" in spec.methods:
            from othink_bench.backends.base import digest, model_identity

            self._evaluate(spec.model, "base", None, 0, True,
                           fingerprint=digest(model_identity(spec.model), 16))
        for method in spec.methods:
            if method == "base":
                continue
            for train_task in spec.train_tasks:
                for seed in spec.train_seeds:
                    result = self._train(method, train_task, seed)
                    for ckpt in self._checkpoints_to_eval(result):
                        final = ckpt.path == result.final_checkpoint
                        self._evaluate(
                            str(ckpt.path), method, train_task, ckpt.step, final,
                            fingerprint=str(ckpt.meta.get("saved", "")), train_seed=seed,
                        )
        self.save()
        return self.ordered_cells()

    def _train(self, method: str, train_task: str, seed: int | None = None) -> TrainResult:
        spec = self.spec
        out = spec.out / "train" / slug(spec.model) / slug(train_task) / method
        overrides = dict(spec.overrides)
        name = f"{method}/{train_task}"
        if seed is not None:
            out = out / f"seed-{seed}"
            overrides["seed"] = seed  # TRL's seed: init, sampler order, sampling; not the data
            name += f"/seed-{seed}"
        self.echo(f"[train] {method} on {train_task}"
                  + (f" (seed {seed})" if seed is not None else "") + f" -> {out}")
        result = self.train_fn(
            method,
            train_task,
            spec.model,
            recipe=spec.recipe,
            output_dir=out,
            train_samples=spec.train_samples,
            overrides=overrides,
            **self.train_kwargs,
        )
        if result.reused:
            self.echo(f"[train] reused finished training ({result.steps} steps)")
        result.trainer = None  # free the model before evaluation loads its own copy
        _free_memory()
        self.trainings[name] = result.to_dict()
        self.save()
        return result

    def _checkpoints_to_eval(self, result: TrainResult) -> list[CheckpointInfo]:
        ckpts = list_checkpoints(result.output_dir)
        if self.spec.eval_checkpoints == "final":
            ckpts = [c for c in ckpts if c.path == result.final_checkpoint]
        if not ckpts:
            raise RuntimeError(f"no checkpoint with metadata in {result.output_dir}")
        return ckpts

    def _eval_groups(self) -> list[tuple[list[str], str | None, str | None]]:
        """Eval tasks grouped by (data, image root), so one model load serves a group."""
        groups: dict[tuple[str | None, str | None], list[str]] = {}
        for task in self.spec.eval_tasks:
            key = (self.spec.eval_data.get(task), self.spec.eval_image_root.get(task))
            groups.setdefault(key, []).append(task)
        return [(tasks, data, root) for (data, root), tasks in groups.items()]

    def _cell_key(self, model: str, eval_task: str, fingerprint: str) -> str:
        from othink_bench.backends.base import digest

        spec = self.spec
        return digest(
            {
                "model": str(model),
                "fingerprint": fingerprint,
                "task": eval_task,
                "limit": spec.eval_limit,
                "settings": spec.eval_settings,
                "data": spec.eval_data.get(eval_task),
                "image_root": spec.eval_image_root.get(eval_task),
            },
            16,
        )

    def _evaluate(
        self, model: str, method: str, train_task: str | None, step: int, final: bool,
        *, fingerprint: str, train_seed: int | None = None,
    ) -> None:
        from othink_bench.harness import evaluate
        from othink_bench.records import ModelInfo, read_manifest

        spec = self.spec
        info = ModelInfo(
            name=model,
            path=model if method != "base" else None,
            revision=None,
            base_model=spec.model,
            method=method,
            train_task=train_task,
            step=step,
            label=method if method == "base" else f"{method}:{train_task}@{step}"
            + (f" seed {train_seed}" if train_seed is not None else ""),
            train_seed=train_seed,
        )
        for tasks, data, image_root in self._eval_groups():
            todo = []
            for task in tasks:
                key = self._cell_key(model, task, fingerprint)
                cell = self.cells.get(slot(method, train_task, task, step, train_seed))
                if cell is not None and cell.cell_key == key and cell.status == "complete":
                    try:
                        if read_manifest(Path(cell.run_dir)).status == "complete":
                            continue
                    except (FileNotFoundError, ValueError):
                        pass
                todo.append((task, key))
            if not todo:
                self.echo(f"[eval] {info.label}: {', '.join(tasks)} already evaluated")
                continue
            self.echo(f"[eval] {info.label} on {', '.join(t for t, _ in todo)}")
            settings = {**spec.eval_settings, "out": str(spec.out / "runs")}
            if spec.eval_limit is not None:
                settings["limit"] = spec.eval_limit
            if data is not None:
                settings["data"] = data
            if image_root is not None:
                settings["image_root"] = image_root
            summaries = evaluate(model, [t for t, _ in todo], model_info=info, **settings)
            for summary, (_, key) in zip(summaries, todo, strict=True):
                cell = _cell(summary, method, train_task, step, final, model, key, train_seed)
                self.cells[cell.slot] = cell
            self.save()
            _free_memory()


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0") or 0) == 0


def _free_memory() -> None:
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover
        pass


def _fmt(cell: MatrixCell | None) -> str:
    if cell is None or cell.accuracy is None:
        return "-"
    return f"{100 * cell.accuracy:.1f}"


def _fmt_seeds(cells: Sequence[MatrixCell]) -> str:
    """One matrix cell over training seeds: the mean, then each seed's value (by seed)."""
    if not cells:
        return "-"
    if len(cells) == 1 and cells[0].train_seed is None:
        return _fmt(cells[0])
    ordered = sorted(cells, key=lambda c: -1 if c.train_seed is None else c.train_seed)
    values = [c.accuracy for c in ordered if c.accuracy is not None]
    mean = f"{100 * sum(values) / len(values):.1f}" if values else "-"
    return f"{mean} ({', '.join(_fmt(c) for c in ordered)})"


def render_markdown(cells: Sequence[MatrixCell]) -> str:
    """Per method: train task x eval task accuracy (final checkpoints), the base model row, and
    accuracy by step where several checkpoints were evaluated. With training seeds a cell is
    the mean over seeds followed by every seed's value."""
    if not cells:
        return "(no cells yet)"
    eval_tasks = sorted({c.eval_task for c in cells})
    seeds = sorted({c.train_seed for c in cells if c.train_seed is not None})
    lines: list[str] = []
    base = {c.eval_task: c for c in cells if c.method == "base"}
    header = "| train \\ eval | " + " | ".join(eval_tasks) + " |"
    sep = "|---|" + "---|" * len(eval_tasks)
    what = "accuracy %, final checkpoints; same-task on the diagonal"
    if seeds:
        what += (f"; mean over training seeds {', '.join(map(str, seeds))}, "
                 "then each seed's value in seed order")
    for method in ALL_METHODS:
        if method == "base":
            continue
        finals = [c for c in cells if c.method == method and c.final]
        if not finals:
            continue
        lines += [f"### {method} ({what})", "", header, sep]
        if base:
            lines.append("| base | " + " | ".join(_fmt(base.get(t)) for t in eval_tasks) + " |")
        for train_task in sorted({c.train_task or "" for c in finals}):
            row = [c for c in finals if c.train_task == train_task]
            lines.append(
                f"| {train_task} | "
                + " | ".join(_fmt_seeds([c for c in row if c.eval_task == t]) for t in eval_tasks)
                + " |"
            )
        lines.append("")
    if not lines and base:
        lines += ["### base (accuracy %)", "", "| " + " | ".join(eval_tasks) + " |",
                  "|" + "---|" * len(eval_tasks),
                  "| " + " | ".join(_fmt(base.get(t)) for t in eval_tasks) + " |", ""]
    curves = [c for c in cells if c.method != "base"]
    steps = {(c.method, c.train_task, c.eval_task, c.train_seed) for c in curves}
    if any(sum(1 for c in curves if (c.method, c.train_task, c.eval_task, c.train_seed) == k) > 1
           for k in steps):
        seed_col = ("seed | ", "---|") if seeds else ("", "")
        lines += ["### accuracy % by step", "",
                  f"| method | train | eval | {seed_col[0]}step | accuracy |",
                  f"|---|---|---|{seed_col[1]}---|---|"]
        for c in sorted(curves, key=lambda c: (c.method, c.train_task or "", c.eval_task,
                                               -1 if c.train_seed is None else c.train_seed,
                                               c.step)):
            seed = (f"{'-' if c.train_seed is None else c.train_seed} | " if seeds else "")
            lines.append(f"| {c.method} | {c.train_task} | {c.eval_task} | {seed}{c.step} | "
                         f"{_fmt(c)} |")
    return "\n".join(lines).rstrip()


def run_matrix(spec: MatrixSpec, **kwargs: Any) -> list[MatrixCell]:
    """Run (or resume) a train-and-eval matrix; returns its cells."""
    return Matrix(spec, **kwargs).run()
