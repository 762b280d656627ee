"""One evaluated (checkpoint, eval task) of a train-and-eval matrix: :class:`MatrixCell`, where
it sits (:func:`slot`), how ``matrix.json`` stores it (:func:`cell_dict`), and how a run summary
becomes one (:func:`cell_from_summary`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from othink_bench.sweeps import sweep_text


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
    #: the accuracy's denominator (records less data errors); None in a matrix.json written
    #: before it was kept, where ``n`` stands in
    scored: int | None = None
    #: the swept settings of the training (train-and-eval --sweep); None: no sweep
    sweep: dict[str, Any] | None = None

    @property
    def same_task(self) -> bool:
        return self.train_task == self.eval_task

    @property
    def slot(self) -> Slot:
        """Where the cell sits in the matrix; a retrained checkpoint replaces its old cell."""
        return slot(self.method, self.train_task, self.eval_task, self.step, self.train_seed,
                    self.sweep)


Slot = tuple[str, str, str, int, int, str]


def slot(
    method: str, train_task: str | None, eval_task: str, step: int, train_seed: int | None = None,
    sweep: Mapping[str, Any] | None = None,
) -> Slot:
    return (method, train_task or "", eval_task, step, -1 if train_seed is None else train_seed,
            sweep_text(sweep))


def cell_dict(cell: MatrixCell) -> dict[str, Any]:
    """A cell as matrix.json stores it (no ``train_seed`` key without seeds, no ``sweep`` key
    without a sweep, as before)."""
    out = asdict(cell)
    if cell.train_seed is None:
        del out["train_seed"]
    if cell.sweep is None:
        del out["sweep"]
    return out


def _num(x: float) -> float | None:
    return None if x != x else float(x)  # NaN (no scored records) -> None


def cell_from_summary(
    summary: Any, method: str, train_task: str | None, step: int, final: bool, checkpoint: str,
    key: str, train_seed: int | None = None, sweep: Mapping[str, Any] | None = None,
) -> MatrixCell:
    """The cell of one evaluated run (a harness ``RunSummary``); NaN metrics become None."""
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
        scored=m.scored,
        sweep=dict(sweep) if sweep else None,
    )
