"""What a train-and-eval matrix trains and evaluates (:class:`MatrixSpec`), checked before any
training starts, and the ``--seeds`` axis (:func:`parse_seeds`, :func:`check_seeds`); the
``--sweep`` axis is :mod:`trainers.matrix.sweep`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trainers.config import METHODS
from trainers.matrix.sweep import SweepAxis, check_sweeps, sweep_points
from trainers.recipes import ConfigError

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
    sweeps: list[SweepAxis] | None = None  # swept settings (None: no sweep axis)

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
        if self.sweeps is not None:
            self.sweeps = check_sweeps(self.sweeps, self.methods, self.overrides)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["out"] = str(self.out)
        if self.seeds is None:  # matrices without seeds keep their old matrix.json
            del out["seeds"]
        if self.sweeps is None:  # ... and without sweeps too
            del out["sweeps"]
        else:
            out["sweeps"] = [{"key": a.key, "values": list(a.values)} for a in self.sweeps]
        return out

    def sweep_points(self, method: str) -> list[dict[str, Any] | None]:
        """The swept settings each training of ``method`` uses; [None]: no sweep."""
        return sweep_points(self.sweeps or [], method)

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
