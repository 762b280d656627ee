"""Sharding: under a multi-process launch (``accelerate launch``, ``torchrun``: ``RANK`` and
``WORLD_SIZE``) each process takes the samples ``index % world == rank`` into
``records.rank{r}.jsonl``; the main process waits until every shard's records are on disk and
then merges them (:func:`othink_bench.harness.store.consolidate_records`). A process that stops
its shard past ``max_errors`` leaves ``abort.rank{r}`` so the others do not wait for it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from othink_bench.backends.base import distributed_env
from othink_bench.harness.settings import HarnessError
from othink_bench.harness.store import load_run_records
from othink_bench.records import RECORDS_FILE, RunRecord


class Dist:
    """Rank and world size of this process (``RANK``/``WORLD_SIZE`` from any launcher).

    There is deliberately no collective barrier: a process group initialised here for a barrier
    would become the default group of any training that follows in the same process (the
    trainers' train-and-eval evaluates the base model before training), and pinning GPUs for
    vLLM must happen before CUDA is touched. Instead the main process waits until the records
    of every shard are on disk (:func:`wait_for_shards`) - a condition a stale file
    from an earlier launch cannot fake - and the other processes go on as soon as their shard
    is written.
    """

    def __init__(self) -> None:
        self.rank, self.world, self.local_rank = distributed_env()
        self.started = time.time()
        if not 0 <= self.rank < self.world:
            raise HarnessError(f"RANK={self.rank} is outside WORLD_SIZE={self.world}")

    @property
    def main(self) -> bool:
        return self.rank == 0


def shard_file(run_dir: Path, rank: int) -> Path:
    return run_dir / f"records.rank{rank}.jsonl"


def own_records_file(run_dir: Path, dist: Dist) -> Path:
    """The file this process appends to: its shard file, or ``records.jsonl`` alone."""
    return shard_file(run_dir, dist.rank) if dist.world > 1 else run_dir / RECORDS_FILE


def own_positions(positions: Sequence[int], dist: Dist) -> Sequence[int]:
    return positions[dist.rank :: dist.world]


def abort_file(run_dir: Path, rank: int) -> Path:
    return run_dir / f"abort.rank{rank}"


def recent_aborts(run_dir: Path, dist: Dist) -> list[Path]:
    """Abort markers written by this launch (a stale one from an earlier launch is ignored)."""
    return [
        f for f in sorted(run_dir.glob("abort.rank*")) if f.stat().st_mtime >= dist.started - 1
    ]


def wait_for_shards(
    run_dir: Path,
    dist: Dist,
    scope: set[int],
    samples: int,
    redo: dict[tuple[str, int], RunRecord],
    poll_s: float = 0.5,
) -> None:
    """Block until every (index, k) in scope has a record, or another process aborted.

    An earlier error that is being redone does not count until its new record replaces it.
    """
    want = len(scope) * samples
    timeout = float(os.environ.get("OTHINK_BENCH_SHARD_TIMEOUT", 7 * 24 * 3600))
    deadline = time.time() + timeout
    while True:
        have = {
            (r.index, r.k)
            for r in load_run_records(run_dir)
            if r.index in scope and r.k < samples and redo.get(r.key) != r
        }
        if len(have) >= want:
            return
        if recent_aborts(run_dir, dist):
            return
        if time.time() > deadline:
            raise HarnessError(
                f"waited {timeout:.0f}s for the other shards of {run_dir} "
                f"({len(have)} of {want} records); did a process die? Rerun to finish"
            )
        time.sleep(poll_s)
