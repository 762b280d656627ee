"""Eval logging: send a run's per-task metrics to TensorBoard or Weights & Biases.

``othink-bench run --report-to tensorboard`` (or ``wandb``, or both) logs, for every task of the
call, the strict accuracy with its 95% interval, the lenient accuracy, the format rate, n, the
number scored and the errors, under ``eval/<task>/<metric>``, at the checkpoint's training step
(``--step``, else 0), so the checkpoints of one training run draw a curve. The records stay the
source of truth: these are copies of the numbers the run prints.

* TensorBoard: event files under ``--report-dir`` (default ``<out>/tensorboard``), one folder per
  ``--report-name`` (default: the model's label or name); needs ``othink-bench[tensorboard]``.
* W&B: one wandb run per call, project ``--wandb-project``; needs ``othink-bench[wandb]``. Set
  ``WANDB_MODE=offline`` to write it locally and sync later (``wandb sync``).

The optional packages are checked before anything runs, so a missing one costs no evaluation.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

REPORTERS = ("tensorboard", "wandb")
_EXTRA = {"tensorboard": "tensorboard", "wandb": "wandb"}


class Reportable(Protocol):
    """What is logged of one task: a :class:`othink_bench.harness.RunSummary` fits."""

    run_id: str
    task: str
    task_version: str
    status: str

    @property
    def metrics(self) -> Any: ...


def add_report_args(parser: argparse.ArgumentParser) -> None:
    """The ``--report-*`` flags of ``othink-bench run``."""
    g = parser.add_argument_group("eval logging")
    g.add_argument(
        "--report-to",
        action="append",
        default=None,
        metavar="NAME",
        help="log the per-task metrics to tensorboard and/or wandb (repeat, or a comma list)",
    )
    g.add_argument("--report-dir", help="tensorboard/wandb files (default: <out>/tensorboard)")
    g.add_argument("--report-name", help="run name in tensorboard/wandb (default: model label)")
    g.add_argument(
        "--wandb-project", default="othink-bench", help="wandb project (default othink-bench)"
    )


def reporters(values: Sequence[str] | None) -> list[str]:
    """Parse ``--report-to`` values; an unknown name is a ``ValueError`` that lists the known."""
    names: list[str] = []
    for value in values or []:
        for name in value.split(","):
            name = name.strip().lower()
            if not name or name == "none":
                continue
            if name not in REPORTERS:
                raise ValueError(f"--report-to {name!r}: choose from {', '.join(REPORTERS)}")
            if name not in names:
                names.append(name)
    return names


def check_available(names: Sequence[str]) -> None:
    """Raise ``ImportError`` naming the extra to install when a reporter's package is missing."""
    for name in names:
        if importlib.util.find_spec(name) is None:
            raise ImportError(
                f"--report-to {name} needs the {name} package: "
                f"pip install 'othink-bench[{_EXTRA[name]}]'"
            )


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def task_scalars(summary: Reportable) -> dict[str, float]:
    """The numbers logged for one task, by metric name (undefined ones are left out)."""
    m = summary.metrics
    values: dict[str, float | None] = {
        "accuracy": _num(m.accuracy.value) if m.accuracy.n else None,
        "accuracy_low": _num(m.accuracy.low) if m.accuracy.n else None,
        "accuracy_high": _num(m.accuracy.high) if m.accuracy.n else None,
        "lenient": _num(m.lenient.value) if m.lenient.n else None,
        "format_rate": _num(m.format_rate.value) if m.format_rate.n else None,
        "n": float(m.n),
        "scored": float(m.scored),
        "errors": float(m.errors),
    }
    if m.pass_at_k is not None and m.pass_at_k.n:
        values[f"pass_at_{m.k}"] = _num(m.pass_at_k.value)
    return {k: v for k, v in values.items() if v is not None}


def scalars(summaries: Sequence[Reportable]) -> dict[str, float]:
    """``eval/<task>/<metric>`` -> value for every task of a call."""
    out: dict[str, float] = {}
    for s in summaries:
        for name, value in task_scalars(s).items():
            out[f"eval/{s.task}/{name}"] = value
    return out


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"


def write_tensorboard(
    summaries: Sequence[Reportable], log_dir: Path, *, step: int = 0
) -> Path:
    """Write the scalars as one TensorBoard event file in ``log_dir``; returns the folder."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    log_dir.mkdir(parents=True, exist_ok=True)
    writer = EventFileWriter(str(log_dir))
    try:
        now = time.time()
        for tag, value in sorted(scalars(summaries).items()):
            summary = Summary(value=[Summary.Value(tag=tag, simple_value=value)])
            writer.add_event(Event(wall_time=now, step=step, summary=summary))
        writer.flush()
    finally:
        writer.close()
    return log_dir


def write_wandb(
    summaries: Sequence[Reportable],
    *,
    project: str,
    name: str,
    directory: Path,
    step: int = 0,
    config: dict[str, Any] | None = None,
) -> str:
    """Log the scalars to one wandb run (``WANDB_MODE`` decides online/offline); its id."""
    import wandb

    directory.mkdir(parents=True, exist_ok=True)
    run = wandb.init(
        project=project,
        name=name,
        dir=str(directory),
        config={
            **(config or {}),
            "runs": {s.task: s.run_id for s in summaries},
            "task_versions": {s.task: s.task_version for s in summaries},
        },
        job_type="eval",
    )
    try:
        values = scalars(summaries)
        run.define_metric("checkpoint_step")
        run.define_metric("eval/*", step_metric="checkpoint_step")
        run.log({**values, "checkpoint_step": step})
        run.summary.update(values)
        return str(run.id)
    finally:
        run.finish()


def report(
    names: Sequence[str],
    summaries: Sequence[Reportable],
    *,
    log_dir: Path,
    name: str,
    step: int = 0,
    project: str = "othink-bench",
    config: dict[str, Any] | None = None,
) -> list[str]:
    """Send the summaries to each named reporter; one line per reporter saying where."""
    lines = []
    for reporter in names:
        if reporter == "tensorboard":
            where = write_tensorboard(summaries, log_dir / _safe(name), step=step)
            lines.append(f"tensorboard: {where} (tensorboard --logdir {log_dir})")
        elif reporter == "wandb":
            run_id = write_wandb(
                summaries, project=project, name=name, directory=log_dir, step=step, config=config
            )
            lines.append(f"wandb: run {run_id} in project {project}")
    return lines


def report_from_args(args: argparse.Namespace, summaries: Sequence[Reportable]) -> list[str]:
    """The ``othink-bench run`` hook: report when ``--report-to`` was given."""
    names = reporters(getattr(args, "report_to", None))
    if not names or not summaries:
        return []
    log_dir = Path(args.report_dir) if args.report_dir else Path(args.out) / "tensorboard"
    name = args.report_name or args.label or args.model
    config = {"model": args.model, "method": args.method, "train_task": args.train_task}
    return report(
        names,
        summaries,
        log_dir=log_dir,
        name=name,
        step=args.step or 0,
        project=args.wandb_project,
        config=config,
    )


def preflight(args: argparse.Namespace) -> str | None:
    """Before a run: why ``--report-to`` cannot work (unknown name, package missing), if so."""
    try:
        check_available(reporters(getattr(args, "report_to", None)))
    except (ImportError, ValueError) as exc:
        return str(exc)
    return None
