"""The results file of ``benchmarks/gpu_check.py``: environment facts and a markdown writer.

The file is rewritten after every section, so a run killed at its time limit still leaves what it
measured. Its last block is the same data as JSON (``<!-- raw -->`` then a fenced json block),
which is what tests and later comparisons read; the tables above it are for people.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("torch", "transformers", "trl", "datasets", "accelerate", "torchvision", "tokenizers",
            "pydantic", "pyarrow", "huggingface-hub", "kernels", "othink-bench")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def lock_differences(found: dict[str, str], lock: Path) -> dict[str, str]:
    """Packages whose version here is not the lock's (``constraints.txt``), local build labels
    (``+cpu``, ``+cu128``) aside: on the GPU machine, what the machine's own builds replace."""
    from benchmarks.gpu_pins import read_lock

    if not lock.is_file():
        return {"(lock)": f"{lock} not found"}
    pins = read_lock(lock)
    out = {}
    for name, version in found.items():
        pinned = pins.get(name)
        if pinned is not None and version.split("+", 1)[0] != pinned.split("+", 1)[0]:
            out[name] = f"{version} (lock: {pinned})"
    return out


def git_commit(root: Path) -> str:
    """The checkout's commit; on the GPU machine (a copy without .git) the one that
    ``benchmarks/gpu_wheels.sh`` recorded next to the wheels."""
    try:
        done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                              capture_output=True, text=True, timeout=10, check=False)
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    recorded = root / ".whl" / "SOURCE_COMMIT"
    if recorded.is_file():
        return recorded.read_text(encoding="utf-8").strip() + " (recorded by gpu_wheels.sh)"
    return "unknown (no git metadata)"


def device_facts() -> dict[str, Any]:
    import torch

    facts: dict[str, Any] = {"cuda": torch.cuda.is_available(), "torch_cuda": torch.version.cuda}
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        facts.update(name=props.name, total_gib=round(props.total_memory / 2**30, 1),
                     capability=f"{props.major}.{props.minor}", count=torch.cuda.device_count())
    else:
        facts.update(name=f"CPU ({platform.processor() or platform.machine()}), "
                     f"{torch.get_num_threads()} torch threads")
    return facts


def now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(rows: list[tuple[str, Any]]) -> str:
    lines = ["| what | value |", "| --- | --- |"]
    lines += [f"| {k} | {_cell(v)} |" for k, v in rows]
    return "\n".join(lines)


class Report:
    """Sections of the check, each a status, some key figures and free notes; written as markdown."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self.header = header
        self.sections: dict[str, dict[str, Any]] = {}

    def add(self, key: str, title: str, status: str, data: dict[str, Any],
            rows: list[tuple[str, Any]], notes: list[str] | None = None) -> None:
        self.sections[key] = {"title": title, "status": status, "data": data, "rows": rows,
                              "notes": list(notes or [])}
        self.write()

    @property
    def ok(self) -> bool:
        return all(s["status"] == "ok" for s in self.sections.values())

    def render(self) -> str:
        h = self.header
        dry = h["scale"] != "2b"
        out = [
            f"# GPU check: Qwen2-VL-2B-Instruct shape{' (CPU dry run, scaled down)' if dry else ''}",
            "",
            "Produced by `benchmarks/gpu_check.py` (issue 16). Random weights: the figures are "
            "speed and memory, not accuracy; every output is forced to its full length.",
            "",
            table([
                ("date", h["date"]),
                ("command", f"`{h['command']}`"),
                ("device", h["device"].get("name")),
                ("GPU memory (GiB)", h["device"].get("total_gib", "-")),
                ("CUDA (torch build)", h["device"].get("torch_cuda") or "-"),
                ("git commit", h["commit"]),
                ("scale", h["scale"]),
                ("overall", "ok" if self.ok else "FAILED (see sections)"),
                ("wall time so far (s)", h.get("elapsed_s", 0.0)),
            ]),
            "",
            "## Versions",
            "",
            table(sorted(h["versions"].items())),
        ]
        if "lock_differences" in h:
            diff = h["lock_differences"]
            out += ["", "Not the lock's version (constraints.txt): " + (
                "; ".join(f"{k} {v}" for k, v in sorted(diff.items())) if diff else "none.")]
        for s in self.sections.values():
            out += ["", f"## {s['title']}", "", f"status: **{s['status']}**", "", table(s["rows"])]
            if s["notes"]:
                out += [""] + [f"- {n}" for n in s["notes"]]
        raw = {"header": h, "sections": {k: {"status": s["status"], "data": s["data"]}
                                         for k, s in self.sections.items()}}
        out += ["", "<!-- raw -->", "```json", json.dumps(raw, indent=1, default=str), "```", ""]
        return "\n".join(out)

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(self.render(), encoding="utf-8")
        tmp.replace(self.path)


def read_raw(path: Path) -> dict[str, Any]:
    """The JSON block of a results file (for tests and comparisons)."""
    text = path.read_text(encoding="utf-8")
    block = text.split("<!-- raw -->", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    data: dict[str, Any] = json.loads(block)
    return data


def command_line(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return " ".join(["python3", "benchmarks/gpu_check.py", *args])
