"""MATH-V (MATH-Vision): ``mathvision`` (testmini, 304) and ``mathvision-full`` (test, 3040).

Schema (followed: the hub card of MathLLMs/MathVision and the repository's
``data/testmini.jsonl``; they agree): ``id`` (string), ``question`` (with ``<image1>``
placeholders), ``options`` (list of strings: five, or empty), ``image`` (a path
``images/<id>.jpg``; the hub adds ``decoded_image``), ``answer`` (string: a letter when there
are options, else a value), ``solution`` (string or null), ``level`` (int 1-5), ``subject``.
lmms-eval's mathvision task (lmms_eval/tasks/mathvision/utils.py) reads ``decoded_image``,
``question`` and ``options`` (letters A.. in order) from the hub copy, as here.

Answer types: options -> ``choice`` with those options (gold = the letter). No options and a
letter answer (the options are drawn in the image) -> ``choice`` over A-E. Otherwise a number ->
``integer`` or ``float`` (compared exactly: ``1/300`` is not ``1/900``, unlike the official
scorer, which rounds both to 2 decimals), anything else -> ``text``.

The official prompt is the repository's chain-of-thought prompt for GPT-4V: an instruction to
put the answer in one ``\\boxed{}`` (one letter for multiple choice), the question, and the
options as ``(A) ...`` lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from othink_bench.task import Sample
from tasks.battery.benchmark import BenchmarkTask
from tasks.battery.common import PromptBuilder, options_block, typed_meta

RELEASE_HINT = (
    "MATH-V offline: pass the repository's annotation file, --source local --data "
    "MATH-V/data/testmini.jsonl --image-root MATH-V (the folder holding images/), or a copy of the hub "
    "dataset MathLLMs/MathVision (--source hub --data FOLDER_OR_PARQUET)."
)
OFFICIAL_INSTRUCTION = (
    'Please solve the problem and put your answer in one "\\boxed{}". If it is a multiple '
    'choice question, only one letter is allowed in the "\\boxed{}".'
)
_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _official(sample: Sample) -> str:
    opts = sample.meta.get("options") or []
    shown = opts if opts and "".join(opts) != "ABCDE" else []
    block = f"\n{options_block(shown)}" if shown else ""
    return f"{OFFICIAL_INSTRUCTION}\n{sample.question}{block}"


class MathVision(BenchmarkTask):
    id = "mathvision"
    version = "1.0"
    description = "MATH-V testmini (304): competition math with visual contexts."
    hub_id = "MathLLMs/MathVision"
    hub_split = "testmini"
    rows = 304
    release_hint = RELEASE_HINT

    def official_prompts(self) -> dict[str, PromptBuilder]:
        return {"official": _official}

    def read_local(self, path: Path, limit: int | None) -> tuple[list[dict[str, Any]], Path | None]:
        """The repository's ``data/<split>.jsonl``: image paths start at the folder above
        ``data/``. Other copies read as the base class reads them."""
        rows, root = super().read_local(path, limit)
        if path.is_file() and path.suffix.lower() in (".jsonl", ".json"):
            root = path.resolve().parent.parent
        return rows, root

    def row_sample(self, row: dict[str, Any], index: int, where: str,
                   root: Path | None) -> Sample:
        missing = [c for c in ("id", "question", "options", "answer") if c not in row]
        if missing:
            raise ValueError(f"{where}: missing field(s) {', '.join(missing)}. {RELEASE_HINT}")
        options = [str(o) for o in (row["options"] or [])]
        answer = str(row["answer"]).strip()
        if options:
            kind = "choice"
        elif re.fullmatch(r"[A-E]", answer):
            kind, options = "choice", list("ABCDE")
        elif _INTEGER.fullmatch(answer):
            kind = "integer"
        elif _NUMBER.fullmatch(answer):
            kind = "float"
        else:
            kind = "text"
        level = row.get("level")
        image = row.get("decoded_image") or row.get("image")
        return Sample(
            id=f"mathvision/{self.hub_split}/{row['id']}",
            question=str(row["question"]),
            gold=answer,
            image=self.require_image(image, where, "image", root),
            meta=typed_meta(
                kind, options,
                benchmark_id=str(row["id"]),
                level=level,
                subject=row.get("subject"),
                breakdown=f"level={level}; subject={row.get('subject')}",  # MATH-V's two dimensions
            ),
        )


class MathVisionFull(MathVision):
    id = "mathvision-full"
    description = "MATH-V test (3040): the full benchmark."
    hub_split = "test"
    rows = 3040


TASKS = [MathVision(), MathVisionFull()]
