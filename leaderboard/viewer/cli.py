"""`othink-bench view`: write the static sample browser of run directories into a folder."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from leaderboard.viewer.bounds import (
    DEFAULT_MAX_OUTPUT_CHARS,
    DEFAULT_MAX_PAGE_MB,
    MIN_OUTPUT_CHARS,
    MIN_PAGE_MB,
    mib_to_bytes,
)

if TYPE_CHECKING:
    from leaderboard.blocks import Board


def configure_view(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="RUN_DIR",
        help="run directories, or folders holding them",
    )
    parser.add_argument("--out", required=True, help="folder to write the pages into")
    parser.add_argument(
        "--compare",
        nargs=2,
        action="append",
        metavar=("RUN_A", "RUN_B"),
        help="write a side-by-side page of two of the given runs (repeatable; default: the two "
        "runs when exactly two are given)",
    )
    parser.add_argument(
        "--image-size",
        type=int,
        default=448,
        help="longest side of the images on the pages, in pixels (default 448)",
    )
    parser.add_argument(
        "--max-image-mb",
        type=float,
        default=200.0,
        help="stop adding images past this many MiB of PNG files in all (default 200)",
    )
    parser.add_argument(
        "--max-output-chars",
        type=int,
        default=DEFAULT_MAX_OUTPUT_CHARS,
        help="cut each text shown on a page (output, answers, error, question) at this many "
        "characters, with a note and a link to the full text in texts/ (plain .txt files); "
        f"at least {MIN_OUTPUT_CHARS} (default {DEFAULT_MAX_OUTPUT_CHARS})",
    )
    parser.add_argument(
        "--max-page-mb",
        type=float,
        default=DEFAULT_MAX_PAGE_MB,
        help="keep each page under this many MiB: rows past it are listed without their "
        "output (linked in texts/ instead), then not listed, as the page says; at least "
        f"{MIN_PAGE_MB:g} (default {DEFAULT_MAX_PAGE_MB:g})",
    )
    parser.add_argument(
        "--max-samples", type=int, help="only the first N samples of each run (default: all)"
    )
    parser.add_argument("--no-images", action="store_true", help="leave images out")
    parser.add_argument(
        "--hub",
        action="store_true",
        help="recover the samples of runs on hub data from the hub (downloads unless cached)",
    )


def execute_view(args: argparse.Namespace) -> int:
    from leaderboard.viewer.build import build_viewer
    from othink_bench.records import find_run_dirs

    if args.image_size < 16:
        print(f"othink-bench view: --image-size must be >= 16, got {args.image_size}", file=sys.stderr)
        return 2
    if args.max_samples is not None and args.max_samples < 1:
        print("othink-bench view: --max-samples must be >= 1", file=sys.stderr)
        return 2
    if args.max_output_chars < MIN_OUTPUT_CHARS:
        print(
            f"othink-bench view: --max-output-chars must be >= {MIN_OUTPUT_CHARS}, got "
            f"{args.max_output_chars}",
            file=sys.stderr,
        )
        return 2
    if not math.isfinite(args.max_page_mb) or args.max_page_mb < MIN_PAGE_MB:
        print(
            f"othink-bench view: --max-page-mb must be a number >= {MIN_PAGE_MB:g}, got "
            f"{args.max_page_mb}",
            file=sys.stderr,
        )
        return 2
    try:
        dirs = find_run_dirs(args.paths)
        if not dirs:
            raise FileNotFoundError(f"no run directories (manifest.json) under {', '.join(args.paths)}")
        compare = None
        if args.compare:
            compare = [(_given(a, dirs), _given(b, dirs)) for a, b in args.compare]
        viewer = build_viewer(
            dirs,
            args.out,
            compare=compare,
            max_side=args.image_size,
            max_samples=args.max_samples,
            images=not args.no_images,
            max_image_bytes=int(args.max_image_mb * 2**20),
            hub=args.hub,
            max_output_chars=args.max_output_chars,
            max_page_bytes=mib_to_bytes(args.max_page_mb),
        )
    except (FileNotFoundError, ValueError) as exc:
        print(f"othink-bench view: {exc}", file=sys.stderr)
        return 2
    for note in viewer.notes:
        print(f"note: {note}", file=sys.stderr)
    print(
        f"{len(viewer.pages)} run pages, {len(viewer.compares)} side-by-side pages and "
        f"{len(viewer.images.written)} images ({viewer.images.total / 2**20:.1f} MiB) in "
        f"{args.out}; open {viewer.index}"
    )
    return 0


def _given(spec: str, dirs: list[Path]) -> Path:
    """A --compare argument: one of the given run directories, by path or by run id (name)."""
    p = Path(spec)
    for d in dirs:
        if d.resolve() == p.resolve() or d.name == spec:
            return d
    raise ValueError(f"--compare {spec!r} is not one of the given runs ({', '.join(d.name for d in dirs)})")


def view_board(board: Board, paths: list[str], viewer_dir: str, board_dir: str) -> None:
    """For `othink-bench leaderboard --viewer DIR`: build the viewer of the board's runs into
    ``viewer_dir`` with a GRPO-D vs SFT page per cross-task cell (:mod:`leaderboard.viewer.cases`),
    add the Samples section linking each run to its page and link the case studies from the
    cross-task section. A run the board refused (its records do not verify) gets no page."""
    from leaderboard.viewer.build import build_viewer
    from leaderboard.viewer.cases import add_case_study_section, case_studies
    from leaderboard.viewer.links import add_viewer_section
    from othink_bench.records import find_run_dirs, read_manifest

    refused = {x["run_id"] for x in board.data["skipped"] if x.get("refused")}
    dirs = [d for d in find_run_dirs(paths) if not refused or read_manifest(d).run_id not in refused]
    cases = case_studies(board.data)
    wanted = {c.run_id for c in cases} | {c.sft_run_id for c in cases}
    by_id: dict[str, Path] = {}
    for d in dirs:
        if wanted:
            run_id = read_manifest(d).run_id
            if run_id in wanted:
                by_id.setdefault(run_id, d)
    cases = [c for c in cases if c.run_id in by_id and c.sft_run_id in by_id]
    compare = [(by_id[c.run_id], by_id[c.sft_run_id]) for c in cases]
    viewer = build_viewer(dirs, viewer_dir, compare=compare)
    for note in viewer.notes:
        print(f"note: {note}", file=sys.stderr)
    linked = add_viewer_section(board, viewer_dir, board_dir)
    studies = add_case_study_section(board, cases, viewer_dir, board_dir)
    print(f"sample viewer: {linked} run pages, {studies} GRPO-D vs SFT pages in {viewer_dir}")
