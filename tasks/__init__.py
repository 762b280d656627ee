"""The built-in tasks: visual counting and geometry reasoning, paper data and procedural.

One module per task family. Each module's ``TASKS`` lists its task objects; :func:`register_all`
(the ``othink_bench.tasks`` entry point) registers them all.
"""

from __future__ import annotations

from othink_bench.registry import register
from othink_bench.task import Task


def builtin_tasks() -> list[Task]:
    from tasks import counting, geometry
    from tasks.battery import battery_tasks

    return [*counting.TASKS, *geometry.TASKS, *battery_tasks()]


def register_all() -> None:
    for task in builtin_tasks():
        register(task)
