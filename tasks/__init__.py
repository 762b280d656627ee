"""The built-in tasks: visual counting and geometry reasoning, paper data and procedural.

One module per task family. Each module's ``TASKS`` lists its task objects; :func:`register_all`
(the ``othink_bench.tasks`` entry point) registers them all.
"""

from __future__ import annotations

from othink_bench.registry import register, register_suite
from othink_bench.task import Task

#: Named suites (``--tasks @paper``): the paper's two tasks.
PAPER = ("vc", "gr")


def builtin_tasks() -> list[Task]:
    from tasks import counting, geometry
    from tasks.battery import battery_tasks

    return [*counting.TASKS, *geometry.TASKS, *battery_tasks()]


def register_all() -> None:
    from tasks.battery import GENERALISATION

    for task in builtin_tasks():
        register(task)
    register_suite("paper", PAPER)
    register_suite("generalisation", GENERALISATION)
