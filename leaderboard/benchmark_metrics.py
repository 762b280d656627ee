"""The battery benchmarks' own metrics, computed from run records only.

Each function takes a run's records (greedy draw ``k = 0``) and returns named fractions
(correct, n). The groupings read the sample ids the task modules document:

* MathVista and MATH-V: accuracy per value of each dimension their tasks record in the
  breakdown label (``key=value; key=value``): MathVista's category, task, context, grade and
  skills (a problem counts once under each of its skills, ``+``-joined), MATH-V's level and
  subject.
* MathVerse (``mathverse``, ``mathverse-vision-only``): accuracy per problem version (the record's
  breakdown label).
* We-Math (``wemath``; ids ``ID#key``): the four-dimensional metrics of We-Math's evaluation as
  VLMEvalKit ships it (``vlmeval/dataset/utils/wemath.py``). For each multi-step problem with all
  its one-step sub-problems and its multi-step question scored: IK (a step wrong and the
  multi-step question wrong), IG (every step right, multi-step wrong), CM (strict: every step
  right and multi-step right; loose: at least one step right and multi-step right), RM (strict:
  a step wrong and multi-step right; loose: every step wrong and multi-step right). IK, IG and
  CM are shares of the complete problems; RM is RM / (CM + RM); the score is
  (N - IG/2 - RM - IK) / N. The reference code divides by 525, the testmini problem count; we
  divide by N, the complete problems scored (525 on the full testmini).
* HallusionBench (``hallusionbench``; ids ``category/subcategory/set_id/figure_id/question_id``):
  aAcc, per question; qAcc, a question right on every figure it is asked of (grouped by
  category, subcategory, set_id, question_id); fAcc, every question about a figure right
  (grouped by category, subcategory, set_id, figure_id; VS questions with figure_id 0 left out),
  as lmms-eval's ``tasks/hallusion_bench`` groups them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from othink_bench.records import RunRecord


@dataclass(frozen=True)
class Metric:
    """A benchmark metric as a fraction: ``k`` of ``n`` (``n`` = 0: nothing to measure)."""

    name: str
    k: float
    n: int
    note: str = ""

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None


def _greedy(records: Sequence[RunRecord]) -> list[RunRecord]:
    return [r for r in records if r.k == 0]


def mathverse_metrics(records: Sequence[RunRecord]) -> list[Metric]:
    by: dict[str, list[bool]] = defaultdict(list)
    for r in _greedy(records):
        by[r.breakdown or "?"].append(r.correct)
    order = ("Text Dominant", "Text Lite", "Text Only", "Vision Intensive", "Vision Dominant",
             "Vision Only")
    names = [v for v in order if v in by] + sorted(v for v in by if v not in order)
    return [Metric(v, sum(by[v]), len(by[v])) for v in names]


def wemath_metrics(records: Sequence[RunRecord]) -> list[Metric]:
    problems: dict[str, dict[str, bool]] = defaultdict(dict)
    for r in _greedy(records):
        pid, _, key = r.sample_id.partition("#")
        if key:
            problems[pid][key] = r.correct
    ik = ig = cm_s = cm_l = rm_s = rm_l = n = 0
    for keys in problems.values():
        multi = [k for k in keys if k.endswith("steps_multi")]
        if len(multi) != 1:
            continue
        steps_n = int(multi[0][0])
        step_keys = [f"{steps_n}steps_{i}" for i in range(1, steps_n + 1)]
        if not all(k in keys for k in step_keys):
            continue
        n += 1
        steps = [keys[k] for k in step_keys]
        m = keys[multi[0]]
        ik += (not all(steps)) and not m
        ig += all(steps) and not m
        cm_s += all(steps) and m
        cm_l += any(steps) and m
        rm_s += (not all(steps)) and m
        rm_l += (not any(steps)) and m
    note = "" if n else "no multi-step problem with all its parts scored"
    return [
        Metric("IK", ik, n, note),
        Metric("IG", ig, n, note),
        Metric("CM (strict)", cm_s, n, note),
        Metric("RM (strict)", rm_s, cm_s + rm_s),
        Metric("score (strict)", n - ig / 2 - rm_s - ik, n, note),
        Metric("CM (loose)", cm_l, n, note),
        Metric("RM (loose)", rm_l, cm_l + rm_l),
        Metric("score (loose)", n - ig / 2 - rm_l - ik, n, note),
    ]


def hallusion_metrics(records: Sequence[RunRecord]) -> list[Metric]:
    rows = []
    for r in _greedy(records):
        parts = r.sample_id.split("/")
        if len(parts) == 5:
            rows.append((parts, r.correct))
    questions: dict[tuple[str, ...], list[bool]] = defaultdict(list)
    figures: dict[tuple[str, ...], list[bool]] = defaultdict(list)
    for (cat, sub, set_id, fig, q), ok in rows:
        questions[(cat, sub, set_id, q)].append(ok)
        if not (cat == "VS" and fig == "0"):
            figures[(cat, sub, set_id, fig)].append(ok)
    return [
        Metric("aAcc", sum(ok for _, ok in rows), len(rows)),
        Metric("qAcc", sum(all(v) for v in questions.values()), len(questions)),
        Metric("fAcc", sum(all(v) for v in figures.values()), len(figures)),
    ]


def by_dimension(records: Sequence[RunRecord]) -> list[Metric]:
    """Accuracy per ``dimension=value`` of the records' breakdown labels (``key=value`` parts
    joined by ``; ``, a ``skills`` value ``+``-joined), dimensions in the order the labels give
    them, values sorted; a record without a label counts nowhere."""
    by: dict[tuple[str, str], list[bool]] = defaultdict(list)
    dims: list[str] = []
    for r in _greedy(records):
        for part in (r.breakdown or "").split(";"):
            key, sep, value = part.strip().partition("=")
            if not sep:
                continue
            if key not in dims:
                dims.append(key)
            values = value.split("+") if key == "skills" else [value]
            for v in values:
                if v:
                    by[(key, v)].append(r.correct)
    return [Metric(f"{key}={value}", sum(ok), len(ok))
            for key, value in sorted(by, key=lambda kv: (dims.index(kv[0]), kv[1]))
            for ok in [by[(key, value)]]]


MetricsFn = Callable[[Sequence[RunRecord]], list[Metric]]

#: The benchmark metrics of each battery task id (presets use their benchmark's).
BENCHMARK_METRICS: dict[str, MetricsFn] = {
    "mathvista": by_dimension,
    "mathvision": by_dimension,
    "mathvision-full": by_dimension,
    "mathverse": mathverse_metrics,
    "mathverse-vision-only": mathverse_metrics,
    "wemath": wemath_metrics,
    "hallusionbench": hallusion_metrics,
}


def metrics_for(task: str) -> MetricsFn | None:
    return BENCHMARK_METRICS.get(task)
