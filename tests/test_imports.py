"""The import graph of the core: no circles, and no task, trainer or board module.

Read from the source (an AST walk, nothing is imported): every ``import``/``from ... import``
of a module counts, at module level and inside functions alike (a deferred import is still a
dependency, and a circle of deferred imports is still a circle); only imports under
``if TYPE_CHECKING:`` are left out. A package's implicit import of its parent ``__init__`` is not
an edge (that is how packages work, not a design choice).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "othink_bench"
FOREIGN = ("tasks", "trainers", "leaderboard")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(path: Path, root: Path = ROOT) -> list[tuple[str, int]]:
    """``(dotted name, line)`` for every name an import of ``path`` may refer to: the module
    itself and, for ``from M import x``, ``M.x`` (which is a module when ``x`` is one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                out.extend((alias.name, child.lineno) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - (child.level - 1)]
                    base = ".".join(parts + ([base] if base else []))
                out.append((base, child.lineno))
                out.extend((f"{base}.{alias.name}", child.lineno) for alias in child.names)
            visit(child)

    visit(tree)
    return out


def core_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(CORE.rglob("*.py"))}


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    """module -> {imported module of the set: first line that imports it}."""
    graph: dict[str, dict[str, int]] = {}
    for name, path in modules.items():
        edges: dict[str, int] = {}
        for target, line in imported_names(path):
            if target in modules and target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, dict[str, int]]) -> list[str] | None:
    """One import circle as ``[a, b, ..., a]``, or ``None`` (iterative DFS, stable order)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def describe(cycle: list[str], graph: dict[str, dict[str, int]], modules: dict[str, Path]) -> str:
    steps = [
        f"{a} ({modules[a].relative_to(ROOT)}:{graph[a][b]}) imports {b}"
        for a, b in zip(cycle, cycle[1:], strict=False)
    ]
    return "import circle:\n  " + "\n  ".join(steps)


def test_the_finder_reports_a_circle() -> None:
    graph = {"a": {"b": 3}, "b": {"c": 5}, "c": {"a": 7}, "d": {"a": 1}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": 1}, "b": {}, "c": {"b": 2}}) is None


def test_the_walk_sees_deferred_imports_and_skips_type_checking(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from othink_bench.x import Y\n"
        "def f():\n    from othink_bench.backends import hf\n    import othink_bench.z\n"
    )
    names = [n for n, _ in imported_names(src, tmp_path)]
    assert "othink_bench.backends.hf" in names and "othink_bench.z" in names
    assert "othink_bench.x" not in names and "othink_bench.x.Y" not in names
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "mod.py").write_text("from .other import thing\n")
    assert [n for n, _ in imported_names(pkg / "mod.py", tmp_path)] == [
        "pkg.other",
        "pkg.other.thing",
    ]


def test_core_has_no_import_circles() -> None:
    modules = core_modules()
    graph = import_graph(modules)
    assert "othink_bench.backends.base" in graph and graph["othink_bench.harness"]
    cycle = find_cycle(graph)
    assert cycle is None, describe(cycle, graph, modules)


@pytest.mark.parametrize("name", list(core_modules()))
def test_core_imports_no_task_trainer_or_board_module(name: str) -> None:
    path = core_modules()[name]
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for target, line in imported_names(path)
        if target.split(".")[0] in FOREIGN
    ]
    assert not bad, "the core must not import tasks/, trainers/ or leaderboard/:\n" + "\n".join(bad)


def test_leaderboard_has_no_import_circles() -> None:
    """The board's modules form no circle either: no section module imports ``render`` (which
    assembles them), and none imports the package ``leaderboard`` (whose ``__init__`` imports
    ``render``): ``import leaderboard.reported as rep``, not ``from leaderboard import ...``."""
    modules = {module_name(p): p for p in sorted((ROOT / "leaderboard").rglob("*.py"))}
    graph = import_graph(modules)
    assert graph["leaderboard.render"] and "leaderboard.header" in graph
    cycle = find_cycle(graph)
    assert cycle is None, describe(cycle, graph, modules)


@pytest.mark.parametrize("package", ["trainers", "tasks"])
def test_trainer_and_task_modules_have_no_import_circles(package: str) -> None:
    """Nor do the trainers' or the tasks' modules: e.g. ``trainers.recipes.resolve`` imports
    ``trainers.config``, which imports only the light package ``trainers.recipes``."""
    modules = {module_name(p): p for p in sorted((ROOT / package).rglob("*.py"))}
    graph = import_graph(modules)
    assert len(graph) > 3
    cycle = find_cycle(graph)
    assert cycle is None, describe(cycle, graph, modules)


def _defined_names(path: Path) -> set[str]:
    """The names a module defines at its top level (functions, classes, assignments)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_board_names_are_imported_from_the_module_that_defines_them() -> None:
    """One way to import each thing: ``from leaderboard.M import x`` only where ``M`` defines
    ``x`` (or ``x`` is a module), never through a module that imports it from elsewhere. The
    package's own API (``from leaderboard import ...``) is the one exception."""
    board = ROOT / "leaderboard"
    sources = [*sorted(p for p in board.rglob("*.py") if "published" not in p.parts),
               *sorted((ROOT / "tests").glob("*.py"))]
    bad = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.level == 0 and node.module):
                continue
            if not node.module.startswith("leaderboard."):
                continue
            target = ROOT / (node.module.replace(".", "/") + ".py")
            if not target.exists():  # a subpackage: its names are its __init__'s
                target = ROOT / node.module.replace(".", "/") / "__init__.py"
            defined = _defined_names(target) if target.exists() else set()
            for alias in node.names:
                package = target.parent if target.name == "__init__.py" else target.with_suffix("")
                is_module = (package / f"{alias.name}.py").exists() or (package / alias.name).is_dir()
                if alias.name not in defined and not is_module:
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    bad.append(f"{where} imports {alias.name} from {node.module}")
    assert not bad, "import each name from the module that defines it:\n" + "\n".join(bad)
