"""``othink-bench make-tiny``: the command line (options, checks, summary) over
:func:`~trainers.tinymodel.pipeline.make_tiny`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trainers.tinymodel.card import _ci, _fmt
from trainers.tinymodel.pipeline import make_tiny
from trainers.tinymodel.recipe import MakeTinyOptions
from trainers.tinymodel.results import CARD_FILE


def _share(text: str) -> float:
    """``2:1`` (counting:geometry batches) or a fraction like ``0.667``."""
    if ":" in text:
        a, _, b = text.partition(":")
        try:
            x, y = float(a), float(b)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not RATIO like 2:1") from None
        if x < 0 or y < 0 or x + y == 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a usable ratio")
        return x / (x + y)
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction or a ratio") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not in [0, 1]")
    return value


def configure_make_tiny(parser: argparse.ArgumentParser) -> None:
    d = MakeTinyOptions()
    parser.description = (
        "Build the bundled tiny Qwen2-VL from scratch, offline, on CPU: random init and a local "
        "tokenizer (build_tiny), SFT on the vc-synth-tiny and gr-synth-tiny training splits with "
        "this project's SFT trainer, greedy evaluation on both test splits, a model card. "
        "The defaults rebuild the shipped checkpoint (about 23 CPU minutes on one core; 24 "
        "minutes wall when it shared 2 cores with another build)."
    )
    parser.add_argument("--out", type=Path, default=None,
                        help="checkpoint folder to (re)write (default: the bundled "
                        "othink_bench/models/tiny_ckpt); replaced atomically at the end")
    parser.add_argument("--seed", type=int, default=d.seed,
                        help="weights, batch order and trainer seed (default %(default)s)")
    parser.add_argument("--data-seed", type=int, default=d.data_seed,
                        help="training-split stream of the tasks (default %(default)s); "
                        "validation uses DATA_SEED+1")
    parser.add_argument("--steps", type=int, default=d.steps,
                        help="SFT optimizer steps (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=d.batch_size,
                        help="SFT batch size (default %(default)s)")
    parser.add_argument("--lr", dest="learning_rate", type=float, default=d.learning_rate,
                        help="peak learning rate (default %(default)s)")
    parser.add_argument("--lr-scheduler", default=d.lr_scheduler,
                        help="transformers scheduler name (default %(default)s)")
    parser.add_argument("--warmup-steps", type=int, default=d.warmup_steps,
                        help="linear warm-up steps (default %(default)s)")
    parser.add_argument("--counting-share", type=_share, default=d.counting_share,
                        metavar="RATIO", help="share of counting batches: a fraction or "
                        f"counting:geometry like 2:1 (default {d.counting_share:.3g})")
    parser.add_argument("--counting-first", type=int, default=d.counting_first, metavar="N",
                        help="put N of the counting batches first, a counting-only stage before "
                        "the shuffled rest (default %(default)s)")
    parser.add_argument("--counting-pool", type=int, default=None, metavar="N",
                        help="distinct counting training samples (default: one per row)")
    parser.add_argument("--geometry-pool", type=int, default=None, metavar="N",
                        help="distinct geometry training samples (default: one per row)")
    parser.add_argument("--eval-limit", type=int, default=d.eval_limit,
                        help="test samples per task (default %(default)s)")
    parser.add_argument("--val-limit", type=int, default=d.val_limit,
                        help="also evaluate N samples per task of a held-out training stream "
                        "(default %(default)s; 0: none)")
    parser.add_argument("--select-every", type=int, default=d.select_every, metavar="N",
                        help="look at the weights every N steps (and at the last step) on the "
                        "validation stream and keep the best step by the selection rule "
                        "(trainers.tinymodel.selection; default %(default)s; 0: keep the last)")
    parser.add_argument("--select-from", type=int, default=d.select_from, metavar="STEP",
                        help="the first step looked at (default %(default)s)")
    parser.add_argument("--eval-batch-size", type=int, default=d.eval_batch_size,
                        help="generation batch size (default %(default)s)")
    parser.add_argument("--max-new-tokens", type=int, default=None,
                        help="generation budget for evaluation (default: the tasks' own, 256 "
                        "counting / 1024 geometry); smaller only for quick checks")
    parser.add_argument("--threads", type=int, default=d.threads,
                        help="torch CPU threads (default %(default)s: the same float rounding "
                        "whatever the core count (another CPU can still round differently), "
                        "and no slowdown when another job shares the cores)")
    parser.add_argument("--logging-steps", type=int, default=d.logging_steps,
                        help="print the loss every N steps (default %(default)s)")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder for the random build, trainer output and evaluation records "
                        "(default: a temporary folder, removed at the end)")
    parser.add_argument("--keep-work", action="store_true",
                        help="keep the temporary work folder")
    parser.add_argument("--quiet", action="store_true", help="print only the final summary")


def execute_make_tiny(args: argparse.Namespace) -> int:
    opts = MakeTinyOptions(
        out=args.out,
        seed=args.seed,
        data_seed=args.data_seed,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        lr_scheduler=args.lr_scheduler,
        warmup_steps=args.warmup_steps,
        counting_share=args.counting_share,
        counting_first=args.counting_first,
        counting_pool=args.counting_pool,
        geometry_pool=args.geometry_pool,
        eval_limit=args.eval_limit,
        val_limit=args.val_limit,
        select_every=args.select_every,
        select_from=args.select_from,
        eval_batch_size=args.eval_batch_size,
        max_new_tokens=args.max_new_tokens,
        threads=args.threads,
        logging_steps=args.logging_steps,
        work=args.work,
        keep_work=args.keep_work,
        progress=not args.quiet,
    )
    try:
        opts.validate()
    except ValueError as exc:
        print(f"make-tiny: {exc}", file=sys.stderr)
        return 2
    try:
        result = make_tiny(opts)
    except FileExistsError as exc:
        print(f"make-tiny: {exc}", file=sys.stderr)
        return 2
    for r in result.test.values():
        print(f"{r.task} v{r.task_version} test: accuracy {_ci(r)}, format {_fmt(r)}")
    print(f"{result.out} ({result.weights_bytes / 1e6:.1f} MB), card: {result.out / CARD_FILE}")
    return 0
