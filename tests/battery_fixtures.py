"""Exact-schema fixture samples of the tasks that have no synthetic source (the benchmark battery).

The registry-wide contract (``test_tasks_contract.py``) checks every task on its synthetic data
or, for a task without one, on the samples its builder here returns. A battery task adds one
builder to :data:`FIXTURES`: it writes the task's exact-schema fixture files under the folder it
is given (tiny PIL images made in the test, synthetic rows with the real columns and types) and
loads them through the task's own loader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from othink_bench.task import Sample

FIXTURES: dict[str, Callable[[Path], list[Sample]]] = {}
"""Task id -> builder(folder) returning samples loaded from fixture files written there."""
