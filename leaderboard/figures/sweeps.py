"""Sweep figures: accuracy against a swept setting's value, from the records of a
``train-and-eval --sweep`` (the paper's Figures 4 and 6).

Why a figure of its own: a sweep's values are rows of the board (``+ GRPO (beta=0.05)``), but
the paper's argument (RQ1) is the shape across values - does accuracy fall as the constant KL
weight grows, does format accuracy need the format weight alpha. Here each swept numeric
setting of a base model gets one figure, one panel per eval column:

- a line per training that differs only in that setting (same method, train task, other swept
  settings and training seed), accuracy of its final checkpoint at each value with its Wilson
  95% interval as a band;
- for ``alpha`` (the format-reward weight, Figure 4) the format accuracy too, dashed, with its
  interval;
- for ``beta`` (Figure 6) each GRPO-D training on the same train task and column, drawn as its
  accuracy (and interval) over the range of beta its training log shows it used, min to max:
  GRPO-D has no single beta, so it is placed where its schedule went. Without a training log
  its range is unknown and it is not drawn (the table says so).

Only values that are numbers are drawn (a sweep of ``beta_schedule`` has no x axis); the table
below each figure lists every value. Nothing here reads a file: it is a function of the
:class:`~leaderboard.collect.Collection`.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leaderboard.across_seeds import RULE, PooledPairs, pool_pairs
from leaderboard.analysis import Analysis
from leaderboard.blocks import Block, Heading, Image, Paragraph, TableBlock
from leaderboard.cells import EMPTY, DisplayCell, DisplayTable, acc_cell, column_labels, fmt_pct
from leaderboard.collect import Collection
from leaderboard.keys import EvalKey, ModelKey, natural_key, short_model_name, slugify
from leaderboard.log_summary import quarter_means
from leaderboard.plots import (
    PLOTS_DIR,
    Plot,
    Series,
    _draw_lines,
    method_color,
    model_slug,
    new_figure,
    plot_style,
    png_bytes,
)
from leaderboard.runs import Run
from leaderboard.training_logs import TrainingLog
from othink_bench.sweeps import value_sort_key, value_text

FORMAT_WEIGHT = "alpha"  # Figure 4: format accuracy is drawn too
KL_WEIGHT = "beta"  # Figure 6: GRPO-D's beta range is drawn too
SETTING_NAMES = {FORMAT_WEIGHT: "format-reward weight alpha", KL_WEIGHT: "constant KL weight beta"}


@dataclass(frozen=True)
class SweepLine:
    """Trainings that differ only in one swept setting, on one (train task, eval column)."""

    model: ModelKey  # the row without the swept setting (other swept settings and seed kept)
    train_task: str | None
    column: EvalKey
    points: tuple[tuple[Any, Run], ...]  # (value, final checkpoint's run), by value

    @property
    def label(self) -> str:
        return f"{self.model.display} on {self.train_task}" if self.train_task else self.model.display


@dataclass(frozen=True)
class RangeMark:
    """A GRPO-D training on a beta figure: its accuracy over the beta range it used."""

    model: ModelKey
    train_task: str | None
    column: EvalKey
    run: Run
    beta_range: tuple[float, float] | None  # min and max beta of its log; None: no log


@dataclass(frozen=True)
class SweepFigure:
    base: str
    setting: str
    lines: tuple[SweepLine, ...]
    ranges: tuple[RangeMark, ...] = ()

    @property
    def columns(self) -> list[EvalKey]:
        return sorted({line.column for line in self.lines}, key=EvalKey.sort_key)

    @property
    def name(self) -> str:
        return f"sweep-{slugify(self.setting)}-{model_slug(self.base)}.png"

    @property
    def title(self) -> str:
        what = SETTING_NAMES.get(self.setting, self.setting)
        extra = {FORMAT_WEIGHT: " (format accuracy dashed)",
                 KL_WEIGHT: " (GRPO-D over the beta range it used)" if self.ranges else "",
                 }.get(self.setting, "")
        return f"{short_model_name(self.base)}: accuracy vs {what}{extra}"


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def build_sweeps(coll: Collection) -> list[SweepFigure]:
    """Every sweep figure of a collection: one per (base model, swept numeric setting) with a
    line of two or more values."""
    groups: dict[tuple[str, str, ModelKey, str | None, EvalKey], list[tuple[Any, Run]]] = {}
    for model in coll.models:
        for setting, value in model.sweep:
            if not _numeric(value):
                continue
            rest = tuple(kv for kv in model.sweep if kv[0] != setting)
            line_model = ModelKey(model.base, model.method, model.variant, model.train_seed, rest)
            for task in coll.train_tasks(model):
                for column in coll.columns:
                    run = coll.final(model, task, column)
                    if run is not None and run.accuracy.n:
                        key = (model.base, setting, line_model, task, column)
                        groups.setdefault(key, []).append((value, run))
    figures: dict[tuple[str, str], list[SweepLine]] = {}
    for (base, setting, model, task, column), points in groups.items():
        if len(points) > 1:
            ordered = tuple(sorted(points, key=lambda p: value_sort_key(p[0])))
            figures.setdefault((base, setting), []).append(SweepLine(model, task, column, ordered))
    out = []
    for (base, setting), lines in sorted(figures.items(),
                                         key=lambda kv: (natural_key(kv[0][0]), kv[0][1])):
        lines.sort(key=lambda ln: (ln.model.sort_key(), natural_key(ln.train_task or ""),
                                   ln.column.sort_key()))
        ranges = _grpod_ranges(coll, base, lines) if setting == KL_WEIGHT else ()
        out.append(SweepFigure(base, setting, tuple(lines), ranges))
    return out


def _grpod_ranges(coll: Collection, base: str, lines: Sequence[SweepLine]) -> tuple[RangeMark, ...]:
    """GRPO-D trainings on the (train task, column)s drawn, with a line's other swept settings
    (so none swept in beta)."""
    places = sorted({(ln.train_task or "", ln.column) for ln in lines},
                    key=lambda p: (natural_key(p[0]), p[1].sort_key()))
    settings = {ln.model.sweep for ln in lines}  # the lines' other swept settings
    marks = []
    for model in coll.models:
        if model.base != base or model.method != "grpod" or model.sweep not in settings:
            continue
        for task, column in places:
            run = coll.final(model, task or None, column)
            if run is None or not run.accuracy.n:
                continue
            log = next((lg for lg in coll.logs
                        if lg.model == model and (lg.train_task or "") == task), None)
            betas = log.series(KL_WEIGHT)[1] if log is not None else []
            span = (min(betas), max(betas)) if betas else None
            marks.append(RangeMark(model, task or None, column, run, span))
    return tuple(marks)


# -- drawing -----------------------------------------------------------------------------------


def sweep_plot(fig: SweepFigure, training: Mapping[tuple[ModelKey, str | None],
                                                   Sequence[TrainingPart]] | None = None) -> Plot:
    """One panel per eval column: accuracy (and, for alpha, format accuracy) vs the value; with
    ``training`` (:func:`sweep_training_parts`) a last panel of what the value did during
    training: each quantity's mean over seeds in the quarter contrasted, min to max as a band."""
    labels = column_labels(fig.columns)
    training = {k: v for k, v in (training or {}).items() if v}
    with plot_style():
        figure = new_figure()
        columns = fig.columns
        n = len(columns) + (1 if training else 0)
        figure.set_size_inches(figure.get_figwidth() * max(1.0, n / 1.5), figure.get_figheight())
        axes = [figure.add_subplot(1, n, i + 1) for i in range(n)]
        for ax, column in zip(axes[: len(columns)], columns, strict=True):
            series = []
            for line in (ln for ln in fig.lines if ln.column == column):
                x = [float(v) for v, _ in line.points]
                runs = [r for _, r in line.points]
                series.append(Series(line.label, line.model.method, x,
                                     [100 * r.accuracy.value for r in runs],
                                     [100 * r.accuracy.low for r in runs],
                                     [100 * r.accuracy.high for r in runs]))
                if fig.setting == FORMAT_WEIGHT:
                    series.append(Series(f"{line.label}: format", line.model.method, x,
                                         [100 * r.format_rate.value for r in runs],
                                         [100 * r.format_rate.low for r in runs],
                                         [100 * r.format_rate.high for r in runs],
                                         dashed=True, marker="s"))
            _draw_lines(ax, series)
            for mark in (m for m in fig.ranges if m.column == column and m.beta_range):
                assert mark.beta_range is not None
                low, high = mark.beta_range
                acc = mark.run.accuracy
                color = method_color("grpod")
                ax.hlines(100 * acc.value, low, high, colors=color, linewidth=3,
                          label=f"{mark.model.display} on {mark.train_task}: beta "
                          f"{low:.3g}..{high:.3g}")
                ax.fill_between([low, high], 100 * acc.low, 100 * acc.high, color=color,
                                alpha=0.15, linewidth=0)
            ax.set_title(labels[column])
            ax.set_xlabel(fig.setting)
            ax.set_ylim(0, 100)
            ax.legend(loc="best", fontsize="small")
        if training:
            ax = axes[-1]
            series = []
            for (model, task), parts in training.items():
                who = f"{model.display} on {task}: " if len(training) > 1 else ""
                for part in dict.fromkeys(tp.part for tp in parts):
                    rows = [tp for tp in parts if tp.part == part]
                    series.append(Series(
                        f"{who}{part}, {rows[0].quarter} quarter",
                        model.method, [float(tp.value) for tp in rows],
                        [statistics.fmean(tp.contrasted) for tp in rows],
                        [min(tp.contrasted) for tp in rows], [max(tp.contrasted) for tp in rows],
                        dashed=part != "accuracy reward", marker="s"))
            _draw_lines(ax, series)
            only = next(iter(training)) if len(training) == 1 else None
            ax.set_title("during training" + (f": {only[0].display} on {only[1]}" if only else "")
                         + "\n(mean of seeds, band min-max)")
            ax.set_xlabel(fig.setting)
            ax.set_ylabel("logged per-step mean")
            ax.legend(loc="best", fontsize="small")
        axes[0].set_ylabel("accuracy (%), Wilson 95% interval")
        figure.suptitle(fig.title)
        figure.tight_layout()
        return Plot(fig.name, fig.title, png_bytes(figure))


def sweep_plots(an: Analysis) -> list[Plot]:
    return [sweep_plot(f, sweep_training_parts(f, an.collection.logs))
            for f in build_sweeps(an.collection)]


@dataclass(frozen=True)
class SweepContrast:
    """One swept value against the sweep's first value, pooled over training seeds."""

    model: ModelKey  # the line's model without seed
    train_task: str | None
    column: EvalKey
    value: Any
    against: Any
    pooled: PooledPairs


def sweep_contrasts(fig: SweepFigure) -> list[SweepContrast]:
    """Each value of a figure's lines against the first value, where two or more training seeds
    have both (the lines of one model, train task and column differ only in their seed)."""
    groups: dict[tuple[ModelKey, str | None, EvalKey], list[SweepLine]] = {}
    for line in fig.lines:
        model = dataclasses.replace(line.model, train_seed=None)
        groups.setdefault((model, line.train_task, line.column), []).append(line)
    out = []
    for (model, task, column), lines in groups.items():
        values = sorted({v for ln in lines for v, _ in ln.points}, key=value_sort_key)
        for value in values[1:]:
            triples = []
            for ln in lines:
                at = dict(ln.points)
                if value in at and values[0] in at and ln.model.train_seed is not None:
                    triples.append((ln.model.train_seed, at[value], at[values[0]]))
            pooled = pool_pairs(sorted(triples, key=lambda t: t[0]))
            if pooled is not None:
                out.append(SweepContrast(model, task, column, value, values[0], pooled))
    return out


#: The per-step quantities of TRL's log the sweep section reads, by part name.
FORMAT_PART = "rewards/format_reward/mean"
_ACCURACY_PREFIX = "rewards/accuracy_"
#: What each swept setting is contrasted on during training, and in which quarter: the format
#: weight on how fast the format (and the accuracy) reward rise, the KL weight on how far the
#: policy has moved from the reference by the end.
TRAINING_CONTRASTS: dict[str, tuple[tuple[str, str], ...]] = {
    FORMAT_WEIGHT: (("format reward", "first"), ("accuracy reward", "first")),
    KL_WEIGHT: (("KL", "last"), ("accuracy reward", "last")),
}


@dataclass(frozen=True)
class TrainingPart:
    """One logged quantity's quarter means over one swept value's training seeds."""

    value: Any
    part: str  # "format reward", "accuracy reward" or "KL"
    quarter: str  # the quarter contrasted: "first" or "last"
    seeds: tuple[int, ...]
    first: tuple[float, ...]  # each seed's first-quarter mean, in seed order
    last: tuple[float, ...]
    # against the first value that logged this quantity (TRL logs no KL at beta 0), on the
    # seeds both have: differences in ``quarter``
    against: Any = None
    diffs: tuple[float, ...] = ()
    p_value: float | None = None  # two-sided paired t-test over seeds; None for ``against``

    @property
    def contrasted(self) -> tuple[float, ...]:
        return self.first if self.quarter == "first" else self.last


def _part_series(log: TrainingLog, part: str) -> list[float]:
    if part == "format reward":
        return log.series(FORMAT_PART)[1]
    if part == "KL":
        return log.series("kl")[1]
    keys = sorted({k for e in log.history for k in e
                   if k.startswith(_ACCURACY_PREFIX) and k.endswith("/mean")})
    return log.series(keys[0])[1] if keys else []


def sweep_training_parts(fig: SweepFigure, logs: Sequence[TrainingLog]
                         ) -> dict[tuple[ModelKey, str | None], list[TrainingPart]]:
    """What a swept setting did *during* training (:data:`TRAINING_CONTRASTS`), where the final
    checkpoints may agree (every alpha ends with the format learnt).

    One entry per (model without seed, train task) with two or more seeds at two or more values.
    """
    wanted = TRAINING_CONTRASTS.get(fig.setting, ())
    by_key: dict[tuple[ModelKey, str | None], dict[Any, dict[int, TrainingLog]]] = {}
    for log in logs:
        swept = dict(log.model.sweep)
        if fig.setting not in swept or log.model.train_seed is None:
            continue
        if log.model.base != fig.base:
            continue
        rest = tuple(kv for kv in log.model.sweep if kv[0] != fig.setting)
        model = ModelKey(log.model.base, log.model.method, log.model.variant, None, rest)
        per_value = by_key.setdefault((model, log.train_task), {})
        per_value.setdefault(swept[fig.setting], {})[log.model.train_seed] = log
    out: dict[tuple[ModelKey, str | None], list[TrainingPart]] = {}
    for key, per_value in sorted(by_key.items(), key=lambda kv: (kv[0][0].sort_key(),
                                                                 natural_key(kv[0][1] or ""))):
        values = sorted(per_value, key=value_sort_key)
        if len(values) < 2:
            continue
        parts: list[TrainingPart] = []
        for part, quarter in wanted:
            quarters: dict[Any, dict[int, tuple[float, float]]] = {}
            for value in values:
                for seed, log in per_value[value].items():
                    q = quarter_means(_part_series(log, part))
                    if q is not None:
                        quarters.setdefault(value, {})[seed] = (q.first_mean, q.last_mean)
            logged = [v for v in values if v in quarters]
            if len(logged) < 2:
                continue
            at = 0 if quarter == "first" else 1
            ref = quarters[logged[0]]
            for value in logged:
                got = quarters.get(value, {})
                seeds = tuple(sorted(got))
                if len(seeds) < 2:
                    continue
                diffs: tuple[float, ...] = ()
                p = None
                if value != logged[0]:
                    both = [sd for sd in seeds if sd in ref]
                    diffs = tuple(got[sd][at] - ref[sd][at] for sd in both)
                    p = _paired_p(diffs)
                parts.append(TrainingPart(value, part, quarter, seeds,
                                          tuple(got[sd][0] for sd in seeds),
                                          tuple(got[sd][1] for sd in seeds), logged[0], diffs, p))
        if parts:
            out[key] = parts
    return out


def _paired_p(diffs: Sequence[float]) -> float | None:
    """Two-sided one-sample t-test of the differences against 0 (None below 2; 0 or 1 when
    they have no spread)."""
    if len(diffs) < 2:
        return None
    if len(set(diffs)) == 1:
        return 1.0 if diffs[0] == 0 else 0.0
    from scipy.stats import ttest_1samp

    return float(ttest_1samp(list(diffs), 0.0).pvalue)


def _seed_values(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.3g}" for v in values)


def _points_interval(pooled: PooledPairs) -> str:
    iv = pooled.two_level
    return f"{100 * iv.mean:+.2f} [{100 * iv.low:+.1f}, {100 * iv.high:+.1f}] pts"


# -- the board's section -----------------------------------------------------------------------


def _cell(run: Run | None, with_format: bool) -> DisplayCell:
    if run is None:
        return EMPTY
    cell = acc_cell(run)
    if not with_format:
        return cell
    return DisplayCell(cell.main, f"{cell.rest}; format {fmt_pct(run.format_rate.value, 1)}",
                       ref=cell.ref)


def sweep_blocks(an: Analysis, plots: dict[str, Plot]) -> list[Block]:
    """"Sweeps": per figure, the plot and a table (a row per line, a column per value)."""
    figures = build_sweeps(an.collection)
    if not figures:
        return []
    labels = column_labels(an.collection.columns)
    blocks: list[Block] = [
        Heading(2, "Sweeps"),
        Paragraph(
            "Trainings of `train-and-eval --sweep` that differ in one setting, final "
            "checkpoints: accuracy % [Wilson 95% interval] (n) and run per value (the paper's "
            "Figure 4 for the format weight alpha, with format accuracy; Figure 6 for a "
            "constant KL weight beta, with GRPO-D over the beta range its log shows)."
        ),
    ]
    for fig in figures:
        blocks.append(Heading(3, fig.title))
        if fig.name in plots:
            blocks.append(Image(f"{PLOTS_DIR}/{fig.name}", plots[fig.name].title))
        values = sorted({v for ln in fig.lines for v, _ in ln.points}, key=value_sort_key)
        rows = []
        for line in fig.lines:
            by_value = dict(line.points)
            rows.append([DisplayCell(line.model.display), DisplayCell(line.train_task or "—"),
                         DisplayCell(labels[line.column]),
                         *(_cell(by_value.get(v), fig.setting == FORMAT_WEIGHT) for v in values)])
        header = ["model", "trained on", "eval", *(f"{fig.setting}={value_text(v)}" for v in values)]
        blocks.append(TableBlock(DisplayTable(header, rows, ["l", "l", "l"] + ["r"] * len(values))))
        contrasts = sweep_contrasts(fig)
        if contrasts:
            blocks.append(Paragraph(
                f"Across seeds, each {fig.setting} against the sweep's first value, on the "
                "questions both scored: mean paired difference in points with its two-level 95% "
                "interval (seeds and test questions resampled), the CMH test for matched pairs "
                f"stratified by seed, and the verdict by the board's rule ({RULE})."))
            blocks.append(TableBlock(DisplayTable(
                ["model", "trained on", "eval", "contrast", "seeds", "difference [95%]",
                 "CMH p", "supported"],
                [[DisplayCell(c.model.display), DisplayCell(c.train_task or "—"),
                  DisplayCell(labels[c.column]),
                  DisplayCell(f"{fig.setting}={value_text(c.value)} vs "
                              f"{fig.setting}={value_text(c.against)}"),
                  DisplayCell(", ".join(str(x) for x in c.pooled.seeds)),
                  DisplayCell(_points_interval(c.pooled)),
                  DisplayCell(f"{c.pooled.cmh.p_value:.2g}"),
                  DisplayCell({1: "**✓ higher**", -1: "**✓ lower**"}.get(
                      c.pooled.direction, "not supported"))]
                 for c in contrasts],
                ["l", "l", "l", "l", "l", "r", "r", "l"])))
        for (model, task), parts in sweep_training_parts(fig, an.collection.logs).items():
            blocks.append(Paragraph(
                f"During training ({model.display} on {task}, training logs): each quantity's "
                "mean over the first and the last quarter of the logged steps (mean over seeds), "
                "each seed's mean in the quarter contrasted, and the difference there from the "
                "first value that logged it, with the two-sided paired t-test over seeds (seeds "
                "higher : lower)."))
            rows = []
            for tp in parts:
                higher = sum(d > 0 for d in tp.diffs)
                lower = sum(d < 0 for d in tp.diffs)
                contrast = ("—" if tp.p_value is None else
                            f"{statistics.fmean(tp.diffs):+.3g} vs {fig.setting}="
                            f"{value_text(tp.against)} ({higher} : {lower}), "
                            f"p = {tp.p_value:.2g}")
                rows.append([DisplayCell(f"{fig.setting}={value_text(tp.value)}"),
                             DisplayCell(tp.part),
                             DisplayCell(", ".join(str(x) for x in tp.seeds)),
                             DisplayCell(f"{statistics.fmean(tp.first):.3g} → "
                                         f"{statistics.fmean(tp.last):.3g}"),
                             DisplayCell(f"{tp.quarter}: {_seed_values(tp.contrasted)}"),
                             DisplayCell(contrast)])
            blocks.append(TableBlock(DisplayTable(
                ["value", "quantity", "seeds", "first → last quarter", "per seed",
                 "difference"],
                rows, ["l", "l", "l", "r", "r", "r"])))
        for mark in fig.ranges:
            acc = acc_cell(mark.run).plain
            span = (f"beta {mark.beta_range[0]:.4g} to {mark.beta_range[1]:.4g}"
                    if mark.beta_range else "no training log, so its beta range is unknown "
                    "and it is not drawn")
            blocks.append(Paragraph(f"{mark.model.display} trained on {mark.train_task}, on "
                                    f"{labels[mark.column]}: {acc}; {span}."))
    return blocks


__all__ = ["RangeMark", "SweepContrast", "SweepFigure", "SweepLine", "TrainingPart",
           "build_sweeps", "sweep_blocks", "sweep_contrasts", "sweep_plot", "sweep_plots",
           "sweep_training_parts"]
