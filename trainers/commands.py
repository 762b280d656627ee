"""The trainer commands: ``schedule``, ``train`` and ``train-and-eval``.

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

from trainers.recipes import ConfigError, default_recipe, list_recipes, merged_values, read_recipe
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


def _add_recipe_args(parser: argparse.ArgumentParser) -> None:
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
    _add_recipe_args(parser)


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


def _user_errors() -> tuple[type[BaseException], ...]:
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
    from trainers.matrix_sweep import point_overrides, sweep_points
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
    _setup_logging()
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
    except _user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    verb = "reused finished training" if result.reused else "trained"
    print(f"{verb}: {result.method} on {result.task}, {result.steps} steps")
    print(f"final checkpoint: {result.final_checkpoint}")
    if result.beta_history:
        first, last = result.beta_history[0], result.beta_history[-1]
        print(f"beta: step {first[0]} {first[1]:.4g} ... step {last[0]} {last[1]:.4g}")
    return 0


# ---------------------------------------------------------------------------------------------
# train-and-eval


#: Default task lists of train-and-eval: the tiny presets for the bundled tiny model (offline,
#: learnable by it), the paper's tasks otherwise.
TINY_TASKS = "vc-synth-tiny,gr-synth-tiny"
PAPER_TASKS = "vc,gr"


def default_train_tasks(model: str) -> str:
    """``--train-tasks`` when it is not given: the tiny presets for ``--model tiny``."""
    return TINY_TASKS if default_recipe(model) == "tiny" else PAPER_TASKS


def check_eval_data(eval_tasks: Sequence[str], eval_data: Mapping[str, str]) -> None:
    """Fail before any training when an eval task reads a test file that was not given.

    The paper's test sets are not bundled (they are files from the reference evaluation); the
    message names this command's own flags, not ``run``'s.
    """
    from othink_bench.data import PaperDataTask
    from othink_bench.registry import get_task

    missing = [t for t in eval_tasks if isinstance(get_task(t), PaperDataTask)
               and t not in eval_data]
    if not missing:
        return
    flags = " ".join(f"--eval-data {t}=FILE" for t in missing)
    raise ConfigError(
        f"eval task(s) {', '.join(missing)} read the paper's test files, which are not bundled: "
        f"pass {flags} (JSON-lines with image_path, question, ground_truth) and, if the images "
        f"are elsewhere, --eval-image-root TASK=DIR; the README's Data section says where the "
        f"files come from. Offline, train and evaluate on the procedural tasks instead: "
        f"--train-tasks {TINY_TASKS} (or vc-synth,gr-synth) and --eval-tasks likewise."
    )


def _csv_list(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def _task_map(items: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        task, sep, path = item.partition("=")
        if not sep or not task or not path:
            raise ConfigError(f"{flag} takes TASK=PATH (e.g. {flag} vc=data/vc.jsonl), got {item!r}")
        out[task.strip()] = path.strip()
    return out


def configure_train_and_eval(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--method", choices=["sft", "grpo", "grpod"], default=None,
                       help="one method (the base model is evaluated too)")
    group.add_argument("--methods", default=None,
                       help="comma list from base,sft,grpo,grpod (default: all four)")
    parser.add_argument("--train-tasks", default=None,
                        help=f"comma list of training tasks (default: {TINY_TASKS} with --model "
                        f"tiny, else {PAPER_TASKS}, which need the paper's data)")
    parser.add_argument("--eval-tasks", default=None,
                        help="comma list of evaluation tasks (default: the training tasks)")
    parser.add_argument("--eval-checkpoints", choices=["final", "all"], default="final",
                        help="evaluate the final checkpoint, or every saved one (curves); "
                        "default: %(default)s")
    parser.add_argument("--eval-limit", type=int, default=None, metavar="N",
                        help="evaluate the first N test samples of each task (default: all)")
    parser.add_argument("--eval-batch-size", type=int, default=8,
                        help="evaluation batch size (default: %(default)s)")
    parser.add_argument("--eval-max-new-tokens", type=int, default=None, metavar="N",
                        help="generation budget (default: the task's own, 256 / 1024)")
    parser.add_argument("--eval-backend", default="hf",
                        help="harness backend: hf or vllm (default: %(default)s)")
    parser.add_argument("--eval-data", action="append", metavar="TASK=PATH",
                        help="local test data of an eval task (repeatable)")
    parser.add_argument("--eval-image-root", action="append", metavar="TASK=DIR",
                        help="image folder of an eval task's data (repeatable)")
    parser.add_argument("--seeds", default=None, metavar="N|LIST",
                        help="train each (method, train task) with several training seeds: a "
                        "count N (seeds 0..N-1) or a comma list (0,1,2); same training data and "
                        "test samples for every seed, the base model evaluated once (default: "
                        "the recipe's one seed)")
    parser.add_argument("--sweep", action="append", default=None, metavar="KEY=V1,V2",
                        help="train and evaluate each value of a recipe setting as its own cell "
                        "(repeatable: several give their grid; method.key sweeps one method's "
                        "setting, e.g. grpo.beta=0,0.01,0.05); each value gets its own training "
                        "folder sweep-KEY=V, run id and board row")
    parser.add_argument("--out", default="runs/matrix", metavar="DIR",
                        help="folder for checkpoints, run records and matrix.json "
                        "(default: %(default)s)")
    _add_recipe_args(parser)


def _methods_of(args: argparse.Namespace) -> list[str]:
    if args.method:
        return ["base", args.method]
    if args.methods:
        return _csv_list(args.methods)
    return ["base", "sft", "grpo", "grpod"]


def matrix_spec_from_args(args: argparse.Namespace) -> Any:
    from trainers.matrix import MatrixSpec, parse_seeds, parse_sweep
    from trainers.recipes.resolve import parse_overrides

    methods = _methods_of(args)
    train_tasks = _csv_list(args.train_tasks or default_train_tasks(args.model))
    eval_tasks = _csv_list(args.eval_tasks) or list(train_tasks)
    eval_data = _task_map(args.eval_data, "--eval-data")
    check_eval_data(eval_tasks, eval_data)
    return MatrixSpec(
        model=args.model,
        methods=methods,
        train_tasks=train_tasks,
        eval_tasks=eval_tasks,
        out=Path(args.out),
        recipe=args.recipe or default_recipe(args.model),
        eval_checkpoints=args.eval_checkpoints,
        train_samples=args.train_samples,
        overrides=parse_overrides(args.overrides),
        eval_limit=args.eval_limit,
        eval_settings={
            "batch_size": args.eval_batch_size,
            "backend": args.eval_backend,
            **({"max_new_tokens": args.eval_max_new_tokens} if args.eval_max_new_tokens else {}),
        },
        eval_data=eval_data,
        eval_image_root=_task_map(args.eval_image_root, "--eval-image-root"),
        seeds=parse_seeds(args.seeds) if args.seeds is not None else None,
        sweeps=[parse_sweep(t) for t in args.sweep] if args.sweep else None,
    )


def warn_short_curves(spec: Any, args: argparse.Namespace) -> None:
    """Warn, before training, about trainings whose checkpoints give a curve under 3 points."""
    from trainers.plan import plan_training

    for task in spec.train_tasks:
        for method in [m for m in spec.methods if m != "base"]:
            try:
                plan = plan_training(method, task, spec.model, recipe=spec.recipe,
                                     overrides=spec.overrides, train_samples=spec.train_samples,
                                     world_size=args.world_size, train_rows=args.train_rows)
            except ConfigError:
                continue  # rows unknown before the data is read: no warning to give
            if len(plan.save_steps) < 3:
                log.warning(
                    "%s on %s saves %d checkpoint(s) (steps %s): --eval-checkpoints all draws "
                    "no curve from that; lower save_steps (e.g. %s.save_steps=0.1)", method,
                    task, len(plan.save_steps), plan.save_steps, method)


def execute_train_and_eval(args: argparse.Namespace) -> int:
    _setup_logging()
    from trainers.matrix import MATRIX_FILE, MATRIX_MD, render_markdown, run_matrix

    if args.world_size is not None and args.world_size < 1:
        print(f"error: --world-size must be >= 1, got {args.world_size}", file=sys.stderr)
        return 2
    try:
        if args.plan:
            from trainers.matrix_sweep import check_sweeps, parse_sweep
            from trainers.recipes.resolve import parse_overrides

            methods = [m for m in _methods_of(args) if m != "base"]
            tasks = _csv_list(args.train_tasks or default_train_tasks(args.model))
            overrides = parse_overrides(args.overrides)
            sweeps = check_sweeps([parse_sweep(t) for t in args.sweep or []], methods, overrides)
            return print_plans([(m, t) for t in tasks for m in methods], args, overrides,
                               min_points=3 if args.eval_checkpoints == "all" else 0,
                               sweeps=sweeps)
        spec = matrix_spec_from_args(args)
        if spec.eval_checkpoints == "all":
            warn_short_curves(spec, args)
        cells = run_matrix(spec)
    except _user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(render_markdown(cells))
    print(f"\n{len(cells)} cells; {spec.out / MATRIX_FILE}, {spec.out / MATRIX_MD}, "
          f"run records under {spec.out / 'runs'}")
    return 0
