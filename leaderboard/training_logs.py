"""The trainer logs a board's training plots read: TRL's ``trainer_state.json`` found next to
the checkpoints the runs evaluated, one :class:`TrainingLog` per training (the longest history
found), with the training's ``reward_groups.jsonl`` (each prompt's rewards) where it has one."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from leaderboard.keys import ModelKey, natural_key
from leaderboard.runs import Run, display_path
from othink_bench.reward_groups import Groups, read_reward_groups

TRAINER_STATE = "trainer_state.json"


@dataclass
class TrainingLog:
    """One training's TRL log history, found next to a checkpoint a run evaluated."""

    model: ModelKey
    train_task: str | None
    path: str  # posix path shown on boards
    history: list[dict[str, Any]]
    refs: tuple[str, ...] = ()  # runs that evaluated checkpoints of this training
    groups: Groups | None = None  # each prompt's rewards by step (reward_groups.jsonl), if any

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


def checkpoint_candidates(run: Run) -> list[Path]:
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
    for ckpt in checkpoint_candidates(run):
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


def training_folder(trainer_state: Path) -> Path:
    """The training's output folder of a trainer_state.json (its own or a checkpoint's)."""
    folder = trainer_state.parent
    return folder.parent if folder.name.startswith("checkpoint-") else folder


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
    best: dict[tuple[ModelKey, str | None], tuple[int, str, list[dict[str, Any]], Path]] = {}
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
                best[key] = (len(history), shown, history, path)
    logs = [
        TrainingLog(
            model=model,
            train_task=task,
            path=shown,
            history=history,
            refs=tuple(sorted(refs.get((model, task), set()), key=natural_key)),
            groups=read_reward_groups(training_folder(found)),
        )
        for (model, task), (_, shown, history, found) in best.items()
    ]
    return sorted(logs, key=TrainingLog.sort_key)
