"""The manifest of a run: what ran, with what software on what hardware, and how it ended
(``running``, then ``complete``, ``aborted``, ``interrupted`` or ``failed``)."""

from __future__ import annotations

import datetime as _dt
import functools
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from othink_bench.harness.identity import RunIdentity, abs_path
from othink_bench.harness.scoring import record_profiles
from othink_bench.harness.sharding import Dist
from othink_bench.records import MANIFEST_FILE, Manifest, read_manifest, write_manifest

_PACKAGES = (
    "othink-bench",
    "torch",
    "transformers",
    "trl",
    "accelerate",
    "datasets",
    "vllm",
    "pillow",
    "numpy",
    "tokenizers",
)


@functools.lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    if "othink-bench" not in out:
        from othink_bench import __version__

        out["othink-bench"] = __version__
    return out


@functools.lru_cache(maxsize=1)
def git_revision() -> str | None:
    """The source tree's commit (``+dirty`` when it has uncommitted changes), if it is a repo."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def hardware_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        cuda = bool(torch.cuda.is_available())
        info["cuda"] = cuda
        if cuda:
            info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return info


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def write_run_manifest(
    run: RunIdentity, dist: Dist, n_samples: int, status: str, *, finished: str | None = None,
    **extra: Any,
) -> None:
    """Write the manifest of ``run`` (main process only), merged with what it already says.

    ``finished``: the time to record instead of now (a run met again that generated nothing
    keeps the time its records were made)."""
    if not dist.main:
        return
    s = run.settings
    old: Manifest | None = None
    if (run.run_dir / MANIFEST_FILE).exists():
        try:
            old = read_manifest(run.run_dir)
        except ValueError:
            old = None
    limit = n_samples if s.limit is not None and s.selection.is_prefix else None
    if old is not None:
        if not s.selection.is_prefix:
            limit = old.limit
        else:
            limit = None if (old.limit is None or limit is None) else max(old.limit, limit)
        n_samples = max(n_samples, old.n_samples or 0)
    previous = old.model_dump() if old is not None else {}
    manifest = Manifest(
        **{k: v for k, v in previous.items() if k not in Manifest.model_fields},
        run_id=run.run_id,
        model=run.model_info,
        task=run.task.id,
        task_version=run.task.version,
        source=run.source,
        split=s.split,
        data=abs_path(s.data),
        limit=limit,
        generation=run.generation,
        seed=s.seed,
        data_seed=s.data_seed,
        backend=run.backend.name,
        packages=package_versions(),
        git_revision=git_revision(),
        hardware=hardware_info(),
        started=old.started if old is not None and old.started else now(),
        finished=None if status == "running" else finished or now(),
        n_samples=n_samples,
        status=status,
    )
    data = manifest.model_dump(mode="json")
    data.update(
        image_root=abs_path(s.image_root),
        run_key=run.key,
        prompt=run.task.prompt_info.info(),
        profiles=list(record_profiles(run.task, s.profiles)),
        settings={
            "batch_size": s.batch_size,
            "max_errors": s.max_errors,
            "world_size": dist.world,
            "retry_errors": s.retry_errors,
            "allow_outside_images": s.allow_outside_images,
        },
    )
    data.update(extra)
    if status == "running":
        data.pop("error", None)
    write_manifest(run.run_dir, Manifest.model_validate(data))
