"""GRPO and GRPO-D on the bundled tiny model learn, with the tiny recipe's own settings.

This is the check the CPU reproduction rests on (issue 25). Each test is one training of the
``tiny`` recipe exactly as `scripts/reproduce.sh` runs it for seed 0 (learning rate, KL weights,
batch, generations, data, 96-100 optimizer steps, about 1.5 minutes on one core) except that it
saves no intermediate checkpoints, and must end with a higher mean reward over the last quarter
of the logged steps than over the first quarter. Stopped at step 48, counting with the first
recipe did not (1.401 -> 1.339: its reward rose late, as its learning rate decayed), so the
tests run the whole recipe.
The published board shows the same quarters with the one-sided Welch test for every seed
(Training logs, "p (rise)"), and the same-prompt test on ``reward_groups.jsonl``, whose
per-step means these tests check against TRL's logged reward.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leaderboard.log_summary import prompt_rise, prompt_rise_text
from othink_bench.models.tiny import is_bundled_tiny, resolve_model
from othink_bench.reward_groups import read_reward_groups
from trainers.run import train

pytestmark = pytest.mark.usefixtures("one_torch_thread")

def _reward_quarters(method: str, task: str, out: Path) -> tuple[float, float, list[float]]:
    assert is_bundled_tiny(), "the bundled tiny checkpoint is missing; run `othink-bench make-tiny`"
    result = train(
        method, task, resolve_model("tiny"), recipe="tiny", output_dir=out,
        overrides={"save_steps": 1000},
    )
    state = json.loads((result.final_checkpoint / "trainer_state.json").read_text())
    rewards = [float(h["reward"]) for h in state["log_history"] if "reward" in h]
    assert len(rewards) == result.steps >= 96
    q = len(rewards) // 4
    first, last = sum(rewards[:q]) / q, sum(rewards[-q:]) / q
    print(f"{method} on {task}: mean reward first quarter {first:.3f}, last quarter {last:.3f}")
    return first, last, rewards


@pytest.mark.slow
@pytest.mark.parametrize("task", ["vc-synth-tiny", "gr-synth-tiny"])
@pytest.mark.parametrize("method", ["grpo", "grpod"])
def test_rl_with_the_tiny_recipe_raises_its_own_reward(
    method: str, task: str, tmp_path: Path
) -> None:
    first, last, rewards = _reward_quarters(method, task, tmp_path)
    assert last > first, (first, last, rewards)
    # each prompt's rewards, as recorded beside the log, add up to the reward TRL logged
    groups = read_reward_groups(tmp_path)
    assert groups is not None and len(groups) == len(rewards)
    for step, logged in zip(sorted(groups), rewards, strict=True):
        values = [v for per_prompt in groups[step].values() for v in per_prompt]
        assert sum(values) / len(values) == pytest.approx(logged, abs=1e-6), step
    rise = prompt_rise(groups)
    assert rise is not None and rise.last_mean > rise.first_mean, rise
    print(f"same prompts: {prompt_rise_text(rise)}")
