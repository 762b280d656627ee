"""Outputs cut off at the token budget, and ``<think>`` blocks left open.

A long reasoning that reaches ``max_new_tokens`` before its answer is scored as wrong, and a
reader of the accuracy alone cannot tell that from a wrong answer (R1-V issue #95). So every
record says, where the backend can know it, whether generation stopped at the budget
(``truncated``: the ``hf`` backend when no stop token came within ``max_new_tokens``; ``vllm``
and ``openai`` when the completion's ``finish_reason`` is ``"length"``) and whether the output
leaves a ``<think>`` open (``think_open``, read from the text by :func:`think_left_open`).

Per run, :func:`truncation_stats` counts both, and, for the outputs that did stop on their own,
the 95th percentile of their new-token counts: the budget that would have sufficed for 95% of
them. A run with more than :data:`TRUNCATION_WARN_SHARE` of its outputs cut off gets a warning
(:func:`truncation_warning`) under the run table and on the board. Records written before these
fields existed carry neither; they count as unknown, never as "not cut off".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: A run with more than this share of its known outputs cut off at the budget is named.
TRUNCATION_WARN_SHARE = 0.05
#: The share of the outputs that stopped on their own a suggested budget must hold.
BUDGET_QUANTILE = 0.95

_OPEN, _CLOSE = "<think>", "</think>"


def think_left_open(text: str | None) -> bool | None:
    """Whether ``text`` opens a ``<think>`` that no later ``</think>`` closes (``None``: no
    text). Tags are matched exactly, as the answer layer matches them."""
    if text is None:
        return None
    opened = text.rfind(_OPEN)
    return opened >= 0 and text.find(_CLOSE, opened + len(_OPEN)) < 0


def nearest_rank(values: Iterable[int], q: float = BUDGET_QUANTILE) -> int | None:
    """The nearest-rank ``q`` quantile: the smallest value at least ``q`` of ``values`` do not
    exceed (``None`` for no values). A budget of that many tokens holds ``q`` of them."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class TruncationStats:
    """One run's cut-off and open-think counts.

    ``known`` counts the outputs whose record says whether they were cut off; ``truncated`` how
    many of them were; ``with_text`` the outputs with text, ``think_open`` how many of those
    leave a ``<think>`` open; ``budget_p95`` the nearest-rank 95th percentile of the new-token
    counts of the outputs known to have stopped on their own (``None`` when there are none).
    """

    outputs: int = 0
    known: int = 0
    truncated: int = 0
    with_text: int = 0
    think_open: int = 0
    budget_p95: int | None = None
    max_new_tokens: int | None = None

    @property
    def truncated_share(self) -> float | None:
        return self.truncated / self.known if self.known else None

    @property
    def think_open_share(self) -> float | None:
        return self.think_open / self.with_text if self.with_text else None

    @property
    def warn(self) -> bool:
        """More than :data:`TRUNCATION_WARN_SHARE` of the known outputs were cut off."""
        share = self.truncated_share
        return share is not None and share > TRUNCATION_WARN_SHARE

    def as_dict(self) -> dict[str, Any]:
        return {
            "outputs": self.outputs,
            "truncation_known": self.known,
            "truncated": self.truncated,
            "truncated_share": self.truncated_share,
            "outputs_with_text": self.with_text,
            "think_open": self.think_open,
            "think_open_share": self.think_open_share,
            "budget_p95": self.budget_p95,
            "max_new_tokens": self.max_new_tokens,
            "truncation_warning": self.warn,
        }


def truncation_stats(records: Iterable[Any], max_new_tokens: int | None = None) -> TruncationStats:
    """Count cut-off and open-think outputs among ``records`` (one per sample and draw;
    anything with ``output``, ``tokens``, ``truncated`` and ``think_open``, as a RunRecord).

    ``think_open`` is taken from the record when it says, else read from the output, so old
    records count too; ``truncated`` only from the record (the text cannot tell)."""
    outputs = known = truncated = with_text = think_open = 0
    stopped: list[int] = []
    for r in records:
        if r.output is None:
            continue
        outputs += 1
        with_text += 1
        opened = r.think_open if r.think_open is not None else think_left_open(r.output)
        think_open += bool(opened)
        if r.truncated is None:
            continue
        known += 1
        if r.truncated:
            truncated += 1
        elif r.tokens is not None:
            stopped.append(r.tokens)
    return TruncationStats(
        outputs=outputs,
        known=known,
        truncated=truncated,
        with_text=with_text,
        think_open=think_open,
        budget_p95=nearest_rank(stopped),
        max_new_tokens=max_new_tokens,
    )


def rate_text(k: int, n: int) -> str:
    """``3.5`` (a percentage with one decimal), ``-`` when ``n`` is 0."""
    return "-" if n == 0 else f"{100 * k / n:.1f}"


def truncation_warning(name: str, stats: TruncationStats) -> str | None:
    """The warning line for a run with more than 5% of its outputs cut off, else ``None``."""
    if not stats.warn:
        return None
    budget = f" max_new_tokens {stats.max_new_tokens}" if stats.max_new_tokens else " the budget"
    if stats.budget_p95 is None:
        rest = "no output stopped on its own, so no budget can be suggested from this run"
    else:
        rest = (
            f"{stats.budget_p95} new tokens held 95% of the {stats.known - stats.truncated} "
            "outputs that stopped on their own"
        )
    return (
        f"warning: {name}: {stats.truncated} of {stats.known} outputs "
        f"({rate_text(stats.truncated, stats.known)}%) were cut off at{budget} and are scored "
        f"as given; {rest} (raise --max-new-tokens to score them)"
    )
