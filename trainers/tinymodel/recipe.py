"""The recipe: :class:`MakeTinyOptions` (everything that determines a build; the defaults build
the bundled checkpoint), how the defaults were chosen (:data:`RECIPE_CHOICE`), and the seeded
batch order.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple


class RecipeTrial(NamedTuple):
    """One development build, scored on the *validation* stream (train split, data seed 1,
    100 samples per task), never on the test split; other settings at their defaults."""

    steps: int
    counting_share: float
    geometry_target: str  # gr-synth-tiny's SFT target: "reasoning (1.1)" or "arithmetic (1.2)"
    threads: int
    counting: float  # validation accuracy, %
    geometry: float  # validation accuracy, %
    chosen: bool = False
    counting_first: int = 0  # counting batches staged before the shuffled rest
    seed: int = 0  # weights, batch order and trainer seed
    kept_step: int | None = None  # with checkpoint selection (every 100 from 800): the kept step


#: How the default recipe was chosen. Rule, fixed before the 1.2 runs: among the builds whose
#: validation numbers meet every target (trainers.tinymodel.targets), the one with the higher
#: geometry accuracy; and, added after four builds when none had, the one with the smallest
#: total shortfall (percentage points below or above the counting and geometry ranges) among the
#: builds that can be rebuilt here.
#: The first three rows are the 1.1-era step sweep (long reasoning target, 2/3 counting
#: batches), kept for the record. Without checkpoint selection no build met every target: with
#: the 1.2 target, counting either collapsed (16-35%) or overshot (88-96%), and geometry landed at
#: 13-65%, with no smooth trend in the counting share or the staged counting batches, and the
#: same recipe rebuilt on another machine (same software, another CPU) trained differently from
#: step 100 on (2000/43%/550: 35% / 14% on one, 46% / 39% on the other). The last two rows are
#: builds with checkpoint selection (trainers.tinymodel.selection), on the second machine: both
#: met every target on validation, and both kept their last step (the looks every 100 steps from
#: 800 wandered: counting 5-66%, geometry 2-45%, meeting the narrowed targets only from step
#: 1500 and 1800 on). Chosen by the rule: 2000 steps, 40% counting, 400 of them first
#: (65% / 45%, against 46% / 39%).
RECIPE_CHOICE: tuple[RecipeTrial, ...] = (
    RecipeTrial(1500, 2 / 3, "reasoning (1.1)", 2, 96.0, 5.0),
    RecipeTrial(1000, 2 / 3, "reasoning (1.1)", 2, 55.0, 6.0),
    RecipeTrial(1000, 2 / 3, "reasoning (1.1)", 1, 70.0, 6.0),
    RecipeTrial(2000, 0.4, "arithmetic (1.2)", 1, 17.0, 65.0),
    RecipeTrial(1000, 2 / 3, "arithmetic (1.2)", 1, 45.0, 10.0),
    RecipeTrial(1200, 0.7, "arithmetic (1.2)", 1, 77.0, 9.0),
    RecipeTrial(1400, 0.55, "arithmetic (1.2)", 1, 18.0, 24.0),
    RecipeTrial(1800, 0.5, "arithmetic (1.2)", 1, 95.0, 16.0, counting_first=700),
    RecipeTrial(2000, 0.5, "arithmetic (1.2)", 1, 96.0, 22.0, counting_first=700),
    RecipeTrial(2000, 0.35, "arithmetic (1.2)", 1, 16.0, 40.0, counting_first=500),
    RecipeTrial(2000, 0.4, "arithmetic (1.2)", 1, 30.0, 43.0, counting_first=400),
    RecipeTrial(2000, 0.45, "arithmetic (1.2)", 1, 88.0, 52.0, counting_first=550),
    RecipeTrial(2000, 0.45, "arithmetic (1.2)", 1, 24.0, 20.0, counting_first=500),
    RecipeTrial(2000, 0.43, "arithmetic (1.2)", 1, 35.0, 14.0, counting_first=550),
    RecipeTrial(2000, 0.45, "arithmetic (1.2)", 1, 16.0, 24.0, counting_first=550),
    RecipeTrial(2000, 0.45, "arithmetic (1.2)", 1, 92.0, 13.0, counting_first=550, seed=1),
    RecipeTrial(2000, 0.43, "arithmetic (1.2)", 1, 46.0, 39.0, counting_first=550,
                kept_step=2000),
    RecipeTrial(2000, 0.40, "arithmetic (1.2)", 1, 65.0, 45.0, chosen=True, counting_first=400,
                kept_step=2000),
)


@dataclass
class MakeTinyOptions:
    """Everything that determines a build (the defaults build the bundled checkpoint)."""

    out: Path | None = None  # None: the bundled folder othink_bench/models/tiny_ckpt
    seed: int = 0
    data_seed: int = 0
    steps: int = 2000
    batch_size: int = 16
    learning_rate: float = 1e-3
    lr_scheduler: str = "cosine"
    warmup_steps: int = 0
    counting_share: float = 0.40
    counting_first: int = 400  # this many of the counting batches come first, before the shuffle
    counting_pool: int | None = None  # None: every counting batch row is a distinct sample
    geometry_pool: int | None = None
    eval_limit: int = 200
    val_limit: int = 100
    select_every: int = 100  # 0: keep the last step; N: look every N steps, keep the best
    select_from: int = 800  # the first step looked at (the last step is always looked at)
    eval_batch_size: int = 32
    max_new_tokens: int | None = None  # None: the tasks' own budgets (256 / 1024)
    threads: int = 1  # torch intra-op threads: fixed, so core count does not change rounding (the CPU still can)
    logging_steps: int = 50
    work: Path | None = None  # None: a temporary folder, removed at the end
    keep_work: bool = False
    progress: bool = True

    def validate(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {self.batch_size}")
        if not 0.0 <= self.counting_share <= 1.0:
            raise ValueError(f"counting share must be in [0, 1], got {self.counting_share}")
        n_count = round(self.steps * self.counting_share)
        if not 0 <= self.counting_first <= n_count:
            raise ValueError(f"counting first must be in [0, {n_count}] (the number of counting "
                             f"batches), got {self.counting_first}: with fewer --steps or a "
                             f"smaller --counting-share, pass --counting-first N (0: no "
                             f"counting-only stage)")
        if self.seed < 0 or self.data_seed < 0:
            raise ValueError("seeds must be >= 0")
        if self.eval_limit < 1:
            raise ValueError(f"eval limit must be >= 1, got {self.eval_limit}")
        if self.threads < 1:
            raise ValueError(f"threads must be >= 1, got {self.threads}")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise ValueError(f"max new tokens must be >= 1, got {self.max_new_tokens}")
        if self.val_limit < 0:
            raise ValueError(f"val limit must be >= 0, got {self.val_limit}")
        if self.select_every < 0 or self.select_from < 0:
            raise ValueError("select every and select from must be >= 0 (select every 0: keep "
                             "the last step)")
        if self.select_every and not self.val_limit:
            raise ValueError("checkpoint selection scores the validation stream: pass "
                             "--val-limit N (N >= 1) with --select-every, or --select-every 0")
        for name in ("counting_pool", "geometry_pool"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("out", "work"):
            d[key] = None if d[key] is None else str(d[key])
        return d


def batch_plan(
    steps: int,
    batch_size: int,
    counting_share: float,
    pools: tuple[int, int],
    seed: int,
    counting_first: int = 0,
) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """The training order: ``steps`` task-homogeneous batches of ``(task, sample index)`` rows.

    ``round(steps * counting_share)`` batches are counting (task 0), the rest geometry (task 1),
    in an order shuffled by ``random.Random(seed)``; with ``counting_first`` N, N of the counting
    batches come first (a counting-only stage) and the rest are shuffled after them. Within a task, samples are drawn epoch by
    epoch from a fresh permutation of its pool, so a pool as large as the rows it must fill is
    seen exactly once. Returns the flat row list and the number of batches of each task.
    """
    rng = random.Random(seed)
    n_count = round(steps * counting_share)
    if not 0 <= counting_first <= n_count:
        raise ValueError(f"counting_first must be in [0, {n_count}], got {counting_first}")
    kinds = [0] * (n_count - counting_first) + [1] * (steps - n_count)
    rng.shuffle(kinds)
    kinds = [0] * counting_first + kinds
    streams: list[list[int]] = [[], []]

    def take(task: int) -> list[int]:
        stream = streams[task]
        while len(stream) < batch_size:
            perm = list(range(pools[task]))
            rng.shuffle(perm)
            stream.extend(perm)
        batch, streams[task] = stream[:batch_size], stream[batch_size:]
        return batch

    rows = [(kind, i) for kind in kinds for i in take(kind)]
    return rows, (n_count, steps - n_count)


def _pool_sizes(opts: MakeTinyOptions) -> tuple[int, int]:
    n_count = round(opts.steps * opts.counting_share)
    need = (n_count * opts.batch_size, (opts.steps - n_count) * opts.batch_size)
    pools = (opts.counting_pool or need[0], opts.geometry_pool or need[1])
    return max(1, pools[0]), max(1, pools[1])
