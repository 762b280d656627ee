"""`train --plan`: the arithmetic of a recipe before any model or data is loaded.

The plan must agree with what the trainers really do, so the anchors here run real tiny
trainings (SFT and GRPO, epoch-based, with uneven row counts) and compare the plan's optimizer
steps and per-step learning rates with the ones the trainer used. The paper recipes' few-shot
SFT, which once made one optimizer step at learning rate 0, is checked at 8 processes, and a
recipe that cannot reach its learning rate is refused before the model is touched.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("trl")

from transformers import TrainerCallback

from othink_bench.cli import main
from trainers import run as run_module
from trainers.plan import plan_training, world_size_from_env
from trainers.recipes import ConfigError
from trainers.run import train

COUNTING = "vc-synth-tiny"
R1V_SFT_BATCH = ["sft.per_device_train_batch_size=4", "sft.gradient_accumulation_steps=4",
                 "sft.num_train_epochs=1"]

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _plan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    code = main(list(argv))
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    return code, [json.loads(line) for line in lines]


@pytest.mark.parametrize(("recipe", "rows", "steps", "warmup"),
                         [("qwen2-vl-2b", 100, 39, 4), ("qwen2-vl-7b", 120, 45, 5)])
def test_paper_few_shot_sft_really_trains(capsys: pytest.CaptureFixture[str], recipe: str,
                                          rows: int, steps: int, warmup: int) -> None:
    code, (plan,) = _plan_json(capsys, "train", "--method", "sft", "--task", "vc", "--recipe",
                               recipe, "--model", "m", "--world-size", "8", "--plan", "--json")
    assert code == 0 and plan["refused"] is None
    assert plan["train_rows"] == rows and plan["examples_per_step"] == 8
    assert (plan["optimizer_steps"], plan["warmup_steps"]) == (steps, warmup)
    assert plan["lr_first"] == 0.0 and plan["lr_max"] == pytest.approx(2e-5)
    assert len(plan["save_steps"]) >= 3 and plan["save_steps"][-1] == steps


def test_r1v_sft_batch_on_few_shot_counting_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """R1-V's SFT batch: 100 samples / 128 per step = 1 step, and it is the warm-up step."""
    code, (plan,) = _plan_json(capsys, "train", "--method", "sft", "--task", "vc", "--recipe",
                               "qwen2-vl-2b", "--model", "m", "--world-size", "8", "--plan",
                               "--json", *R1V_SFT_BATCH)
    assert code == 2
    assert (plan["optimizer_steps"], plan["warmup_steps"], plan["lr_max"]) == (1, 1, 0.0)
    assert "no step reaches the learning rate" in plan["refused"]
    assert "gradient_accumulation_steps" in plan["refused"]


def test_geometry_plans_use_the_declared_hub_size_and_grpod_betas(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, (plan,) = _plan_json(capsys, "train", "--method", "grpod", "--task", "gr", "--recipe",
                               "qwen2-vl-2b", "--model", "m", "--world-size", "8", "--plan",
                               "--json", "--train-rows", "8000")
    assert code == 0 and plan["train_rows_from"] == "--train-rows"
    assert (plan["prompts_per_step"], plan["completions_per_step"]) == (16, 128)
    assert plan["optimizer_steps"] == 1000  # 8000 / 16 prompts x 2 epochs
    betas = plan["beta_at_saves"]
    assert betas["300"] == pytest.approx(0.0, abs=1e-12)  # Eq. 3 touches beta_min at w = 0.3 t
    assert betas["1000"] == pytest.approx(0.02)


def test_train_and_eval_plan_covers_every_training(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train-and-eval", "--model", "tiny", "--methods", "base,sft,grpod",
                 "--eval-checkpoints", "all", "--plan", "max_steps=2"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.count("plan: ") == 4  # 2 methods x 2 tiny train tasks, none for base
    assert out.count("gets 1 point(s)") == 4  # max_steps=2 < save_steps=25: one checkpoint


def test_a_refused_training_loads_no_model(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    def no_model(model: str) -> str:
        raise AssertionError("the model was resolved before the plan was checked")

    monkeypatch.setattr(run_module, "resolve_model_path", no_model)
    with pytest.raises(ConfigError, match="no step reaches the learning rate"):
        train("sft", COUNTING, "tiny", recipe="tiny", output_dir=tmp_path / "out",
              overrides={"train_samples": 4, "per_device_train_batch_size": 4,
                         "gradient_accumulation_steps": 1, "num_train_epochs": 1,
                         "warmup_steps": 1})
    assert not (tmp_path / "out").exists()


def test_world_size_comes_from_the_launcher() -> None:
    assert world_size_from_env({}) == 1
    assert world_size_from_env({"WORLD_SIZE": "8"}) == 8
    with pytest.raises(ConfigError, match="WORLD_SIZE"):
        world_size_from_env({"WORLD_SIZE": "eight"})


class LearningRates(TrainerCallback):  # type: ignore[misc]
    """The learning rate each optimizer step runs at (read before its first micro-batch)."""

    def __init__(self) -> None:
        self.rates: list[float] = []

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.rates.append(float(kwargs["optimizer"].param_groups[0]["lr"]))


def _learning_rates_of(plan: Any) -> list[float]:
    from trainers.plan import learning_rates
    from trainers.recipes.resolve import resolve_recipe

    return learning_rates(resolve_recipe("tiny", plan.method, "counting",
                                         ANCHORS[plan.method]).build_config("/tmp/unused"),
                          plan.optimizer_steps, plan.warmup_steps)


ANCHORS = {
    # 10 rows / 4 per batch = 3 batches an epoch, 2 per step: 2 steps an epoch, 4 in all
    "sft": {"train_samples": 10, "per_device_train_batch_size": 4,
            "gradient_accumulation_steps": 2, "num_train_epochs": 2, "warmup_steps": 1,
            "lr_scheduler_type": "cosine", "save_steps": 100},
    # 9 prompts, 2 per generation batch: TRL's sampler keeps 4 batches (drops the 9th prompt)
    "grpo": {"train_samples": 9, "per_device_train_batch_size": 2, "num_generations": 2,
             "gradient_accumulation_steps": 2, "num_train_epochs": 1, "warmup_steps": 2,
             "max_completion_length": 8, "save_steps": 100},
}


@pytest.mark.slow
@pytest.mark.parametrize(("method", "steps"), [("sft", 4), ("grpo", 4)])
def test_the_plan_matches_a_real_training(tiny_model: str, tmp_path: Path, method: str,
                                          steps: int) -> None:
    plan = plan_training(method, COUNTING, tiny_model, recipe="tiny",
                         overrides=ANCHORS[method], world_size=1)
    rates = LearningRates()
    result = train(method, COUNTING, tiny_model, recipe="tiny", output_dir=tmp_path / method,
                   overrides=ANCHORS[method], callbacks=[rates])
    assert plan.optimizer_steps == result.steps == steps
    assert rates.rates == pytest.approx(_learning_rates_of(plan))
    assert plan.lr_first == pytest.approx(rates.rates[0])
    assert plan.save_steps == [steps]
    # the checkpoint records what a board needs for its samples-seen axis: SFT 4 x 2 samples,
    # GRPO 2 x 2 completions / 2 generations = 2 prompts per optimizer step
    meta = json.loads((result.final_checkpoint / "othink_checkpoint.json").read_text())
    assert (meta["samples_per_step"], meta["world_size"]) == ({"sft": 8, "grpo": 2}[method], 1)
    assert meta["samples_per_step"] == (plan.prompts_per_step or plan.examples_per_step)
