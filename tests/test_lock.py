"""constraints.txt, the lock, agrees with pyproject.toml and with the environment it made.

The lock is what scripts/setup.sh and .ci/run install by default, so that an upstream release
cannot change a fresh clone's test run unseen (transformers 5.25 once broke the serve test
overnight). It is only useful while it pins every requirement pyproject.toml declares, at a
version pyproject.toml allows, and while the scripts take torch's version from it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "constraints.txt"
#: Extras whose packages the lock holds (vllm needs CUDA and cannot be installed where the lock
#: is written; it is installed without the lock).
LOCKED_EXTRAS = ("dev", "tensorboard", "wandb")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock() -> dict[str, str]:
    pins: dict[str, str] = {}
    for number, raw in enumerate(LOCK.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][0-9A-Za-z.!+-]*)", line)
        assert match, f"constraints.txt line {number} is not NAME==VERSION: {raw!r}"
        name = canonical(match[1])
        assert name not in pins, f"constraints.txt line {number}: {name} is pinned twice"
        pins[name] = match[2]
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in LOCKED_EXTRAS:
        reqs += project["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def test_every_declared_requirement_is_pinned_at_an_allowed_version() -> None:
    pins = read_lock()
    problems = []
    for req in declared():
        if req.marker is not None and not req.marker.evaluate({"python_version": "3.11"}):
            continue  # e.g. tomli, only below 3.11, where the lock is not used
        pin = pins.get(canonical(req.name))
        if pin is None:
            problems.append(f"{req} is not in constraints.txt")
        elif not req.specifier.contains(pin, prereleases=True):
            problems.append(f"constraints.txt pins {req.name}=={pin}, pyproject.toml asks {req}")
    assert not problems, "\n".join(problems) + (
        "\nRegenerate the lock: OTHINK_UNLOCKED=1 VENV=/tmp/v bash scripts/test.sh, then "
        "python scripts/lockfile.py write /tmp/v/bin/python")


def test_the_lock_holds_no_build_label_and_not_the_project_itself() -> None:
    pins = read_lock()
    assert "othink-bench" not in pins
    assert not [n for n, v in pins.items() if "+" in v], "a local label (+cpu) pins one build"
    assert "torch" in pins and "transformers" in pins


def test_the_scripts_take_torch_from_the_lock() -> None:
    torch = read_lock()["torch"]
    for script in ("scripts/setup.sh", ".ci/run"):
        text = (ROOT / script).read_text()
        assert "constraints.txt" in text, script
        assert torch not in text, f"{script} hard-codes torch {torch}; read it from the lock"


@pytest.mark.skipif(os.environ.get("OTHINK_UNLOCKED") == "1",
                    reason="OTHINK_UNLOCKED=1: this environment is unpinned on purpose")
def test_this_environment_has_the_locked_versions() -> None:
    wrong = []
    for name, pin in read_lock().items():
        try:
            have = version(name)
        except PackageNotFoundError:
            continue  # a locked package this platform or extra set does not install
        if have.split("+", 1)[0] != pin:
            wrong.append(f"{name} {have} (lock: {pin})")
    assert not wrong, (
        "this environment is not the lock's: " + ", ".join(wrong)
        + ". Run bash scripts/setup.sh, or set OTHINK_UNLOCKED=1 for an unpinned environment")


def test_lockfile_diff_names_what_moved() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts/lockfile.py"), "diff",
                          sys.executable], capture_output=True, text=True, check=True).stdout
    if os.environ.get("OTHINK_UNLOCKED") != "1":
        assert "exactly the locked versions" in out, out
    assert "othink-bench" not in out
