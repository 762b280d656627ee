"""A small in-memory counting task for harness tests, and a CLI wrapper that registers it.

The harness tests must not depend on any particular built-in task, so they register
:class:`ToyCount`: N samples with small PIL images and known integer golds, the real counting
verifier, and optional broken samples (missing image file, corrupt image bytes, unverifiable
gold). Run as a script, this file registers the toy tasks and then runs the ``othink-bench``
CLI (:func:`othink_bench.cli.main`) with the given arguments - a real CLI process for the
sharding tests (``accelerate launch``, bare ``RANK``/``WORLD_SIZE``).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from othink_bench.answers import count_equal, count_value  # noqa: E402
from othink_bench.registry import register, unregister  # noqa: E402
from othink_bench.task import ImageRef, Sample, Task  # noqa: E402

TOY_N = int(os.environ.get("TOY_N", "40"))


def gold_of(i: int) -> int:
    return 3 + i % 5


def toy_image(i: int, size: int = 32) -> Image.Image:
    return Image.new("RGB", (size + (i % 3) * 8, size), color=(40 * (i % 6), 90, 200 - i % 50))


class ToyCount(Task):
    """Counting questions about tiny solid images (the image content is irrelevant)."""

    sources = ("synthetic",)
    default_source = "synthetic"
    max_new_tokens = 16

    def __init__(
        self,
        task_id: str = "toy-count",
        *,
        n: int = TOY_N,
        version: str = "1",
        missing_image: Sequence[int] = (),
        corrupt_image: Sequence[int] = (),
        bad_gold: Sequence[int] = (),
        bad_row: Sequence[int] = (),
        question_len: Sequence[int] | None = None,
    ) -> None:
        self.id = task_id
        self.version = version
        self.n = n
        self.missing_image = set(missing_image)
        self.corrupt_image = set(corrupt_image)
        self.bad_gold = set(bad_gold)
        self.bad_row = set(bad_row)
        self.question_len = question_len

    def sample(self, i: int) -> Sample:
        if i in self.missing_image:
            image = ImageRef(path=f"/nonexistent/toy/{i}.png")
        elif i in self.corrupt_image:
            image = ImageRef(data=b"\x89PNG\r\n\x1a\n this is not a png")
        else:
            buf = io.BytesIO()
            toy_image(i).save(buf, format="PNG")
            image = ImageRef(data=buf.getvalue())
        words = self.question_len[i % len(self.question_len)] if self.question_len else 0
        question = "How many objects are there?" + " Look carefully." * words
        gold = "many" if i in self.bad_gold else str(gold_of(i))
        meta = {"error": f"row {i}: malformed"} if i in self.bad_row else {}
        return Sample(id=f"{self.id}-{i:04d}", question=question, gold=gold, image=image, meta=meta)

    def load(self, split="test", source=None, data=None, image_root=None, limit=None, seed=0):
        n = self.n if limit is None else min(limit, self.n)
        return [self.sample(i) for i in range(n)]

    def verify(self, answer: str | None, gold: str) -> bool:
        return count_equal(answer, gold)

    def check_gold(self, gold: str) -> None:
        if count_value(gold) is None:
            raise ValueError(f"counting gold {gold!r} is not a single integer")

    def breakdown(self, sample: Sample) -> str:
        return f"count={sample.gold}"


def install(task: Task) -> Task:
    """Register ``task`` (replacing an earlier one of the same id)."""
    unregister(task.id)
    return register(task)


# Output patterns by sample index: (text, strict correct, lenient correct, format ok).
def pattern_output(i: int, gold: str) -> str:
    g = int(gold)
    kind = i % 4
    if kind == 0:
        return f"<think>I count {g}.</think><answer>{g}</answer>"  # right, formatted
    if kind == 1:
        return f"<answer>{g}</answer>"  # right, no <think>: not formatted
    if kind == 2:
        return f"There are {g} objects."  # no tag: strict wrong, lenient right
    return f"<think>hmm</think><answer>{g + 1}</answer>"  # wrong, formatted


def expected_counts(n: int) -> dict[str, int]:
    kinds = [i % 4 for i in range(n)]
    return {
        "correct": sum(k in (0, 1) for k in kinds),
        "lenient": sum(k in (0, 1, 2) for k in kinds),
        "format": sum(k in (0, 3) for k in kinds),
    }


class RankedToyCount(ToyCount):
    """Labels each record with the process that scored it (for the sharding tests)."""

    def breakdown(self, sample: Sample) -> str:
        return f"rank={os.environ.get('RANK', '0')}"


def cli(argv: list[str]) -> int:
    """Run the ``othink-bench`` command line in this process."""
    from othink_bench.cli import main

    return main(argv)


def main(argv: list[str]) -> int:
    install(ToyCount())
    install(ToyCount("toy-count-v2", version="2"))
    install(RankedToyCount("toy-count-ranked", n=TOY_N))
    return cli(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
