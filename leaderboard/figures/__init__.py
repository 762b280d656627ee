"""The paper's figures a board draws from records and training logs, one module per figure
(:mod:`leaderboard.figures.rewards`: Figure 5, :mod:`leaderboard.figures.samples_seen`: Figure 1
on a samples-seen axis).

Each module has a function that returns the figure's data (tested) and a thin plotting layer
that draws it with :mod:`leaderboard.plots`' fixed style, so the PNGs stay byte-stable.
"""
