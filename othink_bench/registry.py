"""The task registry: one place that maps names (ids and aliases) to Task objects.

The core never imports a task module, not even as a fallback. Built-in tasks, and tasks of
other installed packages, announce themselves through the ``othink_bench.tasks`` entry-point
group: each entry point is a callable taking no arguments that calls :func:`register` for its
tasks. Discovery runs once, lazily, on the first lookup. A source checkout gets the built-in
tasks the same way, by being installed (``pip install -e .``); with no task registered, lookups
raise :class:`NoTasksRegisteredError`, which says so.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from importlib.metadata import entry_points

from othink_bench.task import Task

ENTRY_POINT_GROUP = "othink_bench.tasks"

log = logging.getLogger(__name__)

_TASKS: dict[str, Task] = {}
_ALIASES: dict[str, str] = {}
_SUITES: dict[str, tuple[str, ...]] = {}  # suite name (no "@") -> member task names
_FAILED: list[str] = []  # "name = value: error" of entry points that failed to load
_discovered = False

INSTALL_HINT = (
    "Tasks register through the 'othink_bench.tasks' entry-point group, which installing a "
    "package that provides tasks sets up: install othink-bench (in a source checkout: "
    "`pip install -e .`) into the environment you run from."
)


class UnknownTaskError(KeyError):
    """No task is registered under a name."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it readable
        return str(self.args[0])


class NoTasksRegisteredError(UnknownTaskError):
    """No task is registered at all: no installed package provides the entry point."""


class DuplicateTaskError(ValueError):
    """A task id or alias is registered twice."""


def register(task: Task) -> Task:
    """Register a task under its id and aliases. Names are case-insensitive."""
    names = [task.id, *task.aliases]
    for name in names:
        key = name.lower()
        if key in _TASKS or key in _ALIASES:
            owner = _ALIASES.get(key, key)
            raise DuplicateTaskError(
                f"task name {name!r} is already registered (by task {owner!r}); "
                "choose another id or alias"
            )
    _TASKS[task.id.lower()] = task
    for alias in task.aliases:
        _ALIASES[alias.lower()] = task.id.lower()
    return task


class UnknownSuiteError(UnknownTaskError):
    """No suite is registered under an ``@name``."""


SUITE_PREFIX = "@"


def register_suite(name: str, members: tuple[str, ...] | list[str]) -> None:
    """Register a named suite (``@name`` on the command line) of task names.

    Members are names, resolved when the suite is used, not now: a suite may name a task that
    another package (or a later merge) registers, and fails with the missing name only when it
    is used without it.
    """
    key = name.strip().lower().removeprefix(SUITE_PREFIX)
    if not key or not members:
        raise ValueError("a suite needs a name and at least one member task")
    if key in _SUITES and _SUITES[key] != tuple(members):
        raise DuplicateTaskError(f"suite {SUITE_PREFIX}{key} is already registered")
    _SUITES[key] = tuple(members)


def suites() -> dict[str, tuple[str, ...]]:
    """Every registered suite: name (without ``@``) -> member task names."""
    discover()
    return dict(sorted(_SUITES.items()))


def expand_names(names: str | list[str]) -> list[str]:
    """Task names with each ``@suite`` replaced by its members, in order, repeats dropped.

    Only suites are checked here (an unknown suite lists the known ones); task names pass
    through unchanged for :func:`get_task` to check.
    """
    items = names.split(",") if isinstance(names, str) else list(names)
    out: list[str] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        if item.startswith(SUITE_PREFIX):
            discover()
            key = item[len(SUITE_PREFIX):].lower()
            if key not in _SUITES:
                known = ", ".join(f"{SUITE_PREFIX}{k}: {','.join(v)}" for k, v in
                                  sorted(_SUITES.items())) or "none"
                raise UnknownSuiteError(f"unknown suite {item!r}. Known suites: {known}")
            members = list(_SUITES[key])
        else:
            members = [item]
        out.extend(m for m in members if m not in out)
    return out


def unregister(task_id: str) -> None:
    """Remove a task and its aliases (for tests and plugins that replace a task)."""
    key = task_id.lower()
    _TASKS.pop(key, None)
    for alias in [a for a, t in _ALIASES.items() if t == key]:
        del _ALIASES[alias]


def discover() -> None:
    """Load every ``othink_bench.tasks`` entry point once. A failing plugin is logged, not fatal."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            hook: Callable[[], object] = ep.load()
            hook()
        except DuplicateTaskError:
            raise
        except Exception as exc:
            log.warning("task plugin %s (%s) failed to load: %s", ep.name, ep.value, exc)
            _FAILED.append(f"{ep.name} = {ep.value}: {type(exc).__name__}: {exc}")


def _require_tasks() -> None:
    """Discover, then fail with the fix if nothing at all is registered."""
    discover()
    if _TASKS:
        return
    failed = (
        f" Entry points that failed to load: {'; '.join(_FAILED)}." if _FAILED
        else " No installed package provides an entry point in that group."
    )
    raise NoTasksRegisteredError(f"no task is registered.{failed} {INSTALL_HINT}")


def get_task(name: str) -> Task:
    """Look a task up by id or alias; an unknown name lists close matches and all tasks."""
    _require_tasks()
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key in _TASKS:
        return _TASKS[key]
    known = sorted([*_TASKS, *_ALIASES])
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownTaskError(
        f"unknown task {name!r}.{hint} Known tasks: {', '.join(sorted(_TASKS))} "
        "(`othink-bench tasks` lists them with their aliases)."
    )


def get_tasks(names: str | list[str]) -> list[Task]:
    """Resolve a comma-separated list (or a list) of names and ``@suites``, keeping order,
    dropping repeats."""
    items = names.split(",") if isinstance(names, str) else list(names)
    direct = {i.strip() for i in items if not i.strip().startswith(SUITE_PREFIX)}
    out: list[Task] = []
    for item in expand_names(items):
        try:
            task = get_task(item)
        except UnknownTaskError as exc:
            if item in direct:
                raise
            using = [f"{SUITE_PREFIX}{k}" for k, v in _SUITES.items() if item in v]
            raise UnknownTaskError(
                f"{exc} It is named by suite {', '.join(using)}: install the package that "
                "provides it, or list the suite's other tasks by name."
            ) from None
        if task not in out:
            out.append(task)
    if not out:
        raise UnknownTaskError("no task named; pass e.g. --tasks vc,gr")
    return out


def all_tasks() -> list[Task]:
    """Every registered task, sorted by id; :class:`NoTasksRegisteredError` if there is none."""
    _require_tasks()
    return [_TASKS[k] for k in sorted(_TASKS)]
