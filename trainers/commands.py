"""The trainer commands ``schedule`` and ``train`` (``train-and-eval`` is
:mod:`trainers.matrix.command`).

Each command has ``configure_<name>(parser)`` and ``execute_<name>(args) -> int`` (the CLI's
contract). Heavy imports (torch, transformers, TRL) happen inside ``execute_*`` of the commands
that train, so ``othink-bench schedule`` and ``--help`` start fast.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trainers.recipes import ConfigError, list_recipes, merged_values, read_recipe
from trainers.schedules import BetaSchedule, ScheduleError

log = logging.getLogger(__name__)

TASK_FAMILIES = {"vc": "counting", "gr": "geometry"}


def _family_of(task_name: str) -> str:
    """The settings family of a task name: a family name itself, the registered task's
    ``family``, or the id prefix (vc: counting, gr: geometry)."""
    if task_name in ("counting", "geometry"):
        return task_name
    family = ""
    try:
        from othink_bench.registry import get_task

        family = str(getattr(get_task(task_name), "family", "") or "")
    except Exception:  # an unknown name or a broken plugin: fall back to the prefix
        family = ""
    if family:
        return family
    prefix = task_name.lower()[:2]
    if prefix in TASK_FAMILIES:
        return TASK_FAMILIES[prefix]
    raise ConfigError(
        f"cannot tell whether task {task_name!r} is counting or geometry; "
        "pass --task vc or --task gr"
    )


# ---------------------------------------------------------------------------------------------
# schedule


def configure_schedule(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", default="grpod", choices=["grpo", "grpod"],
                        help="grpod (Eq. 3) or grpo (constant beta)")
    parser.add_argument("--schedule", default=None, choices=["constant", "grpod", "linear", "cosine"],
                        help="override the method's schedule kind (ablations)")
    parser.add_argument("--task", default="vc",
                        help="task (or family: counting, geometry) whose betas to use")
    parser.add_argument("--recipe", default="qwen2-vl-2b",
                        help=f"recipe the betas come from ({', '.join(list_recipes())} or a path)")
    parser.add_argument("--beta", type=float, default=None, help="constant beta (grpo)")
    parser.add_argument("--beta-min", type=float, default=None)
    parser.add_argument("--beta-max", type=float, default=None)
    parser.add_argument("--ratio", type=float, default=None, help="w/t of grpod (paper: 0.3)")
    parser.add_argument("--total-steps", type=int, default=100,
                        help="t: optimizer steps; row s is beta(s), the weight of update s+1 "
                        "(step s = updates done, as checkpoint-s)")
    parser.add_argument("--csv", action="store_true", help="print CSV with columns step,beta")
    parser.add_argument("--plot", default=None, metavar="PNG", help="also save a plot")


#: What a row of the schedule is, in the numbering of checkpoints and training logs.
STEP_NOTE = (
    "# step s = optimizer updates done (TRL's global_step, checkpoint-s); beta(s) is the KL "
    "weight of update s+1 (step s -> s+1): beta_schedule.jsonl logs it at step s, "
    "train_log.jsonl at step s+1 as beta with beta_step s; the last row, s = t, ends Eq. 3 "
    "and no update uses it"
)


def schedule_from_args(args: argparse.Namespace) -> BetaSchedule:
    family = _family_of(args.task)
    values = merged_values(read_recipe(args.recipe), args.method, family)
    name = args.schedule or values.get("beta_schedule") or (
        "grpod" if args.method == "grpod" else "constant")
    params = {
        "beta": args.beta if args.beta is not None else values.get("beta", 0.0),
        "beta_min": args.beta_min if args.beta_min is not None else values.get("beta_min", 0.0),
        "beta_max": args.beta_max if args.beta_max is not None else values.get("beta_max", 0.0),
        "ratio": args.ratio if args.ratio is not None else values.get("beta_ratio", 0.3),
    }
    return BetaSchedule(name=name, **{k: float(v) for k, v in params.items()})


def execute_schedule(args: argparse.Namespace) -> int:
    try:
        schedule = schedule_from_args(args)
        values = schedule.values(args.total_steps)
    except (ConfigError, ScheduleError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["step", "beta"])
        for step, beta in enumerate(values):
            writer.writerow([step, repr(beta)])
        sys.stdout.write(buf.getvalue())
    else:
        params = ", ".join(f"{k}={v:g}" for k, v in schedule.params.items())
        print(f"# {schedule.name} ({params}), total steps {args.total_steps}")
        print(STEP_NOTE)
        width = len(str(args.total_steps))
        for step, beta in enumerate(values):
            print(f"{step:>{width}}  {beta:.6f}")
    if args.plot:
        plot_schedule(schedule, args.total_steps, Path(args.plot))
        print(f"plot saved to {args.plot}", file=sys.stderr)
    return 0


def plot_schedule(schedule: BetaSchedule, total: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(total + 1), schedule.values(total), lw=2)
    if schedule.name == "grpod":
        ax.axvline(schedule.ratio * total, color="grey", ls="--", lw=1, label="w = ratio * t")
        ax.legend()
    ax.set_xlabel("optimizer step s")
    ax.set_ylabel("KL weight beta(s)")
    ax.set_title(f"{schedule.name} schedule")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# train


def add_recipe_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True,
                        help="base checkpoint: a folder, a hub id, or 'tiny'")
    parser.add_argument("--recipe", default=None,
                        help=f"recipe name ({', '.join(list_recipes())}) or YAML path "
                        "(default: tiny for --model tiny, else qwen2-vl-2b / -7b by name)")
    parser.add_argument("--train-samples", type=int, default=None, metavar="N",
                        help="train on the first N samples (few-shot; paper counting: 100)")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="recipe settings (any field of the method's TRL config or of "
                        "RecipeOptions; scope one method with sft.key=value)")
    plan = parser.add_argument_group("planning (no model or data is loaded)")
    plan.add_argument("--plan", action="store_true",
                      help="print what the recipe will do (examples and optimizer steps, "
                      "warm-up, learning rates, save points, beta at each) and exit")
    plan.add_argument("--json", action="store_true", help="with --plan: one JSON object per "
                      "training, one per line")
    plan.add_argument("--world-size", type=int, default=None, metavar="N",
                      help="processes the training will run on (default: WORLD_SIZE from the "
                      "launcher, else 1)")
    plan.add_argument("--train-rows", type=int, default=None, metavar="N",
                      help="training rows, where the plan cannot know them without reading the "
                      "data (local files) or the task's hub size is approximate")


def configure_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--method", required=True, choices=["sft", "grpo", "grpod"])
    parser.add_argument("--task", required=True, help="training task: vc, gr, vc-synth, ...")
    parser.add_argument("--output", default=None, metavar="DIR",
                        help="output folder (default runs/train/<model>/<task>/<method>)")
    parser.add_argument("--overwrite", action="store_true",
                        help="train again from step 0 even if DIR holds a finished training "
                        "(without it, a finished one is reused and an interrupted one resumes "
                        "from its newest checkpoint)")
    add_recipe_args(parser)


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message tells the user what to do: printed, not traced."""
    from othink_bench.data_sources import DataSourceError
    from othink_bench.models.processor import ModelLoadError
    from othink_bench.registry import UnknownTaskError
    from trainers.callbacks import ScheduleAlignmentError
    from trainers.data import TrainingDataError
    from trainers.finite_guard import TrainingDiverged

    return (ConfigError, ScheduleError, DataSourceError, ModelLoadError, UnknownTaskError,
            ScheduleAlignmentError, TrainingDataError, TrainingDiverged)


def print_plans(cells: Sequence[tuple[str, str]], args: argparse.Namespace,
                overrides: Mapping[str, Any], *, min_points: int = 0,
                sweeps: Sequence[Any] = ()) -> int:
    """``--plan``: plan each (method, task), each sweep point of ``sweeps`` (SweepAxis) its own
    plan, and print it; 2 if any would be refused."""
    import json

    from othink_bench.sweeps import sweep_text
    from trainers.matrix.sweep import point_overrides, sweep_points
    from trainers.plan import check_plan, plan_training

    status = 0
    for method, task, point in ((m, t, p) for m, t in cells for p in sweep_points(sweeps, m)):
        plan = plan_training(method, task, args.model, recipe=args.recipe,
                             overrides={**overrides, **point_overrides(sweeps, point, method)},
                             train_samples=args.train_samples, world_size=args.world_size,
                             train_rows=args.train_rows)
        problem = None
        try:
            check_plan(plan)
        except ConfigError as exc:
            problem, status = str(exc), 2
        if args.json:
            print(json.dumps({**plan.to_json(), **({"sweep": point} if point else {}),
                              "refused": problem}))
            continue
        if point:
            print(f"sweep {sweep_text(point)}:")
        print(plan.render())
        if min_points and len(plan.save_steps) < min_points:
            print(f"  warning: --eval-checkpoints all gets {len(plan.save_steps)} point(s) "
                  f"here; lower save_steps (e.g. save_steps=0.1) for a curve")
        if problem:
            print(f"  refused: {problem}")
    return status


def execute_train(args: argparse.Namespace) -> int:
    setup_logging()
    from trainers.recipes.resolve import parse_overrides
    from trainers.run import train

    if args.world_size is not None and args.world_size < 1:
        print(f"error: --world-size must be >= 1, got {args.world_size}", file=sys.stderr)
        return 2
    try:
        overrides = parse_overrides(args.overrides)
        if args.plan:
            return print_plans([(args.method, args.task)], args, overrides)
        result = train(
            args.method,
            args.task,
            args.model,
            recipe=args.recipe,
            output_dir=args.output,
            train_samples=args.train_samples,
            overrides=overrides,
            overwrite=args.overwrite,
        )
    except user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    verb = "reused finished training" if result.reused else "trained"
    print(f"{verb}: {result.method} on {result.task}, {result.steps} steps")
    print(f"final checkpoint: {result.final_checkpoint}")
    if result.beta_history:
        first, last = result.beta_history[0], result.beta_history[-1]
        print(f"beta: step {first[0]} {first[1]:.4g} ... step {last[0]} {last[1]:.4g}")
    return 0
