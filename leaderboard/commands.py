"""`othink-bench leaderboard`: build a board from run directories into a folder.

The command only reads runs and writes a folder; it imports no trainer and no torch, so it runs
anywhere the records are. The output is deterministic: the same records give the same files
byte for byte, so a published board changes exactly when its runs do.
"""

from __future__ import annotations

import argparse
import sys

from leaderboard.formats import FORMATS
from leaderboard.render import DEFAULT_TITLE, build_board, write_board


def configure_leaderboard(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        default=["runs"],
        metavar="RUN_DIR_OR_ROOT",
        help="run directories or folders holding them (default: runs)",
    )
    parser.add_argument("--out", required=True, help="folder to write the board into")
    parser.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=sorted(FORMATS),
        help="output format; repeat for several (default: md, written as README.md)",
    )
    parser.add_argument("--title", default=DEFAULT_TITLE, help="the board's title")
    parser.add_argument(
        "--root",
        default=None,
        help="folder the board's run paths are shown relative to (default: above the inputs)",
    )
    parser.add_argument(
        "--proposed",
        action="append",
        default=None,
        metavar="METHOD",
        help="method(s) under study, never underlined as a baseline (default: grpod)",
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument(
        "--overlap",
        action="append",
        default=[],
        metavar="REPORT.json",
        help="an overlap report (`othink-bench overlap`): mark the cells whose test set "
        "overlaps the training set of their row (repeat for several)",
    )
    parser.add_argument(
        "--viewer",
        metavar="DIR",
        help="also write the sample viewer of the board's runs into DIR (`othink-bench view`) "
        "and link each run to its page",
    )


def execute_leaderboard(args: argparse.Namespace) -> int:
    formats = args.formats or ["md"]
    try:
        board = build_board(
            args.paths,
            title=args.title,
            root=args.root,
            plots=not args.no_plots,
            proposed=tuple(args.proposed or ("grpod",)),
            overlap=args.overlap,
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"othink-bench leaderboard: {exc}", file=sys.stderr)
        return 2
    if args.viewer:
        from leaderboard.viewer.cli import view_board

        view_board(board, args.paths, args.viewer, args.out)
    written = write_board(board, args.out, formats)
    runs = len(board.data["runs"])
    for skipped in board.data["skipped"]:
        print(f"skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
    print(f"board from {runs} runs written to {args.out}:")
    for path in written:
        print(f"  {path}")
    return 0
