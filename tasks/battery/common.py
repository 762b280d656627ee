"""Small helpers the battery's tasks share: the options block, the paper's prompt, and the
typed-answer metadata of a sample (ANSWERS.md policy 1.2). The task base class, with loading,
prompt variants and scoring, is :class:`tasks.battery.benchmark.BenchmarkTask`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from othink_bench.answers.choices import letter
from othink_bench.task import PROMPT_SUFFIX, Sample

PromptBuilder = Callable[[Sample], str]


def options_block(options: Sequence[str]) -> str:
    """Options as the benchmarks list them: ``(A) text`` one per line."""
    return "\n".join(f"({letter(i)}) {o}" for i, o in enumerate(options))


def paper_prompt(sample: Sample) -> str:
    """The question, its options, and the paper's think/answer suffix."""
    opts = sample.meta.get("options") or []
    body = sample.question.strip()
    if opts:
        body = f"{body}\nChoices:\n{options_block(opts)}"
    return f"{body}\n{PROMPT_SUFFIX}"


def typed_meta(answer_type: str, options: Sequence[str] = (), precision: int | None = None,
               unit: str | None = None, **extra: Any) -> dict[str, Any]:
    """The typed-answer metadata of a sample (the contract of :class:`Sample`)."""
    return {"answer_type": answer_type, "options": list(options), "precision": precision,
            "unit": unit, **extra}
