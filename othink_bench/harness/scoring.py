"""From a sample and a generation to a record: scoring, per-sample error records, and the
error-rate guard that stops a run whose samples fail wholesale."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from othink_bench.backends.base import GenResult
from othink_bench.harness.settings import HarnessError, TooManyErrors
from othink_bench.records import ProfileScore, RunRecord
from othink_bench.task import DEFAULT_PROMPT, Sample, Task
from othink_bench.truncation import think_left_open

#: The error-rate guard looks only after this many samples, so one early failure is not fatal.
ERROR_MIN_SAMPLES = 20

ERROR_HINTS = {
    "image": "images are missing or unreadable: check --data and --image-root",
    "generation": "the backend fails to generate: check the model, device or endpoint",
    "gold": "gold answers cannot be verified: is --data the right file for this task?",
    "data": "rows of the data file are malformed: check --data",
    "encoding": "rows of the data file are not valid UTF-8 text: re-save --data as UTF-8",
    "image_path": "image paths point outside the data folder: set --image-root "
    "(or --allow-outside-images)",
    "prompt_too_long": "prompts exceed the model's context: lower --max-new-tokens or use a "
    "model with a longer context",
    "serialization": "records cannot be written: see the error",
    "score": "the task's scorer raised: a bug in the task",
    "response_too_large": "the endpoint's answers pass the size cap (64 bytes per max_tokens "
    "+ 1 MiB): it ignores max_tokens; fix the server",
}


@dataclass
class Item:
    index: int
    sample: Sample
    k: int
    prompt_hash: str | None = None


class ErrorGuard:
    """Counts a shard's scored and errored records; stops the run past ``max_errors``."""

    def __init__(self, task: Task, max_errors: float, expected: int = ERROR_MIN_SAMPLES) -> None:
        self.task = task
        self.max_errors = max_errors
        self.expected = expected  # records in this shard's scope: all failing stops a small run
        self.total = 0
        self.kinds: Counter[str] = Counter()
        self.first: dict[str, str] = {}

    def add(self, record: RunRecord) -> None:
        self.total += 1
        if record.error is not None:
            kind = record.error_kind or "other"
            self.kinds[kind] += 1
            self.first.setdefault(kind, record.error)

    def check(self) -> None:
        errors = sum(self.kinds.values())
        if errors <= self.max_errors * self.total:
            return
        everything = self.total >= min(self.expected, ERROR_MIN_SAMPLES) and errors == self.total
        if self.total < ERROR_MIN_SAMPLES and not everything:
            return
        kind, count = self.kinds.most_common(1)[0]
        by_kind = ", ".join(f"{k}: {v}" for k, v in self.kinds.most_common())
        hint = ERROR_HINTS.get(kind, "see the error")
        raise TooManyErrors(
            f"stopping task {self.task.id}: {errors} of {self.total} samples failed ({by_kind}), "
            f"more than --max-errors {self.max_errors:g}. Most are {kind} errors - {hint}. "
            f"First {kind} error: {self.first[kind]}. Records so far are kept; fix the cause and "
            "rerun the same command to redo the failed samples (or raise --max-errors)."
        )


def record_profiles(task: Task, profiles: Sequence[str]) -> tuple[str, ...]:
    """The profiles a run's records hold: those asked for, and the prompt variant's own
    (``direct`` is read by ``free-form``); never ``strict``, which is the record's own verdict."""
    names = [p for p in profiles if p != "strict"]
    own = task.prompt_info.scored_by
    if own != "strict" and own not in names:
        names.append(own)
    return tuple(names)


def check_profiles(tasks: Sequence[Task], profiles: Sequence[str]) -> None:
    """Refuse, before any model loads, a profile no registry entry has (the message lists
    them), including a prompt variant's own profile that is not installed."""
    from othink_bench.answers.peers import resolve_profile

    for task in tasks:
        for name in record_profiles(task, profiles):
            try:
                resolve_profile(name)
            except ValueError as exc:
                why = (f" (prompt {task.prompt_variant} of task {task.id} is scored by it)"
                       if name == task.prompt_info.scored_by else "")
                raise HarnessError(f"{exc}{why}") from None


def profile_scores(
    task: Task, sample: Sample, text: str, profiles: Sequence[str]
) -> dict[str, ProfileScore] | None:
    """Each profile's verdict on ``text``; a profile that fails gives an ``error``, not a score."""
    if not profiles:
        return None
    from othink_bench.answers.peers import resolve_profile

    out: dict[str, ProfileScore] = {}
    for name in profiles:
        try:
            v = resolve_profile(name).score(task, sample, text)
        except Exception as exc:  # a peer scorer's failure is this sample's, reported
            out[name] = ProfileScore(error=f"{type(exc).__name__}: {exc}")
            continue
        out[name] = ProfileScore(
            extracted=v.extracted, correct=bool(v.correct), non_answer=v.non_answer
        )
    return out


def make_record(item: Item, task: Task, **fields: Any) -> RunRecord:
    try:
        breakdown = task.breakdown(item.sample)
    except Exception:  # a breakdown is a label for grouping; a bad sample just has none
        breakdown = ""
    return RunRecord(
        sample_id=item.sample.id,
        index=item.index,
        task=task.id,
        task_version=task.version,
        k=item.k,
        gold=item.sample.gold,
        breakdown=breakdown,
        prompt_hash=item.prompt_hash,
        prompt=None if task.prompt_variant == DEFAULT_PROMPT else task.prompt_info.tag,
        **fields,
    )


def scored(
    item: Item,
    task: Task,
    text: str,
    tokens: int | None,
    latency: float | None,
    profiles: Sequence[str] = (),
) -> RunRecord:
    try:
        score = task.score(text, item.sample)
    except Exception as exc:  # a scorer bug is reported per sample and counted by the guard
        return make_record(
            item,
            task,
            output=text,
            error=f"scoring failed: {exc!r}",
            error_kind="score",
            tokens=tokens,
            latency_s=latency,
        )
    return make_record(
        item,
        task,
        output=text,
        extracted=score.extracted,
        correct=score.correct,
        lenient_extracted=score.lenient_extracted,
        lenient_correct=score.lenient_correct,
        format_ok=score.format_ok,
        error=score.error,
        error_kind="gold" if score.error else None,
        tokens=tokens,
        latency_s=latency,
        profiles=None if score.error else profile_scores(task, item.sample, text, profiles),
    )


def precheck(item: Item, task: Task) -> RunRecord | None:
    """A record for a sample that cannot be generated for (bad row, unverifiable gold)."""
    meta_error = item.sample.meta.get("error") if item.sample.meta else None
    if meta_error:
        kind = str(item.sample.meta.get("error_kind") or "data")
        return make_record(item, task, error=str(meta_error), error_kind=kind)
    try:
        task.check_gold(item.sample.gold)
    except ValueError as exc:
        return make_record(
            item,
            task,
            error=f"gold answer {item.sample.gold!r} cannot be verified: {exc}",
            error_kind="gold",
        )
    return None


def result_record(
    item: Item, task: Task, result: GenResult, profiles: Sequence[str] = ()
) -> RunRecord:
    """The record of one generation: scored, or a ``generation`` error."""
    if result.error is not None or result.text is None:
        record = make_record(
            item,
            task,
            output=result.text,
            error=result.error or "backend returned no text",
            error_kind=result.error_kind or "generation",
            tokens=result.tokens,
            latency_s=result.latency_s,
        )
    else:
        record = scored(item, task, result.text, result.tokens, result.latency_s, profiles)
    if result.think_from:  # the endpoint split the reasoning; we rebuilt it
        record.think_from = result.think_from
    record.truncated = result.truncated
    record.think_open = think_left_open(record.output)
    return record
