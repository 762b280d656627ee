"""Metrics as pure functions of run records.

Records are the source of truth (see :mod:`othink_bench.records`); every number shown by the
CLI, the trainers or the leaderboard is computed here from them, so a number can always be
recomputed from the files. The choices, stated once:

* ``n`` counts records (one per sample and draw ``k``); ``errors`` are records with an
  ``error`` (missing image, failed generation, unverifiable gold, bad data row).
* Errors that are facts of the data (:data:`EXCLUDED_ERROR_KINDS`: a missing or corrupt image,
  an unverifiable gold, a malformed row, a scorer failure) say nothing about the model and are
  left out of the denominators; a generation error is the model's (or its server's) failure
  and counts as a wrong answer. ``scored`` is the denominator: ``n`` minus excluded errors.
  The leaderboard applies the same rule, so the CLI table and the boards agree. The run's
  ``--max-errors`` guard stops runs where errors would dominate.
* Every proportion carries a Wilson interval (:func:`othink_bench.stats.wilson`).
* With K > 1 draws per sample, accuracy is the mean over draws and ``pass_at_k`` is the share
  of samples with at least one correct draw.
* ``degenerate`` counts outputs that are one character or one short unit repeated (``!!!!!!!!``,
  ``the the the the``) or empty: what a model with NaN weights or a broken tokenizer emits.
  When most outputs are so (:data:`DEGENERATE_SHARE`), the run is flagged as ``degenerate``
  (a broken model, not a weak one) in the run table and ``results.json``.
* ``truncation`` counts outputs cut off at the token budget and outputs that leave a ``<think>``
  open (:mod:`othink_bench.truncation`); they are scored as given, and named, never dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from othink_bench.records import RunRecord
from othink_bench.stats import Proportion, wilson
from othink_bench.truncation import TruncationStats, truncation_stats

#: Error kinds that are properties of the data, not the model: left out of every denominator.
EXCLUDED_ERROR_KINDS = frozenset({"image", "gold", "data", "score"})


def counts(record: RunRecord) -> bool:
    """Whether a record counts in accuracies (a generation error counts, as a wrong answer)."""
    return record.error is None or record.error_kind not in EXCLUDED_ERROR_KINDS


@dataclass(frozen=True)
class Metrics:
    """Summary of one task's records."""

    n: int
    scored: int
    errors: int
    accuracy: Proportion
    lenient: Proportion
    format_rate: Proportion
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    by_breakdown: dict[str, Proportion] = field(default_factory=dict)
    n_samples: int = 0
    k: int = 1
    pass_at_k: Proportion | None = None
    degenerate: int = 0  # outputs that are one character or unit repeated, or empty
    #: outputs cut off at the token budget, and outputs that leave a <think> open
    truncation: TruncationStats = field(default_factory=TruncationStats)
    #: accuracy under each scoring profile the records hold (``run --profile``; the prompt
    #: variant's own), over the same records as ``accuracy``; a record without that profile's
    #: verdict, or with its error, counts as wrong
    profiles: dict[str, Proportion] = field(default_factory=dict)

    @property
    def is_degenerate(self) -> bool:
        """Most of the outputs are degenerate (:func:`degenerate_output`): a broken model."""
        outputs = self.n - self.errors
        return outputs > 0 and self.degenerate >= DEGENERATE_SHARE * outputs

    def as_dict(self) -> dict[str, Any]:
        def p(x: Proportion | None) -> dict[str, Any] | None:
            if x is None:
                return None
            return {
                "k": x.k,
                "n": x.n,
                "value": _num(x.value),
                "low": _num(x.low),
                "high": _num(x.high),
            }

        return {
            "n": self.n,
            "scored": self.scored,
            "errors": self.errors,
            "errors_by_kind": dict(self.errors_by_kind),
            "accuracy": p(self.accuracy),
            "lenient": p(self.lenient),
            "format_rate": p(self.format_rate),
            "by_breakdown": {k: p(v) for k, v in self.by_breakdown.items()},
            "n_samples": self.n_samples,
            "k": self.k,
            "pass_at_k": p(self.pass_at_k),
            "degenerate_outputs": self.degenerate,
            "degenerate": self.is_degenerate,
            "truncation": self.truncation.as_dict(),
            **({"profiles": {k: p(v) for k, v in self.profiles.items()}} if self.profiles else {}),
        }


#: A run whose outputs are at least this share degenerate is flagged as a broken model.
DEGENERATE_SHARE = 0.9
_REPEATED_UNIT = re.compile(r"(.{1,8}?)\1{3,}", re.DOTALL)


def degenerate_output(text: str | None) -> bool:
    """Whether an output is empty or one character / unit of up to 8 repeated at least 4 times
    (whitespace ignored): ``!!!!!!!!``, ``<pad><pad><pad><pad>``, ``the the the the``."""
    if text is None:
        return False  # no output at all: an error record, counted as such
    squeezed = "".join(text.split())
    return not squeezed or _REPEATED_UNIT.fullmatch(squeezed) is not None


def _num(x: float) -> float | None:
    return None if math.isnan(x) else x


def _natural(label: str) -> list[Any]:
    """Sort key that puts count=3 before count=10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", label)]


def dedupe(records: Iterable[RunRecord]) -> list[RunRecord]:
    """One record per (sample_id, k): a later record replaces an earlier one (a retried error)."""
    by_key: dict[tuple[str, int], RunRecord] = {}
    for r in records:
        by_key[r.key] = r
    return list(by_key.values())


def summarize(
    records: Iterable[RunRecord], confidence: float = 0.95, max_new_tokens: int | None = None
) -> Metrics:
    """Accuracy (strict and lenient), format rate, errors, per-breakdown accuracy, and the
    outputs cut off at the token budget (``max_new_tokens``, when given, names it)."""
    recs = dedupe(records)
    scored = [r for r in recs if counts(r)]
    errors = [r for r in recs if r.error is not None]
    n_ok = len(scored)
    kinds = Counter(r.error_kind or "other" for r in errors)
    groups: dict[str, list[bool]] = defaultdict(list)
    for r in scored:
        if r.breakdown:
            groups[r.breakdown].append(r.correct)
    by_breakdown = {
        label: wilson(sum(v), len(v), confidence)
        for label, v in sorted(groups.items(), key=lambda kv: _natural(kv[0]))
    }
    samples = {r.sample_id for r in recs}
    k = max((r.k for r in recs), default=0) + 1
    pass_at_k = None
    if k > 1:
        any_right: dict[str, bool] = {}
        for r in scored:
            any_right[r.sample_id] = any_right.get(r.sample_id, False) or r.correct
        pass_at_k = wilson(sum(any_right.values()), len(any_right), confidence)
    return Metrics(
        n=len(recs),
        scored=n_ok,
        errors=len(errors),
        accuracy=wilson(sum(r.correct for r in scored), n_ok, confidence),
        lenient=wilson(sum(r.lenient_correct for r in scored), n_ok, confidence),
        format_rate=wilson(sum(r.format_ok for r in scored), n_ok, confidence),
        errors_by_kind=dict(sorted(kinds.items())),
        by_breakdown=by_breakdown,
        n_samples=len(samples),
        k=k,
        pass_at_k=pass_at_k,
        degenerate=sum(degenerate_output(r.output) for r in recs if r.error is None),
        truncation=truncation_stats(recs, max_new_tokens),
        profiles=profile_accuracy(scored, confidence),
    )


def profile_accuracy(scored: list[RunRecord], confidence: float = 0.95) -> dict[str, Proportion]:
    """Accuracy under each scoring profile named in the records (empty when none is)."""
    names = sorted({name for r in scored for name in (r.profiles or {})})
    out = {}
    for name in names:
        right = 0
        for r in scored:
            got = (r.profiles or {}).get(name)
            right += bool(got is not None and got.error is None and got.correct)
        out[name] = wilson(right, len(scored), confidence)
    return out


def pct(p: Proportion, digits: int = 1) -> str:
    """``42.5`` (a proportion as a percentage), ``-`` when undefined."""
    return "-" if p.n == 0 else f"{100 * p.value:.{digits}f}"


def pct_ci(p: Proportion, digits: int = 1) -> str:
    """``42.5 [35.9, 49.4]``: a percentage with its interval."""
    if p.n == 0:
        return "-"
    return f"{100 * p.value:.{digits}f} [{100 * p.low:.{digits}f}, {100 * p.high:.{digits}f}]"


def error_summary(m: Metrics) -> str:
    """``3 (image 2, generation 1)`` or ``0``."""
    if not m.errors:
        return "0"
    return f"{m.errors} (" + ", ".join(f"{k} {v}" for k, v in m.errors_by_kind.items()) + ")"


@dataclass(frozen=True)
class Pairing:
    """Two runs' records aligned on the (sample_id, k) pairs both scored."""

    keys: list[tuple[str, int]]
    a: list[RunRecord]
    b: list[RunRecord]
    only_in_a: int  # counted in A, absent from B or a data error there
    only_in_b: int


def pair_records(a: Iterable[RunRecord], b: Iterable[RunRecord]) -> Pairing:
    """Align two runs on the (sample_id, k) keys both count (see :func:`counts`), in order."""
    ra = {r.key: r for r in dedupe(a) if counts(r)}
    rb = {r.key: r for r in dedupe(b) if counts(r)}
    shared = sorted(ra.keys() & rb.keys(), key=lambda key: (ra[key].index, key[1], key[0]))
    return Pairing(
        keys=shared,
        a=[ra[key] for key in shared],
        b=[rb[key] for key in shared],
        only_in_a=len(ra.keys() - rb.keys()),
        only_in_b=len(rb.keys() - ra.keys()),
    )
