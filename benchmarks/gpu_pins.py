"""Which packages ``benchmarks/gpu_wheels.sh`` carries to the GPU machine, at the lock's versions.

The GPU machine has its own torch (a CUDA build), transformers 5.17, accelerate, torchvision,
numpy, pandas, pyarrow, scipy and peft, but not trl or datasets, and one command may carry at
most 64 MiB. What is carried is every runtime requirement of othink-bench, followed through
the installed packages' metadata, except what the machine has (:data:`ON_MACHINE`: too large
to carry, or already required alike by its transformers), each pinned to its version in ``constraints.txt``, the lock that the CPU
suite and the dry run passed on. A hand-kept list went stale when transformers 5.25 began to
require huggingface-hub 2.4 (and with it httpx2) and kernels, which the machine's 5.17 did not.

    python benchmarks/gpu_pins.py [--lock constraints.txt]   # one NAME==VERSION a line
    python benchmarks/gpu_pins.py --metadata-only .whl/othink_bench-*.whl
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "othink-bench"  # carried as a metadata-only wheel (see metadata_only)
#: On the GPU machine already, and too large to carry (torch alone is GBs): the machine's own
#: builds are used. torch's own requirements are among them: they come with its install.
TOO_LARGE = frozenset({
    "torch", "numpy", "pandas", "pyarrow", "scipy", "pillow", "sympy", "mpmath", "networkx",
    "jinja2", "markupsafe", "setuptools", "python-dateutil", "tzdata",
    "matplotlib", "contourpy", "cycler", "fonttools", "kiwisolver", "pyparsing",
})
#: Requirements of the machine's transformers 5.17 (its wheel's METADATA) that the locked
#: transformers asks for with the same specifier: a consistent 5.17 install already satisfies
#: them, so they stay (carrying them all would pass the 64 MiB). tests/test_gpu_check.py checks
#: that the installed transformers still asks for exactly these; typer's own requirements come
#: with typer. huggingface-hub (5.17: >=1.5,<2; 5.25: >=2.4,<3) and kernels (new in 5.25) differ,
#: so they are carried.
WITH_TRANSFORMERS_5_17 = {
    "packaging": ">=20.0", "pyyaml": ">=5.1", "regex": ">=2025.10.22",
    "tokenizers": "<0.24.0,>=0.23.1", "typer": "", "safetensors": ">=0.8.0", "tqdm": ">=4.60",
}
TYPER_REQUIREMENTS = frozenset({"rich", "shellingham", "annotated-doc", "pygments",
                                "markdown-it-py", "mdurl"})
ON_MACHINE = TOO_LARGE | frozenset(WITH_TRANSFORMERS_5_17) | TYPER_REQUIREMENTS


class LockError(ValueError):
    """The lock lacks a pin for a package that must be carried."""


def read_lock(path: Path) -> dict[str, str]:
    """``name -> version`` of each ``name==version`` line (comments and blanks skipped)."""
    pins: dict[str, str] = {}
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not version.strip():
            raise LockError(f"{path}:{n}: {raw!r} is not NAME==VERSION")
        pins[canonicalize_name(name.strip())] = version.strip()
    return pins


def runtime_closure(root: str = PROJECT) -> list[str]:
    """Canonical names of ``root`` and everything it needs at run time (no extras), as
    installed in this environment."""
    seen: set[str] = set()
    todo = [canonicalize_name(root)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed here (a marker excluded it): nothing to follow
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(req.name))
    return sorted(seen)


def carried_pins(lock: Path) -> list[str]:
    """``name==version`` of each package to carry, from the lock; a missing pin is an error."""
    pins = read_lock(lock)
    names = [n for n in runtime_closure() if n != PROJECT and n not in ON_MACHINE]
    missing = [n for n in names if n not in pins]
    if missing:
        raise LockError(
            f"{lock} has no pin for {', '.join(missing)}, needed on the GPU machine; regenerate "
            "the lock (scripts/lockfile.py) from an environment set up with scripts/setup.sh")
    return [f"{n}=={pins[n]}" for n in names]


def metadata_only(wheel: Path) -> None:
    """Keep only the ``*.dist-info`` of a wheel, in place.

    On the GPU machine the project's code comes from the working tree that travels with the
    command (``gpu_check.py`` puts it first on ``sys.path``); the wheel is there for the
    distribution's metadata: its version and the ``othink_bench.tasks`` entry point. Its
    package files (the bundled tiny checkpoint alone is 9 MiB) would only be shadowed, and
    would not fit in the 64 MiB one command may carry.
    """
    import zipfile

    with zipfile.ZipFile(wheel) as zin:
        kept = [(i, zin.read(i)) for i in zin.infolist() if ".dist-info/" in i.filename]
    if not any(i.filename.endswith("/entry_points.txt") for i, _ in kept):
        raise LockError(f"{wheel}: no entry_points.txt in its .dist-info")
    record = next(i.filename for i, _ in kept if i.filename.endswith("/RECORD"))
    lines = "".join(f"{i.filename},,\n" for i, _ in kept)
    tmp = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in kept:
            zout.writestr(info, lines.encode() if info.filename == record else data)
    tmp.replace(wheel)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "constraints.txt")
    parser.add_argument("--metadata-only", type=Path, metavar="WHEEL",
                        help="instead: strip a wheel of this project to its .dist-info")
    args = parser.parse_args(argv)
    try:
        if args.metadata_only:
            metadata_only(args.metadata_only)
            return 0
        print("\n".join(carried_pins(args.lock)))
    except (LockError, OSError) as exc:
        print(f"gpu_pins: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
