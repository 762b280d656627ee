"""Settings that would train garbage are refused before any model loads (issue 28, item 3).

Each case is one of the values an outside fault test got through: every one must fail with a
ConfigError naming the field and the value, raised before the model path is even resolved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("trl")

from trainers.config import GRPODConfig, RecipeOptions, SFTRecipeConfig
from trainers.config_checks import MAX_NUM_GENERATIONS, check_output_dir
from trainers.recipes import ConfigError
from trainers.recipes.resolve import parse_overrides, resolve_recipe

COUNTING = "vc-synth-tiny"

# (method, override as typed on the command line, text the error must contain)
REFUSED = [
    ("sft", "learning_rate=inf", "learning_rate=inf"),
    ("sft", "learning_rate=nan", "learning_rate=nan"),
    ("grpo", "learning_rate=-1", "learning_rate=-1"),
    ("grpod", "alpha=inf", "alpha=inf"),
    ("grpod", "alpha=nan", "alpha=nan"),  # nan < 0 is false: the old check let it through
    ("grpo", "reward_weights=[1,nan]", "reward_weights=[1.0, nan]"),
    ("grpod", "max_completion_length=0", "max_completion_length=0"),
    ("grpod", "temperature=0", "temperature=0"),
    ("sft", "per_device_train_batch_size=0", "per_device_train_batch_size=0"),
    ("grpo", "per_device_train_batch_size=0", "per_device_train_batch_size=0"),
    ("sft", "num_train_epochs=nan", "num_train_epochs=nan"),
    ("grpod", "num_generations=1e6", "num_generations=1000000"),
    ("grpod", "num_generations=1", "num_generations=1"),
    ("sft", "save_steps=0", "save_steps=0"),
    ("sft", "gradient_accumulation_steps=0", "gradient_accumulation_steps=0"),
    ("grpod", "beta_max=inf", "beta_max=inf"),
    ("sft", "max_grad_norm=nan", "max_grad_norm=nan"),
    ("sft", "train_samples=0", "train_samples=0"),
    ("sft", "max_pixels=0", "max_pixels=0"),
]


@pytest.mark.parametrize(("method", "override", "expected"), REFUSED)
def test_garbage_settings_refused_naming_field_and_fix(
    method: str, override: str, expected: str, tmp_path: Path
) -> None:
    resolved = resolve_recipe("tiny", method, "counting", parse_overrides([override]))
    with pytest.raises(ConfigError) as info:
        resolved.build_config(tmp_path / "out")
        resolved.options  # noqa: B018 - RecipeOptions validate on construction
    message = str(info.value)
    assert expected in message and "must be" in message and "e.g." in message


def test_num_generations_cap_is_stated() -> None:
    with pytest.raises(ConfigError, match=f"from 2 to {MAX_NUM_GENERATIONS}"):
        GRPODConfig(output_dir="/tmp/unused", num_generations=MAX_NUM_GENERATIONS + 1,
                    per_device_train_batch_size=MAX_NUM_GENERATIONS + 1)
    ok = GRPODConfig(output_dir="/tmp/unused", num_generations=4, per_device_train_batch_size=4)
    assert ok.num_generations == 4


def test_ranges_accept_the_shipped_recipes_and_defaults(tmp_path: Path) -> None:
    for recipe in ("tiny", "qwen2-vl-2b", "qwen2-vl-7b"):
        for method in ("sft", "grpo", "grpod"):
            for family in ("counting", "geometry"):
                resolved = resolve_recipe(recipe, method, family)
                resolved.build_config(tmp_path)
                resolved.options  # noqa: B018
    SFTRecipeConfig(output_dir=str(tmp_path), save_steps=0.1, max_length=None)
    RecipeOptions(train_samples=None, max_pixels=None)


def test_nonfinite_unlisted_float_field_refused() -> None:
    # a float field no rule names must still be finite (warmup_ratio has a rule; this one not)
    with pytest.raises(ConfigError, match="epsilon_high=inf"):
        GRPODConfig(output_dir="/tmp/unused", epsilon_high=float("inf"))
    with pytest.raises(ConfigError, match=r"vllm_importance_sampling_clip_max=nan.*finite"):
        GRPODConfig(output_dir="/tmp/unused", vllm_importance_sampling_clip_max=float("nan"))


def test_output_dir_in_recipe_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigError, match=r"output_dir='/etc'.*ignored.*--output"):
        resolve_recipe("tiny", "sft", "counting", parse_overrides(["output_dir=/etc"]))


@pytest.mark.parametrize("folder", ["/", "/etc", "/usr", "/etc/othink", "/proc/self"])
def test_output_dir_system_folders_refused(folder: str) -> None:
    with pytest.raises(ConfigError, match="system folder"):
        check_output_dir(folder)


def test_output_dir_unwritable_or_file_refused(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    afile = tmp_path / "f"
    afile.write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        check_output_dir(afile)
    import trainers.config_checks as checks

    real_access = checks.os.access
    # permission bits do not bind root, so "not writable" is simulated for this one folder
    monkeypatch.setattr(checks.os, "access",
                        lambda p, mode: Path(p) != tmp_path and real_access(p, mode))
    with pytest.raises(ConfigError, match=f"{tmp_path} is not writable"):
        check_output_dir(tmp_path / "run" / "sft")
    monkeypatch.undo()
    assert check_output_dir(tmp_path / "new" / "sft") == (tmp_path / "new" / "sft").resolve()


@pytest.mark.parametrize(
    ("overrides", "output_dir", "expected"),
    [
        ({"learning_rate": float("inf")}, None, "learning_rate=inf"),
        ({"num_train_epochs": float("nan")}, None, "num_train_epochs=nan"),
        ({}, "/etc", "system folder"),
    ],
)
def test_train_refuses_before_the_model_loads(
    overrides: dict[str, Any], output_dir: str | None, expected: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import trainers.run as run

    def no_model(*a: Any, **k: Any) -> None:
        raise AssertionError("the model was resolved before the settings were checked")

    monkeypatch.setattr(run, "resolve_model_path", no_model)
    monkeypatch.setattr(run, "load_training_processor", no_model)
    with pytest.raises(ConfigError, match=expected):
        run.train("sft", COUNTING, "tiny", recipe="tiny",
                  output_dir=output_dir or tmp_path / "out", overrides=overrides)
    assert not (tmp_path / "out").exists()
