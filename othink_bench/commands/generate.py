"""`othink-bench generate`: write a procedural task's split as a dataset in the hub's schema.

The output (``DIR/<split>.parquet`` with an image feature and the columns ``problem`` and
``solution``, plus ``id`` and ``gold``) is what the ``local`` source and the trainers read back,
so a generated set can be shipped to machines without this package's generators. A contact
sheet of the first images is written beside it for a person to look at.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from othink_bench.task import Sample


def write_dataset(samples: Sequence[Sample], out: Path, split: str) -> Path:
    """Write samples as ``out/<split>.parquet`` in the hub schema; returns the file."""
    import datasets

    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[object]] = {"id": [], "image": [], "problem": [], "solution": [],
                                     "gold": []}
    for s in samples:
        rows["id"].append(s.id)
        rows["image"].append(s.image.load())
        rows["problem"].append(s.question)
        rows["solution"].append(s.solution or f"<answer> {s.gold} </answer>")
        rows["gold"].append(s.gold)
    features = datasets.Features({
        "id": datasets.Value("string"),
        "image": datasets.Image(),
        "problem": datasets.Value("string"),
        "solution": datasets.Value("string"),
        "gold": datasets.Value("string"),
    })
    ds = datasets.Dataset.from_dict(rows, features=features)
    path = out / f"{split}.parquet"
    ds.to_parquet(str(path))
    return path


def contact_sheet(samples: Sequence[Sample], cols: int = 4, rows: int = 4,
                  cell: int = 160) -> Image.Image:
    """A grid of the first images, each scaled to fit a ``cell`` square."""
    sheet = Image.new("RGB", (cols * cell, rows * cell), "white")
    for k, s in enumerate(list(samples)[: cols * rows]):
        im = s.image.load()
        im.thumbnail((cell - 4, cell - 4))
        x, y = (k % cols) * cell + 2, (k // cols) * cell + 2
        sheet.paste(im, (x, y))
    return sheet


def configure_generate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--task", required=True, help="a procedural task, e.g. vc-synth, gr-synth")
    parser.add_argument("--split", default="train", choices=["train", "test"])
    parser.add_argument("--n", type=int, required=True, help="number of samples")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")


def execute_generate(args: argparse.Namespace) -> int:
    from othink_bench.registry import get_task

    task = get_task(args.task)
    if "synthetic" not in task.sources:
        print(f"error: task {task.id} is not procedural; choose one of the *-synth tasks "
              "(`othink-bench tasks`)", file=sys.stderr)
        return 2
    if args.n <= 0:
        print("error: --n must be positive", file=sys.stderr)
        return 2
    samples = task.load(split=args.split, source="synthetic", limit=args.n, seed=args.seed)
    if len(samples) < args.n:
        print(f"error: {task.id} has only {len(samples)} {args.split} samples", file=sys.stderr)
        return 2
    path = write_dataset(samples, args.out, args.split)
    sheet = args.out / f"{args.split}_contact_sheet.png"
    contact_sheet(samples).save(sheet)
    meta = {"task": task.id, "task_version": task.version, "split": args.split,
            "n": args.n, "seed": args.seed, "knobs": task.knobs}
    (args.out / f"{args.split}_meta.json").write_text(json.dumps(meta, indent=2, default=str))
    print(f"wrote {args.n} {task.id} {args.split} samples to {path}")
    print(f"contact sheet: {sheet}")
    return 0
