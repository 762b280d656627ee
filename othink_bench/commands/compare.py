"""`othink-bench compare`: a paired comparison of two runs (:mod:`othink_bench.compare`).

The command only wires: it resolves the two runs, calls
:func:`~othink_bench.compare.compare_runs`, and prints the report as a table or as JSON; a pair
that cannot be compared is one ``error:`` line and exit code 2.
"""

from __future__ import annotations

import argparse
import sys

from othink_bench.strict_json import dumps


def configure_compare(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_a", help="run directory (or run id under --out)")
    parser.add_argument("run_b", help="run directory (or run id under --out)")
    parser.add_argument("--out", default="runs", help="runs root for run ids (default: runs/)")
    parser.add_argument("--boot", type=int, default=2000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def execute_compare(args: argparse.Namespace) -> int:
    from othink_bench.compare import (
        CompareError,
        compare_json,
        compare_runs,
        find_run_dir,
        format_compare,
    )

    try:
        report = compare_runs(
            find_run_dir(args.run_a, args.out),
            find_run_dir(args.run_b, args.out),
            n_boot=args.boot,
            seed=args.seed,
        )
    except (CompareError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in report["notes"]:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        print(dumps(compare_json(report), where="--json output", indent=2))
        return 0
    print(format_compare(report))
    return 0
