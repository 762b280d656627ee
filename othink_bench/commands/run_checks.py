"""The checks of ``othink-bench run``'s arguments that need no model, made before torch loads.

Why: importing torch and transformers takes seconds (10 s on a busy 2-core machine), and a typo
in a task name or a path used to be reported only after that, when the harness first needed the
task or the file. Everything here reads the task registry and the file system only; the model
itself is checked for being a folder, a hub id or ``tiny`` (what
:func:`othink_bench.backends.base.check_model_spec` accepts), not loaded.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from othink_bench.task import Task


def check_prompt_and_profiles(args: argparse.Namespace, tasks: list[Task]) -> str | None:
    """``--prompt`` against each task's variants and ``--profile`` against the registry; sets
    ``args.profiles`` (the parsed names). Why not, in one line, or ``None``."""
    from othink_bench.answers.peers import parse_profiles
    from othink_bench.harness.scoring import check_profiles

    prompt = getattr(args, "prompt", None) or "paper"
    try:
        chosen = [t.with_prompt(prompt) for t in tasks]
    except ValueError as exc:
        return f"--prompt {prompt}: {exc}"
    try:
        args.profiles = parse_profiles(getattr(args, "profile", None))
        check_profiles(chosen, args.profiles)
    except (ValueError, RuntimeError) as exc:
        return f"--profile: {exc}"
    return None


def check_run_args(args: argparse.Namespace) -> str | None:
    """Why ``run`` cannot start with these arguments (one line naming the flag and the fix),
    or ``None``. Imports nothing heavy."""
    from othink_bench.registry import UnknownTaskError, get_tasks

    try:
        tasks = get_tasks(args.tasks)
    except UnknownTaskError as exc:  # a KeyError: str() would quote the message
        return str(exc.args[0]) if exc.args else repr(exc)
    if problem := check_prompt_and_profiles(args, tasks):
        return problem
    if args.threads is not None and args.threads < 1:
        return f"--threads {args.threads}: pass a number of threads >= 1"
    if args.data is not None and not Path(args.data).expanduser().exists():
        return (
            f"--data {args.data}: no such file or folder (relative paths start at "
            f"{Path.cwd()}); pass the test set's JSON-lines file or its folder"
        )
    if args.image_root is not None and not Path(args.image_root).expanduser().is_dir():
        return (
            f"--image-root {args.image_root}: no such folder; pass the folder that the data's "
            "relative image paths start from"
        )
    if args.backend in ("hf", "vllm") and args.model != "tiny":
        from othink_bench.backends.base import check_model_spec

        try:
            check_model_spec(args.model)
        except FileNotFoundError as exc:
            return f"--model: {exc}"
    return None
