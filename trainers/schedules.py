"""KL-weight schedules beta(step, total): the one thing GRPO-D changes about GRPO.

The paper's GRPO-D (PAPER.md, Eq. 3) replaces GRPO's constant KL weight with a function of the
optimizer step s out of t total steps (s counts the updates done, as TRL's ``global_step`` and
the ``checkpoint-s`` folders do; beta(s) is the weight of the next update, s -> s+1): it starts at beta_mid = (beta_min + beta_max) / 2, falls
linearly to beta_min at the end of the exploration phase w = ratio * t, then rises linearly to
beta_max at t ("explore early, exploit late"). ``linear`` and ``cosine`` are ablations that rise
from beta_min to beta_max without the warm start; ``constant`` is plain GRPO.

Everything here is a pure function of numbers, so schedules are testable without torch and the
``schedule`` command can print or plot one without importing a trainer. Training reaches them
through :class:`BetaSchedule`, a validated, picklable, serialisable value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_RATIO = 0.3


class ScheduleError(ValueError):
    """A schedule's parameters or arguments are invalid."""


def _check_step(step: int, total: int) -> None:
    if isinstance(total, bool) or not isinstance(total, int) or total < 1:
        raise ScheduleError(f"total steps must be an integer >= 1, got {total!r}")
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= total:
        raise ScheduleError(f"step must be an integer in [0, {total}], got {step!r}")


def _check_beta(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ScheduleError(f"{name} must be a finite number, got {value!r}")
    if value < 0:
        raise ScheduleError(f"{name} must be >= 0 (a KL weight), got {value}")


def _check_range(beta_min: float, beta_max: float) -> None:
    _check_beta("beta_min", beta_min)
    _check_beta("beta_max", beta_max)
    if beta_min > beta_max:
        raise ScheduleError(f"beta_min ({beta_min}) must be <= beta_max ({beta_max})")


def _check_ratio(ratio: float) -> None:
    if not isinstance(ratio, (int, float)) or isinstance(ratio, bool) or not 0 < ratio <= 1:
        raise ScheduleError(f"ratio (exploration steps / total steps) must be in (0, 1], got {ratio!r}")


def constant_beta(step: int, total: int, *, beta: float) -> float:
    """Plain GRPO: the same KL weight at every step."""
    _check_step(step, total)
    _check_beta("beta", beta)
    return float(beta)


def grpod_beta(
    step: int, total: int, *, beta_min: float, beta_max: float, ratio: float = DEFAULT_RATIO
) -> float:
    """PAPER.md Eq. 3: beta_mid at step 0, linearly down to beta_min at w = ratio * t, then
    linearly up to beta_max at t. ``w`` is not rounded: the kink sits at ``ratio * total``."""
    _check_step(step, total)
    _check_range(beta_min, beta_max)
    _check_ratio(ratio)
    beta_mid = (beta_min + beta_max) / 2
    w = ratio * total
    if step <= w:
        return beta_mid - (beta_mid - beta_min) * step / w
    return beta_min + (beta_max - beta_min) * (step - w) / (total - w)


def linear_beta(step: int, total: int, *, beta_min: float, beta_max: float) -> float:
    """Ablation: a straight rise from beta_min at step 0 to beta_max at t."""
    _check_step(step, total)
    _check_range(beta_min, beta_max)
    return beta_min + (beta_max - beta_min) * step / total


def cosine_beta(step: int, total: int, *, beta_min: float, beta_max: float) -> float:
    """Ablation: a half-cosine rise from beta_min at step 0 to beta_max at t (flat at both ends)."""
    _check_step(step, total)
    _check_range(beta_min, beta_max)
    return beta_min + (beta_max - beta_min) * (1 - math.cos(math.pi * step / total)) / 2


@dataclass(frozen=True)
class ScheduleKind:
    """A registered schedule: its function and the parameters it takes."""

    name: str
    fn: Callable[..., float]
    params: tuple[str, ...]
    description: str


SCHEDULES: dict[str, ScheduleKind] = {}


def register_schedule(kind: ScheduleKind) -> ScheduleKind:
    if kind.name in SCHEDULES:
        raise ScheduleError(f"schedule {kind.name!r} is already registered")
    SCHEDULES[kind.name] = kind
    return kind


register_schedule(
    ScheduleKind("constant", constant_beta, ("beta",), "plain GRPO: beta at every step")
)
register_schedule(
    ScheduleKind(
        "grpod",
        grpod_beta,
        ("beta_min", "beta_max", "ratio"),
        "GRPO-D (Eq. 3): beta_mid -> beta_min at ratio*t -> beta_max at t",
    )
)
register_schedule(
    ScheduleKind("linear", linear_beta, ("beta_min", "beta_max"), "beta_min -> beta_max, linear")
)
register_schedule(
    ScheduleKind("cosine", cosine_beta, ("beta_min", "beta_max"), "beta_min -> beta_max, cosine")
)


@dataclass(frozen=True)
class BetaSchedule:
    """A named schedule with its parameters; call it as ``schedule(step, total)``.

    Unused parameters are ignored by the function but kept, so one value round-trips through
    recipes, checkpoint metadata and the CLI whatever the schedule's kind.
    """

    name: str = "constant"
    beta: float = 0.0
    beta_min: float = 0.0
    beta_max: float = 0.0
    ratio: float = DEFAULT_RATIO
    params: dict[str, float] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.name not in SCHEDULES:
            raise ScheduleError(
                f"unknown beta schedule {self.name!r}; choose one of {', '.join(sorted(SCHEDULES))}"
            )
        kind = SCHEDULES[self.name]
        values = {"beta": self.beta, "beta_min": self.beta_min, "beta_max": self.beta_max,
                  "ratio": self.ratio}
        params = {p: values[p] for p in kind.params}
        if "beta" in params:
            _check_beta("beta", params["beta"])
        if "beta_min" in params:
            _check_range(params["beta_min"], params["beta_max"])
        if "ratio" in params:
            _check_ratio(params["ratio"])
        object.__setattr__(self, "params", params)

    def __call__(self, step: int, total: int) -> float:
        return float(SCHEDULES[self.name].fn(step, total, **self.params))

    def values(self, total: int) -> list[float]:
        """beta for every step 0..total (inclusive: Eq. 3 is defined at s = t)."""
        return [self(s, total) for s in range(total + 1)]

    @property
    def is_constant(self) -> bool:
        """True when beta does not change with the step (then Liger and friends are safe)."""
        return self.name == "constant" or self.beta_min == self.beta_max

    @property
    def peak(self) -> float:
        """The largest value the schedule takes on any horizon."""
        if self.name == "constant":
            return float(self.beta)
        return float(self.beta_max)

    @property
    def is_zero(self) -> bool:
        """True when beta is 0 at every step (then no reference model is needed)."""
        return self.peak == 0.0

    def initial(self) -> float:
        """beta at step 0 (independent of the horizon for every registered schedule)."""
        return self(0, 1)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("params", None)
        return out
