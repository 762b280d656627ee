"""What GRPO-D costs over GRPO, and what our layer costs over bare TRL, per optimizer step.

Three trainers on the tiny Qwen2-VL with identical settings, data order and work per step:

* ``grpod``  - ours (trainers.grpo.build_grpo_trainer), the Eq. 3 schedule (counting betas);
* ``grpo``   - ours, constant beta 0.04;
* ``bare``   - ``trl.GRPOTrainer`` built directly with the same config values, no callbacks.

Every completion is forced to the full ``max_completion_length`` (``min_new_tokens``) so the
sampled lengths do not make one trainer's steps longer than another's. Rounds are interleaved
(grpod, grpo, bare, grpod, ...) so machine load drifts hit all three alike; the step time of a
trainer is the median over all its timed steps (the first step of each round is warm-up).
Targets: grpod / grpo < 1.02 and grpo / bare < 1.05.

Run: ``python benchmarks/trainer_overhead.py [--steps 8 --rounds 4]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from transformers import TrainerCallback  # noqa: E402

TARGETS = {"grpod/grpo": 1.02, "grpo/bare": 1.05}


class StepTimer(TrainerCallback):
    """Wall time of every optimizer step (on_step_begin -> on_step_end)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._t0 = 0.0

    def on_step_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self._t0 = time.perf_counter()

    def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.times.append(time.perf_counter() - self._t0)


class TimedCalls:
    """Accumulates the time spent inside one callback method (the schedule's own cost)."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.total = 0.0
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.total += time.perf_counter() - t0
            self.calls += 1


def build(kind: str, model: str, task: Any, dataset: Any, processor: Any, out: Path,
          steps: int, settings: dict[str, Any]) -> tuple[Any, StepTimer, TimedCalls | None]:
    from trl import GRPOConfig, GRPOTrainer

    from othink_bench.rewards import reward_functions
    from trainers.config import GRPODConfig
    from trainers.grpo import build_grpo_trainer

    timer = StepTimer()
    common: dict[str, Any] = {**settings, "output_dir": str(out / kind), "max_steps": steps}
    if kind == "bare":
        config = GRPOConfig(beta=0.04, loss_type="grpo", use_bias_correction_kl=False,
                            reward_weights=[1.0, 1.0], **common)
        funcs, _ = reward_functions(task, 1.0)
        rewards: list[Any] = list(funcs)
        trainer = GRPOTrainer(model=model, reward_funcs=rewards, args=config,
                              train_dataset=dataset, processing_class=processor,
                              callbacks=[timer])
        return trainer, timer, None
    schedule: dict[str, Any] = (
        {"beta_schedule": "grpod", "beta_min": 0.04, "beta_max": 0.1}
        if kind == "grpod" else {"beta_schedule": "constant", "beta": 0.04}
    )
    config = GRPODConfig(**schedule, **common)
    trainer, beta_cb = build_grpo_trainer(task, model, processor, config, dataset,
                                          callbacks=[timer])
    timed = TimedCalls(beta_cb.on_step_begin)
    beta_cb.on_step_begin = timed  # type: ignore[method-assign]
    return trainer, timer, timed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=8, help="optimizer steps per round")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds per trainer")
    parser.add_argument("--task", default="vc-synth-tiny")
    parser.add_argument("--max-completion-length", type=int, default=16)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)

    import torch
    import transformers

    from othink_bench.models.tiny import build_tiny
    from othink_bench.registry import get_task
    from trainers.data import task_dataset
    from trainers.recipes.resolve import resolve_recipe
    from trainers.run import load_training_processor

    transformers.logging.set_verbosity_error()
    if args.threads:
        torch.set_num_threads(args.threads)
    tmp = Path(tempfile.mkdtemp(prefix="othink-overhead-"))
    model = str(build_tiny(tmp / "tiny", seed=0))
    task = get_task(args.task)
    dataset, _ = task_dataset(task, train_samples=64)
    processor = load_training_processor(model, resolve_recipe("tiny", "grpo", "counting"))
    settings: dict[str, Any] = {
        "per_device_train_batch_size": 8,
        "num_generations": 4,
        "gradient_accumulation_steps": 2,
        "max_completion_length": args.max_completion_length,
        "generation_kwargs": {"min_new_tokens": args.max_completion_length},
        "learning_rate": 1e-4,
        "bf16": False,
        "activation_checkpointing": False,
        "logging_steps": 10_000,  # no per-step log printing in the timed loop
        "save_strategy": "no",
        "report_to": "none",
        "disable_tqdm": True,
        "seed": 0,
        "dataloader_num_workers": 0,
    }
    kinds = ["grpod", "grpo", "bare"]
    times: dict[str, list[float]] = {k: [] for k in kinds}
    callback_cost: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(args.rounds):
        for kind in kinds:
            trainer, timer, timed = build(kind, model, task, dataset, processor, tmp,
                                          args.steps, settings)
            trainer.train()
            times[kind].extend(timer.times[1:])  # first step of a round: warm-up
            if timed is not None and timed.calls:
                callback_cost[kind].append(timed.total / timed.calls)
            del trainer

    med = {k: statistics.median(v) for k, v in times.items()}
    ratios = {"grpod/grpo": med["grpod"] / med["grpo"], "grpo/bare": med["grpo"] / med["bare"]}
    print(f"tiny Qwen2-VL, task {args.task}, {args.steps} steps x {args.rounds} rounds, "
          f"torch threads {torch.get_num_threads()}")
    print(f"{'trainer':<8} {'median step s':>14} {'p25':>8} {'p75':>8} {'steps':>6} "
          f"{'schedule us/step':>17}")
    for k in kinds:
        q = statistics.quantiles(times[k], n=4) if len(times[k]) > 1 else [med[k]] * 3
        cost = (f"{1e6 * statistics.mean(callback_cost[k]):.1f}" if callback_cost[k] else "-")
        print(f"{k:<8} {med[k]:>14.4f} {q[0]:>8.4f} {q[2]:>8.4f} {len(times[k]):>6} {cost:>17}")
    print()
    ok = True
    for name, value in ratios.items():
        passed = value < TARGETS[name]
        ok &= passed
        print(f"{name:<11} {value:.4f}  (target < {TARGETS[name]})  {'ok' if passed else 'MISS'}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "median_step_s": med, "ratios": ratios, "targets": TARGETS,
            "schedule_callback_us": {k: 1e6 * statistics.mean(v) for k, v in
                                     callback_cost.items() if v},
            "steps": args.steps, "rounds": args.rounds,
        }, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
