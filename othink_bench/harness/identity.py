"""Run identity: what a run's results depend on, the run id and folder name, and the model.

The run id hashes the model's identity (a content fingerprint of a local checkpoint, or hub id
and revision), backend and dtype, task id and version, source, split, data path, generation
settings, sampling seed and data seed, and the prompt variant when it is not ``paper`` - but *not* the selection (``limit``, ``offset``,
``sample_ids``), so a larger selection extends a smaller run instead of starting over. The folder
is ``<model>--<task>-v<version>-<hash>``.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from othink_bench.backends.base import Backend, digest, resolve_model_path
from othink_bench.harness.settings import HarnessError, RunSettings
from othink_bench.records import MANIFEST_FILE, ModelInfo
from othink_bench.task import DEFAULT_PROMPT, Task

RUN_ID_SCHEMA = 1


def resolve_source(task: Task, settings: RunSettings) -> str:
    """The source a task reads: explicit, else ``local`` with ``--data``, else the task's default
    (the hub for the training split of a task that has one)."""
    if settings.source:
        if task.sources and settings.source not in task.sources:
            raise HarnessError(
                f"task {task.id} has no {settings.source!r} source; it has "
                f"{', '.join(task.sources)}"
            )
        return settings.source
    if settings.data:
        return "local"
    if settings.split == "train" and "hub" in task.sources:
        return "hub"
    return task.default_source


def generation_settings(task: Task, settings: RunSettings) -> dict[str, Any]:
    do_sample = settings.temperature > 0
    return {
        "max_new_tokens": settings.max_new_tokens or task.max_new_tokens,
        "do_sample": do_sample,
        "temperature": settings.temperature,
        "top_p": settings.top_p if do_sample else 1.0,
        "samples": settings.samples,
    }


def abs_path(path: str | None) -> str | None:
    return str(Path(path).expanduser().resolve()) if path else None


def run_key(
    identity: dict[str, Any],
    task: Task,
    settings: RunSettings,
    source: str,
    model_info: ModelInfo | None = None,
) -> dict[str, Any]:
    """Everything that determines a run's results (what the run id hashes).

    A trained checkpoint's provenance (method, train task, step, training seed, swept
    settings) is part of the key: two trainings that happen to end with identical weights
    (a sweep of a setting that did not change them, say) are still two cells of a matrix.
    """
    key: dict[str, Any] = {
        "schema": RUN_ID_SCHEMA,
        "backend": identity,
        "task": task.id,
        "task_version": task.version,
        "source": source,
        "split": settings.split,
        "data": abs_path(settings.data),
        "image_root": abs_path(settings.image_root),
        "generation": generation_settings(task, settings),
        "seed": settings.seed,
    }
    # Before data_seed existed the one seed chose both; a run whose seeds agree keeps its id.
    if settings.data_seed != settings.seed:
        key["data_seed"] = settings.data_seed
    # The paper prompt is what every run before prompt variants used: it adds nothing, so
    # those runs keep their ids; any other variant (name and version) is a run of its own.
    if task.prompt_variant != DEFAULT_PROMPT:
        key["prompt"] = task.prompt_info.tag
    if model_info is not None:
        provenance = {
            k: getattr(model_info, k)
            for k in ("method", "train_task", "step", "train_seed", "sweep")
            if getattr(model_info, k) is not None
        }
        if provenance:
            key["provenance"] = provenance
    return key


def _slug(text: str, limit: int = 40) -> str:
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text)
    text = re.sub(r"-{2,}", "-", text).strip("._-")  # "--" separates model from task
    return (text or "model")[:limit].strip("._-") or "model"


def model_slug(model: str) -> str:
    """A readable name for a model spec: the folder name (with its parent for checkpoint-N)."""
    parts = [p for p in re.split(r"[\\/]+", model.rstrip("/\\")) if p]
    if not parts:
        return "model"
    if len(parts) > 1 and re.fullmatch(r"checkpoint-\d+", parts[-1]):
        return _slug(f"{parts[-2]}_{parts[-1]}")
    return _slug(parts[-1])


def make_run_id(task_id: str, model: str, key: dict[str, Any]) -> str:
    """``<model>--<task>-v<version>-<hash>``: readable, unique for what determines the
    results, and unambiguous (``--`` occurs only between the model and the task)."""
    version = _slug(str(key.get("task_version", "")), 12)
    return f"{model_slug(model)}--{_slug(task_id, 24)}-v{version}-{digest(key, 10)}"


def find_run_id(root: Path, run_id: str) -> str:
    """An existing run with the same hash under another readable name (a renamed checkpoint
    folder, a model passed by another path) is the same run; else ``run_id`` itself."""
    if (root / run_id).is_dir():
        return run_id
    hash_part = run_id.rsplit("-", 1)[1]
    matches = sorted(p.name for p in root.glob(f"*-{hash_part}") if (p / MANIFEST_FILE).exists())
    return matches[0] if matches else run_id


def identify_model(model: str, backend: Backend, given: ModelInfo | None) -> ModelInfo:
    """The model's :class:`ModelInfo` for the manifest: the given one, completed with the
    checkpoint's path and its fingerprint (or hub revision)."""
    info = given.model_copy() if given is not None else ModelInfo.model_validate({"name": model})
    identity = backend.identity().get("model")
    path = None
    if backend.name in ("hf", "vllm"):
        with contextlib.suppress(OSError):
            resolved = resolve_model_path(model)
            path = str(resolved) if resolved is not None else None
    updates: dict[str, Any] = {}
    if info.path is None and path is not None:
        updates["path"] = path
    if info.revision is None and isinstance(identity, dict):
        updates["revision"] = identity.get("fingerprint") or identity.get("revision")
    return info.model_copy(update=updates) if updates else info


@dataclass(frozen=True)
class RunIdentity:
    """Who and what one task's run is: the names every stage of the run refers to."""

    task: Task
    backend: Backend
    model: str
    model_info: ModelInfo
    settings: RunSettings
    source: str
    generation: dict[str, Any]
    key: dict[str, Any]
    run_id: str
    run_dir: Path

    @classmethod
    def of(
        cls, task: Task, backend: Backend, model: str, info: ModelInfo, settings: RunSettings
    ) -> RunIdentity:
        source = resolve_source(task, settings)
        key = run_key(backend.identity(), task, settings, source, info)
        run_id = find_run_id(Path(settings.out), make_run_id(task.id, model, key))
        return cls(
            task=task,
            backend=backend,
            model=model,
            model_info=info,
            settings=settings,
            source=source,
            generation=generation_settings(task, settings),
            key=key,
            run_id=run_id,
            run_dir=Path(settings.out) / run_id,
        )
