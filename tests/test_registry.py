"""The registry: lookup by id and alias, suggestions, duplicates, entry-point discovery."""

from __future__ import annotations

import pytest

from othink_bench import registry
from othink_bench.registry import (
    DuplicateTaskError,
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
