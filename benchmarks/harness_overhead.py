"""How much does the harness cost on top of generation itself? Side by side, in one run.

With the tiny Qwen2-VL on CPU, on N samples of a task (``vc-synth-tiny`` by default):

1. ``evaluate()`` (data, prompts, images, length sorting, scoring, records with fsync,
   manifest) against a *bare loop* that does the same preparation inline - read or render the
   samples, chat-template the prompts, decode and process the images, ``model.generate``,
   decode - with the model already loaded in both, at batch 8 and 32, on synthetic data
   (scenes rendered on the fly) and on local data (the same samples written to a parquet).
   Target: evaluate's wall time at most the bare loop's (ratio <= 1.0).
2. ``othink-bench run`` end to end (a new process: start, load, everything) on the local data
   against a plain script that loads the checkpoint and loops template -> process -> generate
   -> decode. Targets: wall <= 1.0x, CPU time <= 1.15x.

Each pair is timed in alternating order and the median of ``--repeat`` runs is kept: the
machines this runs on are shared, and the noise between runs is larger than the differences
being measured.

    OMP_NUM_THREADS=1 python benchmarks/harness_overhead.py [--samples 200] [--repeat 3]
        [--batch-sizes 8,32] [--max-new-tokens N] [--threads 1] [--no-cli]

The ratios are printed on the last lines.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PLAIN_SCRIPT = '''
import sys, torch
torch.set_num_threads(int(sys.argv[5]))
from othink_bench.models.processor import load_model
from othink_bench.models.tiny import resolve_model
from othink_bench.registry import get_task
task, data, n, bs, max_new = get_task(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[6])
model, processor = load_model(resolve_model("tiny"), dtype="fp32", device="cpu")
processor.tokenizer.padding_side = "left"
samples = task.load(split="test", source="local", data=data, limit=n)
for i in range(0, len(samples), bs):
    batch = [samples[j] for j in range(i, min(len(samples), i + bs))]
    texts = [processor.apply_chat_template(task.prompt(s), tokenize=False, add_generation_prompt=True) for s in batch]
    inputs = processor(text=texts, images=[s.image.load() for s in batch], padding=True, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=max_new, do_sample=False, temperature=None, top_p=None, top_k=None)
    processor.batch_decode(out[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
'''


def bare_loop(
    model: Any, processor: Any, task: Any, n: int, batch_size: int, max_new_tokens: int,
    data: str | None,
) -> float:  # fmt: skip
    """The minimum any evaluation must do, inline: read or render, template, process,
    generate, decode."""
    import torch

    start = time.perf_counter()
    source = "local" if data else "synthetic"
    samples = task.load(split="test", source=source, data=data, limit=n)
    for i in range(0, len(samples), batch_size):
        batch = [samples[j] for j in range(i, min(len(samples), i + batch_size))]
        texts = [
            processor.apply_chat_template(
                task.prompt(s), tokenize=False, add_generation_prompt=True
            )
            for s in batch
        ]
        images = [s.image.load() for s in batch]
        inputs = processor(text=texts, images=images, padding=True, return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(
                **inputs,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
            )
        processor.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    return time.perf_counter() - start


def harness(
    model_dir: str, loaded: tuple[Any, Any], task_id: str, n: int, batch_size: int,
    max_new_tokens: int, out: Path, data: str | None,
) -> float:  # fmt: skip
    from othink_bench.backends.hf import HFBackend
    from othink_bench.harness import evaluate

    backend = HFBackend(model_dir, batch_size=batch_size, loaded=loaded)
    start = time.perf_counter()
    (summary,) = evaluate(
        model_dir, task_id, backend=backend, out=out, limit=n, batch_size=batch_size,
        max_new_tokens=max_new_tokens, progress=False, data=data,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    assert summary.status == "complete" and summary.n_new == n, summary
    return elapsed


def timed_process(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU user+system) seconds of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="vc-synth-tiny")
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--batch-sizes", default="8,32")
    ap.add_argument("--max-new-tokens", type=int, help="default: the task's (256 for counting)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    ap.add_argument("--repeat", type=int, default=3, help="median of N alternating runs")
    ap.add_argument("--no-cli", action="store_true", help="skip the end-to-end comparison")
    args = ap.parse_args()

    import torch
    from tabulate import tabulate

    from othink_bench.commands.generate import write_dataset
    from othink_bench.models.processor import load_model
    from othink_bench.models.tiny import resolve_model
    from othink_bench.registry import get_task

    torch.set_num_threads(args.threads)
    task = get_task(args.task)
    n = args.samples
    max_new = args.max_new_tokens or task.max_new_tokens
    sizes = [int(x) for x in args.batch_sizes.split(",")]
    model_dir = resolve_model("tiny")
    model, processor = load_model(model_dir, dtype="fp32", device="cpu")
    processor.tokenizer.padding_side = "left"
    rows: list[list[str]] = []
    ratios: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        samples = list(task.load(split="test", source="synthetic", limit=n))
        data = str(write_dataset(samples, Path(tmp) / "data", "test"))
        bare_loop(model, processor, task, 8, 8, 4, None)  # warm-up
        runs = 0
        for kind, path in (("synthetic", None), ("local", data)):
            for bs in sizes:
                t_bare: list[float] = []
                t_eval: list[float] = []
                for rep in range(args.repeat):
                    for side in ("bare", "eval") if rep % 2 == 0 else ("eval", "bare"):
                        if side == "bare":
                            t_bare.append(bare_loop(model, processor, task, n, bs, max_new, path))
                        else:
                            runs += 1
                            out = Path(tmp) / f"r{runs}"
                            t_eval.append(
                                harness(model_dir, (model, processor), task.id, n, bs, max_new,
                                        out, path)
                            )  # fmt: skip
                b, e = statistics.median(t_bare), statistics.median(t_eval)
                rows.append([f"bare loop, {kind}, batch {bs}", f"{b:.2f}", f"{n / b:.1f}", ""])
                rows.append(
                    [f"evaluate(), {kind}, batch {bs}", f"{e:.2f}", f"{n / e:.1f}", f"{e / b:.3f}"]
                )
                ok = "met" if e / b <= 1.0 else "NOT met"
                ratios.append(
                    f"ratio evaluate()/bare wall, {kind}, batch {bs}: {e / b:.3f} "
                    f"(target <= 1.0: {ok})"
                )
        if not args.no_cli:
            bs = sizes[0]
            env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONPATH": str(ROOT)}
            script = Path(tmp) / "plain.py"
            script.write_text(PLAIN_SCRIPT)
            plain = [sys.executable, str(script), task.id, data, str(n), str(bs),
                     str(args.threads), str(max_new)]  # fmt: skip
            w_plain: list[float] = []
            c_plain: list[float] = []
            w_cli: list[float] = []
            c_cli: list[float] = []
            for rep in range(args.repeat):
                cli = [sys.executable, "-m", "othink_bench.cli", "run", "--model", "tiny",
                       "--tasks", task.id, "--data", data, "--limit", str(n),
                       "--batch-size", str(bs), "--max-new-tokens", str(max_new),
                       "--out", str(Path(tmp) / f"cli{rep}"), "--no-progress",
                       "--dtype", "fp32", "--device", "cpu"]  # fmt: skip
                order = [("plain", plain), ("cli", cli)]
                for name, cmd in order if rep % 2 == 0 else order[::-1]:
                    w, c = timed_process(cmd, env)
                    (w_plain if name == "plain" else w_cli).append(w)
                    (c_plain if name == "plain" else c_cli).append(c)
            wp, cp = statistics.median(w_plain), statistics.median(c_plain)
            wc, cc = statistics.median(w_cli), statistics.median(c_cli)
            rows.append([f"plain script (new process), local, batch {bs}", f"{wp:.2f}",
                         f"{n / wp:.1f}", f"cpu {cp:.2f}s"])  # fmt: skip
            rows.append([f"othink-bench run (new process), local, batch {bs}", f"{wc:.2f}",
                         f"{n / wc:.1f}", f"cpu {cc:.2f}s"])  # fmt: skip
            ratios.append(
                f"ratio othink-bench run/plain script, end to end, local, batch {bs}: "
                f"wall {wc / wp:.3f} (target <= 1.0: {'met' if wc / wp <= 1.0 else 'NOT met'}), "
                f"CPU {cc / cp:.3f} (target <= 1.15: {'met' if cc / cp <= 1.15 else 'NOT met'})"
            )
    print(
        f"task {task.id} v{task.version}, {n} samples, tiny Qwen2-VL ({model_dir}), CPU "
        f"({os.cpu_count()} cores), {args.threads} torch thread(s), max_new_tokens={max_new}, "
        f"median of {args.repeat} alternating runs, torch {torch.__version__}"
    )
    print(
        tabulate(
            rows, headers=["what", "seconds", "samples/s", "evaluate/bare"], disable_numparse=True
        )
    )
    print()
    for line in ratios:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
