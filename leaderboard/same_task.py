"""The same-task sections of a board: Table 1 (each model on the task it was trained on) and
the per-task breakdowns of its runs."""

from __future__ import annotations

import leaderboard.reported as rep
from leaderboard.analysis import Analysis
from leaderboard.blocks import Block, Bullets, Heading, Paragraph, TableBlock
from leaderboard.cells import column_labels
from leaderboard.displays import breakdown_display, table1_display
from leaderboard.keys import EvalKey, method_name, short_model_name


def _proposed_names(proposed: tuple[str, ...]) -> str:
    return ", ".join(method_name(m) for m in proposed) or "none"


def best_prompts(an: Analysis) -> str:
    """`` Best prompt of each base model: ...`` - the prompt (paper included) with the highest
    mean accuracy over the columns where the base model has a run for every one of its
    prompts; empty when no base model was run with two prompts."""
    by_base: dict[str, dict[str, dict[EvalKey, float]]] = {}
    for key, run in an.collection.cells.items():
        if key.model.method != "base" or key.train_task is not None or key.model.variant:
            continue
        label = key.model.prompt_label.removeprefix("prompt ") or "paper"
        by_base.setdefault(key.model.base, {}).setdefault(label, {})[key.column] = (
            run.accuracy.value)
    said = []
    for base, prompts in sorted(by_base.items()):
        if len(prompts) < 2:
            continue
        shared = set.intersection(*(set(cols) for cols in prompts.values()))
        if not shared:
            continue
        means = {p: sum(cols[c] for c in shared) / len(shared) for p, cols in prompts.items()}
        best = max(sorted(means), key=lambda p: means[p])
        said.append(f"{short_model_name(base)}: {best} ({100 * means[best]:.2f}% mean over "
                    f"{len(shared)} column(s), paper prompt {100 * means['paper']:.2f}%)"
                    if "paper" in means else
                    f"{short_model_name(base)}: {best} ({100 * means[best]:.2f}%)")
    return (" Best prompt of each base model: " + "; ".join(said) + ".") if said else ""


def table1_blocks(an: Analysis) -> list[Block]:
    """Same-task results (Table 1), its mark notes, and whether the paper's rows are shown."""
    t1 = an.table1
    proposed = _proposed_names(t1.proposed)
    blocks: list[Block] = [
        Heading(2, "Same-task results (Table 1)"),
        Paragraph(
            "Rows are models and methods, columns are evaluation tasks; a trained model is "
            "evaluated on the task it was trained on. Within each base model, **bold** is the "
            f"best in its column and <u>underlined</u> the strongest baseline (every method "
            f"but {proposed}). The vs columns give the change over the base "
            "model, SFT and GRPO of the same base model, in points and relative."
        ),
        TableBlock(table1_display(t1)),
    ]
    prompted = sorted({k.model.prompt_label for k in an.collection.cells if k.model.prompt})
    if prompted:
        blocks.append(Paragraph(
            "Rows marked *(prompt NAME@VERSION)* are the same model asked with another prompt "
            f"variant (`run --prompt`; here: {', '.join(prompted)}), shown beside its "
            "paper-prompt row and counted by that variant's scoring profile where it names "
            "one (`direct` asks for no tags and is read by `free-form`). A base model's best "
            "prompt is the fair baseline for an RL gain; the vs columns still measure from the "
            "paper-prompt base row." + best_prompts(an)
        ))
    labels = column_labels(t1.columns)
    notes = []
    for note in t1.mark_notes:
        where = f"{labels[note.column]} ({short_model_name(note.base)})"
        if note.n_shared:
            notes.append(
                f"{where}: the {note.n_rows} rows scored different samples; bold and underline "
                f"compare them on the {note.n_shared} samples all of them scored."
            )
        else:
            notes.append(
                f"{where}: the {note.n_rows} rows share no scored sample, so no cell is marked."
            )
    if notes:
        blocks.append(Bullets(tuple(notes)))
    if t1.reported:
        blocks.append(
            Paragraph(
                "*reported (paper)* rows are the OThink-MR1 paper's numbers (Table 1, "
                "Qwen2-VL-2B/7B-Instruct), shown only in columns of the paper's tasks "
                f"({', '.join(f'`{t}`' for t in rep.PAPER_TASKS)}) on the test split of the "
                "paper's data. They were not measured here and take no part in marks or tests."
            )
        )
    else:
        blocks.append(
            Paragraph(
                "No column is one of the paper's tasks "
                f"({', '.join(f'`{t}`' for t in rep.PAPER_TASKS)}) on the test split of the "
                "paper's data, so the paper's reported numbers are not shown."
            )
        )
    return blocks


def breakdown_blocks(an: Analysis) -> list[Block]:
    """Per-task breakdowns of the Table 1 runs (none when no task has breakdown labels)."""
    if not an.breakdowns:
        return []
    labels = column_labels(an.table1.columns)
    blocks: list[Block] = [
        Heading(2, "Per-task breakdowns"),
        Paragraph(
            "Accuracy (correct/n) of the Table 1 runs by the task's breakdown label (counting: "
            "the true count; geometry: the form of the answer)."
        ),
    ]
    for bd in an.breakdowns:
        blocks.append(Heading(3, labels[bd.column]))
        blocks.append(TableBlock(breakdown_display(bd)))
    return blocks
