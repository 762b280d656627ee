"""Reward functions for TRL trainers, built from a task's own verifier.

TRL calls a reward as ``f(prompts=..., completions=..., **columns) -> list[float]``, passing every
dataset column by name. Training datasets built by this project carry a ``gold`` column (the
ground truth as the task's verifier expects it); the paper's hub sets carry ``solution``
(``<answer> 3 </answer>``), from which the gold is taken with the same extractor used for model
outputs. No parsing lives here: scoring is :meth:`Task.score_gold`, the function evaluation uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from othink_bench.answers import extract_answer, has_format
from othink_bench.task import Task

RewardFn = Callable[..., list[float]]


def completion_text(completion: Any) -> str:
    """Text of a TRL completion: a plain string, or a conversational list of messages."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        parts: list[str] = []
        for message in completion:
            content = message.get("content", "") if isinstance(message, dict) else message
            if isinstance(content, list):  # multimodal content blocks
                parts.extend(str(c.get("text", "")) for c in content if isinstance(c, dict))
            else:
                parts.append(str(content))
        return "".join(parts)
    return str(completion)


def golds_from_columns(n: int, columns: dict[str, Any]) -> list[str]:
    """The gold answers of a batch, from a ``gold`` column or else a ``solution`` column."""
    if "gold" in columns and columns["gold"] is not None:
        golds = [str(g) for g in columns["gold"]]
    elif "solution" in columns and columns["solution"] is not None:
        golds = []
        for sol in columns["solution"]:
            inner = extract_answer(str(sol))
            golds.append(inner if inner is not None else str(sol).strip())
    else:
        raise KeyError(
            "reward needs a 'gold' or 'solution' column in the training dataset; "
            "build datasets with trainers' data helpers or keep the hub schema"
        )
    if len(golds) != n:
        raise ValueError(f"got {n} completions but {len(golds)} gold answers")
    return golds


def accuracy_reward(task: Task) -> RewardFn:
    """1.0 when the completion's answer verifies against the gold, else 0.0 (the task's verifier)."""

    def accuracy(completions: Sequence[Any], **columns: Any) -> list[float]:
        golds = golds_from_columns(len(completions), columns)
        return [
            1.0 if task.score_gold(completion_text(c), g).correct else 0.0
            for c, g in zip(completions, golds, strict=True)
        ]

    accuracy.__name__ = f"accuracy_{task.id.replace('-', '_')}"
    return accuracy


def format_reward(completions: Sequence[Any], **_: Any) -> list[float]:
    """1.0 when the completion is <think>...</think> then <answer>...</answer> and nothing else."""
    return [1.0 if has_format(completion_text(c)) else 0.0 for c in completions]


def combined_reward(task: Task, alpha: float = 1.0) -> RewardFn:
    """The paper's R = R_acc + alpha * R_format as one callable."""
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    acc = accuracy_reward(task)

    def combined(completions: Sequence[Any], **columns: Any) -> list[float]:
        a = acc(completions, **columns)
        f = format_reward(completions)
        return [x + alpha * y for x, y in zip(a, f, strict=True)]

    combined.__name__ = f"reward_{task.id.replace('-', '_')}_alpha{alpha:g}"
    return combined


def reward_functions(task: Task, alpha: float = 1.0) -> tuple[list[RewardFn], list[float]]:
    """Separate accuracy and format rewards with TRL ``reward_weights`` [1, alpha].

    TRL logs each reward function's mean on its own, so training curves show accuracy and
    format apart; the weighted sum is exactly the paper's R = R_acc + alpha * R_format.
    """
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    return [accuracy_reward(task), format_reward], [1.0, float(alpha)]
