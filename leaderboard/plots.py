"""Board plots as PNG bytes: step curves, cross-task bars, beta schedules, reward curves.

Figures are drawn with matplotlib's Agg canvas directly (no pyplot, so no global figure state
and no GUI backend), at a fixed size and dpi, under a fixed style, and saved with the PNG
``Software`` metadata removed: the same inputs give the same bytes, so a rebuilt board shows no
spurious diff. Functions return bytes; writing files is the renderer's job.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from leaderboard.analysis import Analysis, CrossTable, StepPanel
from leaderboard.cells import column_labels
from leaderboard.keys import EvalKey, short_model_name, slugify
from leaderboard.training_logs import TrainingLog

PLOTS_DIR = "plots"  # the board folder's subfolder the PNGs are written into
WIDTH_IN = 8.0
HEIGHT_IN = 4.5
DPI = 100
SIZE_PX = (int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI))

METHOD_COLORS: dict[str, str] = {
    "base": "#7f7f7f",
    "sft": "#1f77b4",
    "grpo": "#ff7f0e",
    "grpod": "#2ca02c",
}
EXTRA_COLORS = ("#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf")

STYLE: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "path.simplify": False,
    "svg.hashsalt": "othink-bench",
}


def plot_style() -> Any:
    """The fixed style, as a context (typed loosely: matplotlib types rc keys as literals)."""
    return matplotlib.rc_context(cast(Any, STYLE))


def method_color(method: str, index: int = 0) -> str:
    return METHOD_COLORS.get(method, EXTRA_COLORS[index % len(EXTRA_COLORS)])


def new_figure() -> Figure:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


@dataclass(frozen=True)
class Series:
    """One line: a label, a method (for its colour), x and y (and an optional interval)."""

    label: str
    method: str
    x: Sequence[float]
    y: Sequence[float]
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None
    dashed: bool = False
    marker: str = "o"


MARKERS = ("o", "s", "^", "D", "v", "P")


def line_plot(
    series: Sequence[Series],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    hlines: Sequence[tuple[str, float]] = (),
) -> bytes:
    """Lines (with interval bands where given) and labelled horizontal reference lines."""
    with plot_style():
        fig = new_figure()
        ax = fig.add_subplot(1, 1, 1)
        _draw_lines(ax, series)
        for label, y in hlines:
            ax.axhline(y, color=METHOD_COLORS["base"], linestyle="--", linewidth=1.2, label=label)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if series or hlines:
            ax.legend(loc="best")
        fig.tight_layout()
        return png_bytes(fig)


def _draw_lines(ax: Axes, series: Sequence[Series]) -> None:
    for i, s in enumerate(series):
        color = method_color(s.method, i)
        style = "--" if s.dashed else "-"
        marker = s.marker if len(s.x) <= 40 else None
        ax.plot(
            s.x,
            s.y,
            style,
            color=color,
            marker=marker,
            markersize=3.5,
            linewidth=1.5,
            label=s.label,
        )
        if s.low is not None and s.high is not None:
            ax.fill_between(s.x, s.low, s.high, color=color, alpha=0.15, linewidth=0)


def panels_plot(
    panels: Sequence[tuple[str, Sequence[Series]]], *, title: str, xlabel: str, ylabel: str
) -> bytes:
    """Side-by-side panels sharing the y axis (e.g. reward curves per training task)."""
    with plot_style():
        fig = new_figure()
        n = max(1, len(panels))
        axes = [fig.add_subplot(1, n, i + 1) for i in range(n)]
        for ax, (name, series) in zip(axes, panels, strict=False):
            _draw_lines(ax, series)
            ax.set_title(name)
            ax.set_xlabel(xlabel)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if series:
                ax.legend(loc="best")
        axes[0].set_ylabel(ylabel)
        fig.suptitle(title)
        fig.tight_layout()
        return png_bytes(fig)


def grouped_bars(
    groups: Sequence[str],
    bars: Sequence[tuple[str, str, Sequence[float | None], Sequence[tuple[float, float] | None]]],
    *,
    title: str,
    ylabel: str,
) -> bytes:
    """Grouped bars: ``bars`` is (label, method, value per group, (low, high) per group)."""
    with plot_style():
        fig = new_figure()
        ax = fig.add_subplot(1, 1, 1)
        width = 0.8 / max(1, len(bars))
        for i, (label, method, values, intervals) in enumerate(bars):
            xs, ys, lo, hi = [], [], [], []
            for g, (v, ci) in enumerate(zip(values, intervals, strict=True)):
                if v is None:
                    continue
                xs.append(g - 0.4 + width * (i + 0.5))
                ys.append(v)
                lo.append(v - ci[0] if ci else 0.0)
                hi.append(ci[1] - v if ci else 0.0)
            ax.bar(
                xs,
                ys,
                width=width * 0.95,
                color=method_color(method, i),
                label=label,
                yerr=[lo, hi],
                capsize=2.5,
                error_kw={"linewidth": 0.8},
            )
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(groups)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.set_ylim(0, 100)
        ax.grid(axis="x", visible=False)
        if bars:
            ax.legend(loc="upper right", ncols=min(4, len(bars)))
        fig.tight_layout()
        return png_bytes(fig)


# -- the board's plots -------------------------------------------------------------------------


@dataclass(frozen=True)
class Plot:
    name: str  # file name under plots/
    title: str  # alt text and caption
    png: bytes


def step_plot(panel: StepPanel) -> Plot:
    label = column_labels([panel.column])[panel.column]
    series = []
    for curve in panel.curves:
        series.append(
            Series(
                label=curve.model.display,
                method=curve.model.method,
                x=[float(r.step or 0) for r in curve.runs],
                y=[100 * r.accuracy.value for r in curve.runs],
                low=[100 * r.accuracy.low for r in curve.runs],
                high=[100 * r.accuracy.high for r in curve.runs],
            )
        )
    hlines = []
    if panel.base_run is not None:
        hlines.append(
            (f"{short_model_name(panel.base)} (untrained)", 100 * panel.base_run.accuracy.value)
        )
    title = f"{short_model_name(panel.base)}: accuracy on {label} vs training step"
    png = line_plot(
        series, title=title, xlabel="training step", ylabel="accuracy (%)", hlines=hlines
    )
    name = f"steps-{model_slug(panel.base)}-{panel.column.slug}.png"
    return Plot(name, title, png)


def cross_task_plot(base: str, tables: Sequence[CrossTable]) -> Plot | None:
    """Figure 7 style: for each cross-task pair, the base model and each method side by side."""
    pairs: list[tuple[str, EvalKey]] = []
    for ct in tables:
        for e in ct.entries:
            key = (e.train_task, e.column)
            if key not in pairs:
                pairs.append(key)
    if not pairs:
        return None
    columns = sorted({c for _, c in pairs}, key=EvalKey.sort_key)
    labels = column_labels(columns)
    groups = [f"{t} → {labels[c]}" for t, c in pairs]
    base_vals: list[float | None] = []
    base_ci: list[tuple[float, float] | None] = []
    for _, c in pairs:
        run = next((ct.base_cells[c] for ct in tables if c in ct.base_cells), None)
        base_vals.append(100 * run.accuracy.value if run else None)
        base_ci.append((100 * run.accuracy.low, 100 * run.accuracy.high) if run else None)
    bars = [(f"{short_model_name(base)} (untrained)", "base", base_vals, base_ci)]
    for ct in tables:
        vals: list[float | None] = []
        cis: list[tuple[float, float] | None] = []
        for t, c in pairs:
            run = ct.cells.get((t, c))
            vals.append(100 * run.accuracy.value if run else None)
            cis.append((100 * run.accuracy.low, 100 * run.accuracy.high) if run else None)
        bars.append((ct.model.display, ct.model.method, vals, cis))
    title = f"{short_model_name(base)}: cross-task accuracy (train task → eval task)"
    png = grouped_bars(groups, bars, title=title, ylabel="accuracy (%)")
    return Plot(f"cross-task-{model_slug(base)}.png", title, png)


def _log_label(log: TrainingLog) -> str:
    return f"{log.model.display} ({log.train_task})" if log.train_task else log.model.display


def beta_plot(logs: Sequence[TrainingLog]) -> Plot | None:
    """The KL weight per step of each GRPO-D training (constant-beta GRPO dashed, for scale)."""
    series = []
    tasks = sorted({log.train_task or "" for log in logs})
    for log in logs:
        if log.model.method not in ("grpod", "grpo"):
            continue
        x, y = log.series("beta")
        if x:
            marker = MARKERS[tasks.index(log.train_task or "") % len(MARKERS)]
            dashed = log.model.method != "grpod"
            series.append(
                Series(_log_label(log), log.model.method, x, y, dashed=dashed, marker=marker)
            )
    if not any(not s.dashed for s in series):
        return None
    title = "KL weight beta per optimizer step (GRPO-D solid, GRPO dashed)"
    png = line_plot(series, title=title, xlabel="optimizer step", ylabel="beta")
    return Plot("beta-schedule.png", title, png)


def reward_plot(logs: Sequence[TrainingLog]) -> Plot | None:
    """Mean training reward per step, one panel per training task."""
    by_task: dict[str, list[Series]] = {}
    for log in logs:
        x, y = log.series("reward")
        if x:
            by_task.setdefault(log.train_task or "?", []).append(
                Series(log.model.display, log.model.method, x, y)
            )
    if not by_task:
        return None
    panels = [(f"trained on {task}", by_task[task]) for task in sorted(by_task)]
    title = "Mean training reward (accuracy + format) per logged step"
    png = panels_plot(panels, title=title, xlabel="step", ylabel="reward")
    return Plot("rewards.png", title, png)


def model_slug(text: str) -> str:
    """A base model's part of its plot files' names (``steps-<slug>-…``, ``cross-task-<slug>``)."""
    return slugify(short_model_name(text))


def board_plots(analysis: Analysis) -> list[Plot]:
    """Every plot a board shows, in a fixed order."""
    plots: list[Plot] = [step_plot(p) for p in analysis.steps]
    for base in analysis.collection.bases:
        tables = [ct for ct in analysis.cross if ct.model.base == base]
        plot = cross_task_plot(base, tables)
        if plot is not None:
            plots.append(plot)
    logs = analysis.collection.logs
    for extra in (beta_plot(logs), reward_plot(logs)):
        if extra is not None:
            plots.append(extra)
    return plots


__all__ = [
    "DPI",
    "SIZE_PX",
    "Plot",
    "Series",
    "beta_plot",
    "board_plots",
    "cross_task_plot",
    "grouped_bars",
    "line_plot",
    "panels_plot",
    "reward_plot",
    "step_plot",
]
