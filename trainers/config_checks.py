"""Range checks of the numeric training settings, run by the config classes before any model loads.

Why a module of its own: TRL checks few values, and late - ``learning_rate=inf`` trains to NaN
weights and reports success, ``alpha=nan`` passes ``alpha < 0`` (every comparison with NaN is
false) and silently drops the format reward, ``num_train_epochs=nan`` or a batch size of 0 fail
only after the model has loaded, with a traceback. Every check here states the range the value
must lie in, so NaN fails them all; each error names the field, the value and the fix.
:class:`trainers.config.GRPODConfig`, :class:`trainers.config.SFTRecipeConfig` and
:class:`trainers.config.RecipeOptions` call :func:`check_numeric_fields` in ``__post_init__``;
:func:`check_output_dir` runs when a training starts, before its data or model load.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trainers.recipes import ConfigError

#: ``num_generations`` above this is refused: each prompt's completions form one batch on one
#: device, and the paper uses 8 (R1-V and TRL's examples 2 to 16).
MAX_NUM_GENERATIONS = 1024

#: Folders a training may never write into (nor anything below the first group).
SYSTEM_TREES = ("/etc", "/proc", "/sys", "/dev", "/boot", "/bin", "/sbin", "/lib", "/lib64")
SYSTEM_FOLDERS = ("/", "/usr", "/var", "/opt", "/home", "/root", "/tmp", "/srv", "/mnt")

Rule = tuple[Callable[[Any], bool], str, str]


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _positive(v: Any) -> bool:
    return _finite(v) and v > 0


def _non_negative(v: Any) -> bool:
    return _finite(v) and v >= 0


def _at_least_one(v: Any) -> bool:
    return _finite(v) and v >= 1


#: field -> (test, what the value must be, an example fix). A field absent from a config class
#: is skipped; ``None`` passes only for the fields in :data:`OPTIONAL`.
RULES: dict[str, Rule] = {
    "learning_rate": (_positive, "a finite number > 0", "learning_rate=1e-6"),
    "num_train_epochs": (_positive, "a finite number > 0", "num_train_epochs=1"),
    "max_steps": (lambda v: v == -1 or _at_least_one(v), "-1 (use num_train_epochs) or >= 1",
                  "max_steps=100"),
    "per_device_train_batch_size": (_at_least_one, "an integer >= 1",
                                    "per_device_train_batch_size=1"),
    "per_device_eval_batch_size": (_at_least_one, "an integer >= 1",
                                   "per_device_eval_batch_size=1"),
    "gradient_accumulation_steps": (_at_least_one, "an integer >= 1",
                                    "gradient_accumulation_steps=2"),
    "save_steps": (_positive, "> 0 (a step count, or a fraction < 1 of the training)",
                   "save_steps=100 or save_steps=0.1"),
    "logging_steps": (_positive, "> 0 (a step count, or a fraction < 1 of the training)",
                      "logging_steps=1"),
    "eval_steps": (_positive, "> 0 or null", "eval_steps=100"),
    "save_total_limit": (_at_least_one, "an integer >= 1 or null", "save_total_limit=2"),
    "weight_decay": (_non_negative, "a finite number >= 0", "weight_decay=0"),
    "max_grad_norm": (_non_negative, "a finite number >= 0 (0: no clipping)", "max_grad_norm=1.0"),
    "warmup_ratio": (lambda v: _finite(v) and 0 <= v <= 1, "in [0, 1]", "warmup_ratio=0"),
    "warmup_steps": (_non_negative, "a finite number >= 0", "warmup_steps=0"),
    "adam_beta1": (lambda v: _finite(v) and 0 <= v < 1, "in [0, 1)", "adam_beta1=0.9"),
    "adam_beta2": (lambda v: _finite(v) and 0 <= v < 1, "in [0, 1)", "adam_beta2=0.999"),
    "adam_epsilon": (_positive, "a finite number > 0", "adam_epsilon=1e-8"),
    "max_length": (_at_least_one, "an integer >= 1 or null (no truncation)", "max_length=null"),
    # GRPO: generation and loss
    "max_completion_length": (_at_least_one, "an integer >= 1", "max_completion_length=1024"),
    "num_generations": (lambda v: _finite(v) and 2 <= v <= MAX_NUM_GENERATIONS,
                        f"an integer from 2 to {MAX_NUM_GENERATIONS} (completions per prompt; "
                        "GRPO's advantages compare them)", "num_generations=8"),
    "num_generations_eval": (lambda v: _finite(v) and 1 <= v <= MAX_NUM_GENERATIONS,
                             f"an integer from 1 to {MAX_NUM_GENERATIONS} or null",
                             "num_generations_eval=null"),
    "generation_batch_size": (_at_least_one, "an integer >= 1 or null",
                              "generation_batch_size=null"),
    "steps_per_generation": (_at_least_one, "an integer >= 1 or null",
                             "steps_per_generation=null"),
    "num_iterations": (_at_least_one, "an integer >= 1", "num_iterations=1"),
    "temperature": (_positive, "a finite number > 0 (GRPO always samples)", "temperature=1.0"),
    "top_p": (lambda v: _finite(v) and 0 < v <= 1, "in (0, 1]", "top_p=1.0"),
    "top_k": (_non_negative, "an integer >= 0 (0: off) or null", "top_k=0"),
    "min_p": (lambda v: _finite(v) and 0 <= v <= 1, "in [0, 1] or null", "min_p=null"),
    "repetition_penalty": (_positive, "a finite number > 0 (1: none)", "repetition_penalty=1.0"),
    "beta": (_non_negative, "a finite number >= 0", "beta=0.04"),
    "beta_min": (_non_negative, "a finite number >= 0", "beta_min=0"),
    "beta_max": (_non_negative, "a finite number >= 0", "beta_max=0.04"),
    "beta_ratio": (lambda v: _finite(v) and 0 <= v <= 1, "in [0, 1]", "beta_ratio=0.3"),
    "alpha": (_non_negative, "a finite number >= 0 (format reward weight, Eq. 1-2)", "alpha=1"),
    "epsilon": (_non_negative, "a finite number >= 0", "epsilon=0.2"),
    "epsilon_high": (_non_negative, "a finite number >= 0 or null", "epsilon_high=null"),
    # RecipeOptions
    "train_samples": (_at_least_one, "an integer >= 1 or null (the whole split)",
                      "train_samples=100"),
    "data_seed": (_non_negative, "an integer >= 0", "data_seed=0"),
    "max_pixels": (_at_least_one, "an integer >= 1 or null", "max_pixels=401408"),
    "min_pixels": (_at_least_one, "an integer >= 1 or null", "min_pixels=3136"),
}

#: Fields whose ``None`` means "not set" (TRL derives or disables them).
OPTIONAL = frozenset({
    "eval_steps", "save_total_limit", "max_length", "num_generations_eval",
    "generation_batch_size", "steps_per_generation", "top_k", "min_p", "epsilon_high",
    "train_samples", "max_pixels", "min_pixels", "data_seed",
})


def _refuse(name: str, value: Any, must: str, fix: str) -> ConfigError:
    return ConfigError(f"{name}={value!r} is invalid: it must be {must}. Fix the recipe or the "
                       f"override, e.g. {fix}")


def check_numeric_fields(config: Any) -> None:
    """Refuse a config whose numeric fields are non-finite or outside their ranges.

    Every ``float`` field must be finite, whether or not :data:`RULES` names it, and every
    number in a list field (``reward_weights``); the fields in :data:`RULES` must also lie in
    their range. Runs before TRL's own ``__post_init__``, so its late checks never see NaN.
    """
    for f in dataclasses.fields(config):
        value = getattr(config, f.name, None)
        rule = RULES.get(f.name)
        if rule is not None:
            if value is None and f.name in OPTIONAL:
                continue
            test, must, fix = rule
            if not test(value):
                raise _refuse(f.name, value, must, fix)
        elif isinstance(value, float) and not math.isfinite(value):
            raise _refuse(f.name, value, "a finite number", f"{f.name}=<a finite number> or "
                          "remove the setting to use the default")
        elif isinstance(value, (list, tuple)) and any(
            isinstance(v, (int, float)) and not isinstance(v, bool) and not _finite(v)
            for v in value
        ):
            raise _refuse(f.name, list(value), "a list of finite numbers",
                          f"{f.name}=[1.0, 1.0] (accuracy, format)")


def check_output_dir(path: str | Path) -> Path:
    """Refuse an output folder a training must not (or cannot) write: a system folder, a file,
    or a folder (or nearest existing parent) this user cannot write. Returns it resolved."""
    out = Path(path).expanduser().resolve()
    text = str(out)
    if text in SYSTEM_FOLDERS or text in SYSTEM_TREES or any(
        text.startswith(tree + "/") for tree in SYSTEM_TREES
    ):
        raise ConfigError(
            f"output_dir={str(path)!r} ({text}) is a system folder; a training writes "
            f"checkpoints and deletes stale ones there. Fix: pass --output with a folder of "
            f"its own, e.g. runs/train/<model>/<task>/<method>"
        )
    if out.exists() and not out.is_dir():
        raise ConfigError(f"output_dir={str(path)!r} is a file, not a folder. Fix: pass "
                          "--output with a folder path")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"output_dir={str(path)!r}: {existing} is not writable by this user. Fix: pass "
            "--output with a folder you can write"
        )
    return out
