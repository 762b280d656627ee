"""Batch invariance of greedy evaluation: K samples generated alone (batch 1) and inside padded
batches (8, 32, ...), with one loaded model; how many outputs and verdicts change.

    python benchmarks/batch_invariance.py [--model tiny] [--tasks vc-synth-tiny,gr-synth-tiny]
        [--k 64] [--batch-sizes 1,8,32] [--max-new-tokens N] [--device auto] [--dtype auto]
        [--json OUT.json]

A benchmark script rather than a ``run`` flag: the check needs the same requests generated
several times by one loaded model and writes no records (a run's records hold one output per
sample, and which batch size's output they should hold is the question being asked); it works
through :mod:`othink_bench.batch_invariance`, which any backend can be checked with.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--tasks", default="vc-synth-tiny,gr-synth-tiny")
    parser.add_argument("--k", type=int, default=64, help="samples per task (default 64)")
    parser.add_argument("--batch-sizes", default="1,8,32")
    parser.add_argument("--max-new-tokens", type=int, default=None,
                        help="default: the task's own budget")  # fmt: skip
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--json", default=None, help="write the figures here too")
    args = parser.parse_args(argv)

    from othink_bench.backends.hf import HFBackend
    from othink_bench.batch_invariance import check, requests_for
    from othink_bench.models.tiny import resolve_model
    from othink_bench.registry import get_tasks

    sizes = [int(x) for x in args.batch_sizes.split(",") if x.strip()]
    if not sizes or min(sizes) < 1:
        parser.error("--batch-sizes: positive whole numbers, e.g. 1,8,32")
    backend = HFBackend(resolve_model(args.model), batch_size=sizes[0], device=args.device,
                        dtype=args.dtype)  # fmt: skip
    backend.load()

    def set_batch(b: int) -> None:
        backend.batch_size = backend.requested_batch_size = b
        backend.window = b * 16

    report = []
    for task in get_tasks(args.tasks):
        samples = task.load(split="test", source="synthetic", limit=args.k, seed=0)
        requests = requests_for(task, samples, args.max_new_tokens or task.max_new_tokens)
        lengths = [backend.prompt_tokens(r, 1 << 20) for r in requests]
        start = time.perf_counter()
        results = check(backend, set_batch, task, requests, samples, sizes, lengths)
        elapsed = time.perf_counter() - start
        for r in results:
            row = {"task": task.id, "model": args.model, "device": str(backend.describe().get(
                "device", args.device)), **r.as_dict()}  # fmt: skip
            report.append(row)
            print(
                f"{task.id}: batch {r.batch_size:>3}: accuracy {100 * r.accuracy:5.1f}%, "
                f"{r.padded:>3} of {len(r.outputs)} requests left-padded, "
                f"{r.changed_outputs} outputs and {r.became_right + r.became_wrong} verdicts "
                f"changed vs batch {sizes[0]} (+{r.became_right} / -{r.became_wrong})"
            )
        print(f"{task.id}: {elapsed:.1f} s for {len(sizes)} passes over {len(samples)} samples")
    backend.close()
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
