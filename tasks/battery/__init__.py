"""The benchmark battery: the standard multimodal-reasoning benchmarks the field reports
(MathVista, MATH-V, MathVerse, Geometry3K, WeMath, HallusionBench, CountBench), one module each.

Each module's ``TASKS`` lists its task objects; :func:`battery_tasks` collects them for the
package's entry point (``tasks.register_all``). Their samples declare typed answers
(``Sample.meta["answer_type"]``, ``["options"]``, ``["precision"]``, ``["unit"]``), so both
scoring profiles (``strict`` and ``free-form``) judge them by ANSWERS.md policy 1.2.
"""

from __future__ import annotations

from othink_bench.task import Task


def battery_tasks() -> list[Task]:
    """Every task of the battery's modules."""
    from tasks.battery import mathvision, mathvista

    return [*mathvista.TASKS, *mathvision.TASKS]
