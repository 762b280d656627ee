"""Scoring profiles: named ways of reading a model output, recorded beside the strict verdict.

PROVISIONAL (branch w27a): the registry's API as issue 26 part A (branch w26a) specifies it,
so that the peer profiles of issue 27 can be built and tested before that branch lands; on
merge this file is replaced by w26a's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from othink_bench.task import Sample, Task


@dataclass(frozen=True)
class ProfileVerdict:
    """What a profile read from an output (``extracted``) and whether it is right."""

    extracted: str | None
    correct: bool
    non_answer: str | None = None


class Profile(Protocol):
    name: str
    description: str

    def score(self, task: Task, sample: Sample, output: str) -> ProfileVerdict: ...


class StrictProfile:
    name = "strict"
    description = "the task's own verifier: the last complete <answer> block (the default)"

    def score(self, task: Task, sample: Sample, output: str) -> ProfileVerdict:
        s = task.score(output, sample)
        return ProfileVerdict(s.extracted, s.correct)


PROFILES: dict[str, Profile] = {"strict": StrictProfile()}


def register_profile(profile: Profile) -> None:
    PROFILES[profile.name] = profile


def get_profile(name: str) -> Profile:
    if name not in PROFILES:
        raise KeyError(f"no scoring profile {name!r}; profiles: {', '.join(sorted(PROFILES))}")
    return PROFILES[name]
