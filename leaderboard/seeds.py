"""Training seeds on a board: each cell's mean over seeds, and which differences hold across them.

A model trained with ``train-and-eval --seeds`` is one row per seed in every other table
(``+ SFT (seed 1)``; :class:`~leaderboard.collect.ModelKey` carries the seed). This module pools
the rows that differ only in their seed:

- a :class:`SeedCell` is one (model, train task, eval column) over its seeds: the mean of the
  per-seed accuracies with a 95% Student-t interval over seeds (mean ± t(0.975, m-1)·sd/√m, m
  seeds), every seed's value with its run, and the mean accuracy's two-level bootstrap interval over seeds and test
  questions (:func:`leaderboard.across_seeds.pool_cell`);
- a :class:`SeedComparison` compares a method with a baseline seed by seed: seed s of the
  method against seed s of a seeded baseline, or against the one run of an unseeded baseline
  (the base model has no training seed), each pair with the exact McNemar test on the samples
  both runs scored (:func:`leaderboard.comparisons.compare`); a two-sided exact sign test
  over the seeds on the direction of the per-seed differences (ties dropped); and, pooled over
  the seeds on the samples every run of the comparison scored
  (:func:`leaderboard.across_seeds.pool_pairs`), the Cochran-Mantel-Haenszel test for matched
  pairs stratified by seed and the two-level (seeds x questions) bootstrap interval of the mean
  paired difference.

A difference is **supported** by the rule of :data:`leaderboard.across_seeds.RULE`: CMH p < 0.05
and the two-level 95% interval excluding 0 on the same side. The old rule (a significant McNemar
test in the same direction on every seed, :attr:`SeedComparison.unanimous`) is shown beside it
as the per-seed directions, and decides nothing: with m seeds in agreement the sign test's p is
2^(1-m), and per-seed tests on 200 questions miss small consistent gains that the pooled test
finds. A model with one seed has no across-seed numbers: it is not pooled, and a board without
seeds shows nothing of this module. :func:`seed_blocks` is the board's "Across training seeds"
section.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from functools import cached_property

from scipy.stats import binomtest
from scipy.stats import t as student_t

from leaderboard.across_seeds import RULE, PooledCell, PooledPairs, pool_cell, pool_pairs
from leaderboard.analysis import Analysis
from leaderboard.blocks import Block, Heading, Paragraph, TableBlock
from leaderboard.cells import (
    SIGNIFICANT,
    DisplayCell,
    DisplayTable,
    column_labels,
    comp_change,
    fmt_pct,
)
from leaderboard.collect import Collection
from leaderboard.comparisons import ALPHA, COMPARED_WITH, Comparison, compare
from leaderboard.keys import EvalKey, ModelKey, method_name, natural_key
from leaderboard.runs import Run
from othink_bench.stats import Interval

SUPPORTED = "✓"


def t_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of a Student-t interval over values; needs two or more."""
    if len(values) < 2:
        raise ValueError("an across-seed interval needs at least two seeds")
    m = len(values)
    mean = statistics.fmean(values)
    half = student_t.ppf(0.5 + confidence / 2, m - 1) * statistics.stdev(values) / math.sqrt(m)
    return mean, mean - half, mean + half


def sign_test(better: int, worse: int) -> float | None:
    """Two-sided exact sign test p of ``better`` vs ``worse`` seeds; None without either."""
    if better + worse == 0:
        return None
    return float(binomtest(better, better + worse, 0.5).pvalue)


@dataclass(frozen=True)
class SeedCell:
    """One (model, train task, eval column) over its training seeds (two or more)."""

    model: ModelKey  # without a seed
    train_task: str | None
    column: EvalKey
    runs: tuple[Run, ...]  # the final checkpoint of each seed, by seed

    @property
    def seeds(self) -> list[int]:
        return [r.train_seed for r in self.runs if r.train_seed is not None]

    @property
    def values(self) -> list[float]:
        return [r.accuracy.value for r in self.runs]

    @property
    def interval(self) -> tuple[float, float, float]:
        return t_interval(self.values)

    @property
    def same_task(self) -> bool:
        return self.train_task == self.column.task

    @cached_property
    def pooled(self) -> PooledCell | None:
        """The mean accuracy's two-level interval (seeds x questions); None: no common sample."""
        return pool_cell(self.runs)


@dataclass(frozen=True)
class SeedComparison:
    """A method against a baseline, seed by seed, on one (train task, eval column)."""

    cell: SeedCell
    against: str  # the baseline's method
    pairs: tuple[tuple[int, Comparison], ...]  # (seed, comparison on shared samples)
    runs: tuple[tuple[int, Run, Run], ...] = ()  # (seed, method run, baseline run), as pairs

    @property
    def diffs(self) -> list[float]:
        """Per-seed accuracy differences (method - baseline) on the shared samples."""
        return [
            c.accuracy - c.baseline_accuracy
            for _, c in self.pairs
            if c.accuracy is not None and c.baseline_accuracy is not None
        ]

    @property
    def better(self) -> int:
        return sum(d > 0 for d in self.diffs)

    @property
    def worse(self) -> int:
        return sum(d < 0 for d in self.diffs)

    @property
    def sign_p(self) -> float | None:
        return sign_test(self.better, self.worse)

    def _significant(self, sign: int) -> int:
        return sum(
            c.significant and c.accuracy is not None and c.baseline_accuracy is not None
            and sign * (c.accuracy - c.baseline_accuracy) > 0
            for _, c in self.pairs
        )

    @property
    def significant_better(self) -> int:
        """Seeds whose McNemar test is significant with the method better."""
        return self._significant(1)

    @property
    def significant_worse(self) -> int:
        """Seeds whose McNemar test is significant with the method worse."""
        return self._significant(-1)

    @property
    def unanimous(self) -> int:
        """The old rule, shown and not deciding: +1 or -1 when the McNemar test is significant
        in that direction on every seed, else 0."""
        if len(self.pairs) < 2 or len(self.diffs) != len(self.pairs):
            return 0
        m = len(self.pairs)
        return 1 if self.significant_better == m else -1 if self.significant_worse == m else 0

    @cached_property
    def pooled(self) -> PooledPairs | None:
        """CMH and the two-level interval over the seeds (None: fewer than two seeds, or no
        sample every run scored)."""
        return pool_pairs(self.runs)

    @property
    def direction(self) -> int:
        """+1 (better) or -1 (worse) when supported (:data:`~leaderboard.across_seeds.RULE`)."""
        return 0 if self.pooled is None else self.pooled.direction

    @property
    def supported(self) -> bool:
        return self.direction != 0


@dataclass
class SeedAnalysis:
    cells: list[SeedCell]
    comparisons: list[SeedComparison]

    def __bool__(self) -> bool:
        return bool(self.cells)


def _groups(coll: Collection) -> dict[ModelKey, list[ModelKey]]:
    """Seeded models by their model without a seed (two or more seeds only)."""
    groups: dict[ModelKey, list[ModelKey]] = {}
    for model in coll.models:
        if model.train_seed is not None:
            groups.setdefault(model.unseeded, []).append(model)
    return {k: sorted(v, key=ModelKey.sort_key) for k, v in groups.items() if len(v) > 1}


def _baseline(coll: Collection, cell: SeedCell, against: str, seed: int) -> Run | None:
    """The baseline run a seed of ``cell`` is compared with: the untrained base model's run;
    or the same seed of a seeded baseline, else its one unseeded training."""
    base = cell.model.base
    if against == "base":
        return coll.final(ModelKey(base, "base"), None, cell.column)
    candidates = [m for m in coll.models if m.base == base and m.method == against]
    candidates.sort(key=lambda m: m.sweep != cell.model.sweep)  # a sweep's own value first
    for want in (seed, None):
        for model in candidates:
            if model.train_seed == want:
                run = coll.final(model, cell.train_task, cell.column)
                if run is not None:
                    return run
    return None


def build_seeds(coll: Collection) -> SeedAnalysis:
    cells: list[SeedCell] = []
    for unseeded, models in sorted(_groups(coll).items(), key=lambda kv: kv[0].sort_key()):
        tasks = sorted({t for m in models for t in coll.train_tasks(m)},
                       key=lambda t: (t is None, natural_key(t or "")))
        for task in tasks:
            for column in coll.columns:
                runs = [coll.final(m, task, column) for m in models]
                found = tuple(r for r in runs if r is not None and r.accuracy.n)
                if len(found) > 1:
                    cells.append(SeedCell(unseeded, task, column, found))
    comparisons: list[SeedComparison] = []
    for cell in cells:
        if cell.model.method == "base":
            continue
        for against in COMPARED_WITH:
            if against == cell.model.method:
                continue
            pairs = []
            triples = []
            for run in cell.runs:
                seed = run.train_seed
                assert seed is not None
                other = _baseline(coll, cell, against, seed)
                if other is not None:
                    pairs.append((seed, compare(run, other, against)))
                    triples.append((seed, run, other))
            if len(pairs) > 1:
                comparisons.append(SeedComparison(cell, against, tuple(pairs), tuple(triples)))
    return SeedAnalysis(cells, comparisons)


# -- display -----------------------------------------------------------------------------------


def _name(cell: SeedCell) -> str:
    return cell.model.display


def _pct_interval(interval: Interval, n: int) -> DisplayCell:
    return DisplayCell(f"[{fmt_pct(interval.low, 1)}, {fmt_pct(interval.high, 1)}]", f" ({n})")


def seed_cells_display(sa: SeedAnalysis, columns: list[EvalKey]) -> DisplayTable:
    labels = column_labels(columns)
    header = ["model", "train task", "eval", "seeds", "mean [95% t]",
              "95% seeds × questions (n)", "each seed"]
    rows = []
    for cell in sa.cells:
        mean, low, high = cell.interval
        each = "; ".join(
            f"seed {r.train_seed}: {fmt_pct(r.accuracy.value)} ({r.accuracy.n}) {r.ref}"
            for r in cell.runs
        )
        pooled = cell.pooled
        rows.append([
            DisplayCell(_name(cell)),
            DisplayCell(cell.train_task or "—"),
            DisplayCell(labels[cell.column]),
            DisplayCell(str(len(cell.runs))),
            DisplayCell(fmt_pct(mean), f" [{fmt_pct(low, 1)}, {fmt_pct(high, 1)}]"),
            (DisplayCell(f"n/a ({NO_COMMON})") if pooled is None
             else _pct_interval(pooled.two_level, pooled.n_questions)),
            DisplayCell(each),
        ])
    return DisplayTable(header, rows, ["l", "l", "l", "r", "l", "l", "l"])


def _per_seed(comp: Comparison) -> str:
    if comp.why_not is not None:
        return f"n/a ({comp.why_not})"
    return f"{comp_change(comp)}{SIGNIFICANT if comp.significant else ''} ({comp.n_shared})"


def _points(x: float) -> str:
    return f"{100 * x:+.1f}"


def _cmh(pooled: PooledPairs) -> DisplayCell:
    cmh = pooled.cmh
    if not cmh.discordant:
        return DisplayCell("n/a (no discordant pair)")
    kind = "exact p" if cmh.exact else "p"
    return DisplayCell(f"{cmh.statistic:.2f}", f" ({kind} {cmh.p_value:.3g})")


def seed_comparisons_display(sa: SeedAnalysis, columns: list[EvalKey]) -> DisplayTable:
    labels = column_labels(columns)
    header = ["model", "train → eval", "vs", "each seed (points, relative, n shared)",
              f"seeds better : worse ({SIGNIFICANT})", "sign test p",
              "mean difference [95% t over seeds]", "95% seeds × questions (n)", "CMH χ² (p)",
              "supported"]
    rows = []
    for comp in sa.comparisons:
        cell = comp.cell
        pooled = comp.pooled
        if pooled is None:
            diff = two_level = cmh = DisplayCell(f"n/a ({NO_COMMON})")
        else:
            _, low, high = t_interval(list(pooled.seed_means))
            diff = DisplayCell(f"{100 * pooled.mean:+.2f}",
                               f" [{_points(low)}, {_points(high)}] pt")
            interval = pooled.two_level
            two_level = DisplayCell(f"[{_points(interval.low)}, {_points(interval.high)}] pt",
                                    f" ({pooled.n_questions})")
            cmh = _cmh(pooled)
        p = comp.sign_p
        verdict = {1: f"{SUPPORTED} better", -1: f"{SUPPORTED} worse", 0: "no"}[comp.direction]
        rows.append([
            DisplayCell(_name(cell)),
            DisplayCell(f"{cell.train_task or '—'} → {labels[cell.column]}"),
            DisplayCell(method_name(comp.against)),
            DisplayCell("; ".join(f"seed {s}: {_per_seed(c)}" for s, c in comp.pairs)),
            DisplayCell(f"{comp.better} : {comp.worse}",
                        f" ({comp.significant_better}{SIGNIFICANT} : "
                        f"{comp.significant_worse}{SIGNIFICANT})"),
            DisplayCell("n/a" if p is None else f"{p:.3g}"),
            diff,
            two_level,
            cmh,
            DisplayCell(verdict, bold=comp.supported),
        ])
    return DisplayTable(header, rows, ["l", "l", "l", "l", "r", "r", "l", "l", "l", "l"])


NO_COMMON = "no sample every seed's run scored"

CONVENTION = (
    "Rows marked (seed N) are trainings of one method with different training seeds (the "
    "same training data and test samples). [Across training seeds](#across-training-seeds) "
    "gives each cell's mean over seeds with a 95% Student-t interval over the seeds' "
    "accuracies, a 95% interval that resamples the test questions as well as the seeds, and "
    f"every seed's value. Which test decides: {RULE} ({SUPPORTED}). The per-seed McNemar "
    "tests and the sign test over seeds are shown beside it and decide nothing."
)


def seed_blocks(an: Analysis) -> list[Block]:
    """Across training seeds: only on a board with a model trained with two or more seeds."""
    sa = build_seeds(an.collection)
    if not sa:
        return []
    columns = an.collection.columns
    blocks: list[Block] = [
        Heading(2, "Across training seeds"),
        Paragraph(
            "Each (model, train task, eval task) trained with several seeds: the mean of the "
            "seeds' accuracies with a 95% Student-t interval over seeds; a 95% two-level "
            "bootstrap interval of the mean that resamples the seeds and the test questions "
            "(on the n questions every seed's run scored); and every seed's value (n) and run. "
            "Same-task and cross-task cells alike; a seed's run is its last evaluated "
            "checkpoint."
        ),
        TableBlock(seed_cells_display(sa, columns)),
    ]
    if sa.comparisons:
        blocks += [
            Paragraph(
                "Method differences seed by seed: each seed against the same seed of the "
                "baseline (the untrained base model has one run for all seeds), change on the "
                f"shared samples with {SIGNIFICANT} for McNemar p < {ALPHA:g}; how many seeds "
                f"are better and worse (of them with {SIGNIFICANT}), and the two-sided sign "
                "test over seeds. Pooled over the seeds, on the n questions every seed's run "
                "and its baseline scored: the mean paired difference in accuracy points with "
                "its t interval over the seeds' differences; its 95% two-level bootstrap "
                "interval (2000 replicates resampling the seeds and, independently, the test "
                "questions, one question draw shared by all seeds), which carries the "
                "test-set sampling as well as the seed variance; and the "
                "Cochran-Mantel-Haenszel χ² for matched pairs stratified by seed, "
                "(Σb − Σc)² / Σ(b + c) over the seeds' discordant pairs, with its p. "
                f"**Which test decides supported ({SUPPORTED})**: {RULE}. CMH tests a "
                "consistent direction given these test questions; the two-level interval "
                "asks that the difference survive other questions too."
            ),
            TableBlock(seed_comparisons_display(sa, columns)),
        ]
    return blocks
