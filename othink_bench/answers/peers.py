"""Peers' scorers in the profile registry: ``r1v-legacy`` and ``math-verify-whole``.

They are registered on first use (:func:`resolve_profile`), so that importing the answer layer
never imports them, nor they the registry's own profiles.
"""

from __future__ import annotations

from othink_bench.answers.math_verify_whole import MathVerifyWholeProfile
from othink_bench.answers.profiles import PROFILES, Profile, get_profile, register_profile
from othink_bench.answers.r1v_legacy import R1VLegacyProfile

PEER_PROFILES: tuple[str, ...] = ("r1v-legacy", "math-verify-whole")


class UnknownProfileError(ValueError):
    """A ``--profile`` name no profile has; the message lists the ones there are."""


def register_peer_profiles() -> None:
    for profile in (R1VLegacyProfile(), MathVerifyWholeProfile()):
        if profile.name not in PROFILES:
            register_profile(profile)


def profile_names() -> list[str]:
    register_peer_profiles()
    return sorted(PROFILES)


def resolve_profile(name: str) -> Profile:
    """The registered profile ``name`` (peers included), or :class:`UnknownProfileError`."""
    register_peer_profiles()
    if name not in PROFILES:
        raise UnknownProfileError(
            f"no scoring profile {name!r}; the profiles are {', '.join(sorted(PROFILES))}"
        )
    return get_profile(name)


def parse_profiles(values: list[str] | None) -> tuple[str, ...]:
    """``--profile A --profile B,C`` as ``(A, B, C)`` (order kept, repeats dropped), each
    checked against the registry."""
    names: list[str] = []
    for value in values or ():
        for name in (v.strip() for v in value.split(",")):
            if not name:
                continue
            resolve_profile(name)
            if name not in names:
                names.append(name)
    return tuple(names)
