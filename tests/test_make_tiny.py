"""``othink-bench make-tiny`` end to end, and the bundled tiny checkpoint it produced.

Why: the bundled model is the default of every offline command, so the recipe that makes it must
keep working (build, SFT with the project's trainer, harness evaluation, card), its card must
report what the run measured, and the shipped folder must load, stay small, and be what
``--model tiny`` resolves to.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from othink_bench.cli import build_parser
from othink_bench.models import tiny as tiny_mod
from trainers.tinymodel import (
    CARD_FILE,
    COUNTING_TASK,
    GEOMETRY_TASK,
    RECIPE_CHOICE,
    RESULT_FILE,
    MakeTinyOptions,
    TaskResult,
    batch_plan,
    command_line,
    make_tiny,
    rewrite_card,
    targets_met,
)

MAX_WEIGHTS_BYTES = 20 * 1024 * 1024


# --- the batch order ---------------------------------------------------------------------------


def test_batch_plan_is_seeded_homogeneous_and_covers_the_pool() -> None:
    rows, (n_count, n_geo) = batch_plan(30, 4, 2 / 3, (80, 40), seed=3)
    assert (n_count, n_geo) == (20, 10)
    assert len(rows) == 30 * 4
    batches = [rows[i:i + 4] for i in range(0, len(rows), 4)]
    assert all(len({task for task, _ in b}) == 1 for b in batches)  # one task per batch
    counting = [i for task, i in rows if task == 0]
    assert sorted(counting) == list(range(80))  # a pool the size of the rows: each once
    assert rows == batch_plan(30, 4, 2 / 3, (80, 40), seed=3)[0]
    assert rows != batch_plan(30, 4, 2 / 3, (80, 40), seed=4)[0]
    small, _ = batch_plan(30, 4, 2 / 3, (10, 40), seed=3)  # a small pool repeats by epochs
    assert sorted({i for task, i in small if task == 0}) == list(range(10))


def test_counting_first_stages_counting_batches_before_the_shuffle() -> None:
    rows, counts = batch_plan(30, 4, 0.5, (60, 60), seed=3, counting_first=10)
    assert counts == (15, 15)
    kinds = [rows[i][0] for i in range(0, len(rows), 4)]
    assert kinds[:10] == [0] * 10  # the counting-only stage
    assert kinds[10:].count(0) == 5 and kinds[10:].count(1) == 15  # the rest, shuffled
    assert kinds[10:] != sorted(kinds[10:]) and kinds[10:] != sorted(kinds[10:], reverse=True)
    assert sorted(i for t, i in rows if t == 0) == list(range(60))  # still each sample once
    with pytest.raises(ValueError, match="counting_first"):
        batch_plan(30, 4, 0.5, (60, 60), seed=3, counting_first=16)
    with pytest.raises(ValueError, match="counting first"):
        MakeTinyOptions(steps=30, counting_share=0.5, counting_first=16).validate()


def test_command_line_round_trips_through_the_cli() -> None:
    opts = MakeTinyOptions(out=Path("/tmp/x"), seed=2, steps=40, learning_rate=5e-4,
                           counting_share=0.5, counting_first=7, val_limit=10,
                           max_new_tokens=16)
    cmd = command_line(opts)
    assert cmd.startswith("othink-bench make-tiny ")
    args = build_parser("make-tiny").parse_args(cmd.split()[1:])
    assert (args.out, args.seed, args.steps, args.learning_rate, args.counting_share,
            args.counting_first, args.val_limit, args.max_new_tokens) == (
        Path("/tmp/x"), 2, 40, 5e-4, 0.5, 7, 10, 16)
    assert command_line(MakeTinyOptions()) == "othink-bench make-tiny"


# --- the pipeline, end to end ------------------------------------------------------------------


def _card_pct(card: str, task: str, split: str) -> tuple[str, str]:
    """(accuracy cell, format cell) of a task's row in the card's results table."""
    for line in card.splitlines():
        if line.startswith(f"| `{task}` |") and f"| {split} (" in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            return cells[4], cells[5]
    raise AssertionError(f"no {split} row for {task} in the card")


def test_make_tiny_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    opts = MakeTinyOptions(
        out=out, seed=0, steps=4, batch_size=4, eval_limit=6, val_limit=2, eval_batch_size=8,
        max_new_tokens=12, logging_steps=2, work=tmp_path / "work", progress=False,
        counting_first=0,
    )
    result = make_tiny(opts)

    from othink_bench.models.processor import load_model

    model, processor = load_model(out, device="cpu")
    assert type(model).__name__ == "Qwen2VLForConditionalGeneration"
    assert processor.tokenizer.convert_tokens_to_ids("<think>") is not None
    weights = out / "model.safetensors"
    assert weights.stat().st_size == result.weights_bytes < MAX_WEIGHTS_BYTES

    assert result.training["steps"] == 4
    assert result.data["rows"] == 16
    assert set(result.test) == {COUNTING_TASK, GEOMETRY_TASK}
    assert all(r.n == 6 for r in result.test.values())
    assert all(r.n == 2 and r.split == "train" for r in result.validation.values())

    card = (out / CARD_FILE).read_text(encoding="utf-8")
    assert result.command in card
    for task, r in result.test.items():
        acc, fmt = _card_pct(card, task, "test")
        assert acc.startswith(f"{r.correct}/{r.n} = {100 * r.accuracy:.1f}% "
                              f"[{100 * r.accuracy_low:.1f}, {100 * r.accuracy_high:.1f}]")
        assert fmt.startswith(f"{r.format_ok}/{r.n} = {100 * r.format_rate:.1f}%")
    occ = result.test[COUNTING_TASK].extra["occupancy"]
    assert f"well-formed 16-bit maps: {occ['well_formed_maps']}/{occ['n']}" in card
    assert re.search(r"\| SFT training \| \d+ \|", card)

    saved = json.loads((out / RESULT_FILE).read_text(encoding="utf-8"))
    assert saved["test"][COUNTING_TASK]["correct"] == result.test[COUNTING_TASK].correct
    marker = json.loads((out / tiny_mod.MARKER_FILE).read_text(encoding="utf-8"))
    assert marker["trained"] is True and marker["sft_steps"] == 4
    assert not list(tmp_path.glob(".tiny.tmp-*"))  # the staging folder is gone

    for r in result.test.values():  # both tasks carry their most-common-answer baseline
        assert 0 < r.extra["constant_answer_baseline"]["accuracy"] <= 1
    assert set(result.targets_met) == set(targets_met(result.test))
    # Re-rendering from make_tiny.json reproduces the card and the stored results exactly.
    before = (out / CARD_FILE).read_text(encoding="utf-8"), saved
    again = rewrite_card(out)
    assert (out / CARD_FILE).read_text(encoding="utf-8") == before[0]
    assert json.loads((out / RESULT_FILE).read_text(encoding="utf-8")) == before[1]
    assert again.to_dict() == result.to_dict() | {"out": str(out)}
    (out / RESULT_FILE).write_text(json.dumps(saved, sort_keys=True), encoding="utf-8")
    rewrite_card(out)  # an older build's sorted keys render in the same order
    assert (out / CARD_FILE).read_text(encoding="utf-8") == before[0]

    # A rebuild replaces the folder; a folder that is not a tiny checkpoint is refused.
    other = tmp_path / "not-a-tiny"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        make_tiny(MakeTinyOptions(out=other, steps=1, counting_first=0, progress=False))
    assert (other / "keep.txt").is_file()


# --- the targets ------------------------------------------------------------------------------


def _result(task: str, correct: int, low: float, fmt: float, majority: float) -> TaskResult:
    return TaskResult(task=task, task_version="x", split="test", data_seed=0, n=200,
                      correct=correct, accuracy=correct / 200, accuracy_low=low,
                      accuracy_high=1.0, format_ok=int(fmt * 200), format_rate=fmt,
                      format_low=0.0, format_high=1.0, lenient=0.0, errors=0, elapsed_s=0.0,
                      run_id="r", extra={"constant_answer_baseline": {"accuracy": majority}})


def test_targets_need_both_tasks_in_range_and_geometry_above_the_majority_answer() -> None:
    ok = {COUNTING_TASK: _result(COUNTING_TASK, 120, 0.53, 0.99, 0.2),
          GEOMETRY_TASK: _result(GEOMETRY_TASK, 46, 0.177, 0.95, 0.08)}
    assert all(targets_met(ok).values())
    low_ci = ok | {GEOMETRY_TASK: _result(GEOMETRY_TASK, 32, 0.075, 0.95, 0.08)}
    assert targets_met(low_ci)["geometry_ci_above_majority"] is False
    assert targets_met(low_ci)["geometry_accuracy_in_15_60"] is True
    saturated = ok | {COUNTING_TASK: _result(COUNTING_TASK, 180, 0.85, 0.99, 0.2)}
    assert targets_met(saturated)["counting_accuracy_in_40_85"] is False
    unformatted = ok | {GEOMETRY_TASK: _result(GEOMETRY_TASK, 46, 0.177, 0.80, 0.08)}
    assert targets_met(unformatted)["geometry_format_above_80"] is False


def test_recipe_choice_marks_the_default_recipe() -> None:
    chosen = [r for r in RECIPE_CHOICE if r.chosen]
    assert len(chosen) == 1
    d = MakeTinyOptions()
    assert (chosen[0].steps, chosen[0].counting_share, chosen[0].counting_first,
            chosen[0].threads, chosen[0].seed) == (
        d.steps, d.counting_share, d.counting_first, d.threads, d.seed)
    assert chosen[0].geometry_target.startswith("arithmetic")


# --- the bundled checkpoint --------------------------------------------------------------------


BUNDLED = tiny_mod.BUNDLED_TINY_DIR
needs_bundle = pytest.mark.skipif(
    not (BUNDLED / "model.safetensors").is_file(), reason="no bundled tiny checkpoint"
)


@needs_bundle
def test_bundled_tiny_loads_is_small_and_is_what_tiny_resolves_to() -> None:
    from othink_bench.models.processor import load_model

    assert tiny_mod.is_bundled_tiny()
    assert Path(tiny_mod.resolve_model("tiny")) == BUNDLED
    weights = sum(p.stat().st_size for p in BUNDLED.glob("*.safetensors"))
    assert weights < MAX_WEIGHTS_BYTES
    total = sum(p.stat().st_size for p in BUNDLED.iterdir() if p.is_file())
    assert total < MAX_WEIGHTS_BYTES
    model, processor = load_model("tiny", device="cpu")
    assert type(model).__name__ == "Qwen2VLForConditionalGeneration"
    assert sum(p.numel() for p in model.parameters()) < 10_000_000
    marker = json.loads((BUNDLED / tiny_mod.MARKER_FILE).read_text(encoding="utf-8"))
    assert marker["trained"] is True


@needs_bundle
def test_bundled_card_reports_its_run() -> None:
    card = (BUNDLED / CARD_FILE).read_text(encoding="utf-8")
    saved = json.loads((BUNDLED / RESULT_FILE).read_text(encoding="utf-8"))
    assert saved["command"].startswith("othink-bench make-tiny")
    assert saved["command"] in card
    for task in (COUNTING_TASK, GEOMETRY_TASK):
        r = saved["test"][task]
        assert r["n"] == 200 and r["split"] == "test"
        acc, fmt = _card_pct(card, task, "test")
        assert acc.startswith(f"{r['correct']}/{r['n']} = {100 * r['accuracy']:.1f}%")
        assert fmt.startswith(f"{r['format_ok']}/{r['n']} = {100 * r['format_rate']:.1f}%")
    assert "occupancy" in card.lower()
