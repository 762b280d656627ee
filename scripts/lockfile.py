"""Write or check constraints.txt, the lock of the versions the test suite last passed on.

    python scripts/lockfile.py write VENV_PYTHON   # rewrite constraints.txt from that venv
    python scripts/lockfile.py diff VENV_PYTHON    # what that venv has that the lock does not

``write`` takes ``pip freeze`` of a venv that passed ``scripts/test.sh`` (made with
``OTHINK_UNLOCKED=1``, so it holds the newest allowed versions), drops the project itself and
torch's local build label (``2.13.0+cpu`` is locked as ``2.13.0``, which both the CPU and the CUDA
build satisfy), and keeps the header. ``diff`` is what ``.ci/run --latest`` prints after its
tests: every package whose version differs from the lock, or that the lock does not name.
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import datetime
import platform
import re
import subprocess
import sys
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "constraints.txt"
PROJECT = "othink-bench"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def freeze(python: str) -> dict[str, str]:
    out = subprocess.run(
        [python, "-m", "pip", "freeze", "--all", "--exclude-editable"],
        check=True, capture_output=True, text=True,
    ).stdout
    pins: dict[str, str] = {}
    for line in out.splitlines():
        if "==" not in line or line.startswith(("#", "-e ")):
            continue
        name, version = line.split("==", 1)
        if canonical(name) in {PROJECT, "pip", "wheel"}:
            continue
        pins[canonical(name)] = version.split("+", 1)[0] if canonical(name) == "torch" else version
    return pins


def read_lock(path: Path = LOCK) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, version = line.split("==", 1)
        pins[canonical(name)] = version.strip()
    return pins


def write(python: str) -> None:
    pins = freeze(python)
    version = subprocess.run([python, "--version"], capture_output=True, text=True).stdout.strip()
    header = [
        "# The lock: the exact versions `scripts/test.sh` last passed on, used as pip constraints by",
        "# scripts/setup.sh and .ci/run (OTHINK_UNLOCKED=1 or `.ci/run --latest` install without it).",
        f"# Written by scripts/lockfile.py on {datetime.date.today()} from {version},",
        f"# {platform.system()} {platform.machine()}; for Python 3.11+ (numpy, pandas and scipy here need it).",
        "# torch is locked without its build label: setup.sh takes the CPU build where there is no GPU.",
    ]
    lines = [f"{name}=={pins[name]}" for name in sorted(pins)]
    LOCK.write_text("\n".join(header + lines) + "\n")
    print(f"lockfile: wrote {len(lines)} pins to {LOCK}")


def diff(python: str) -> int:
    locked, have = read_lock(), freeze(python)
    changed = [(n, locked.get(n, "-"), have.get(n, "-")) for n in sorted(set(locked) | set(have))
               if locked.get(n) != have.get(n)]
    if not changed:
        print("lockfile: the environment has exactly the locked versions")
        return 0
    print(f"lockfile: {len(changed)} packages differ from constraints.txt (locked -> installed):")
    for name, old, new in changed:
        print(f"  {name}: {old} -> {new}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in {"write", "diff"}:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "write":
        write(argv[1])
        return 0
    return diff(argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
