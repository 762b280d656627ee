"""The generalisation battery: standard multimodal-reasoning benchmarks, one module each.

``@generalisation`` names the battery (registered with the tasks); members are resolved when the
suite is used, so a member whose module is not installed fails then, by name.
"""

from __future__ import annotations

from othink_bench.task import Task

#: The battery, in the order boards show it.
GENERALISATION = ("mathvista", "mathverse", "mathvision", "geometry3k", "wemath",
                  "hallusionbench", "countbench")


def battery_tasks() -> list[Task]:
    from tasks.battery import countbench, geometry3k, hallusionbench, mathverse, wemath

    return [*mathverse.TASKS, *geometry3k.TASKS, *wemath.TASKS, *hallusionbench.TASKS,
            *countbench.TASKS]
