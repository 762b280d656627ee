"""``results.json``: one run folder's numbers in one small file, for people and scripts.

The manifest says what ran and the records say what happened; neither holds an accuracy, so a
user who wants a run's number had to recompute it (lmms-eval writes a results file per run).
This file is derived, never a source: it is computed from the records with
:func:`othink_bench.metrics.summarize` (the same numbers the CLI table and the boards show),
written atomically with :func:`othink_bench.records.write_json_atomic`, and rewritten each time
a run (or a resumed run) stops. Delete it and rerun the command and it comes back identical.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from othink_bench.metrics import summarize
from othink_bench.records import (
    Manifest,
    ModelInfo,
    RunRecord,
    validation_detail,
    write_json_atomic,
)
from othink_bench.stats import Proportion, wilson

RESULTS_FILE = "results.json"
RESULTS_SCHEMA_VERSION = 1


class Rate(BaseModel):
    """A proportion ``k / n`` with its Wilson interval (``value``, ``low``, ``high`` in 0-1;
    None when ``n`` is 0)."""

    model_config = ConfigDict(extra="forbid")

    k: int
    n: int
    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, p: Proportion) -> Rate:
        def num(x: float) -> float | None:
            return None if x != x else x  # NaN (n == 0) -> None

        return cls(k=p.k, n=p.n, value=num(p.value), low=num(p.low), high=num(p.high))


class RunResults(BaseModel):
    """The numbers of one run folder, computed from its records."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = RESULTS_SCHEMA_VERSION
    run_id: str
    status: str = Field(description="the manifest's status when this was written")
    task: str
    task_version: str
    model: ModelInfo
    source: str
    split: str
    run_key: dict[str, Any] | None = Field(None, description="what the run folder's id hashes")
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="generation settings, seeds, limit, data, backend and the run's settings",
    )
    interval: str = "wilson 95%"
    n: int = Field(description="records (one per sample and draw)")
    scored: int = Field(description="the denominator: records less data errors")
    errors: int
    errors_by_kind: dict[str, int] = Field(default_factory=dict)
    n_samples: int
    draws: int = Field(description="draws per sample (k of pass@k)")
    accuracy: Rate
    lenient: Rate
    format_rate: Rate
    pass_at_k: Rate | None = None
    by_breakdown: dict[str, Rate] = Field(default_factory=dict)
    degenerate_outputs: int = Field(
        0, description="outputs that are empty or one character or token repeated ('!!!!')"
    )
    degenerate: bool = Field(
        False, description="most outputs are degenerate: a broken model (e.g. NaN weights), "
        "not a weak one; its accuracy says nothing about the method"
    )
    truncated: Rate | None = Field(
        None, description="outputs cut off at max_new_tokens, of the outputs whose records say "
        "(None: no record says; runs written before the field)"
    )
    think_open: Rate | None = Field(
        None, description="outputs that open a <think> and never close it, of all outputs"
    )
    budget_p95: int | None = Field(
        None, description="new tokens that held 95% of the outputs that stopped on their own"
    )
    truncation_warning: bool = Field(
        False, description="more than 5% of the outputs were cut off at the token budget"
    )
    prompt: str | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="the prompt variant (name@version) when it is not the paper prompt",
    )
    profiles: dict[str, Rate] | None = Field(
        default=None, exclude_if=lambda v: v is None,
        description="accuracy under each scoring profile the records hold, beside the strict "
        "`accuracy` (run --profile; `direct` prompts are read by free-form)",
    )


def compute_results(manifest: Manifest, records: Iterable[RunRecord]) -> RunResults:
    """A run's results from its manifest (what ran) and its records (what happened)."""
    budget = manifest.generation.get("max_new_tokens")
    budget = budget if isinstance(budget, int) and not isinstance(budget, bool) else None
    m = summarize(records, max_new_tokens=budget)
    t = m.truncation
    extra = manifest.model_extra or {}
    settings: dict[str, Any] = {
        "generation": dict(manifest.generation),
        "seed": manifest.seed,
        "data_seed": manifest.data_seed,
        "limit": manifest.limit,
        "data": manifest.data,
        "backend": manifest.backend,
    }
    for key in ("selection", "settings"):
        if isinstance(extra.get(key), dict):
            settings[key] = extra[key]
    run_key = extra.get("run_key")
    return RunResults(
        run_id=manifest.run_id,
        status=manifest.status,
        task=manifest.task,
        task_version=manifest.task_version,
        model=manifest.model,
        source=manifest.source,
        split=manifest.split,
        run_key=run_key if isinstance(run_key, dict) else None,
        settings=settings,
        n=m.n,
        scored=m.scored,
        errors=m.errors,
        errors_by_kind=m.errors_by_kind,
        n_samples=m.n_samples,
        draws=m.k,
        accuracy=Rate.of(m.accuracy),
        lenient=Rate.of(m.lenient),
        format_rate=Rate.of(m.format_rate),
        pass_at_k=Rate.of(m.pass_at_k) if m.pass_at_k is not None else None,
        by_breakdown={label: Rate.of(p) for label, p in m.by_breakdown.items()},
        degenerate_outputs=m.degenerate,
        degenerate=m.is_degenerate,
        truncated=Rate.of(wilson(t.truncated, t.known)) if t.known else None,
        think_open=Rate.of(wilson(t.think_open, t.with_text)) if t.with_text else None,
        budget_p95=t.budget_p95,
        truncation_warning=t.warn,
        prompt=_prompt_tag(extra.get("prompt")),
        profiles={name: Rate.of(p) for name, p in m.profiles.items()} or None,
    )


def _prompt_tag(info: object) -> str | None:
    """``name@version`` of a manifest's prompt block, None for the paper prompt (or none)."""
    if not isinstance(info, dict) or info.get("name") in (None, "paper"):
        return None
    return f"{info['name']}@{info.get('version', '1')}"


def write_results(run_dir: Path, manifest: Manifest, records: Iterable[RunRecord]) -> RunResults:
    """Compute and write ``run_dir/results.json`` (atomically); returns what was written."""
    results = compute_results(manifest, records)
    write_json_atomic(Path(run_dir) / RESULTS_FILE, results.model_dump(mode="json"))
    return results


def read_results(run_dir: Path) -> RunResults:
    """A run's ``results.json``; a damaged one is a ValueError naming the file and the fix."""
    path = Path(run_dir) / RESULTS_FILE
    try:
        return RunResults.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise ValueError(
            f"{path}: not a valid results file ({validation_detail(exc)}); delete it and rerun "
            "the command that made the run (it is recomputed from records.jsonl)"
        ) from None
