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
    RESULT_FILE,
    MakeTinyOptions,
    batch_plan,
    command_line,
    make_tiny,
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


def test_command_line_round_trips_through_the_cli() -> None:
    opts = MakeTinyOptions(out=Path("/tmp/x"), seed=2, steps=40, learning_rate=5e-4,
                           counting_share=0.5, val_limit=10, max_new_tokens=16)
    cmd = command_line(opts)
    assert cmd.startswith("othink-bench make-tiny ")
    args = build_parser("make-tiny").parse_args(cmd.split()[1:])
    assert (args.out, args.seed, args.steps, args.learning_rate, args.counting_share,
            args.val_limit, args.max_new_tokens) == (Path("/tmp/x"), 2, 40, 5e-4, 0.5, 10, 16)
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

    # A rebuild replaces the folder; a folder that is not a tiny checkpoint is refused.
    other = tmp_path / "not-a-tiny"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        make_tiny(MakeTinyOptions(out=other, steps=1, progress=False))
    assert (other / "keep.txt").is_file()


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
