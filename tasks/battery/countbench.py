"""CountBenchQA test (`countbench`, 491 rows): how many objects, an integer gold (2-10).

Schema followed: the dataset card of ``vikhyatk/CountBenchQA``: ``image``, ``text`` (the LAION
caption, which names the count), ``question``, ``number`` (int32); lmms-eval
(``tasks/countbenchqa``) reads the same columns. No release file exists beyond the hub copy (the
original CountBench is a list of image URLs); a JSON-lines file with these columns and ``image`` a
path is read as well. The caption is never shown to the model: it states the answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from othink_bench.task import PROMPT_SUFFIX, Sample
from tasks.battery.benchmark import BenchmarkTask, typed_meta
from tasks.battery.common import PromptBuilder
from tasks.battery.rows import field


class CountBench(BenchmarkTask):
    id = "countbench"
    version = "1.0"
    description = "CountBenchQA (491): counting 2-10 objects in LAION photos, integer gold."
    hub_id = "vikhyatk/CountBenchQA"
    hub_split = "test"
    rows = 491
    release_hint = "a JSON-lines file with the hub's columns and image a path"
    max_new_tokens = 256

    def paper_prompt(self, sample: Sample) -> str:
        return f"{sample.question.strip()} {PROMPT_SUFFIX}"

    def official_prompts(self) -> dict[str, PromptBuilder]:
        # lmms-eval's post-prompt (its caption pre-prompt is left out: it states the count).
        return {"single-number": lambda s: f"{s.question.strip()}\nAnswer with a single number."}

    def row_sample(self, row: dict[str, Any], index: int, where: str,
                   root: Path | None) -> Sample:
        number = field(row, "number", where, int)
        if number < 0:
            raise ValueError(f"{where}: number {number} is negative")
        return Sample(
            id=f"countbench-{index:04d}",
            question=field(row, "question", where),
            gold=str(number),
            image=self.require_image(row.get("image"), where, "image", root),
            meta=typed_meta("integer"),
        )

    def breakdown(self, sample: Sample) -> str:
        return f"count={sample.gold}"


TASKS = [CountBench()]
