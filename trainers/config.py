"""Training configuration: TRL config subclasses with this project's defaults and validation.

Why subclasses rather than a parallel settings object: TRL's configs are the one place its
trainers read settings from, so the schedule fields live on :class:`GRPODConfig` itself, carry
help text like TRL's own fields, and are validated in ``__post_init__`` before a model is
loaded. The defaults that differ from TRL are the paper's: ``loss_type="grpo"`` (per-sequence
length normalisation, Eq. 4), ``use_bias_correction_kl=False`` (the plain k3 estimator, Eq. 5)
and ``vllm_importance_sampling_correction=False`` (TRL's True reweights and masks the policy term
per sequence when generating with vLLM, which is not Eq. 4).

A recipe (YAML, :mod:`trainers.recipes`) sets fields of these classes and of
:class:`RecipeOptions`; :mod:`trainers.recipes.resolve` merges its scopes with command-line
overrides and checks every key; :mod:`trainers.config_values` converts the values to the
fields' types.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import Any

from trl import GRPOConfig, SFTConfig

from trainers.config_checks import check_numeric_fields
from trainers.recipes import ConfigError
from trainers.schedules import DEFAULT_RATIO, SCHEDULES, BetaSchedule, ScheduleError

log = logging.getLogger(__name__)

METHODS: tuple[str, ...] = ("sft", "grpo", "grpod")
GRPO_METHODS: tuple[str, ...] = ("grpo", "grpod")
FAMILIES: tuple[str, ...] = ("counting", "geometry")

def _accelerator_supports_bf16() -> bool:
    """bf16 mixed precision is only worth (and only reliably supported) on a GPU/XPU/NPU."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return False
    if torch.cuda.is_available():
        return True
    xpu = getattr(torch, "xpu", None)
    return bool(xpu is not None and xpu.is_available())


def _cpu_precision(config: Any) -> None:
    """Train in float32 where there is no accelerator: TRL defaults bf16 to True even on CPU,
    and the paper recipes also load bfloat16 weights (``model_init_kwargs.dtype``)."""
    if _accelerator_supports_bf16():
        return
    if config.bf16:
        log.info("bf16 requested but no GPU is available: training in float32 on CPU")
    config.bf16 = False
    init = config.model_init_kwargs
    if isinstance(init, dict) and init.get("dtype") in ("bfloat16", "float16"):
        config.model_init_kwargs = {**init, "dtype": "float32"}


@dataclass
class GRPODConfig(GRPOConfig):
    """``trl.GRPOConfig`` plus a KL-weight schedule and the paper's reward weighting.

    For a non-constant schedule ``beta`` is not a setting but the schedule's starting value
    (the schedule's peak when it starts at 0), so TRL loads a reference model whenever the
    schedule is not identically zero; :class:`trainers.callbacks.BetaScheduleCallback` then sets
    the trainer's ``beta`` at every optimizer step.
    """

    loss_type: str = field(
        default="grpo",
        metadata={
            "help": "TRL loss formulation. The paper's objective (Eq. 4) normalises each output's "
            "token losses by its length: 'grpo' (TRL's default is 'dapo')."
        },
    )
    use_bias_correction_kl: bool = field(
        default=False,
        metadata={
            "help": "Multiply the KL term by the importance ratio (TRL's default True). The paper "
            "uses the plain k3 estimator (Eq. 5), so False."
        },
    )
    vllm_importance_sampling_correction: bool = field(
        default=False,
        metadata={
            "help": "With use_vllm: reweight each sequence's policy term by the ratio of the "
            "trainer's to vLLM's log-probabilities, masking sequences outside its clip range "
            "(TRL's default True). Off here, as the paper's objective (Eq. 4) has no such "
            "term; set true to correct for vLLM's sampling mismatch instead. No effect "
            "without use_vllm."
        },
    )
    beta_schedule: str = field(
        default="constant",
        metadata={
            "help": "KL-weight schedule: 'constant' (plain GRPO, uses `beta`), 'grpod' (Eq. 3: "
            "beta_mid -> beta_min at beta_ratio*t -> beta_max at t), 'linear' or 'cosine' "
            "(ablations rising from beta_min to beta_max)."
        },
    )
    beta_min: float = field(
        default=0.0,
        metadata={"help": "Lowest KL weight of a non-constant schedule (Eq. 3's beta_min)."},
    )
    beta_max: float = field(
        default=0.0,
        metadata={"help": "Final KL weight of a non-constant schedule (Eq. 3's beta_max)."},
    )
    beta_ratio: float = field(
        default=DEFAULT_RATIO,
        metadata={
            "help": "Exploration share w/t of the 'grpod' schedule: beta reaches beta_min at "
            "step beta_ratio * total_steps (paper: 0.3)."
        },
    )
    alpha: float = field(
        default=1.0,
        metadata={
            "help": "Weight of the format reward: R = R_acc + alpha * R_format (Eq. 1-2). Sets "
            "`reward_weights` to [1, alpha] unless reward_weights is given."
        },
    )

    def __post_init__(self) -> None:
        if self.beta_schedule not in SCHEDULES:
            raise ConfigError(
                f"beta_schedule={self.beta_schedule!r} is unknown; choose one of "
                f"{', '.join(sorted(SCHEDULES))}"
            )
        check_numeric_fields(self)  # alpha, reward_weights, lr, lengths...: finite, in range
        try:
            schedule = self.schedule
        except ScheduleError as exc:
            raise ConfigError(f"invalid beta schedule: {exc}") from exc
        if not schedule.is_constant and self.use_liger_kernel:
            raise ConfigError(
                "use_liger_kernel=True cannot be combined with a non-constant beta schedule "
                f"({self.beta_schedule}): TRL's fused Liger GRPO loss reads beta once, at "
                "construction, so the schedule could be silently ignored. Set "
                "use_liger_kernel=False (TRL 1.16 deprecates it for model_init_kwargs="
                "{'use_kernels': True}) or use beta_schedule=constant."
            )
        if schedule.name != "constant":
            start = schedule.initial()
            self.beta = start if start > 0 else schedule.peak
        if self.reward_weights is None:
            self.reward_weights = [1.0, float(self.alpha)]
        if self.loss_type not in ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo",
                                  "vespo"):
            raise ConfigError(f"loss_type={self.loss_type!r} is not a TRL GRPO loss")
        if self.use_vllm and self.vllm_importance_sampling_correction:
            log.warning(
                "vllm_importance_sampling_correction=True: TRL reweights (and, mode %r, masks) "
                "each sequence's policy term by a vLLM importance ratio, so the loss is not the "
                "paper's Eq. 4; set vllm_importance_sampling_correction=false to match it",
                self.vllm_importance_sampling_mode,
            )
        _cpu_precision(self)
        super().__post_init__()

    @property
    def schedule(self) -> BetaSchedule:
        """The KL-weight schedule these fields describe."""
        if self.beta_schedule == "constant":
            return BetaSchedule(name="constant", beta=self.beta)
        return BetaSchedule(
            name=self.beta_schedule,
            beta_min=self.beta_min,
            beta_max=self.beta_max,
            ratio=self.beta_ratio,
        )


@dataclass
class SFTRecipeConfig(SFTConfig):
    """``trl.SFTConfig`` with the defaults this project trains with.

    The dataset is prompt-completion (the evaluation prompt, then the assistant's solution), so
    ``completion_only_loss`` puts the loss on the assistant turn only. ``max_length`` defaults
    to no truncation because cutting a vision prompt can drop image tokens.
    """

    completion_only_loss: bool | None = field(
        default=True,
        metadata={
            "help": "Compute the loss only on the completion (the assistant turn: the target "
            "solution), never on the prompt or the image tokens."
        },
    )
    max_length: int | None = field(
        default=None,
        metadata={"help": "Truncate prompt+completion to this many tokens (None: never)."},
    )

    def __post_init__(self) -> None:
        if self.completion_only_loss is False:
            log.warning("completion_only_loss=False: SFT loss also covers the prompt tokens")
        check_numeric_fields(self)
        _cpu_precision(self)
        super().__post_init__()


@dataclass
class RecipeOptions:
    """Recipe settings that are not TRL config fields: data, image processing, checkpoints."""

    train_samples: int | None = field(
        default=None,
        metadata={"help": "Use only the first N training samples (few-shot; paper: 100 for "
                  "2B counting, 120 for 7B). None: the whole split."},
    )
    source: str | None = field(
        default=None,
        metadata={"help": "Data source of the training split: hub, local or synthetic "
                  "(None: the task's default for the train split)."},
    )
    data: str | None = field(
        default=None, metadata={"help": "Path of local training data (source=local)."}
    )
    image_root: str | None = field(
        default=None, metadata={"help": "Folder that relative image paths resolve against."}
    )
    data_seed: int = field(
        default=0, metadata={"help": "Seed of procedural training data (source=synthetic)."}
    )
    max_pixels: int | None = field(
        default=None,
        metadata={"help": "Largest image area given to the processor (paper: 401408)."},
    )
    min_pixels: int | None = field(
        default=None, metadata={"help": "Smallest image area given to the processor."}
    )
    sft_target: str = field(
        default="solution",
        metadata={"help": "SFT completion: 'solution' (the data's solution, reasoning included, "
                  "else the gold in answer tags) or 'answer-only' (the gold in answer tags, "
                  "'<answer> 3 </answer>', the shape of the paper's hub solutions: no <think>)."},
    )
    keep_resume_state: str = field(
        default="last",
        metadata={"help": "Which checkpoints keep the optimizer, scheduler and RNG state that "
                  "resuming an interrupted training needs (save_only_model=false): 'last' "
                  "(the newest only; older checkpoints keep their weights) or 'all'."},
    )

    def __post_init__(self) -> None:
        check_numeric_fields(self)
        if self.keep_resume_state not in ("last", "all"):
            raise ConfigError(
                f"keep_resume_state must be 'last' or 'all', got {self.keep_resume_state!r}"
            )
        if self.sft_target not in ("solution", "answer-only"):
            raise ConfigError(
                f"sft_target must be 'solution' or 'answer-only', got {self.sft_target!r}"
            )
        if self.source is not None and self.source not in ("hub", "local", "synthetic"):
            raise ConfigError(f"source must be hub, local or synthetic, got {self.source!r}")
        if (self.max_pixels is not None and self.min_pixels is not None
                and self.min_pixels > self.max_pixels):
            raise ConfigError(
                f"min_pixels ({self.min_pixels}) must be <= max_pixels ({self.max_pixels})"
            )


def config_class(method: str) -> type[GRPODConfig] | type[SFTRecipeConfig]:
    check_method(method)
    return SFTRecipeConfig if method == "sft" else GRPODConfig


def check_method(method: str) -> str:
    if method not in METHODS:
        raise ConfigError(f"unknown training method {method!r}; choose one of {', '.join(METHODS)}")
    return method


def task_family(task: Any) -> str:
    """A task's settings family: its ``family`` attribute, else its id's prefix (vc / gr)."""
    family = str(getattr(task, "family", "") or "")
    if family:
        return family
    tid = str(getattr(task, "id", task)).lower()
    if tid.startswith("vc"):
        return "counting"
    if tid.startswith("gr"):
        return "geometry"
    raise ConfigError(
        f"cannot tell the settings family of task {tid!r}: set `family` on the task "
        "(counting or geometry) or pass the betas explicitly"
    )


def help_rows(method: str) -> list[tuple[str, str, str]]:
    """(key, default, help) for every recipe key of a method, for documentation and --help."""
    cls = config_class(method)
    rows = []
    for cls_ in (cls, RecipeOptions):
        for f in dataclasses.fields(cls_):
            default = f.default if f.default is not dataclasses.MISSING else "(factory)"
            rows.append((f.name, repr(default), str(f.metadata.get("help", ""))))
    return rows
