"""The ``train-and-eval`` command: flags to a :class:`trainers.matrix.spec.MatrixSpec`, ``--plan``,
then the matrix run and its tables.

It shares the recipe flags, logging and user-error handling of ``train``
(:mod:`trainers.commands`); heavy imports happen inside ``execute_train_and_eval``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from trainers.commands import add_recipe_args, print_plans, setup_logging, user_errors
from trainers.recipes import ConfigError, default_recipe

log = logging.getLogger(__name__)

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


def _task_list(text: str | None) -> list[str]:
    """A comma list of task names with each named suite (``@generalisation``, ``@paper``)
    replaced by its members; an unknown suite is a :class:`ConfigError` listing the suites."""
    from othink_bench.registry import UnknownSuiteError, expand_names

    try:
        return expand_names(_csv_list(text))
    except UnknownSuiteError as exc:
        raise ConfigError(str(exc)) from None


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
                        help=f"comma list of training tasks or @suites (default: {TINY_TASKS} "
                        f"with --model tiny, else {PAPER_TASKS}, which need the paper's data)")
    parser.add_argument("--eval-tasks", default=None,
                        help="comma list of evaluation tasks or @suites, e.g. vc,@generalisation "
                        "(default: the training tasks)")
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
    parser.add_argument("--eval-prompt", default="paper", metavar="NAME",
                        help="prompt variant of the evaluations (default paper, the prompt the "
                        "trainers train with; `othink-bench tasks --prompts` lists them); any "
                        "other is a run and a board row of its own")
    parser.add_argument("--eval-profile", action="append", metavar="NAME[,NAME]",
                        help="also record this scoring profile's verdicts in the evaluations' "
                        "records (repeatable), beside the strict one")
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
    add_recipe_args(parser)


def _methods_of(args: argparse.Namespace) -> list[str]:
    if args.method:
        return ["base", args.method]
    if args.methods:
        return _csv_list(args.methods)
    return ["base", "sft", "grpo", "grpod"]


def eval_prompt_settings(
    eval_tasks: list[str], prompt: str | None, profiles: list[str] | None
) -> dict[str, Any]:
    """The evaluations' ``prompt`` and ``profiles`` settings, checked before anything trains;
    empty for the paper prompt and no profile, so matrices made before these flags keep their
    cell keys. A bad name is a ``ConfigError`` naming the flag and the choices."""
    from othink_bench.answers.peers import parse_profiles
    from othink_bench.harness.scoring import check_profiles
    from othink_bench.registry import get_tasks

    out: dict[str, Any] = {}
    prompt = prompt or "paper"
    try:
        tasks = [t.with_prompt(prompt) for t in get_tasks(eval_tasks)]
    except ValueError as exc:
        raise ConfigError(f"--eval-prompt {prompt}: {exc}") from None
    try:
        names = parse_profiles(profiles)
        check_profiles(tasks, names)
    except (ValueError, RuntimeError) as exc:
        raise ConfigError(f"--eval-profile: {exc}") from None
    if prompt != "paper":
        out["prompt"] = prompt
    if names:
        out["profiles"] = list(names)
    return out


def matrix_spec_from_args(args: argparse.Namespace) -> Any:
    from trainers.matrix import MatrixSpec, parse_seeds, parse_sweep
    from trainers.recipes.resolve import parse_overrides

    methods = _methods_of(args)
    train_tasks = _task_list(args.train_tasks or default_train_tasks(args.model))
    eval_tasks = _task_list(args.eval_tasks) or list(train_tasks)
    eval_data = _task_map(args.eval_data, "--eval-data")
    check_eval_data(eval_tasks, eval_data)
    prompt_settings = eval_prompt_settings(
        eval_tasks, getattr(args, "eval_prompt", None), getattr(args, "eval_profile", None)
    )
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
            **prompt_settings,
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
    setup_logging()
    from trainers.matrix import MATRIX_FILE, MATRIX_MD, render_markdown, run_matrix

    if args.world_size is not None and args.world_size < 1:
        print(f"error: --world-size must be >= 1, got {args.world_size}", file=sys.stderr)
        return 2
    try:
        if args.plan:
            from trainers.matrix.sweep import check_sweeps, parse_sweep
            from trainers.recipes.resolve import parse_overrides

            methods = [m for m in _methods_of(args) if m != "base"]
            tasks = _task_list(args.train_tasks or default_train_tasks(args.model))
            overrides = parse_overrides(args.overrides)
            sweeps = check_sweeps([parse_sweep(t) for t in args.sweep or []], methods, overrides)
            return print_plans([(m, t) for t in tasks for m in methods], args, overrides,
                               min_points=3 if args.eval_checkpoints == "all" else 0,
                               sweeps=sweeps)
        spec = matrix_spec_from_args(args)
        if spec.eval_checkpoints == "all":
            warn_short_curves(spec, args)
        cells = run_matrix(spec)
    except user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(render_markdown(cells))
    print(f"\n{len(cells)} cells; {spec.out / MATRIX_FILE}, {spec.out / MATRIX_MD}, "
          f"run records under {spec.out / 'runs'}")
    return 0
