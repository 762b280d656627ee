"""The paper's figures drawn from run records, one module per figure family, so a figure is
found by its folder: :mod:`leaderboard.figures.sweeps` draws the sweep figures (the paper's
Figure 4, accuracy and format accuracy vs the format weight alpha; Figure 6, accuracy vs a
constant KL weight beta, with GRPO-D's beta range)."""
