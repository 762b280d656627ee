"""`othink-bench data fetch`: download a task's published test set and print the flags to use.

The command only wires: it resolves the names through the task registry (so aliases and the
usual "did you mean" work, and every name is checked before anything is downloaded), hands each
task's :class:`~othink_bench.testsets.PublishedSet` to :func:`~othink_bench.testsets.fetch_test_set`,
and prints the ``run``/``train-and-eval`` flags for the laid-out files. Exit codes: 0 done,
2 a bad name, 3 a source unreachable (the copy-what-where instructions are printed), 1 any
other failure (a checksum mismatch, a short archive).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def configure_data(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="data_action", metavar="ACTION", required=True)
    fetch = actions.add_parser(
        "fetch",
        help="download the paper's test sets and lay them out for --data",
        description=(
            "Download the published test sets of the named tasks (vc: SuperCLEVR-200, gr: GeoQA "
            "test), check their sizes and checksums, lay them out under --out and print the "
            "--data flags to use. Reruns skip verified files and continue partial downloads."
        ),
    )
    fetch.add_argument("names", nargs="+", metavar="TASK",
                       help="tasks whose test sets to fetch (ids or aliases), e.g. vc gr")
    fetch.add_argument("--out", default="data", help="where to lay the files out (default: data/)")
    fetch.add_argument(
        "--mirror", default=os.environ.get("OTHINK_BENCH_DATA_URL") or None,
        help="base URL of a mirror serving URL/<folder>/<file name> instead of the upstream "
             "sources (default: $OTHINK_BENCH_DATA_URL)",
    )
    fetch.add_argument("--timeout", type=float, default=30.0,
                       help="seconds to wait for a server before giving up (default: 30)")
    fetch.add_argument("--max-gb", type=float, default=20.0,
                       help="refuse any single file larger than this many GB (default: 20)")


def execute_data(args: argparse.Namespace) -> int:
    from othink_bench.downloads import DownloadError, Unreachable
    from othink_bench.registry import UnknownTaskError, all_tasks, get_task
    from othink_bench.testsets import GB, fetch_test_set, offline_instructions

    try:
        tasks = [get_task(name) for name in dict.fromkeys(args.names)]
    except UnknownTaskError as exc:
        print(f"othink-bench data fetch: {exc}", file=sys.stderr)
        return 2
    without = [t.id for t in tasks if t.test_set is None]
    if without:
        have = ", ".join(t.id for t in all_tasks() if t.test_set is not None)
        print(f"othink-bench data fetch: task {', '.join(without)} has no published test set to "
              f"fetch; tasks that have one: {have}", file=sys.stderr)
        return 2
    out = Path(args.out)
    code = 0
    for task in tasks:
        assert task.test_set is not None
        print(f"{task.id}: fetching into {out / task.test_set.folder}", file=sys.stderr)
        try:
            result = fetch_test_set(task.id, task.test_set, out, mirror=args.mirror,
                                    timeout=args.timeout, max_bytes=int(args.max_gb * GB))
        except Unreachable as exc:
            print(offline_instructions(task.id, task.test_set, out, str(exc)), file=sys.stderr)
            code = max(code, 3)
            continue
        except (DownloadError, OSError) as exc:
            print(f"othink-bench data fetch {task.id}: {exc}", file=sys.stderr)
            code = code or 1
            continue
        for note in result.notes:
            print(f"  note: {note}", file=sys.stderr)
        print(f"{task.id}: ready, {result.rows} rows in {result.data_file} "
              f"({result.images_fetched} images unpacked, {result.images_kept} already there; "
              f"{result.transferred / 1e6:.1f} MB downloaded)")
        print(f"  othink-bench run --model MODEL --tasks {task.id} --data {result.data_file} "
              f"--image-root {result.image_root}")
        print(f"  othink-bench train-and-eval ... --eval-data {task.id}={result.data_file} "
              f"--eval-image-root {task.id}={result.image_root}")
    return code
