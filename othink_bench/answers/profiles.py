"""Scoring profiles: how a model's output is read before the task's verifier judges it.

Why: a model trained with this project answers in ``<answer>`` tags, and strict scoring of the
tag is what its reward used (the ``strict`` profile, :meth:`Task.score` unchanged). Any other
base or chat model answers in prose; the ``free-form`` profile reads prose by the rules of
ANSWERS.md policy 1.2 (:mod:`.freeform`) instead of mapping whatever it finds to an answer.
Both profiles score every non-answer (rule 18) 0 and say which class it was.

Tasks whose samples declare an answer type (``sample.meta["answer_type"]``, see
:mod:`.typed`) are verified by that type under both profiles; other tasks (``vc``, ``gr`` and
the synthetic ones) keep exactly their strict scores, and under ``free-form`` their own
``verify`` judges the free-form span (and, when that span is a sentence, the number it states).

Other profiles may register themselves (:func:`register_profile`); a profile is any object with
``name``, ``description`` and ``score(task, sample, output)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .compare import GoldError
from .freeform import answer_span, format_number, is_non_answer, read_number
from .typed import AnswerSpec, read_typed, typed_equal

if TYPE_CHECKING:
    from othink_bench.task import Sample, Task

__all__ = [
    "PROFILES",
    "FreeFormProfile",
    "Profile",
    "ProfileVerdict",
    "StrictProfile",
    "get_profile",
    "register_profile",
]


@dataclass(frozen=True)
class ProfileVerdict:
    """One output read and judged under a profile."""

    extracted: str | None
    correct: bool
    non_answer: str | None = None  # the rule-18 class, when it is one


class Profile(Protocol):
    name: str
    description: str

    def score(self, task: Task, sample: Sample, output: str) -> ProfileVerdict: ...


def _options(sample: Sample) -> list[str] | None:
    opts = sample.meta.get("options")
    return list(opts) if isinstance(opts, list | tuple) and opts else None


class StrictProfile:
    """The ``<answer>`` block, judged by :meth:`Task.score` (the training reward's reading)."""

    name = "strict"
    description = "the last <answer>...</answer> block only (the default; what rewards use)"

    def score(self, task: Task, sample: Sample, output: str) -> ProfileVerdict:
        record = task.score(output or "", sample)
        if record.error is not None:
            raise GoldError(record.error)
        if record.correct:
            return ProfileVerdict(record.extracted, True)
        block = task.extract(output or "")
        non = is_non_answer(output if block is None else block, sample.question, _options(sample))
        return ProfileVerdict(record.extracted, False, non)


class FreeFormProfile:
    """Prose answers: answer phrases, ``\\boxed{}``, the concluding sentence (policy 1.2)."""

    name = "free-form"
    description = (
        "prose answers: answer phrases, \\boxed{}, the concluding sentence; non-answers score 0"
    )

    def score(self, task: Task, sample: Sample, output: str) -> ProfileVerdict:
        output = output or ""
        spec = AnswerSpec.from_meta(sample.meta)
        non = is_non_answer(output, sample.question, list(spec.options) if spec else None)
        if non is not None:
            if spec is not None:
                typed_equal(None, sample.gold, spec)  # a bad gold still surfaces
            return ProfileVerdict(None, False, non)
        span, how = answer_span(output)
        if spec is not None:
            extracted = read_typed(span, spec, how, sample.question, output)
            return ProfileVerdict(extracted, typed_equal(extracted, sample.gold, spec))
        task.check_gold(sample.gold)
        if span is not None and task.verify(span, sample.gold):
            return ProfileVerdict(span, True)
        if span is not None and how in ("phrase", "sentence"):
            value = read_number(span, how, sample.question)
            if value is not None:
                text = format_number(value)
                return ProfileVerdict(text, task.verify(text, sample.gold))
        return ProfileVerdict(span, False)


PROFILES: dict[str, Profile] = {}


def register_profile(profile: Profile) -> None:
    """Add a profile under its name; a name already taken raises ``ValueError``."""
    name = getattr(profile, "name", None)
    if not isinstance(name, str) or not name:
        raise ValueError("a scoring profile needs a non-empty 'name'")
    if name in PROFILES:
        raise ValueError(f"scoring profile {name!r} is already registered")
    PROFILES[name] = profile


def get_profile(name: str) -> Profile:
    """The profile registered under ``name``; an unknown name raises ``ValueError`` listing them."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown scoring profile {name!r}; known profiles: {', '.join(sorted(PROFILES))}"
        ) from None


register_profile(StrictProfile())
register_profile(FreeFormProfile())
