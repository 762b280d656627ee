"""What the board says about training logs of the CPU testbed: rises and diverging trajectories.

- ``rise_p``: the one-sided Welch test of last-quarter vs first-quarter per-step reward;
- ``trajectories``: GRPO-D vs GRPO of one seed, the first step where their logs differ;
- ``sft_target=answer-only``: the SFT target shape the format-naive start is made with.
"""

from __future__ import annotations

from typing import Any

import pytest
from scipy.stats import ttest_ind

from leaderboard.blocks import Heading, TableBlock
from leaderboard.keys import ModelKey
from leaderboard.log_summary import rise_p, rise_text
from leaderboard.training_logs import TrainingLog
from leaderboard.trajectories import divergence, pair_logs, trajectory_blocks
from othink_bench.task import ImageRef, Sample
from trainers.config import RecipeOptions
from trainers.data import sft_target
from trainers.recipes import ConfigError


def test_rise_p_is_the_one_sided_welch_test_of_the_quarters() -> None:
    values = [1.0, 1.1, 0.9, 1.0, 1.2, 1.1, 1.3, 1.2, 1.4, 1.5, 1.3, 1.6]
    q = len(values) // 4
    expected = ttest_ind(values[-q:], values[:q], equal_var=False, alternative="greater").pvalue
    assert rise_p(values) == pytest.approx(expected)
    assert rise_p(values) < 0.05
    assert rise_p(list(reversed(values))) > 0.95  # a fall is not a rise
    assert rise_p([1.0, 2.0, 3.0]) is None  # one value per quarter: no test
    assert rise_text([1.0]) == "—"
    assert rise_p([1.0] * 4 + [2.0] * 4) == 0.0  # no spread, higher: certain
    assert rise_p([1.0] * 8) == 1.0


def _log(method: str, rewards: list[float], lengths: list[float], seed: int = 0,
         kl: list[float] | None = None) -> TrainingLog:
    history: list[dict[str, Any]] = []
    for i, (r, n) in enumerate(zip(rewards, lengths, strict=True)):
        row: dict[str, Any] = {"step": i + 1, "reward": r, "completions/mean_length": n}
        if kl is not None:
            row["kl"] = kl[i]
        history.append(row)
    return TrainingLog(model=ModelKey("tiny", method, train_seed=seed),
                       train_task="gr-synth-tiny", path=f"{method}/{seed}", history=history)


def test_divergence_finds_the_first_step_where_the_logs_differ() -> None:
    grpo = _log("grpo", [1.0, 1.2, 1.1, 1.3], [20, 21, 22, 20], kl=[0, 0.1, 0.2, 0.2])
    grpod = _log("grpod", [1.0, 1.2, 1.2, 1.1], [20, 21, 22, 23], kl=[0, 0.1, 0.1, 0.3])
    d = divergence(grpo, grpod, "x")
    assert d is not None
    assert (d.shared_steps, d.first_differing_step, d.differing_steps) == (4, 3, 2)
    assert d.reward_gap == pytest.approx((0.1 + 0.2) / 4)
    assert d.kl_gap == pytest.approx((0.1 + 0.1) / 4)
    same = divergence(grpo, _log("grpod", [1.0, 1.2, 1.1, 1.3], [20, 21, 22, 20]), "y")
    assert same is not None and same.first_differing_step is None and same.kl_gap is None


def test_pairs_are_made_per_seed_and_rendered() -> None:
    logs = [
        _log("grpo", [1.0, 1.1], [20, 20], seed=0), _log("grpod", [1.0, 1.1], [20, 20], seed=0),
        _log("grpo", [1.0, 1.1], [20, 20], seed=1), _log("grpod", [1.0, 1.3], [20, 20], seed=1),
        _log("sft", [1.0, 1.1], [20, 20], seed=2),
    ]
    pairs = pair_logs(logs)
    assert [(p.label.endswith("seed 0"), p.first_differing_step) for p in pairs] == [
        (True, None), (False, 2)]
    blocks = trajectory_blocks(logs)
    assert isinstance(blocks[0], Heading) and "trajectories" in blocks[0].text
    table = next(b for b in blocks if isinstance(b, TableBlock)).table
    assert [row[2].main for row in table.rows] == ["never", "2"]
    assert trajectory_blocks(logs[-1:]) == []  # no GRPO/GRPO-D pair: no section


def test_answer_only_sft_target_drops_the_reasoning() -> None:
    sample = Sample(id="1", question="q", gold="70°", image=ImageRef(path="x.png"),
                    solution="<think>180-40-70=70</think><answer>70°</answer>")
    assert sft_target(sample) == (sample.solution, False)
    assert sft_target(sample, "answer-only") == ("<answer> 70° </answer>", True)
    assert RecipeOptions(sft_target="answer-only").sft_target == "answer-only"
    with pytest.raises(ConfigError, match="sft_target"):
        RecipeOptions(sft_target="bare")
