"""docs/adding-a-task.md cannot rot: its files are written and its commands run, as a user would.

The guide's fenced blocks are of two kinds: ```` ```LANG file=PATH ```` blocks are files, written
under a scratch folder that also holds the checkout as ``othink-bench/``; ```` ```bash ````
blocks are commands, run there in order with this environment's ``othink-bench`` and python.
One substitution: the guide's ``pip install -e ./othink-dots`` installs into the shared
environment, so the test installs the same package (built by pip, entry point and all) into a
scratch ``--target`` folder on ``PYTHONPATH`` instead. Any other code block fails the test, so a
snippet added to the guide is either run here or written as prose.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "adding-a-task.md"
FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```$", re.M | re.S)
USER_INSTALL = "pip install -e ./othink-dots"

pytestmark = pytest.mark.slow


def blocks(text: str) -> list[tuple[str, dict[str, str], str]]:
    """(language, attributes such as file=PATH, body) of each fenced block, in order."""
    out = []
    for info, body in FENCE.findall(text):
        lang, *attrs = info.split()
        out.append((lang, dict(a.split("=", 1) for a in attrs), body))
    return out


def test_every_code_block_is_a_file_or_a_command() -> None:
    found = blocks(GUIDE.read_text(encoding="utf-8"))
    files = [a["file"] for _, a, _ in found if "file" in a]
    assert files == ["othink-dots/othink_dots/__init__.py", "othink-dots/pyproject.toml",
                     "make_gold_script.py"]
    stray = [(lang, body[:40]) for lang, a, body in found if "file" not in a and lang != "bash"]
    assert not stray, f"blocks neither written nor run by this test: {stray}"
    commands = "\n".join(body for lang, _, body in found if lang == "bash")
    assert USER_INSTALL in commands


def _run(command: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=540, check=False)
    assert done.returncode == 0, f"$ {command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _manifest(runs: Path, model: str = "tiny--") -> dict[str, object]:
    (path,) = sorted(p for p in runs.rglob("manifest.json") if p.parent.name.startswith(model))
    assert "--dots-v1.0-" in path.parent.name, path
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _records(runs: Path, model: str = "tiny--") -> list[dict[str, object]]:
    (path,) = sorted(p for p in runs.rglob("records.jsonl") if p.parent.name.startswith(model))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_the_worked_example_runs_end_to_end(tmp_path: Path) -> None:
    work, site = tmp_path / "work", tmp_path / "site"
    work.mkdir()
    (work / "othink-bench").symlink_to(ROOT, target_is_directory=True)
    found = blocks(GUIDE.read_text(encoding="utf-8"))
    for _, attrs, body in found:
        if "file" in attrs:
            dest = work / attrs["file"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(body, encoding="utf-8")

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONPATH": str(site), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "PYTEST_ADDOPTS": "-p no:cacheprovider"}
    install = (f"{shlex.quote(sys.executable)} -m pip install -q --no-deps --no-index "
               f"--no-build-isolation --target {shlex.quote(str(site))} ./othink-dots")
    outputs = []
    for lang, _, body in found:
        if lang == "bash":
            outputs.append(_run(body.replace(USER_INSTALL, install), work, env))
    listing, contract, gold, tiny, trained = outputs

    # pip built the package with its entry point; othink-bench found it there
    (dist,) = site.glob("othink_dots-*.dist-info")
    assert "othink_bench.tasks" in (dist / "entry_points.txt").read_text(encoding="utf-8")
    row = next(line for line in listing.splitlines() if line.startswith("dots "))
    assert "1.0" in row and "dot-count" in row and "synthetic, local" in row
    assert "dots: size=112, grid=4, dots=1-9" in listing

    # the registry-wide contract tests selected and passed the new task
    passed = re.search(r"(\d+) passed", contract)
    assert passed and int(passed.group(1)) >= 3 and "failed" not in contract, contract

    # the solutions score 100% through the real harness
    records = _records(work / "runs" / "gold", "dots_gold")
    assert len(records) == 100 and all(r["correct"] and r["format_ok"] for r in records)
    assert _manifest(work / "runs" / "gold", "dots_gold")["status"] == "complete"
    assert "100.0" in gold

    # the bundled tiny model ran on 8 questions; every output scored, none failed
    records = _records(work / "runs" / "tiny")
    assert len(records) == 8 and not any(r.get("error") for r in records), records
    assert {r["gold"] for r in records} <= {str(n) for n in range(1, 10)}
    assert _manifest(work / "runs" / "tiny")["status"] == "complete"
    assert "count=" in tiny  # --breakdown

    # two GRPO-D steps on the new task, and its checkpoint evaluated on it
    checkpoint = work / "runs" / "train" / "tiny" / "dots" / "grpod" / "checkpoint-2"
    assert (checkpoint / "othink_checkpoint.json").is_file(), trained
    records = _records(work / "runs" / "tiny", "grpod_checkpoint-2--")
    assert len(records) == 8 and not any(r.get("error") for r in records)
