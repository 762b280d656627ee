"""A GRPO training's ``reward_groups.jsonl``: each prompt's rewards at each step.

The trainer writes one line per reward-function call (``trainers.reward_log`` writes it and
documents the format); this module reads it, adds the functions up with their weights, so each
completion gets the reward the trainer optimised (``R = R_acc + alpha * R_format``), and groups
them by step and sample id. The board uses it for the same-prompt rise test
(:func:`leaderboard.log_summary.prompt_rise`). Rank files of a multi-process training
(``reward_groups.rank<r>.jsonl``) are read too: their prompts are other prompts of the same
steps.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

REWARD_GROUPS = "reward_groups.jsonl"
_RANK_FILES = "reward_groups.rank*.jsonl"


def reward_groups_path(output_dir: str | Path, rank: int = 0) -> Path:
    """A process's file in a training's output folder: rank 0 writes :data:`REWARD_GROUPS`,
    rank r > 0 ``reward_groups.rank<r>.jsonl``."""
    name = REWARD_GROUPS if rank == 0 else _RANK_FILES.replace("*", str(rank))
    return Path(output_dir) / name

#: step -> sample id -> the rewards of that prompt's completions at that step
Groups = dict[int, dict[str, list[float]]]


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _read_file(path: Path, groups: Groups) -> None:
    # step -> fn -> the calls of that fn at that step, in order: (weight, ids, values)
    calls: dict[int, dict[str, list[tuple[float, list[str], list[float]]]]] = {}
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}, line {lineno}"
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{where}: not JSON ({exc}); delete the line or rerun the "
                                 "training with --overwrite") from None
            if not isinstance(row, dict):
                raise ValueError(f"{where}: expected a JSON object")
            step, fn, weight = row.get("step"), row.get("fn"), row.get("weight")
            ids, values = row.get("ids"), row.get("values")
            if not (isinstance(step, int) and not isinstance(step, bool) and step >= 0):
                raise ValueError(f"{where}: 'step' must be an integer >= 0, got {step!r}")
            if not isinstance(fn, str) or not isinstance(weight, int | float) or not _number(weight):
                raise ValueError(f"{where}: needs 'fn' (a name) and 'weight' (a number)")
            if (not isinstance(ids, list) or not isinstance(values, list)
                    or len(ids) != len(values) or not all(isinstance(i, str) for i in ids)
                    or not all(_number(v) for v in values)):
                raise ValueError(f"{where}: 'ids' (strings) and 'values' (numbers) must be "
                                 "lists of one length")
            calls.setdefault(step, {}).setdefault(fn, []).append((float(weight), ids, values))
    for step, by_fn in calls.items():
        counts = {len(c) for c in by_fn.values()}
        if len(counts) != 1:
            raise ValueError(f"{path}: step {step}: the reward functions were called a different "
                             "number of times; the file is damaged, rerun the training")
        for k in range(counts.pop()):
            parts = [by_fn[fn][k] for fn in sorted(by_fn)]
            ids = parts[0][1]
            if any(p[1] != ids for p in parts):
                raise ValueError(f"{path}: step {step}: the reward functions saw different "
                                 "samples; the file is damaged, rerun the training")
            totals = [sum(w * vals[i] for w, _, vals in parts) for i in range(len(ids))]
            per_id = groups.setdefault(step, {})
            for sid, total in zip(ids, totals, strict=True):
                per_id.setdefault(sid, []).append(total)


def read_reward_groups(folder: str | Path) -> Groups | None:
    """The groups of a training's output folder, or None when it has no reward_groups file."""
    root = Path(folder)
    files = sorted(root.glob(_RANK_FILES))
    main = root / REWARD_GROUPS
    if main.is_file():
        files.insert(0, main)
    if not files:
        return None
    groups: Groups = {}
    for path in files:
        _read_file(path, groups)
    return groups


__all__ = ["REWARD_GROUPS", "Groups", "read_reward_groups", "reward_groups_path"]
