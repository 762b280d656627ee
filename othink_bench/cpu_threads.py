"""How many CPU threads torch computes with when a model runs on the CPU, and why.

Why: torch's default (one intra-op thread per core) oversubscribes the CPU during an evaluation,
because the harness prepares the next batch and scores and writes records on threads of its
own while the model generates; on a machine shared with other jobs it is worse. On a busy
2-core machine (load average about 7), three runs each of ``run --model tiny --tasks
vc-synth-tiny --limit 50`` took 92, 56 and 104 s (22-30 s of CPU) with torch's default of two
threads, and 22, 19 and 23 s (7 s of CPU) with ``OMP_NUM_THREADS=1``. So
the default leaves one core to those threads: ``usable cores - 1``, at least 1. An explicit
``--threads`` wins, then ``OMP_NUM_THREADS`` (what torch itself honours); the choice and its
reason are printed once and recorded in the manifest's ``backend_info``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ThreadChoice:
    """A thread count and where it came from."""

    threads: int
    reason: str

    def to_dict(self) -> dict[str, int | str]:
        return {"threads": self.threads, "reason": self.reason}

    def describe(self) -> str:
        return (
            f"torch uses {self.threads} CPU thread{'s' if self.threads != 1 else ''} "
            f"({self.reason}; --threads N or OMP_NUM_THREADS=N to change)"
        )


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def choose_threads(
    requested: int | None = None, environ: Mapping[str, str] | None = None
) -> ThreadChoice:
    """The intra-op thread count for CPU inference: ``requested`` (``--threads``), else a valid
    ``OMP_NUM_THREADS``, else one core fewer than the usable cores (at least 1)."""
    env = os.environ if environ is None else environ
    if requested is not None:
        if requested < 1:
            raise ValueError(f"--threads must be >= 1, got {requested}")
        return ThreadChoice(requested, "--threads")
    raw = env.get("OMP_NUM_THREADS", "").strip()
    if raw.isdigit() and int(raw) >= 1:
        return ThreadChoice(int(raw), "OMP_NUM_THREADS")
    cores = usable_cores()
    return ThreadChoice(
        max(1, cores - 1),
        f"{cores} usable core{'s' if cores != 1 else ''}, one left for preparing and "
        "scoring batches",
    )


def apply_torch_threads(choice: ThreadChoice) -> int:
    """Set torch's intra-op threads to ``choice``; returns the count it had, to restore."""
    import torch

    before = int(torch.get_num_threads())
    torch.set_num_threads(choice.threads)
    return before


def restore_torch_threads(before: int) -> None:
    import torch

    torch.set_num_threads(before)
