"""Trainers on the tiny Qwen2-VL: configs, data, and real GRPO-D / GRPO / SFT runs on CPU.

The runs are short (a few optimizer steps, a handful of tokens) but go through the whole
pipeline: recipe -> TRL config -> task dataset -> trl trainer -> checkpoints -> final marker.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from transformers import TrainerCallback  # noqa: E402

from othink_bench.registry import get_task  # noqa: E402
from othink_bench.rewards import completion_text  # noqa: E402
from trainers.callbacks import (  # noqa: E402
    BETA_LOG_FILE,
    ScheduleAlignmentError,
    check_alignment,
    zero_steps,
)
from trainers.checkpoints import (  # noqa: E402
    CHECKPOINT_META,
    TRAINING_MARKER,
    finished_training,
    list_checkpoints,
)
from trainers.config import GRPODConfig, SFTRecipeConfig, task_family  # noqa: E402
from trainers.data import build_dataset  # noqa: E402
from trainers.recipes import ConfigError  # noqa: E402
from trainers.recipes.resolve import load_recipe, parse_overrides, resolve_recipe  # noqa: E402
from trainers.run import train  # noqa: E402
from trainers.schedules import BetaSchedule  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COUNTING = "vc-synth-tiny"
# Small GRPO settings: 2 prompts x 2 generations per micro-batch, 8 new tokens.
FAST_GRPO = {
    "per_device_train_batch_size": 4,
    "num_generations": 2,
    "max_completion_length": 8,
    "train_samples": 16,
    "save_steps": 4,
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _weights(folder: str | Path) -> dict[str, Any]:
    from safetensors.torch import load_file

    return load_file(str(Path(folder) / "model.safetensors"))


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    assert set(before) == set(after)
    return [k for k in before if not torch.equal(before[k], after[k])]


class RewardSpy:
    """Wraps reward functions to record what TRL passes them (and the beta in force).

    The random tiny model never earns a reward, so every group would have zero advantage and
    zero gradient; a tiny length term on the accuracy reward gives the policy loss a signal.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.trainer: Any = None

    def hook(self, trainer: Any) -> None:
        self.trainer = trainer

    def wrap(self, fn: Any) -> Any:
        def wrapped(completions: list[Any], **columns: Any) -> list[float]:
            out = fn(completions, **columns)
            self.calls.append({
                "name": fn.__name__,
                "columns": set(columns),
                "gold": list(columns["gold"]),
                "n": len(completions),
                "out": list(out),
                "step": columns["trainer_state"].global_step,
                "beta": self.trainer.beta,
            })
            if fn.__name__.startswith("accuracy"):
                out = [r + 1e-3 * len(completion_text(c)) for r, c in zip(out, completions,
                                                                           strict=True)]
            return out

        return wrapped


# ---------------------------------------------------------------------------------------------
# Configs and recipes


def test_grpod_config_defaults_and_schedule() -> None:
    cfg = GRPODConfig(output_dir="/tmp/unused", beta_schedule="grpod", beta_min=0.04,
                      beta_max=0.1)
    assert cfg.loss_type == "grpo" and cfg.use_bias_correction_kl is False
    assert cfg.bf16 is False  # no GPU here: TRL would default it to True
    assert cfg.beta == pytest.approx(0.07)  # beta_mid: TRL loads a reference model
    assert cfg.reward_weights == [1.0, 1.0]
    assert cfg.schedule == BetaSchedule(name="grpod", beta_min=0.04, beta_max=0.1, ratio=0.3)
    lin = GRPODConfig(output_dir="/tmp/unused", beta_schedule="linear", beta_max=0.05, alpha=0.5)
    assert lin.beta == 0.05  # starts at 0, so the peak is used to get a reference model
    assert lin.reward_weights == [1.0, 0.5]
    const = GRPODConfig(output_dir="/tmp/unused", beta=0.01)
    assert const.schedule.is_constant and const.beta == 0.01
    for field in ("beta_schedule", "beta_min", "beta_max", "beta_ratio", "alpha"):
        assert GRPODConfig.__dataclass_fields__[field].metadata["help"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"beta_schedule": "grpod", "beta_min": 0.04, "beta_max": 0.1, "use_liger_kernel": True},
         "Liger"),
        ({"beta_schedule": "step"}, "unknown"),
        ({"beta_schedule": "grpod", "beta_min": 0.2, "beta_max": 0.1}, "beta_min"),
        ({"beta_schedule": "grpod", "beta_max": 0.1, "beta_ratio": 0.0}, "ratio"),
        ({"alpha": -1.0}, "alpha"),
    ],
)
def test_grpod_config_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        GRPODConfig(output_dir="/tmp/unused", **kwargs)


def test_sft_config_defaults() -> None:
    cfg = SFTRecipeConfig(output_dir="/tmp/unused")
    assert cfg.completion_only_loss is True and cfg.max_length is None and cfg.bf16 is False


def test_recipes_validate_and_resolve() -> None:
    for name in ("tiny", "qwen2-vl-2b", "qwen2-vl-7b"):
        load_recipe(name)
        for method in ("sft", "grpo", "grpod"):
            for family in ("counting", "geometry"):
                cfg = resolve_recipe(name, method, family).build_config("/tmp/unused")
                assert cfg.bf16 is False  # CPU
    r = resolve_recipe("qwen2-vl-2b", "grpod", "geometry")
    cfg = r.build_config("/tmp/unused")
    assert isinstance(cfg, GRPODConfig)
    assert (cfg.beta_min, cfg.beta_max, cfg.beta_ratio) == (0.0, 0.02, 0.3)
    assert cfg.model_init_kwargs == {"dtype": "float32"}  # bf16 weights only on a GPU
    assert r.options.max_pixels == 401408 and r.options.train_samples is None
    assert resolve_recipe("qwen2-vl-7b", "sft", "counting").options.train_samples == 120


SHIPPED = ("tiny", "qwen2-vl-2b", "qwen2-vl-7b")


def test_vllm_importance_sampling_off_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    """TRL's default (True) reweights the policy term per sequence under use_vllm: not Eq. 4."""
    from trl import GRPOConfig

    assert GRPOConfig.__dataclass_fields__["vllm_importance_sampling_correction"].default is True
    field = GRPODConfig.__dataclass_fields__["vllm_importance_sampling_correction"]
    assert field.default is False and "Eq. 4" in field.metadata["help"]
    assert GRPODConfig(output_dir="/tmp/unused").vllm_importance_sampling_correction is False
    for name in SHIPPED:
        raw = load_recipe(name)
        for method in ("grpo", "grpod"):
            # set in the recipe itself, not left to a default
            assert raw["methods"][method]["vllm_importance_sampling_correction"] is False
            for family in ("counting", "geometry"):
                cfg = resolve_recipe(name, method, family).build_config("/tmp/unused")
                assert cfg.vllm_importance_sampling_correction is False, (name, method, family)
                vllm = resolve_recipe(name, method, family, {"use_vllm": True}).build_config(
                    "/tmp/unused")
                assert vllm.use_vllm and vllm.vllm_importance_sampling_correction is False
    with caplog.at_level("WARNING", logger="trainers.config"):
        on = GRPODConfig(output_dir="/tmp/unused", use_vllm=True,
                         vllm_importance_sampling_correction=True)
    assert on.vllm_importance_sampling_correction is True  # the user's switch is honoured...
    assert "not the paper's Eq. 4" in caplog.text  # ...and flagged


def test_shipped_recipes_save_resumable_checkpoints() -> None:
    for name in SHIPPED:
        for method in ("sft", "grpo", "grpod"):
            r = resolve_recipe(name, method, "counting")
            assert r.build_config("/tmp/unused").save_only_model is False, (name, method)
            assert r.options.keep_resume_state == "last"
    with pytest.raises(ConfigError, match="keep_resume_state"):
        _ = resolve_recipe("tiny", "sft", "counting", {"keep_resume_state": "some"}).options


R1V_SFT = {  # R1-V's src/r1-v/configs/qwen2vl_sft_config.yaml
    "learning_rate": 2e-5, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 4,
    "num_train_epochs": 1, "lr_scheduler_type": "cosine", "warmup_steps": 0.1,
}


@pytest.mark.parametrize("name", ["qwen2-vl-2b", "qwen2-vl-7b"])
def test_paper_sft_follows_r1v(name: str) -> None:
    from trainers.recipes import recipe_path

    # few-shot counting keeps R1-V's rate, schedule and warm-up share, but not its batch and
    # epochs, with which 100 samples make one optimizer step at rate 0 (tests/test_plan.py)
    few_shot = {"per_device_train_batch_size": 1, "gradient_accumulation_steps": 1,
                "num_train_epochs": 3}
    for family in ("counting", "geometry"):
        cfg = resolve_recipe(name, "sft", family).build_config("/tmp/unused")
        got = {k: getattr(cfg, k) for k in R1V_SFT}
        got["lr_scheduler_type"] = str(getattr(cfg.lr_scheduler_type, "value",
                                               cfg.lr_scheduler_type))
        assert got == (R1V_SFT | few_shot if family == "counting" else R1V_SFT)
        assert cfg.get_warmup_steps(200) == 20  # 10% warm-up
    # GRPO keeps the paper's batch and epochs, which SFT no longer shares
    grpo = resolve_recipe(name, "grpod", "counting").build_config("/tmp/unused")
    assert (grpo.gradient_accumulation_steps, grpo.num_train_epochs) == (2, 2)
    # each SFT value says where it comes from
    lines = recipe_path(name).read_text().splitlines()
    sft = lines[lines.index("  sft:"):lines.index("  grpo:")]
    for key in R1V_SFT:
        (line,) = [x for x in sft if x.strip().startswith(f"{key}:")]
        assert "# R1-V SFT config" in line, line


def test_tiny_sft_unchanged() -> None:
    """The published board was made with these: counting SFT sees the 50 samples RL sees, for
    as many epochs (docs/testbed-calibration.md, round 2)."""
    recipe = resolve_recipe("tiny", "sft", "counting")
    cfg = recipe.build_config("/tmp/unused")
    assert (cfg.learning_rate, cfg.per_device_train_batch_size, cfg.gradient_accumulation_steps,
            cfg.num_train_epochs, str(getattr(cfg.lr_scheduler_type, "value",
                                              cfg.lr_scheduler_type)), cfg.warmup_steps) == (
        1e-4, 4, 2, 4, "linear", 0)
    grpo = resolve_recipe("tiny", "grpo", "counting")
    assert recipe.values["train_samples"] == grpo.values["train_samples"] == 50
    assert grpo.build_config("/tmp/unused").num_train_epochs == 4


def test_overrides_and_unknown_keys(tmp_path: Path) -> None:
    ov = parse_overrides(["learning_rate=1e-5", "max_completion_length=9", "grpod.beta_max=0.5",
                          "report_to=none", "bf16=false"])
    assert ov["learning_rate"] == 1e-5 and ov["bf16"] is False
    sft = resolve_recipe("tiny", "sft", "counting", ov)
    assert sft.values["learning_rate"] == 1e-5
    assert "max_completion_length" not in sft.values and sft.values.get("beta_max") is None
    grpod = resolve_recipe("tiny", "grpod", "counting", ov)
    assert grpod.values["beta_max"] == 0.5 and grpod.values["max_completion_length"] == 9
    with pytest.raises(ConfigError, match="Did you mean 'learning_rate'"):
        resolve_recipe("tiny", "grpo", "counting", parse_overrides(["learnin_rate=1"]))
    with pytest.raises(ConfigError, match="not key=value"):
        parse_overrides(["learning_rate"])
    with pytest.raises(ConfigError, match="expected a number"):
        resolve_recipe("tiny", "grpo", "counting", {"beta": "high"}).build_config(tmp_path)
    with pytest.raises(ConfigError, match="constant beta"):
        resolve_recipe("tiny", "grpo", "counting", {"beta_schedule": "grpod"})
    with pytest.raises(ConfigError, match="unknown recipe"):
        resolve_recipe("nope", "grpo", "counting")
    bad = tmp_path / "bad.yaml"
    bad.write_text("common:\n  learning_rat: 0.1\n")
    with pytest.raises(ConfigError, match="learning_rate"):
        load_recipe(bad)
    bad.write_text("common:\n  max_completion_length: 8\n")
    with pytest.raises(ConfigError, match="does not apply to every method"):
        load_recipe(bad)
    bad.write_text("trainer:\n  x: 1\n")
    with pytest.raises(ConfigError, match="unknown section"):
        load_recipe(bad)


def test_task_family() -> None:
    assert task_family(get_task("vc")) == "counting"
    assert task_family(get_task("gr-synth")) == "geometry"

    class Anon:
        id = "gr-custom"

    assert task_family(Anon()) == "geometry"


def test_alignment_check() -> None:
    geometry = BetaSchedule(name="grpod", beta_min=0.0, beta_max=0.02)
    assert zero_steps(geometry, 10) == [3]

    class Args:
        gradient_accumulation_steps = 2
        steps_per_generation = 2
        num_iterations = 1

    check_alignment(geometry, 10, Args())  # one generation per optimizer step: fine
    Args.num_iterations = 2
    with pytest.raises(ScheduleAlignmentError, match="reference log-probabilities"):
        check_alignment(geometry, 10, Args())
    check_alignment(BetaSchedule(name="grpod", beta_min=0.04, beta_max=0.1), 10, Args())
    check_alignment(BetaSchedule(name="constant", beta=0.0), 10, Args())


# ---------------------------------------------------------------------------------------------
# Data


def test_dataset_columns_match_evaluation_prompt() -> None:
    task = get_task(COUNTING)
    samples = list(task.load(split="train", limit=3))
    ds = build_dataset(task, samples, for_sft=True)
    assert set(ds.column_names) == {"id", "prompt", "image", "solution", "gold", "completion"}
    row = ds[0]
    assert row["gold"] == samples[0].gold and row["solution"] == samples[0].solution
    prompt = task.prompt(samples[0])
    assert [m["role"] for m in row["prompt"]] == [m["role"] for m in prompt]
    got = [{k: v for k, v in c.items() if v is not None} for c in row["prompt"][0]["content"]]
    assert got == prompt[0]["content"]
    assert row["completion"][0]["content"][0]["text"] == samples[0].solution
    assert row["image"].size == samples[0].image.load().size


def test_dataset_drops_bad_samples() -> None:
    from othink_bench.task import ImageRef, Sample
    from trainers.data import DataReport, TrainingDataError

    task = get_task(COUNTING)
    good = task.load(split="train", limit=1)[0]
    bad = [
        Sample(id="e1", question="q", gold="3", image=ImageRef(), meta={"error": "bad row"}),
        Sample(id="e2", question="q", gold="3", image=ImageRef(path="/no/such.png")),
        Sample(id="e3", question="q", gold="3", image=good.image),  # no solution
    ]
    report = DataReport()
    ds = build_dataset(task, [good, *bad], for_sft=True, report=report)
    assert len(ds) == 2 and report.dropped == {"data error": 1, "image error": 1}
    assert ds[1]["solution"] == "<answer> 3 </answer>" and report.solutions_from_gold == 1
    with pytest.raises(TrainingDataError, match="none of the 2"):
        build_dataset(task, bad[:2])


# ---------------------------------------------------------------------------------------------
# Real runs on the tiny model


def _check_checkpoints(out: Path, method: str, steps: int, save_every: int) -> None:
    ckpts = list_checkpoints(out)
    expected = sorted({*range(save_every, steps + 1, save_every), steps})
    assert [c.step for c in ckpts] == expected
    for c in ckpts:
        assert c.meta["method"] == method and c.meta["task"] == COUNTING
        assert c.meta["step"] == c.step and c.meta["recipe"]["name"] == "tiny"
        assert c.final == (c.step == steps)
        assert (c.path / "config.json").is_file() and (c.path / CHECKPOINT_META).is_file()
    marker = finished_training(out)
    assert marker is not None and marker["final_checkpoint"] == f"checkpoint-{steps}"
    assert (out / TRAINING_MARKER).is_file()


def test_grpod_tiny_run(
    tiny_model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spy = RewardSpy()
    steps = 10
    out = tmp_path / "grpod"
    # The paper's geometry betas (0 -> 0.02, beta = 0 exactly at w = 3) on counting data.
    result = train(
        "grpod", COUNTING, tiny_model, recipe="tiny", output_dir=out,
        overrides={**FAST_GRPO, "max_steps": steps, "beta_min": 0.0, "beta_max": 0.02},
        trainer_hook=spy.hook, reward_wrapper=spy.wrap,
    )
    schedule = BetaSchedule(name="grpod", beta_min=0.0, beta_max=0.02, ratio=0.3)
    expected = [(s, schedule(s, steps)) for s in range(steps)]

    # the logged beta sequence is the schedule, step by step
    assert result.steps == steps and result.beta_history == expected
    assert 0.0 in [b for _, b in expected]
    logged = [json.loads(x) for x in (out / BETA_LOG_FILE).read_text().splitlines()]
    assert [(x["step"], x["beta"]) for x in logged] == expected
    history = spy.trainer.state.log_history
    per_step = [(h["step"], h["beta"]) for h in history if "beta" in h]
    assert per_step == [(s + 1, b) for s, b in expected]  # logged after step s completes

    # one numbering: `othink-bench schedule` row k is the beta_schedule.jsonl entry for step k
    # and the beta that train_log.jsonl reports at step k + 1 with beta_step k
    from trainers.commands import configure_schedule, execute_schedule
    from trainers.console import TRAIN_LOG, summary_line

    parser = argparse.ArgumentParser()
    configure_schedule(parser)
    capsys.readouterr()
    assert execute_schedule(parser.parse_args([
        "--beta-min", "0", "--beta-max", "0.02", "--ratio", "0.3", "--total-steps", str(steps),
        "--csv"])) == 0
    rows = {int(s): float(b) for s, b in (
        line.split(",") for line in capsys.readouterr().out.splitlines()[1:])}
    assert {x["step"]: x["beta"] for x in logged} == {k: rows[k] for k in range(steps)}
    train_log = [json.loads(x) for x in (out / TRAIN_LOG).read_text().splitlines()]
    with_beta = [x for x in train_log if "beta" in x]
    assert [x["step"] for x in with_beta] == list(range(1, steps + 1))
    for x in with_beta:
        assert x["beta_step"] == x["step"] - 1 and x["beta"] == rows[x["beta_step"]]
    line = summary_line(with_beta[3], 4, steps)
    assert line is not None and f"beta(3) {rows[3]:.4g}" in line

    # TRL saw the scheduled beta while generating and scoring each step
    seen = {(c["step"], c["beta"]) for c in spy.calls}
    assert seen == set(expected)

    # the rewards were the task's, called with the dataset's columns
    names = {c["name"] for c in spy.calls}
    assert names == {"accuracy_vc_synth_tiny", "format_reward"}
    golds = {s.gold for s in get_task(COUNTING).load(split="train", limit=16)}
    for call in spy.calls:
        assert {"gold", "solution", "image", "id", "prompts", "trainer_state"} <= call["columns"]
        assert len(call["gold"]) == call["n"] and set(call["gold"]) <= golds
        assert set(call["out"]) <= {0.0, 1.0}

    # the paper's loss, with a reference model, and the weights moved
    trainer = spy.trainer
    assert trainer.ref_model is not None and trainer.loss_type == "grpo"
    assert trainer.args.use_bias_correction_kl is False
    assert trainer.args.reward_weights == [1.0, 1.0]
    changed = _changed(_weights(tiny_model), _weights(result.final_checkpoint))
    assert len(changed) > 10
    _check_checkpoints(out, "grpod", steps, FAST_GRPO["save_steps"])
    final_meta = json.loads((result.final_checkpoint / CHECKPOINT_META).read_text())
    assert final_meta["beta"] == pytest.approx(expected[-1][1])
    assert final_meta["schedule"]["name"] == "grpod"

    # our model card, not TRL's "fine-tuned version of [None]", in the folder and each checkpoint
    from trainers.checkpoints import list_checkpoints

    for folder in (out, *(c.path for c in list_checkpoints(out))):
        card = (folder / "README.md").read_text()
        assert "[None]" not in card and f"| base model | `{tiny_model}` |" in card
        assert "| method | GRPO-D" in card and f"| training task | `{COUNTING} v" in card
        assert "grpod (beta_min=0, beta_max=0.02, ratio=0.3)" in card
        assert f"| training data | {result.data['used']} samples used" in card
        assert "| `learning_rate` |" in card and "| seed | 0 " in card
    card = (out / "README.md").read_text()
    assert f"final checkpoint at step {steps} of {steps}" in card

    # a finished training is reused, not redone; one made with other settings is not reused
    overrides = {**FAST_GRPO, "max_steps": steps, "beta_min": 0.0, "beta_max": 0.02}
    again = train("grpod", COUNTING, tiny_model, recipe="tiny", output_dir=out,
                  overrides=overrides)
    assert again.reused and again.final_checkpoint == result.final_checkpoint
    assert again.beta_history == expected
    with pytest.raises(ConfigError, match=r"recipe.beta_max: 0.02 -> 0.1"):
        train("grpod", COUNTING, tiny_model, recipe="tiny", output_dir=out,
              overrides={**FAST_GRPO, "max_steps": steps, "beta_min": 0.0})


def test_grpo_tiny_run(tiny_model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                       ) -> None:
    spy = RewardSpy()
    out = tmp_path / "grpo"
    result = train(
        "grpo", COUNTING, tiny_model, recipe="tiny", output_dir=out,
        overrides={**FAST_GRPO, "max_steps": 4, "logging_steps": 1}, trainer_hook=spy.hook,
        reward_wrapper=spy.wrap,
    )
    # The terminal gets one short line per logging step; the full log dicts go to a file.
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in printed] == [f"step {s}/4" for s in range(1, 5)]
    assert not any("{" in line or "completions/" in line for line in printed)
    logged = [json.loads(line) for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged if "loss" in r] == [1, 2, 3, 4]
    assert all("completions/mean_length" in r and "beta" in r for r in logged if "loss" in r)
    assert result.beta_history == [(s, 0.04) for s in range(4)]
    assert {c["beta"] for c in spy.calls} == {0.04}
    assert {c["step"] for c in spy.calls} == {0, 1, 2, 3}
    assert all({"gold", "solution", "image"} <= c["columns"] for c in spy.calls)
    assert spy.trainer.ref_model is not None and spy.trainer.beta == 0.04
    assert _changed(_weights(tiny_model), _weights(result.final_checkpoint))
    _check_checkpoints(out, "grpo", 4, FAST_GRPO["save_steps"])


def test_sft_tiny_run(tiny_model: str, tmp_path: Path) -> None:
    captured: dict[str, Any] = {}
    out = tmp_path / "sft"
    result = train(
        "sft", COUNTING, tiny_model, recipe="tiny", output_dir=out,
        overrides={"max_steps": 3, "save_steps": 2, "train_samples": 8,
                   "per_device_train_batch_size": 2},
        trainer_hook=lambda t: captured.setdefault("trainer", t),
    )
    trainer = captured["trainer"]
    card = (result.final_checkpoint / "README.md").read_text()
    assert "[None]" not in card and "| method | SFT" in card and "checkpoint at step 3 of 3" in card
    assert "| KL weight (beta) schedule | none" in card
    processor = trainer.processing_class
    task = get_task(COUNTING)
    samples = list(task.load(split="train", limit=2))
    batch = trainer.data_collator([dict(trainer.train_dataset[i]) for i in range(2)])
    for i, sample in enumerate(samples):
        ids, labels, mask = batch["input_ids"][i], batch["labels"][i], batch["attention_mask"][i]
        trained = ids[labels != -100]
        # loss only on the assistant turn: the solution and its end-of-turn
        assert processor.tokenizer.decode(trained) == sample.solution + "<|im_end|>\n"
        assert torch.equal(labels[labels != -100], trained)
        # everything before it is exactly what evaluation feeds the model
        prompt_text = processor.apply_chat_template(
            task.prompt(sample), tokenize=False, add_generation_prompt=True
        )
        eval_ids = processor(text=[prompt_text], images=[sample.image.load()],
                             return_tensors="pt")["input_ids"][0]
        untrained = ids[(labels == -100) & (mask == 1)]
        assert torch.equal(untrained, eval_ids)
    assert result.steps == 3 and result.beta_history == []
    assert _changed(_weights(tiny_model), _weights(result.final_checkpoint))
    _check_checkpoints(out, "sft", 3, 2)
    meta = json.loads((result.final_checkpoint / CHECKPOINT_META).read_text())
    assert meta["beta"] is None and meta["schedule"] is None
    # --overwrite retrains from scratch and leaves no checkpoint of the old training behind
    shorter = train("sft", COUNTING, tiny_model, recipe="tiny", output_dir=out, overwrite=True,
                    overrides={"max_steps": 1, "save_steps": 2, "train_samples": 8,
                               "per_device_train_batch_size": 2})
    assert not shorter.reused and [c.step for c in list_checkpoints(out)] == [1]


class Killed(RuntimeError):
    """What :class:`KillAt` raises: the training dies mid-run, as under SIGKILL."""


class KillAt(TrainerCallback):
    """A callback that kills a training when optimizer step ``step`` begins.

    It runs after the beta callback (which runs first of all callbacks), so the beta log
    already holds a line for the step that never finished, as a real kill leaves it; nothing in
    the training code gets to clean up.
    """

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == self.step:
            raise Killed(f"killed at step {self.step}")


class StepSpy(TrainerCallback):
    """Records the optimizer steps a training takes."""

    def __init__(self) -> None:
        self.steps: list[int] = []

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.steps.append(int(state.global_step))


RESUME_STATE = ("optimizer.pt", "scheduler.pt", "rng_state.pth")


def test_killed_training_resumes_with_shipped_recipe(tiny_model: str, tmp_path: Path) -> None:
    """The tiny recipe as shipped (no save_only_model override): a training killed at step 5
    resumes from checkpoint-4 and ends as the uninterrupted one does."""
    overrides = {**FAST_GRPO, "max_steps": 6, "save_steps": 2}  # 16 samples: 4 steps an epoch
    straight_dir = tmp_path / "straight"
    # every run gets the spy's reward (a policy-gradient signal), so the weights can be compared
    spies = [RewardSpy() for _ in range(3)]
    straight = train("grpod", COUNTING, tiny_model, recipe="tiny", output_dir=straight_dir,
                     overrides=overrides, trainer_hook=spies[0].hook, reward_wrapper=spies[0].wrap)
    out = tmp_path / "killed"
    with pytest.raises(Killed):
        train("grpod", COUNTING, tiny_model, recipe="tiny", output_dir=out, overrides=overrides,
              callbacks=[KillAt(5)], trainer_hook=spies[1].hook, reward_wrapper=spies[1].wrap)
    assert finished_training(out) is None
    assert [c.step for c in list_checkpoints(out)] == [2, 4]
    # only the newest checkpoint keeps the optimizer/scheduler/RNG state; older keep weights
    for name in RESUME_STATE:
        assert (out / "checkpoint-4" / name).is_file()
        assert not (out / "checkpoint-2" / name).exists()
    assert (out / "checkpoint-2" / "model.safetensors").is_file()
    kept = _weights(out / "checkpoint-2")
    logged = [json.loads(x)["step"] for x in (out / BETA_LOG_FILE).read_text().splitlines()]
    assert logged == [0, 1, 2, 3, 4, 5]  # step 5 began, never finished
    (out / "checkpoint-6").mkdir()  # a save cut by the kill: no metadata, not a checkpoint
    (out / "checkpoint-6" / "optimizer.pt").write_bytes(b"cut")

    # resuming with other settings would mix two trainings in one folder: refused
    with pytest.raises(ConfigError, match=r"recipe.beta_max: 0.1 -> 0.2.*--overwrite"):
        train("grpod", COUNTING, tiny_model, recipe="tiny", output_dir=out,
              overrides={**overrides, "beta_max": 0.2})

    spy = spies[2]
    resumed = train("grpod", COUNTING, tiny_model, recipe="tiny", output_dir=out,
                    overrides=overrides, trainer_hook=spy.hook, reward_wrapper=spy.wrap)
    assert not resumed.reused and {c["step"] for c in spy.calls} == {4, 5}
    # the same prompts, in the same order, as the uninterrupted run's steps 4-5 (epoch 2)
    assert [c["gold"] for c in spy.calls] == [c["gold"] for c in spies[0].calls
                                              if c["step"] >= 4]
    assert resumed.steps == straight.steps == 6
    # the beta log continues exactly: every step once, the uninterrupted run's values
    assert (out / BETA_LOG_FILE).read_text() == (straight_dir / BETA_LOG_FILE).read_text()
    assert resumed.beta_history == straight.beta_history
    assert [s for s, _ in resumed.beta_history] == list(range(6))
    assert [c.step for c in list_checkpoints(out)] == [2, 4, 6]
    assert _changed(kept, _weights(out / "checkpoint-2")) == []  # not retrained
    for name in RESUME_STATE:  # the finished training keeps its newest resume state only
        assert (out / "checkpoint-6" / name).is_file()
        assert not (out / "checkpoint-4" / name).exists()
    assert finished_training(out) is not None
    # same seed, same data order, same RNG: the resumed weights are the uninterrupted ones
    for step in (2, 4, 6):
        a, b = _weights(straight_dir / f"checkpoint-{step}"), _weights(out / f"checkpoint-{step}")
        assert _changed(a, b) == [], step


def test_killed_sft_resumes_mid_epoch(tiny_model: str, tmp_path: Path) -> None:
    """SFT, 2 steps an epoch: killed at step 4, resumed from checkpoint-3 (inside epoch 1)."""
    overrides = {"max_steps": 6, "save_steps": 3, "train_samples": 8,
                 "per_device_train_batch_size": 2}
    straight = train("sft", COUNTING, tiny_model, recipe="tiny", output_dir=tmp_path / "a",
                     overrides=overrides)
    out = tmp_path / "b"
    with pytest.raises(Killed):
        train("sft", COUNTING, tiny_model, recipe="tiny", output_dir=out, overrides=overrides,
              callbacks=[KillAt(4)])
    assert [c.step for c in list_checkpoints(out)] == [3]
    steps = StepSpy()
    resumed = train("sft", COUNTING, tiny_model, recipe="tiny", output_dir=out,
                    overrides=overrides, callbacks=[steps])
    assert steps.steps == [3, 4, 5]  # resumed, not retrained from step 0
    assert resumed.steps == straight.steps == 6
    assert _changed(_weights(straight.final_checkpoint), _weights(resumed.final_checkpoint)) == []


@pytest.mark.slow
def test_accelerate_two_process_cpu_run(tiny_model: str, tmp_path: Path) -> None:
    """Two gloo processes: killed at step 3 (after checkpoint-2), then resumed to step 4."""
    script = tmp_path / "train_ddp.py"
    out = tmp_path / "ddp"
    script.write_text(textwrap.dedent(f"""
        import json, os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from transformers import TrainerCallback
        from trainers.run import train

        class KillAt(TrainerCallback):
            def on_step_begin(self, args, state, control, **kwargs):
                if state.global_step == int(sys.argv[1]):
                    raise SystemExit(3)

        result = train("grpod", {COUNTING!r}, {tiny_model!r}, recipe="tiny",
                       output_dir={str(out)!r},
                       overrides={{**{FAST_GRPO!r}, "max_steps": 4, "save_steps": 2}},
                       callbacks=[KillAt()])
        trainer = result.trainer
        info = {{"rank": trainer.args.process_index, "world": trainer.args.world_size,
                "history": result.beta_history, "steps": result.steps}}
        with open(os.path.join({str(tmp_path)!r}, f"rank{{info['rank']}}.json"), "w") as fh:
            json.dump(info, fh)
    """))
    # `accelerate launch --cpu --num_processes 2` hands several CPU processes to mpirun; without
    # MPI the torchrun-based launcher plus ACCELERATE_USE_CPU (what --cpu sets) gives 2 gloo
    # processes.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
           "ACCELERATE_USE_CPU": "true"}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
           "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
           "--dynamo_backend", "no", "--main_process_port", "0", str(script)]
    killed = subprocess.run([*cmd, "3"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert killed.returncode != 0 and finished_training(out) is None
    assert [c.step for c in list_checkpoints(out)] == [2]
    for name in ("optimizer.pt", "scheduler.pt", "rng_state_0.pth", "rng_state_1.pth"):
        assert (out / "checkpoint-2" / name).is_file(), name  # every rank's RNG state
    proc = subprocess.run([*cmd, "-1"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    infos = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    schedule = BetaSchedule(name="grpod", beta_min=0.04, beta_max=0.1)
    expected = [(s, schedule(s, 4)) for s in range(4)]
    for rank, info in enumerate(infos):  # each rank knows the steps before the resume point
        assert info["rank"] == rank and info["world"] == 2 and info["steps"] == 4
        assert [tuple(x) for x in info["history"]] == expected
    logged = [json.loads(x) for x in (out / BETA_LOG_FILE).read_text().splitlines()]
    assert [(x["step"], x["beta"]) for x in logged] == expected
    assert finished_training(out) is not None
    assert [c.step for c in list_checkpoints(out)] == [2, 4]
    assert not (out / "checkpoint-2" / "optimizer.pt").exists()
    assert not list((out / "checkpoint-2").glob("rng_state*"))
    assert (out / "checkpoint-4" / "rng_state_1.pth").is_file()


def test_vllm_settings_pass_through(tmp_path: Path) -> None:
    cfg = resolve_recipe(
        "tiny", "grpod", "counting",
        parse_overrides(["use_vllm=true", "vllm_mode=server", "vllm_server_port=8001"]),
    ).build_config(tmp_path)
    assert isinstance(cfg, GRPODConfig)
    assert (cfg.use_vllm, cfg.vllm_mode, cfg.vllm_server_port) == (True, "server", 8001)
    assert cfg.schedule.name == "grpod"


@pytest.mark.parametrize("name", ["ddp", "zero2", "zero3"])
def test_accelerate_configs_load(name: str) -> None:
    from accelerate.commands.config.config_args import load_config_from_file

    from trainers.recipes import ACCELERATE_DIR

    config = load_config_from_file(str(ACCELERATE_DIR / f"{name}.yaml"))
    assert config.num_processes == 8 and config.mixed_precision == "bf16"
    if name != "ddp":
        assert config.deepspeed_config["zero_stage"] == int(name[-1])
