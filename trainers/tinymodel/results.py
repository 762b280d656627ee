"""What a build produced: per-task evaluation results, the whole build's result (``make_tiny.json``
holds :meth:`MakeTinyResult.to_dict`) and the files written next to the weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trainers.tinymodel.recipe import MakeTinyOptions

#: The card and ``make_tiny.json`` written next to the weights.
CARD_FILE = "README.md"
RESULT_FILE = "make_tiny.json"


@dataclass
class TaskResult:
    """One task's evaluation: counts, Wilson 95% intervals, format rate, run folder."""

    task: str
    task_version: str
    split: str
    data_seed: int
    n: int
    correct: int
    accuracy: float
    accuracy_low: float
    accuracy_high: float
    format_ok: int
    format_rate: float
    format_low: float
    format_high: float
    lenient: float
    errors: int
    elapsed_s: float
    run_id: str  # the harness's run folder name under the work folder's runs/
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class MakeTinyResult:
    """What a build produced; ``make_tiny.json`` holds :meth:`to_dict`."""

    out: Path
    options: MakeTinyOptions
    command: str
    data: dict[str, Any]
    training: dict[str, Any]
    test: dict[str, TaskResult]
    validation: dict[str, TaskResult]
    timings: dict[str, float]
    cpu_timings: dict[str, float]
    weights_bytes: int
    weights_sha256: str
    num_parameters: int
    software: dict[str, str]
    targets_met: dict[str, bool]

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "options": self.options.to_dict(),
            "command": self.command,
            "data": self.data,
            "training": self.training,
            "test": {k: asdict(v) for k, v in self.test.items()},
            "validation": {k: asdict(v) for k, v in self.validation.items()},
            "timings": self.timings,
            "cpu_timings": self.cpu_timings,
            "weights_bytes": self.weights_bytes,
            "weights_sha256": self.weights_sha256,
            "num_parameters": self.num_parameters,
            "software": self.software,
            "targets_met": self.targets_met,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MakeTinyResult:
        """The inverse of :meth:`to_dict` (reads a ``make_tiny.json``)."""
        opts = dict(d["options"])
        for key in ("out", "work"):
            opts[key] = None if opts.get(key) is None else Path(opts[key])
        return cls(
            out=Path(d["out"]),
            options=MakeTinyOptions(**opts),
            command=d["command"],
            data=d["data"],
            training=d["training"],
            test={k: TaskResult(**v) for k, v in d["test"].items()},
            validation={k: TaskResult(**v) for k, v in d.get("validation", {}).items()},
            timings=d["timings"],
            cpu_timings=d["cpu_timings"],
            weights_bytes=d["weights_bytes"],
            weights_sha256=d["weights_sha256"],
            num_parameters=d["num_parameters"],
            software=d["software"],
            targets_met=d["targets_met"],
        )
