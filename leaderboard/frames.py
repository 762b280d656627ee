"""Tidy pandas frames of runs and records, for analysis outside the board.

pandas is imported lazily: the frames are an API, not needed to build a board.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from leaderboard.runs import RUN_COLUMNS, Run, run_fields

if TYPE_CHECKING:
    import pandas as pd


def records_frame(runs: Iterable[Run]) -> pd.DataFrame:
    """One row per scored record with the run's group keys: the tidy form of everything."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for run in runs:
        fields = run_fields(run)
        for r in run.records:
            rows.append(
                {
                    **fields,
                    "sample_id": r.sample_id,
                    "k": r.k,
                    "breakdown": r.breakdown,
                    "correct": r.correct,
                    "lenient_correct": r.lenient_correct,
                    "format_ok": r.format_ok,
                    "error_kind": r.error_kind,
                }
            )
    columns = [
        *RUN_COLUMNS,
        "train_seed",
        "sweep",
        "sample_id",
        "k",
        "breakdown",
        "correct",
        "lenient_correct",
        "format_ok",
        "error_kind",
    ]
    return pd.DataFrame(rows, columns=columns)


def runs_frame(runs: Iterable[Run]) -> pd.DataFrame:
    """One row per run: group keys, accuracy with its Wilson interval, rates and dates."""
    import pandas as pd

    rows = []
    for run in runs:
        acc = run.accuracy
        rows.append(
            {
                **run_fields(run),
                "k": acc.k,
                "n": acc.n,
                "accuracy": acc.value,
                "low": acc.low,
                "high": acc.high,
                "lenient_accuracy": run.lenient_accuracy.value,
                "format_rate": run.format_rate.value,
                "excluded": run.excluded,
                "status": run.manifest.status,
                "started": run.manifest.started,
                "finished": run.manifest.finished,
                "superseded_by": run.superseded_by,
            }
        )
    columns = [
        *RUN_COLUMNS,
        "train_seed",
        "sweep",
        "k",
        "n",
        "accuracy",
        "low",
        "high",
        "lenient_accuracy",
        "format_rate",
        "excluded",
        "status",
        "started",
        "finished",
        "superseded_by",
    ]
    return pd.DataFrame(rows, columns=columns)
