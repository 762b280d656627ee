"""The paper's figures a board draws from run records and training logs, one module per figure
family, so a figure is found by its folder: :mod:`leaderboard.figures.rewards` (Figure 5),
:mod:`leaderboard.figures.samples_seen` (Figure 1 on a samples-seen axis),
:mod:`leaderboard.figures.sweeps` (Figure 4, accuracy and format accuracy vs the format weight
alpha; Figure 6, accuracy vs a constant KL weight beta, with GRPO-D's beta range).

Each module has a function that returns the figure's data (tested) and a thin plotting layer
that draws it with :mod:`leaderboard.plots`' fixed style, so the PNGs stay byte-stable.
"""
