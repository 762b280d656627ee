"""How a trained checkpoint was made, read from the ``othink_checkpoint.json`` in its folder.

Why here: the trainers write that file into every checkpoint (:mod:`trainers.checkpoints`), and
two readers need the same facts from it - ``train-and-eval`` when it evaluates its checkpoints,
and ``othink-bench run --model <checkpoint folder>`` - so that a checkpoint evaluated by either
lands in the same leaderboard row (a GRPO-D row trained from ``tiny``, not a "base model" named
after the folder). The core package must not import the trainers, so the file name, the fields
read and the board label live here and the trainers use them.

Only what identifies a board row is read: ``method``, ``base_model``, ``task`` (the train task),
``step`` and, for trainings of ``train-and-eval --seeds``, ``train_seed``, and of ``--sweep``,
``sweep`` (the swept settings, e.g. ``{"beta": 0.05}``). A file that is not
valid JSON or holds a field of the wrong type is an error naming the file and the field; a
folder without the file is an ordinary model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The file every saved checkpoint carries (written by :mod:`trainers.checkpoints`).
CHECKPOINT_META = "othink_checkpoint.json"


class CheckpointMetaError(ValueError):
    """``othink_checkpoint.json`` cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class Provenance:
    """What a board needs to know about a trained checkpoint."""

    method: str
    base_model: str
    train_task: str
    step: int
    train_seed: int | None = None
    sweep: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return checkpoint_label(self.method, self.train_task, self.step, self.train_seed,
                                self.sweep)


def checkpoint_label(
    method: str, train_task: str | None, step: int | None, train_seed: int | None = None,
    sweep: dict[str, Any] | None = None,
) -> str:
    """The display name of a checkpoint on boards: ``grpod:vc-synth-tiny@3`` (``beta=0.05``)
    (``seed 1``)."""
    from othink_bench.sweeps import sweep_text

    if method == "base":
        return method
    label = f"{method}:{train_task}@{step}" + (f" {sweep_text(sweep)}" if sweep else "")
    return label + (f" seed {train_seed}" if train_seed is not None else "")


def _fix_hint(path: Path) -> str:
    return (
        f"othink-bench train writes {path.name}; fix the field, or delete {path} to evaluate "
        "the folder as an untrained model (and pass --method/--base-model/--step yourself)"
    )


def provenance_from_meta(meta: Mapping[str, Any], path: Path) -> Provenance:
    """The board facts of a parsed metadata file; ``path`` names it in errors."""

    def field(name: str, kind: type, *, optional: bool = False) -> Any:
        value: Any = meta.get(name)
        if value is None and optional:
            return None
        if kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            ok = isinstance(value, str) and value != ""
        if not ok:
            what = "a non-negative integer" if kind is int else "a non-empty string"
            raise CheckpointMetaError(
                f"{path}: field {name!r} must be {what}, got {value!r}; {_fix_hint(path)}"
            )
        return value

    sweep = meta.get("sweep")
    if sweep is not None and not (
        isinstance(sweep, dict) and sweep
        and all(isinstance(k, str) and isinstance(v, (str, int, float, bool))
                for k, v in sweep.items())
    ):
        raise CheckpointMetaError(
            f"{path}: field 'sweep' must map setting names to values (e.g. {{\"beta\": 0.05}}), "
            f"got {sweep!r}; {_fix_hint(path)}"
        )
    return Provenance(
        method=field("method", str),
        base_model=field("base_model", str),
        train_task=field("task", str),
        step=field("step", int),
        train_seed=field("train_seed", int, optional=True),
        sweep=dict(sweep) if sweep else None,
    )


def read_provenance(folder: str | Path) -> Provenance | None:
    """The provenance recorded in ``folder``'s metadata file; None when there is none."""
    path = Path(folder).expanduser() / CHECKPOINT_META
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CheckpointMetaError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            f"{_fix_hint(path)}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointMetaError(f"{path}: cannot be read ({exc}); {_fix_hint(path)}") from None
    if not isinstance(meta, dict):
        raise CheckpointMetaError(
            f"{path}: must hold a JSON object, got {type(meta).__name__}; {_fix_hint(path)}"
        )
    return provenance_from_meta(meta, path)


#: (ModelInfo field, command-line flag) of the facts a flag can override.
_FLAGS = (
    ("method", "--method"),
    ("base_model", "--base-model"),
    ("train_task", "--train-task"),
    ("step", "--step"),
    ("train_seed", "--train-seed"),
)


def merge_provenance(
    given: Mapping[str, Any], found: Provenance | None, source: str
) -> tuple[dict[str, Any], list[str]]:
    """The model description of a run: the flags ``given`` (None: not passed) over the
    checkpoint's ``found`` provenance; a flag that contradicts the file is a warning naming both.

    Returns the fields (``method``, ``base_model``, ``train_task``, ``step``, ``train_seed``,
    ``label``, and ``sweep`` when the file has one) and the warnings. Without a file the flags are taken as they are.
    """
    out = {name: given.get(name) for name, _ in _FLAGS}
    out["label"] = given.get("label")
    if found is None:
        return out, []
    warnings: list[str] = []
    for name, flag in _FLAGS:
        recorded = getattr(found, name)
        value = given.get(name)
        if value is None:
            out[name] = recorded
        elif recorded is not None and value != recorded:
            warnings.append(
                f"{flag} {value} overrides {name} {recorded!r} recorded in {source}"
            )
    if found.sweep:  # no flag sets it: it is how the checkpoint was trained
        out["sweep"] = found.sweep
    if out["label"] is None:
        out["label"] = checkpoint_label(
            str(out["method"]), out["train_task"], out["step"], out["train_seed"], found.sweep
        )
    return out, warnings
