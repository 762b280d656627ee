"""The cross-task section of a board: each trained model evaluated on the tasks it was not
trained on, as the paper's train-task by eval-task matrices."""

from __future__ import annotations

from leaderboard.analysis import Analysis
from leaderboard.blocks import Block, Heading, Image, Paragraph, TableBlock
from leaderboard.displays import cross_changes_display, cross_matrix_display
from leaderboard.keys import short_model_name
from leaderboard.plots import PLOTS_DIR, Plot, model_slug


def cross_blocks(an: Analysis, plots: dict[str, Plot]) -> list[Block]:
    """Cross-task results: per trained model, the train-task by eval-task matrix and the
    cross-task changes the paper reports, with the matrix plot of each base model."""
    blocks: list[Block] = [Heading(2, "Cross-task results")]
    if not an.cross:
        blocks.append(Paragraph("No trained model was evaluated on a task it was not trained on."))
        return blocks
    blocks.append(
        Paragraph(
            "For each trained model: train task (rows) by evaluation task (columns), with the "
            "untrained base model on top; the diagonal is same-task. Below each matrix, the "
            "cross-task pairs with the relative changes the paper reports (vs base, vs SFT)."
        )
    )
    for base in an.collection.bases:
        name = f"cross-task-{model_slug(base)}.png"
        if name in plots:
            blocks.append(Image(f"{PLOTS_DIR}/{name}", plots[name].title))
    for ct in an.cross:
        blocks.append(Heading(3, f"{ct.model.display} ({short_model_name(ct.model.base)})"))
        blocks.append(TableBlock(cross_matrix_display(ct)))
        if ct.entries:
            blocks.append(TableBlock(cross_changes_display(ct)))
    return blocks
