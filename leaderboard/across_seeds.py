"""Across-seed statistics of a board: pooled tests and intervals over seeds and test questions.

Several trainings of one method (training seeds) are evaluated on the same test questions. The
per-seed McNemar test asks whether one checkpoint differs from its baseline; a board's claim is
about the method, so it needs tests that pool the seeds:

- :func:`pool_pairs` takes each seed's (method run, baseline run) and, on the samples every one
  of those runs scored, gives the Cochran-Mantel-Haenszel test for matched pairs stratified by
  seed (:func:`othink_bench.stats.cmh_matched_pairs`: does the method win the discordant pairs
  consistently across seeds, on these questions?) and the two-level bootstrap interval of the
  mean paired difference (:func:`othink_bench.stats.two_level_bootstrap`: seeds resampled and
  test questions resampled, one question draw shared by all seeds, so the interval carries the
  test-set sampling as well as the seed variance);
- :func:`pool_cell` gives a cell's mean accuracy with the same two-level interval.

**The rule that decides "supported"** (:data:`RULE`): a method difference is supported when the
CMH test gives p < 0.05 (exact conditional binomial below 25 discordant pairs in all, chi-squared
with 1 df above) **and** the two-level 95% interval of the mean difference excludes 0 on the
side the CMH test points to. The first asks for a consistent direction across seeds; the second
for a difference that would survive other test questions (a gain carried by a handful of
questions passes CMH on every seed but not the question resampling). The old rule (a
significant McNemar test in the same direction on every seed) is shown beside it, not used.

A question is a sample id: its draws (``--k`` samples of one question) are averaged into its
paired difference, so the bootstrap resamples questions, not draws; the CMH counts are over
(sample id, draw) pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from leaderboard.comparisons import ALPHA
from leaderboard.runs import Run
from othink_bench.stats import (
    CMH_EXACT_BELOW,
    Interval,
    StratifiedPairs,
    cmh_matched_pairs,
    two_level_bootstrap,
)

#: Bootstrap replicates and rng seed of every across-seed interval (fixed: boards are
#: byte-stable).
N_BOOT = 2000
BOOT_SEED = 0

RULE = (
    "a method difference is supported when the Cochran-Mantel-Haenszel test for matched pairs "
    f"stratified by seed gives p < {ALPHA:g} (exact conditional binomial below "
    f"{CMH_EXACT_BELOW} discordant pairs in all, χ² with 1 df above) and the two-level "
    "bootstrap 95% interval of the mean difference (seeds and test questions resampled) "
    "excludes 0 on the same side"
)


@dataclass(frozen=True)
class PooledPairs:
    """A method against a baseline over seeds, on the samples every run of both scored."""

    seeds: tuple[int, ...]
    n_questions: int  # sample ids every seed's run and baseline run scored
    n_samples: int  # (sample id, draw) pairs among them, per seed
    cmh: StratifiedPairs  # one stratum per seed
    seed_means: tuple[float, ...]  # each seed's mean difference (method - baseline, fraction)
    two_level: Interval  # of the mean difference over seeds x questions (fractions)

    @property
    def mean(self) -> float:
        return self.two_level.mean

    @property
    def direction(self) -> int:
        """+1 (better) or -1 (worse) when supported by :data:`RULE`, else 0."""
        side = self.cmh.direction
        if side and self.cmh.p_value < ALPHA and self.two_level.excludes_zero() == side:
            return side
        return 0

    @property
    def supported(self) -> bool:
        return self.direction != 0


@dataclass(frozen=True)
class PooledCell:
    """A cell's accuracy over seeds x questions, on the samples every seed's run scored."""

    n_questions: int
    two_level: Interval  # of the mean accuracy (fraction)


def _common(runs: Sequence[Run]) -> tuple[list[str], list[tuple[str, int]]]:
    """The sample ids and (sample id, draw) keys every one of ``runs`` scored, sorted."""
    keys = set(runs[0].outcomes)
    for run in runs[1:]:
        keys &= set(run.outcomes)
    ordered = sorted(keys)
    return sorted({sid for sid, _ in ordered}), ordered


def _by_question(values: np.ndarray, keys: list[tuple[str, int]], questions: list[str]
                 ) -> np.ndarray:
    """Average a (seeds, keys) table over each question's draws: (seeds, questions)."""
    column = {q: i for i, q in enumerate(questions)}
    idx = np.array([column[sid] for sid, _ in keys])
    n = len(questions)
    sums = np.stack([np.bincount(idx, weights=row, minlength=n) for row in values])
    return sums / np.bincount(idx, minlength=n)


def _outcomes(run: Run, keys: list[tuple[str, int]]) -> np.ndarray:
    out = run.outcomes
    return np.fromiter((out[k] for k in keys), dtype=bool, count=len(keys))


def pool_pairs(pairs: Sequence[tuple[int, Run, Run]]) -> PooledPairs | None:
    """CMH and the two-level interval for (seed, method run, baseline run) triples.

    None when fewer than two seeds or no sample is scored by every run.
    """
    if len(pairs) < 2:
        return None
    questions, keys = _common([r for _, ours, theirs in pairs for r in (ours, theirs)])
    if not keys:
        return None
    ours = np.stack([_outcomes(run, keys) for _, run, _ in pairs])
    theirs = np.stack([_outcomes(base, keys) for _, _, base in pairs])
    better = (ours & ~theirs).sum(axis=1)
    worse = (~ours & theirs).sum(axis=1)
    diff = _by_question(ours.astype(np.float64) - theirs.astype(np.float64), keys, questions)
    return PooledPairs(
        seeds=tuple(seed for seed, _, _ in pairs),
        n_questions=len(questions),
        n_samples=len(keys),
        cmh=cmh_matched_pairs([int(x) for x in better], [int(x) for x in worse]),
        seed_means=tuple(float(x) for x in (ours.mean(axis=1) - theirs.mean(axis=1))),
        two_level=two_level_bootstrap(diff, n_boot=N_BOOT, seed=BOOT_SEED),
    )


def pool_cell(runs: Sequence[Run]) -> PooledCell | None:
    """A cell's mean accuracy with its two-level interval; None without a common sample."""
    questions, keys = _common(list(runs))
    if not keys:
        return None
    correct = np.stack([_outcomes(run, keys) for run in runs]).astype(np.float64)
    table = _by_question(correct, keys, questions)
    return PooledCell(len(questions), two_level_bootstrap(table, n_boot=N_BOOT, seed=BOOT_SEED))
