"""The `othink-bench` command line: the one place that wires core, tasks, trainers and boards.

Each subcommand lives in a module that exposes ``configure_<name>(parser)`` and
``execute_<name>(args) -> int`` (dashes in the name become underscores). Modules are imported
only when their command is built or run, and import their heavy dependencies (torch,
transformers, trl) inside ``execute_*``, so ``othink-bench tasks`` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Commands that load models or datasets: the libraries' own progress bars are switched off.
LOADS_MODELS = frozenset({"run", "train", "train-and-eval", "make-tiny", "kl-share"})

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "tasks": ("othink_bench.commands.tasks", "list registered tasks with versions, aliases, sources"),
    "rescore": ("othink_bench.commands.rescore", "rescore a predictions file with a task's verifier"),
    "generate": ("othink_bench.commands.generate", "write a synthetic task's split as a dataset"),
    "run": ("othink_bench.commands.run", "evaluate a checkpoint on tasks"),
    "compare": ("othink_bench.commands.compare", "paired comparison of two runs"),
    "data": ("othink_bench.commands.data", "fetch the paper's test sets (data fetch vc gr)"),
    "schedule": ("trainers.commands", "print a KL-weight schedule"),
    "train": ("trainers.commands", "train with SFT, GRPO or GRPO-D"),
    "train-and-eval": ("trainers.matrix.command", "train and evaluate through the task matrix"),
    "make-tiny": ("trainers.tinymodel.command", "build the bundled tiny model from scratch"),
    "kl-share": ("trainers.kl_share", "gradient share of the KL term against the policy term"),
    "leaderboard": ("leaderboard.commands", "build leaderboards from run records"),
    "view": ("leaderboard.viewer.cli", "write a static HTML browser of runs' samples"),
    "overlap": ("leaderboard.overlap_command", "near-duplicates between a train and a test set"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported (all others stay unloaded)."""
    parser = argparse.ArgumentParser(
        prog="othink-bench",
        description="Evaluate and post-train vision-language models on verifiable tasks.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            configure = getattr(_module(module), f"configure_{name.replace('-', '_')}")
            configure(sp)
    return parser


def _module(path: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(path)


def _version() -> str:
    from othink_bench import __version__

    return f"othink-bench {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    module, _ = COMMANDS[args.command]
    execute = getattr(_module(module), f"execute_{args.command.replace('-', '_')}")
    if args.command in LOADS_MODELS:
        from othink_bench.quiet import quiet_libraries

        quiet_libraries()
    try:
        return int(execute(args) or 0)
    except KeyboardInterrupt:
        print("interrupted; finished work is kept and a rerun resumes it", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
