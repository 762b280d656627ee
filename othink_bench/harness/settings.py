"""The public types of the harness: how to run (:class:`RunSettings`), what a task's run came
to (:class:`RunSummary`), and the errors that stop a run."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from othink_bench.images import DEFAULT_DECODE_PIXELS, DEFAULT_MAX_IMAGE_PIXELS, check_limit
from othink_bench.metrics import Metrics
from othink_bench.records import ModelInfo
from othink_bench.runstate import Selection


class HarnessError(RuntimeError):
    """A run cannot go on; the message says why and what to do."""


class TooManyErrors(HarnessError):
    """More than ``max_errors`` of a task's samples failed.

    Raised by :func:`evaluate` after every task had its turn; ``summaries`` holds all of them,
    the stopped ones with ``status == "aborted"`` and their ``error``.
    """

    def __init__(self, message: str, summaries: Sequence[RunSummary] = ()) -> None:
        super().__init__(message)
        self.summaries = list(summaries)


class RunLocked(HarnessError):
    """Another process is writing the same run (shard)."""


@dataclass
class RunSettings:
    """How to evaluate. Defaults follow the paper: greedy, the task's token budget, seed 0."""

    backend: str = "hf"
    source: str | None = None
    split: str = "test"
    data: str | None = None
    image_root: str | None = None
    #: A count, or a fraction 0 < x < 1 of the split; with ``offset`` and ``sample_ids`` it
    #: selects the requested samples (none of the three is part of the run id).
    limit: int | float | None = None
    offset: int = 0
    sample_ids: tuple[str, ...] | None = None
    #: Image paths may leave the data file's folder (or ``image_root``) only when this is set.
    allow_outside_images: bool = False
    #: Images whose header claims more pixels are per-sample ``image`` errors, never decoded.
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    batch_size: int = 8
    max_new_tokens: int | None = None  # None: the task's own (256 counting, 1024 geometry)
    temperature: float = 0.0
    top_p: float = 1.0
    samples: int = 1
    seed: int = 0  # the sampling seed
    data_seed: int = 0  # which procedural test set (synthetic sources)
    out: str | Path = "runs"
    #: The tasks' prompt variant (``--prompt``); part of the run id unless it is ``paper``.
    prompt: str = "paper"
    #: Scoring profiles whose verdicts each record holds beside the strict one (``--profile``).
    profiles: tuple[str, ...] = ()
    dtype: str = "auto"
    device: str = "auto"
    max_errors: float = 0.1
    retry_errors: bool = True
    progress: bool = True
    #: Backend-specific options (attn, base_url, api_key, concurrency, timeout,
    #: tensor_parallel_size, trust_remote_code, ...); ones a backend does not take are ignored.
    backend_options: dict[str, Any] = field(default_factory=dict)

    @property
    def selection(self) -> Selection:
        return Selection(self.limit, self.offset, self.sample_ids)

    @property
    def decode_pixels(self) -> int:
        """The area images are reduced towards as they decode: ``max_pixels`` when given, else
        :data:`othink_bench.images.DEFAULT_DECODE_PIXELS` (independent of whether the model is
        loaded yet, so a sample decodes the same in every window and on resume)."""
        return int(self.backend_options.get("max_pixels") or DEFAULT_DECODE_PIXELS)

    def validate(self) -> None:
        self.selection.validate()
        if self.data_seed < 0:
            raise ValueError(f"data seed must be >= 0, got {self.data_seed}")
        check_limit("max image pixels", self.max_image_pixels)
        if self.batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {self.batch_size}")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise ValueError(f"max new tokens must be >= 1, got {self.max_new_tokens}")
        if not (math.isfinite(self.temperature) and self.temperature >= 0):
            raise ValueError(
                f"--temperature {self.temperature} is invalid: it must be a finite number >= 0 "
                "(0: greedy; e.g. --temperature 0.7 to sample)"
            )
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.samples < 1:
            raise ValueError(f"samples must be >= 1, got {self.samples}")
        if self.samples > 1 and self.temperature == 0:
            raise ValueError(
                f"--samples {self.samples} draws several outputs per prompt, which greedy "
                "decoding makes identical; pass --temperature > 0 (e.g. 0.7)"
            )
        if not 0 <= self.max_errors <= 1:
            raise ValueError(f"max errors is a fraction in [0, 1], got {self.max_errors}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")
        check_backend_numbers(self.backend_options)


#: Numeric backend options: (test, what the value must be), checked before a backend loads.
BACKEND_NUMBERS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "timeout": (lambda v: math.isfinite(v) and v > 0, "a finite number of seconds > 0"),
    "concurrency": (lambda v: v >= 1, "an integer >= 1"),
    "max_retries": (lambda v: v >= 0, "an integer >= 0"),
    "gpu_memory_utilization": (lambda v: math.isfinite(v) and 0 < v <= 1, "a share in (0, 1]"),
    "tensor_parallel_size": (lambda v: v >= 1, "an integer >= 1"),
    "max_model_len": (lambda v: v >= 1, "an integer >= 1"),
    "max_pixels": (lambda v: v >= 1, "an integer >= 1"),
    "min_pixels": (lambda v: v >= 1, "an integer >= 1"),
}


def check_backend_numbers(options: dict[str, Any]) -> None:
    """Refuse a non-finite or out-of-range numeric backend option, naming its flag."""
    for key, (test, must) in BACKEND_NUMBERS.items():
        value = options.get(key)
        if value is None:
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not test(value):
            raise ValueError(f"{flag} {value!r} is invalid: it must be {must}")


@dataclass
class RunSummary:
    """The outcome of one task of an :func:`evaluate` call."""

    run_id: str
    run_dir: Path
    task: str
    task_version: str
    model: ModelInfo
    metrics: Metrics
    status: str  # complete | aborted | failed (records missing)
    n_new: int  # records written by this call
    n_resumed: int  # records in scope that earlier calls had written
    elapsed_s: float
    samples_per_s: float | None
    settings: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # why the task was stopped (status "aborted")

    @property
    def accuracy(self) -> float:
        return self.metrics.accuracy.value
