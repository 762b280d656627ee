"""The registry: lookup by id and alias, suggestions, duplicates, entry-point discovery, and the
clear error (with the fix) when no installed package provides tasks."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from othink_bench import registry
from othink_bench.registry import (
    DuplicateTaskError,
    NoTasksRegisteredError,
    UnknownTaskError,
    get_task,
    get_tasks,
    register,
    unregister,
)
from tasks.counting import VisualCounting


def test_paper_tasks_resolve_by_id_and_alias() -> None:
    assert get_task("vc").id == "vc"
    assert get_task("counting").id == "vc"
    assert get_task("GR").id == "gr"
    assert get_task("geoqa").id == "gr"
    assert [t.id for t in get_tasks("gr,vc,gr")] == ["gr", "vc"]


def test_unknown_task_suggests_close_names() -> None:
    with pytest.raises(UnknownTaskError) as err:
        get_task("vc-synht")
    assert "vc-synth" in str(err.value)
    assert "othink-bench tasks" in str(err.value)


def test_duplicate_registration_is_an_error() -> None:
    with pytest.raises(DuplicateTaskError, match="already registered"):
        register(VisualCounting())


def test_new_task_and_alias_can_be_registered_and_removed() -> None:
    class Mine(VisualCounting):
        id = "my-count"
        aliases = ("mc",)

    register(Mine())
    try:
        assert get_task("mc").id == "my-count"
    finally:
        unregister("my-count")
    with pytest.raises(UnknownTaskError):
        get_task("mc")


def test_tasks_are_found_through_the_entry_point_group() -> None:
    from importlib.metadata import entry_points

    eps = entry_points(group=registry.ENTRY_POINT_GROUP)
    assert any(ep.value == "tasks:register_all" for ep in eps)


def test_every_task_lists_versions_and_sources() -> None:
    for task in registry.all_tasks():
        info = task.info()
        assert info["version"]
        assert info["sources"]
        assert task.family in ("counting", "geometry")
        if task.typed_answers:  # the battery: evaluation benchmarks only
            from othink_bench.data_sources import DataSourceError

            with pytest.raises(DataSourceError, match="a test split only"):
                task.load(split="train")


# --- no task registered: no fallback, a clear error with the fix ------------------------------


class _EntryPoint:
    def __init__(self, name: str, value: str, error: Exception | None = None) -> None:
        self.name, self.value, self.error = name, value, error

    def load(self) -> Any:
        if self.error is not None:
            raise self.error
        return lambda: None  # a plugin that registers nothing


@pytest.fixture
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> list[_EntryPoint]:
    """A fresh, undiscovered registry whose entry-point group holds what the test puts in it."""
    found: list[_EntryPoint] = []
    monkeypatch.setattr(registry, "_TASKS", {})
    monkeypatch.setattr(registry, "_ALIASES", {})
    monkeypatch.setattr(registry, "_FAILED", [])
    monkeypatch.setattr(registry, "_discovered", False)
    monkeypatch.setattr(registry, "entry_points", lambda group: list(found))
    return found


def test_no_entry_point_means_no_tasks_and_says_how_to_fix_it(
    empty_registry: list[_EntryPoint],
) -> None:
    with pytest.raises(NoTasksRegisteredError) as err:
        get_task("vc")
    message = str(err.value)
    assert "no task is registered" in message and "pip install -e ." in message
    assert "othink_bench.tasks" in message
    assert isinstance(err.value, UnknownTaskError)  # the commands' handlers print it
    assert registry._TASKS == {}  # nothing was imported behind the entry points' back
    with pytest.raises(NoTasksRegisteredError):
        registry.all_tasks()


def test_a_plugin_that_fails_to_load_is_named_in_the_error(
    empty_registry: list[_EntryPoint],
) -> None:
    empty_registry.append(_EntryPoint("silent", "quiet:register"))
    empty_registry.append(_EntryPoint(
        "builtin", "tasks:register_all", ModuleNotFoundError("No module named 'tasks'")))
    with pytest.raises(NoTasksRegisteredError) as err:
        get_tasks("vc,gr")
    message = str(err.value)
    assert "builtin = tasks:register_all: ModuleNotFoundError" in message
    assert "pip install -e ." in message


def test_tasks_command_without_tasks_exits_2_with_the_fix(
    empty_registry: list[_EntryPoint], capsys: pytest.CaptureFixture[str],
) -> None:
    from othink_bench.cli import main

    assert main(["tasks"]) == 2
    err = capsys.readouterr().err
    assert "no task is registered" in err and "pip install -e ." in err


def test_the_core_imports_no_task_trainer_or_board_module() -> None:
    """The design's rule, read from the code: othink_bench/ never imports tasks, trainers or
    leaderboard (cli.py names command modules as strings; that is the one place that wires)."""
    core = Path(registry.__file__).resolve().parent
    offenders = []
    for path in sorted(core.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            for name in names:
                if name.split(".")[0] in ("tasks", "trainers", "leaderboard"):
                    offenders.append(f"{path.relative_to(core.parent)}:{node.lineno}: {name}")
    assert not offenders, offenders
