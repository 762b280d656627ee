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
    DIR/train/<model>/<train task>/<method>/sweep-<k>=<v>/[seed-<s>/]checkpoint-<step>/
                                                                ... with --sweep
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

Sweeps (``--sweep KEY=V1,V2``, :mod:`trainers.matrix.sweep`): each value (each point of the
grid of several axes) is trained as its own training, in its own folder, with its own cells
(``sweep`` in the cell and in the manifest's ``model``, so in the run id); seeds combine with
it. Without ``--sweep`` nothing changes: no sweep folder, no ``sweep`` key.

This module runs the grid (:class:`Matrix`); what it runs is :mod:`trainers.matrix.spec`, its
cells :mod:`trainers.matrix.cells`, and ``matrix.md`` :mod:`trainers.matrix.markdown` (their
names stay importable from here).
"""

from __future__ import annotations

import fcntl
import gc
import json
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from othink_bench.records import remove_stale_temps, write_atomic
from othink_bench.strict_json import dumps
from othink_bench.sweeps import sweep_sort_key, sweep_text
from trainers.checkpoints import CheckpointInfo, list_checkpoints
from trainers.matrix.cells import MatrixCell, Slot, cell_dict, cell_from_summary, slot
from trainers.matrix.markdown import card_lines, render_markdown
from trainers.matrix.spec import ALL_METHODS, MatrixSpec, check_seeds, parse_seeds
from trainers.matrix.sweep import parse_sweep, point_overrides, sweep_folder
from trainers.model_card import add_board_lines
from trainers.run import TrainResult, slug, train

__all__ = [
    "ALL_METHODS",
    "MATRIX_FILE",
    "MATRIX_MD",
    "Matrix",
    "MatrixCell",
    "MatrixSpec",
    "Slot",
    "cell_dict",
    "check_seeds",
    "parse_seeds",
    "parse_sweep",
    "render_markdown",
    "run_matrix",
    "slot",
]

log = logging.getLogger(__name__)

MATRIX_FILE = "matrix.json"
MATRIX_MD = "matrix.md"


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

    def _read_saved(self) -> tuple[list[MatrixCell], dict[str, dict[str, Any]]]:
        """The cells and trainings in ``matrix.json`` (none if absent); ValueError or TypeError
        if it is unreadable."""
        if not self.path.is_file():
            return [], {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        cells = [MatrixCell(**raw) for raw in data.get("cells", [])]
        return cells, dict(data.get("trainings", {}))

    def _load_existing(self) -> None:
        try:
            cells, _ = self._read_saved()
        except (ValueError, TypeError) as exc:
            log.warning("ignoring unreadable %s (%s); cells will be re-checked", self.path, exc)
            return
        self.cells = {cell.slot: cell for cell in cells}

    def save(self) -> None:
        """Write ``matrix.json`` and ``matrix.md``. Several processes may share one ``--out``
        (e.g. one per train task, as ``scripts/reproduce.sh`` runs them): under an exclusive
        lock, cells and trainings another process saved meanwhile are merged in, never lost."""
        if not _is_main_process():
            return
        self.spec.out.mkdir(parents=True, exist_ok=True)
        with open(self.spec.out / (MATRIX_FILE + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._merge_saved()
            data = {
                "spec": self.spec.to_dict(),
                "trainings": self.trainings,
                "cells": [cell_dict(c) for c in self.ordered_cells()],
            }
            remove_stale_temps(self.spec.out)  # a save killed mid-write left its temp files
            write_atomic(self.path,
                         dumps(data, where=str(self.path), indent=2, ensure_ascii=False) + "\n")
            write_atomic(self.spec.out / MATRIX_MD, render_markdown(self.ordered_cells()) + "\n")

    def _merge_saved(self) -> None:
        """Add what is on disk and not in memory: cells of slots this process has not filled,
        trainings it has not run (its own results win)."""
        try:
            cells, trainings = self._read_saved()
        except (ValueError, TypeError):
            return  # unreadable: this process's cells replace it
        for cell in cells:
            self.cells.setdefault(cell.slot, cell)
        for name, training in trainings.items():
            self.trainings.setdefault(name, training)

    def ordered_cells(self) -> list[MatrixCell]:
        order = {m: i for i, m in enumerate(ALL_METHODS)}
        return sorted(
            self.cells.values(),
            key=lambda c: (order.get(c.method, 99), c.train_task or "", sweep_sort_key(c.sweep),
                           c.eval_task, c.step, -1 if c.train_seed is None else c.train_seed),
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
                for point in spec.sweep_points(method):
                    for seed in spec.train_seeds:
                        result = self._train(method, train_task, seed, point)
                        for ckpt in self._checkpoints_to_eval(result):
                            final = ckpt.path == result.final_checkpoint
                            self._evaluate(
                                str(ckpt.path), method, train_task, ckpt.step, final,
                                fingerprint=str(ckpt.meta.get("saved", "")), train_seed=seed,
                                sweep=point,
                            )
        self.save()
        return self.ordered_cells()

    def _train(self, method: str, train_task: str, seed: int | None = None,
               point: dict[str, Any] | None = None) -> TrainResult:
        spec = self.spec
        out = spec.out / "train" / slug(spec.model) / slug(train_task) / method
        overrides = {**spec.overrides, **point_overrides(spec.sweeps or [], point, method)}
        seeded: dict[str, Any] = {}  # how this training differs, recorded in its checkpoints
        name = f"{method}/{train_task}"
        if point:
            out = out / sweep_folder(point)
            name += f"/{sweep_folder(point)}"
            seeded["sweep"] = dict(point)
        if seed is not None:
            out = out / f"seed-{seed}"
            overrides["seed"] = seed  # TRL's seed: init, sampler order, sampling; not the data
            seeded["train_seed"] = seed  # recorded in the checkpoints
            name += f"/seed-{seed}"
        said = ", ".join(([sweep_text(point)] if point else [])
                         + ([f"seed {seed}"] if seed is not None else []))
        self.echo(f"[train] {method} on {train_task}" + (f" ({said})" if said else "")
                  + f" -> {out}")
        result = self.train_fn(
            method,
            train_task,
            spec.model,
            recipe=spec.recipe,
            output_dir=out,
            train_samples=spec.train_samples,
            overrides=overrides,
            **seeded,
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
        *, fingerprint: str, train_seed: int | None = None, sweep: dict[str, Any] | None = None,
    ) -> None:
        from othink_bench.harness import evaluate
        from othink_bench.models.provenance import checkpoint_label
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
            label=checkpoint_label(method, train_task, step, train_seed, sweep),
            train_seed=train_seed,
            sweep=dict(sweep) if sweep else None,
        )
        for tasks, data, image_root in self._eval_groups():
            todo = []
            for task in tasks:
                key = self._cell_key(model, task, fingerprint)
                cell = self.cells.get(slot(method, train_task, task, step, train_seed, sweep))
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
                cell = cell_from_summary(summary, method, train_task, step, final, model, key,
                                         train_seed, sweep)
                self.cells[cell.slot] = cell
            self.save()
            _free_memory()
        if method != "base" and _is_main_process():  # also when every cell was reused: a
            self._card_results(Path(model), final)  # resumed training rewrote the card

    def _card_results(self, checkpoint: Path, final: bool) -> None:
        """The checkpoint's matrix cells, as matrix.md shows them, in its model card (and in
        its training folder's, for the final checkpoint)."""
        mine = sorted((c for c in self.cells.values() if c.checkpoint == str(checkpoint)),
                      key=lambda c: c.eval_task)
        lines = card_lines(mine)
        for folder in (checkpoint, checkpoint.parent) if final else (checkpoint,):
            add_board_lines(folder, lines)


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


def run_matrix(spec: MatrixSpec, **kwargs: Any) -> list[MatrixCell]:
    """Run (or resume) a train-and-eval matrix; returns its cells."""
    return Matrix(spec, **kwargs).run()
