"""SFT on ``trl.SFTTrainer``: the evaluation prompt in, the task's solution out.

Why prompt-completion data rather than whole conversations: TRL's vision collator renders the
``prompt`` messages with the chat template and the generation prompt - exactly what the
harness renders at evaluation (same :meth:`Task.prompt`, same template, image first) - then
appends the ``completion`` (the solution, with its ``<think>`` reasoning where the data has
one), and with ``completion_only_loss`` labels only the completion's tokens. Prompt, system
and image tokens never carry loss, and no chat-template surgery (``{% generation %}`` markers,
which ``assistant_only_loss`` needs) is required of the checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trainers.config import SFTRecipeConfig
from trainers.recipes import ConfigError


def build_sft_trainer(
    model: Any,
    processor: Any,
    config: SFTRecipeConfig,
    dataset: Any,
    *,
    callbacks: Sequence[Any] = (),
) -> Any:
    """A ``trl.SFTTrainer`` over a prompt-completion dataset (see :mod:`trainers.data`)."""
    from trl import SFTTrainer

    if not isinstance(config, SFTRecipeConfig):
        raise ConfigError(
            f"SFT training needs a trainers.config.SFTRecipeConfig, got {type(config).__name__}"
        )
    missing = {"prompt", "completion", "image"} - set(dataset.column_names)
    if missing:
        raise ConfigError(
            f"the SFT dataset lacks column(s) {sorted(missing)}; build it with "
            "trainers.data.build_dataset(..., for_sft=True)"
        )
    return SFTTrainer(
        model=model,
        args=config,
        train_dataset=dataset,
        processing_class=processor,
        callbacks=list(callbacks),
    )
