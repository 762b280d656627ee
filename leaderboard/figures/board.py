"""The paper figures a board shows besides :func:`leaderboard.plots.board_plots`, in a fixed
order: Figure 1 on a samples-seen axis per step panel, then Figure 5 (reward parts)."""

from __future__ import annotations

from leaderboard.analysis import Analysis
from leaderboard.figures.rewards import reward_parts_plot
from leaderboard.figures.samples_seen import samples_seen_plot
from leaderboard.plots import Plot


def figure_plots(analysis: Analysis) -> list[Plot]:
    """Every figure of this package the board's records and logs can draw."""
    plots = [p for p in map(samples_seen_plot, analysis.steps) if p is not None]
    parts = reward_parts_plot(analysis.collection.logs)
    if parts is not None:
        plots.append(parts)
    return plots


__all__ = ["figure_plots"]
