"""Keep the libraries' own progress bars and unactionable warnings off the terminal.

transformers draws a "Loading weights" bar for every model it loads (twice for a GRPO policy
and its reference), datasets one for every cast or map; their carriage returns interleave with
the harness's evaluation bar and the training bar. The commands that load models call
:func:`quiet_libraries` once, so each phase shows exactly one bar of ours.
"""

from __future__ import annotations

import warnings


def quiet_libraries() -> None:
    """Silence transformers', datasets' and huggingface_hub's progress bars and known noise."""
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()  # also huggingface_hub's bars
    warnings.filterwarnings("ignore", message=".*pin_memory.*no accelerator is found.*")
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*deprecated.*")


__all__ = ["quiet_libraries"]
