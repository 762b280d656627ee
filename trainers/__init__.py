"""SFT, GRPO and GRPO-D as thin layers over TRL, and the train-and-eval matrix.

Why thin: the paper's method is one change to GRPO - a KL weight that follows a schedule
(:mod:`trainers.schedules`) - plus the paper's loss settings and rewards built from the task's own
verifier. Everything else is TRL as shipped, reached through its config classes
(:mod:`trainers.config`), constructor arguments and callbacks (:mod:`trainers.callbacks`), so a
TRL upgrade never means merging a fork.

Entry points (imported lazily; this package imports nothing heavy):

* :func:`trainers.run.train` - one training (``othink-bench train``);
* :func:`trainers.matrix.run_matrix` - train and evaluate a method x task grid
  (``othink-bench train-and-eval``);
* :class:`trainers.schedules.BetaSchedule` - the schedules (``othink-bench schedule``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_matrix", "train"]


def train(*args: Any, **kwargs: Any) -> Any:
    """See :func:`trainers.run.train`."""
    from trainers.run import train as _train

    return _train(*args, **kwargs)


def run_matrix(*args: Any, **kwargs: Any) -> Any:
    """See :func:`trainers.matrix.run_matrix`."""
    from trainers.matrix import run_matrix as _run_matrix

    return _run_matrix(*args, **kwargs)
