"""Checkpoint selection in ``make-tiny``: the rule, and that a build with selection trains the
same weights as one without and ships exactly the kept step's weights.

Why: selection is the only place a build looks at scores while it trains; it must choose by the
stated rule on the validation stream alone and must not change what training does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from trainers.tinymodel import COUNTING_TASK, GEOMETRY_TASK, MakeTinyOptions, TaskResult, make_tiny
from trainers.tinymodel.selection import Candidate, choose, is_selection_step, shortfall


def _r(task: str, acc: float, fmt: float = 1.0, low: float | None = None,
       majority: float = 0.08) -> TaskResult:
    return TaskResult(task=task, task_version="x", split="train", data_seed=1, n=100,
                      correct=round(100 * acc), accuracy=acc,
                      accuracy_low=acc - 0.07 if low is None else low, accuracy_high=1.0,
                      format_ok=round(100 * fmt), format_rate=fmt, format_low=0.0,
                      format_high=1.0, lenient=0.0, errors=0, elapsed_s=0.0, run_id="r",
                      extra={"constant_answer_baseline": {"accuracy": majority}})


def _scores(count: float, geo: float, **kw: float) -> dict[str, TaskResult]:
    return {COUNTING_TASK: _r(COUNTING_TASK, count), GEOMETRY_TASK: _r(GEOMETRY_TASK, geo, **kw)}


def test_shortfall_counts_points_outside_the_narrowed_targets() -> None:
    assert shortfall(_scores(0.60, 0.30)) == 0
    assert shortfall(_scores(0.42, 0.30)) == 3  # counting must reach 45 on validation
    assert shortfall(_scores(0.90, 0.30)) == 10  # and stay under 80
    assert shortfall(_scores(0.60, 0.17)) == 3  # geometry 20-55
    assert shortfall(_scores(0.60, 0.30, fmt=0.7)) == 10  # format below 80%
    assert shortfall(_scores(0.60, 0.30, low=0.05)) == 3  # interval under the majority answer
    assert shortfall(_scores(0.60, 0.17), margin=0.0) == 0


def test_choose_prefers_small_shortfall_then_geometry_then_the_later_step() -> None:
    a = Candidate.of(900, _scores(0.42, 0.30))  # shortfall 3
    b = Candidate.of(1000, _scores(0.60, 0.25))  # 0
    c = Candidate.of(1100, _scores(0.70, 0.35))  # 0, more geometry
    d = Candidate.of(1200, _scores(0.50, 0.35))  # 0, same geometry, later
    assert choose([a, b]) is b
    assert choose([a, b, c]) is c
    assert choose([a, b, c, d]) is d
    with pytest.raises(ValueError, match="nothing to choose"):
        choose([])


def test_selection_steps_and_options() -> None:
    opts = MakeTinyOptions(steps=10, counting_first=0, select_every=3, select_from=4)
    assert [s for s in range(1, 11) if is_selection_step(s, 10, opts)] == [6, 9, 10]
    assert not any(is_selection_step(s, 10, MakeTinyOptions(select_every=0)) for s in range(1, 11))
    assert MakeTinyOptions().select_every > 0  # the default build selects
    with pytest.raises(ValueError, match="--val-limit"):
        MakeTinyOptions(select_every=5, val_limit=0).validate()
    with pytest.raises(ValueError, match=">= 0"):
        MakeTinyOptions(select_every=-1).validate()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_build_with_selection_trains_the_same_and_ships_the_kept_step(tmp_path: Path) -> None:
    common = dict(seed=0, steps=4, batch_size=4, eval_limit=2, val_limit=2, eval_batch_size=8,
                  max_new_tokens=8, logging_steps=1, progress=False, counting_first=0)
    plain = make_tiny(MakeTinyOptions(out=tmp_path / "plain", work=tmp_path / "w0",
                                      select_every=0, **common))
    sel = make_tiny(MakeTinyOptions(out=tmp_path / "sel", work=tmp_path / "w1",
                                    select_every=2, select_from=2, **common))
    # Looking at snapshots leaves training as it was: the same loss at every step.
    assert sel.training["loss_curve"] == [
        p | {"elapsed_s": q["elapsed_s"]}
        for p, q in zip(plain.training["loss_curve"], sel.training["loss_curve"], strict=True)]
    info = sel.training["selection"]
    assert [c["step"] for c in info["candidates"]] == [2, 4]
    kept = choose([Candidate(**c) for c in info["candidates"]])
    assert info["chosen_step"] == kept.step
    # The shipped weights are the kept snapshot's, and its validation is what the build reports.
    assert _sha(tmp_path / "sel" / "model.safetensors") == _sha(
        tmp_path / "w1" / "selected" / "model.safetensors")
    assert sel.validation[COUNTING_TASK].accuracy == kept.counting
    assert sel.validation[GEOMETRY_TASK].accuracy == kept.geometry
    if kept.step == 4:
        assert _sha(tmp_path / "sel" / "model.safetensors") == _sha(
            tmp_path / "plain" / "model.safetensors")
    card = (tmp_path / "sel" / "README.md").read_text(encoding="utf-8")
    assert f"kept: **step {kept.step}**" in card
    assert "--select-every 2 --select-from 2" in sel.command
    assert "selection" not in plain.training
