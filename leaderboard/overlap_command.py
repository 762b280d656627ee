"""``othink-bench overlap``: near-duplicates between a training set and a test set.

    othink-bench overlap --train gr:train --test gr:test --data test=geoqa_test_prompts.jsonl \\
        --data train=geoqa_train.parquet --out overlap/

writes ``overlap.json`` (the report :func:`othink_bench.overlap.find_overlap` makes; the board
reads it with ``leaderboard --overlap``), ``overlap.md`` and ``overlap.html`` (the closest pairs
side by side, images under ``images/``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from PIL import Image

SIDES = ("train", "test")


def configure_overlap(parser: argparse.ArgumentParser) -> None:
    from othink_bench.overlap import PHASH_MAX, SHOW_PAIRS, TEMPLATE_MIN

    parser.add_argument("--train", required=True, metavar="TASK[:SPLIT]",
                        help="the training set (split default: train)")  # fmt: skip
    parser.add_argument("--test", required=True, metavar="TASK[:SPLIT]",
                        help="the test set (split default: test)")  # fmt: skip
    parser.add_argument("--data", action="append", default=[], metavar="SIDE=FILE",
                        help="a local data file for one side (train=FILE, test=FILE)")  # fmt: skip
    parser.add_argument("--source", action="append", default=[], metavar="SIDE=SOURCE",
                        help="hub, local or synthetic for one side (default: local with --data, "
                        "else the task's default)")  # fmt: skip
    parser.add_argument("--image-root", action="append", default=[], metavar="SIDE=DIR")
    parser.add_argument("--seed", action="append", default=[], metavar="SIDE=N",
                        help="the data seed of a procedural side (default 0)")  # fmt: skip
    parser.add_argument("--limit", action="append", default=[], metavar="SIDE=N",
                        help="use the first N items of a side")  # fmt: skip
    parser.add_argument("--out", default="overlap", help="output folder (default: overlap/)")
    parser.add_argument("--phash-max", type=int, default=PHASH_MAX,
                        help=f"image match: bits of the 256-bit pHash that may differ "
                        f"(default {PHASH_MAX})")  # fmt: skip
    parser.add_argument("--template-min", type=int, default=TEMPLATE_MIN,
                        help="a question shared by this many training items is a template "
                        f"(default {TEMPLATE_MIN})")  # fmt: skip
    parser.add_argument("--show", type=int, default=SHOW_PAIRS,
                        help=f"closest pairs listed (default {SHOW_PAIRS})")  # fmt: skip


def _per_side(values: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        side, sep, rest = value.partition("=")
        if not sep or side not in SIDES or not rest:
            raise ValueError(f"{flag} {value!r}: write {flag} train=VALUE or {flag} test=VALUE")
        out[side] = rest
    return out


def _int(value: str | None, flag: str, default: int | None) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{flag} expects a whole number, got {value!r}") from None


def _spec(spec: str, default_split: str) -> tuple[str, str]:
    task, _, split = spec.partition(":")
    return task, split or default_split


def execute_overlap(args: argparse.Namespace) -> int:
    from leaderboard.overlap_pages import overlap_markdown, overlap_page
    from othink_bench.overlap import find_overlap, hash_samples
    from othink_bench.registry import UnknownTaskError, get_task

    try:
        data = _per_side(args.data, "--data")
        sources = _per_side(args.source, "--source")
        roots = _per_side(args.image_root, "--image-root")
        seeds = _per_side(args.seed, "--seed")
        limits = _per_side(args.limit, "--limit")
        if not 0 <= args.phash_max <= 256:
            raise ValueError(f"--phash-max {args.phash_max}: a number of bits from 0 to 256")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    loaded: dict[str, Any] = {}
    infos: dict[str, dict[str, Any]] = {}
    for side, spec in (("train", args.train), ("test", args.test)):
        name, split = _spec(spec, side)
        try:
            task = get_task(name)
            seed = _int(seeds.get(side), "--seed", 0) or 0
            limit = _int(limits.get(side), "--limit", None)
            source = sources.get(side) or ("local" if side in data else task.default_source)
            samples = task.load(split=split, source=source, data=data.get(side),  # type: ignore[arg-type]
                                image_root=roots.get(side), limit=limit, seed=seed)  # fmt: skip
        except (UnknownTaskError, ValueError, ImportError, OSError, RuntimeError) as exc:
            # RuntimeError: DataSourceError (no --data, a bad file) and the hub's offline errors
            print(f"error: --{side} {spec}: {exc}", file=sys.stderr)
            return 2
        loaded[side] = samples
        infos[side] = {"task": task.id, "version": task.version, "split": split,
                       "source": source, "data": data.get(side), "seed": seed,
                       "limit": limit, "n": len(samples)}  # fmt: skip
        print(f"{side}: {task.id}:{split} ({source}), {len(samples)} items", file=sys.stderr)
    train_items = hash_samples(loaded["train"])
    test_items = hash_samples(loaded["test"])
    report = find_overlap(
        train_items, test_items, phash_max=args.phash_max,
        template_min=args.template_min, show=args.show, train_info=infos["train"],
        test_info=infos["test"],
    ).as_dict()  # fmt: skip
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "overlap.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")  # fmt: skip
    markdown = overlap_markdown(report)
    (out / "overlap.md").write_text(markdown, encoding="utf-8")
    # Samples are not kept: a procedural split makes each one (and its image) on access, so the
    # pages fetch only the shown pairs' samples again, by position.
    position = {"train": {t.id: i for i, t in enumerate(train_items)},
                "test": {t.id: i for i, t in enumerate(test_items)}}  # fmt: skip

    def image_of(side: str, sample_id: str) -> Image.Image | None:
        at = position[side].get(sample_id)
        try:
            return None if at is None else loaded[side][at].image.load(max_pixels=1 << 20)
        except Exception:  # unreadable: the page says "no image"
            return None

    overlap_page(report, out, image_of)
    print("\n".join(markdown.splitlines()[:14]))
    print(f"\nreport: {out / 'overlap.json'}, {out / 'overlap.md'}, pages: {out / 'overlap.html'}")
    return 0
