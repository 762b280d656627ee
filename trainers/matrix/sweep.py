"""The ``--sweep`` axis of train-and-eval: a recipe setting trained at several values, each
value its own training and its own cells.

Why: the paper's RQ1 sweeps GRPO's format-reward weight alpha (0 .. 1, Figure 4) and a
constant KL weight beta (0 .. 0.05, Figure 6). One ``--out`` per value used to collide: the
cells of two values had the same key on the board, and two values that leave the weights
byte-identical (alpha, on a model that always formats) had the same run id. A swept value is
therefore part of everything that names a training: its folder
(``<method>/sweep-beta=0.05/``, above ``seed-<s>/``), the manifest's ``model.sweep`` (and with
it the run id), the matrix cell, ``matrix.json``, ``matrix.md`` and the labels.

``--sweep KEY=V1,V2`` is repeatable; several axes give their grid. ``method.key`` sweeps one
method's setting; a bare ``key`` sweeps every method whose config has it (the others train
once, without a sweep folder). Everything is checked before any model loads.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from othink_bench.sweeps import VALUE_TEXT, sweep_text, value_text
from trainers.config import METHODS
from trainers.config_values import parse_scalar
from trainers.recipes import ConfigError

SWEEP_PREFIX = "sweep-"


@dataclass(frozen=True)
class SweepAxis:
    """One ``--sweep KEY=V1,V2,...``: a setting (``beta``, or ``grpo.beta`` for one method) and
    its values, in the order given."""

    key: str
    values: tuple[Any, ...]

    @property
    def scope(self) -> str | None:
        """The one method the axis sweeps (``grpo`` of ``grpo.beta``); None: every method."""
        scope, dot, _ = self.key.partition(".")
        return scope if dot else None

    @property
    def setting(self) -> str:
        return self.key.partition(".")[2] or self.key

    def applies_to(self, method: str) -> bool:
        from trainers.recipes.resolve import valid_keys

        if self.scope is not None:
            return self.scope == method
        return method in METHODS and self.setting in valid_keys(method)


def parse_sweep(text: str) -> SweepAxis:
    """``grpo.beta=0,0.05`` to a :class:`SweepAxis`; a clear error for anything else."""
    key, eq, rest = text.partition("=")
    key = key.strip().lstrip("-").replace("-", "_")
    example = "--sweep grpo.beta=0,0.01,0.05"
    if not eq or not key:
        raise ConfigError(f"--sweep {text!r} is not KEY=V1,V2,... (e.g. {example})")
    parts = [p.strip() for p in rest.split(",")]
    if not any(parts) or not all(parts):
        raise ConfigError(f"--sweep {text!r} has an empty value; list values as {example}")
    values: list[Any] = []
    for part in parts:
        value = parse_scalar(part)
        if isinstance(value, list | dict):
            raise ConfigError(f"--sweep {key}: {part!r} is not one value (a number, true/false "
                              f"or a word); list values as {example}")
        if not VALUE_TEXT.fullmatch(value_text(value)):
            raise ConfigError(f"--sweep {key}: value {part!r} names the training folder, so it "
                              "may hold only letters, digits and . _ + -")
        if any(type(v) is type(value) and v == value
               or _numeric(v) and _numeric(value) and v == value for v in values):
            raise ConfigError(f"--sweep {key}: value {part!r} is given twice")
        values.append(value)
    return SweepAxis(key, tuple(values))


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_sweeps(
    axes: Sequence[SweepAxis], methods: Sequence[str], overrides: Mapping[str, Any]
) -> list[SweepAxis]:
    """The axes, checked against the methods trained and the overrides; ConfigError names the
    axis and the fix."""
    from trainers.recipes.resolve import valid_keys

    trained = [m for m in methods if m != "base"]
    settings: dict[str, str] = {}
    for axis in axes:
        if axis.setting == "seed":
            raise ConfigError(f"--sweep {axis.key}: the training seed has its own axis; "
                              f"use --seeds {','.join(map(value_text, axis.values))}")
        if axis.scope is not None:
            if axis.scope not in METHODS:
                raise ConfigError(f"--sweep {axis.key}: {axis.scope!r} is not a method; use "
                                  f"<method>.<setting> with a method in {', '.join(METHODS)}")
            if axis.setting not in valid_keys(axis.scope):
                raise ConfigError(f"--sweep {axis.key}: {axis.setting!r} is not a setting of "
                                  f"{axis.scope} (a field of its TRL config or a recipe option)")
            if axis.scope not in trained:
                raise ConfigError(f"--sweep {axis.key} sweeps {axis.scope}, which this matrix "
                                  f"does not train; add it to --methods")
        elif not any(axis.applies_to(m) for m in trained):
            raise ConfigError(f"--sweep {axis.key}: no method trained here "
                              f"({', '.join(trained) or 'none'}) has a setting {axis.key!r}")
        for method in (m for m in trained if axis.applies_to(m)):
            other = settings.setdefault(f"{method}.{axis.setting}", axis.key)
            if other != axis.key:
                raise ConfigError(f"--sweep {other} and --sweep {axis.key} both sweep "
                                  f"{axis.setting} of {method}; give its values in one --sweep")
        for key in overrides:
            if key == axis.setting or (key.partition(".")[2] == axis.setting
                                       and (axis.scope is None or key.partition(".")[0]
                                            == axis.scope)):
                raise ConfigError(f"{key}={overrides[key]} and --sweep {axis.key} both set "
                                  f"{axis.setting}; drop the override (the sweep lists the values)")
    return list(axes)


def sweep_points(axes: Sequence[SweepAxis], method: str) -> list[dict[str, Any] | None]:
    """The grid of the axes that apply to ``method``: one dict per training (settings by
    name); ``[None]`` when none applies (one training, no sweep folder)."""
    mine = [a for a in axes if a.applies_to(method)]
    if not mine:
        return [None]
    return [
        {a.setting: v for a, v in sorted(zip(mine, combo, strict=True), key=lambda p: p[0].setting)}
        for combo in itertools.product(*(a.values for a in mine))
    ]


def point_overrides(axes: Sequence[SweepAxis], point: Mapping[str, Any] | None,
                    method: str) -> dict[str, Any]:
    """The recipe overrides that train one sweep point (keys as the axes gave them)."""
    if not point:
        return {}
    return {a.key: point[a.setting] for a in axes if a.applies_to(method)}


def sweep_folder(point: Mapping[str, Any] | None) -> str:
    """``sweep-alpha=0.5,beta=0.05``; empty for no sweep."""
    return f"{SWEEP_PREFIX}{sweep_text(point)}" if point else ""
