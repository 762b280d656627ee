"""Every third-party import is provided by a declared requirement.

scipy once reached users undeclared: the machine CI ran on had it in its system Python, so
nothing failed until a fresh install did. This test reads the project's own imports (an AST
walk, so nothing is imported) and the requirements in pyproject.toml, and names every
top-level module that no declared requirement provides:

- an import at module level in the four packages needs a core dependency;
- an import inside a function or a ``try`` block (an optional integration, such as vLLM or
  wandb) may come from a core dependency or a user-facing extra;
- tests and benchmarks may also use the ``dev`` extra.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("othink_bench", "tasks", "trainers", "leaderboard")
DEV_TREES = ("tests", "benchmarks")
#: Modules whose distribution is named differently, for modules that are not installed here
#: (installed ones are mapped by ``importlib.metadata``).
KNOWN_DISTRIBUTIONS = {"PIL": "pillow", "yaml": "pyyaml", "sklearn": "scikit-learn",
                       "math_verify": "math-verify"}


@dataclass(frozen=True)
class Import:
    module: str  # top-level name
    path: Path
    line: int
    optional: bool  # inside a function or a try block


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(requirements: Iterable[str]) -> set[str]:
    return {normalise(re.split(r"[\s\[<>=!~;@]", r.strip(), maxsplit=1)[0]) for r in requirements}


def _imports(tree: ast.AST, path: Path) -> Iterator[Import]:
    def visit(node: ast.AST, optional: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            nested = optional or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Try, ast.If)
            )
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(alias.name.split(".")[0], path, child.lineno, optional)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                yield Import(child.module.split(".")[0], path, child.lineno, optional)
            yield from visit(child, nested)

    yield from visit(tree, False)


def project_imports(trees: Iterable[str], root: Path = ROOT) -> list[Import]:
    own = set(PACKAGES) | set(DEV_TREES)
    found: list[Import] = []
    for top in trees:
        for path in sorted((root / top).rglob("*.py")):
            if top in DEV_TREES:  # tests import their helper modules by bare name
                own |= {p.stem for p in path.parent.glob("*.py")}
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found.extend(_imports(tree, path))
    return [i for i in found
            if i.module not in sys.stdlib_module_names and i.module not in own
            and i.module != "__future__"]


def providers(module: str, installed: Mapping[str, list[str]]) -> set[str]:
    names = {normalise(d) for d in installed.get(module, [])}
    names.add(normalise(KNOWN_DISTRIBUTIONS.get(module, module)))
    return names


def undeclared(pyproject: Mapping[str, Any], root: Path = ROOT) -> list[str]:
    """One message per (module, rule) that no declared requirement satisfies."""
    project = pyproject["project"]
    core = requirement_names(project.get("dependencies", []))
    extras = {k: requirement_names(v) for k, v in project.get("optional-dependencies", {}).items()}
    user_extras = set().union(*(v for k, v in extras.items() if k != "dev"))
    dev = extras.get("dev", set())
    installed = packages_distributions()
    problems: dict[tuple[str, str], str] = {}
    for imp in project_imports(PACKAGES, root):
        allowed = core | user_extras if imp.optional else core
        if not providers(imp.module, installed) & allowed:
            need = "a core dependency or an extra" if imp.optional else "a core dependency"
            problems.setdefault(
                (imp.module, need),
                f"{imp.module} (imported at {imp.path.relative_to(root)}:{imp.line}) needs {need}",
            )
    for imp in project_imports(DEV_TREES, root):
        if not providers(imp.module, installed) & (core | user_extras | dev):
            problems.setdefault(
                (imp.module, "dev"),
                f"{imp.module} (imported at {imp.path.relative_to(root)}:{imp.line}) needs a "
                "dependency or the dev extra",
            )
    return sorted(problems.values())


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_import_is_declared() -> None:
    assert undeclared(_pyproject()) == []


def _without(pyproject: dict[str, Any], name: str) -> dict[str, Any]:
    project = dict(pyproject["project"])
    project["dependencies"] = [r for r in project["dependencies"]
                               if normalise(re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0]) != name]
    project["optional-dependencies"] = {
        k: [r for r in v if normalise(re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0]) != name]
        for k, v in project.get("optional-dependencies", {}).items()
    }
    return {**pyproject, "project": project}


def test_removing_a_core_requirement_is_caught() -> None:
    problems = undeclared(_without(_pyproject(), "scipy"))
    assert [p for p in problems if p.startswith("scipy (imported at leaderboard/seeds.py:")
            and p.endswith("needs a core dependency")], problems
    assert [p for p in problems if p.startswith("scipy (imported at tests/")], problems


def test_removing_a_dev_requirement_is_caught() -> None:
    problems = undeclared(_without(_pyproject(), "hypothesis"))
    assert [p for p in problems if p.startswith("hypothesis (imported at tests/")], problems


def test_an_optional_integration_may_come_from_an_extra() -> None:
    """The vLLM backend imports vllm inside a function: the vllm extra provides it."""
    imports = [i for i in project_imports(PACKAGES) if i.module == "vllm"]
    assert imports and all(i.optional for i in imports)
    assert undeclared(_pyproject()) == []
    problems = undeclared(_without(_pyproject(), "vllm"))
    assert [p for p in problems if p.startswith("vllm ")], problems


def test_module_level_imports_need_core_dependencies(tmp_path: Path) -> None:
    pkg = tmp_path / "othink_bench"
    pkg.mkdir()
    (pkg / "mod.py").write_text("import wandb\n\ndef f():\n    import vllm\n")
    for top in PACKAGES[1:] + DEV_TREES:
        (tmp_path / top).mkdir()
    pyproject = {"project": {"dependencies": [],
                             "optional-dependencies": {"wandb": ["wandb"], "vllm": ["vllm"]}}}
    problems = undeclared(pyproject, root=tmp_path)
    assert problems == ["wandb (imported at othink_bench/mod.py:1) needs a core dependency"]
