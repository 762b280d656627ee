"""The keys a board groups by: which model produced a number (:class:`ModelKey`, one row),
what it was scored on (:class:`EvalKey`, the test set: one column) and the two together with
the train task and step (:class:`CellKey`, one measured number); with the methods' order and
names, the natural sort order of text with numbers in it, and display names and slugs.

Test sets never merge: records of different task versions, sources, splits, data files or
data seeds have different keys, so they can never meet in one cell.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from othink_bench.sweeps import sweep_sort_key, sweep_text

METHOD_ORDER: tuple[str, ...] = ("base", "sft", "grpo", "grpod")
METHOD_NAMES: dict[str, str] = {"base": "base", "sft": "SFT", "grpo": "GRPO", "grpod": "GRPO-D"}


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
    set only where a model has runs of two or more seeds
    (:func:`~leaderboard.collect.assign_seeds`): each seed is then its own row
    (``+ SFT (seed 1)``), and :mod:`leaderboard.seeds` pools the rows that differ only in it.
    None (one training, one seed, or the base model) changes nothing.

    ``sweep`` is the swept settings of a checkpoint trained with ``train-and-eval --sweep``
    (``(("beta", 0.05),)``, settings by name): each value is its own row
    (``+ GRPO (beta=0.05)``), so two values never share a cell, a training log or a run; the
    rows of one sweep sort together, by value. Empty (no sweep) changes nothing.

    ``prompt`` is the prompt variant of the runs (``run --prompt``, ``name@version``), empty for
    the paper prompt; ``scorer`` the scoring profile that variant is read by when it is not the
    strict one (``direct``: ``free-form``). Each variant is its own row, sorted right after the
    model's paper-prompt row (``base (prompt direct@1, free-form)``), so a base model's best
    prompt stands beside the paper prompt that RL gains are measured from.
    """

    base: str
    method: str
    variant: str = ""
    train_seed: int | None = None
    sweep: tuple[tuple[str, Any], ...] = ()
    prompt: str = ""
    scorer: str = ""

    def sort_key(self) -> tuple[Any, ...]:
        key = (natural_key(self.base), method_rank(self.method), self.method, self.variant,
               self.prompt, self.scorer)
        if self.train_seed is None and not self.sweep:
            return key
        seed = -math.inf if self.train_seed is None else self.train_seed
        return (*key, sweep_sort_key(dict(self.sweep)), seed)

    @property
    def sweep_label(self) -> str:
        """``beta=0.05`` (empty without a sweep)."""
        return sweep_text(dict(self.sweep))

    @property
    def display(self) -> str:
        if self.variant:
            name = self.variant
        elif self.method == "base":
            name = short_model_name(self.base)
        else:
            name = f"+ {method_name(self.method)}"
        said = ([self.prompt_label] if self.prompt else []) + (
            [self.sweep_label] if self.sweep else []) + (
            [f"seed {self.train_seed}"] if self.train_seed is not None else [])
        return f"{name} ({', '.join(said)})" if said else name

    @property
    def prompt_label(self) -> str:
        """``prompt direct@1, free-form`` (empty for the paper prompt)."""
        if not self.prompt:
            return ""
        return f"prompt {self.prompt}" + (f", {self.scorer}" if self.scorer else "")

    @property
    def base_key(self) -> ModelKey:
        return ModelKey(self.base, "base")

    @property
    def unseeded(self) -> ModelKey:
        """The model without its training seed: what the seeds of one method share."""
        return ModelKey(self.base, self.method, self.variant, sweep=self.sweep,
                        prompt=self.prompt, scorer=self.scorer)

    @property
    def unswept(self) -> ModelKey:
        """The model without its swept settings (nor seed): what a sweep's rows share."""
        return ModelKey(self.base, self.method, self.variant, prompt=self.prompt,
                        scorer=self.scorer)


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
