"""MathVerse testmini (`mathverse`, 3940 rows: 788 problems in five problem versions, plus the
Vision Only version alone as `mathverse-vision-only`, 788 rows).

Schema followed: the dataset card of ``AI4Math/MathVerse`` (config ``testmini``): ``sample_index``,
``problem_index``, ``problem_version``, ``question``, ``image`` (an image), ``answer``,
``question_type`` ("multi-choice" or "free-form"), ``metadata`` (a struct), ``query_wo``,
``query_cot``, ``question_for_eval``, all strings but image and metadata. lmms-eval reads a
re-packed copy (``CaraJ/MathVerse-lmmseval``) with the same columns; we read the card's dataset.
The release file ``testmini.json`` (same repository) has the same fields with ``image`` a path
into the unpacked ``images.zip``.

A choice problem lists its options in the question text ("Choices:" then ``A:...`` lines); the
Vision Only version shows question and options only in the image: its options are taken from
another version of the same problem (``problem_index``) read in the same load, else the letters
A-E stand for them (as MATH-V's letter-only problems). Free-form golds are typed ``integer``,
``float`` (no stated precision: compared exactly, ANSWERS.md rule 3) or ``text`` (the same
normalised spelling, e.g. an equation ``y=2x+1``, or the same value).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from othink_bench.task import PROMPT_SUFFIX, Sample
from tasks.battery.benchmark import BenchmarkTask, typed_meta
from tasks.battery.common import PromptBuilder
from tasks.battery.rows import field

VERSIONS = ("Text Dominant", "Text Lite", "Text Only", "Vision Intensive", "Vision Dominant",
            "Vision Only")
_CHOICES = re.compile(r"Choices?\s*:\s*\n(.*)\Z", re.DOTALL | re.IGNORECASE)
_OPTION_LINE = re.compile(r"\s*\(?([A-H])\)?\s*[:.)]\s*(.*\S)\s*$")


def question_options(question: str) -> list[str]:
    """The option texts a question lists after "Choices:" (``A:145°`` lines), in letter order;
    [] when it lists none or not in order."""
    m = _CHOICES.search(question)
    if m is None:
        return []
    options: list[str] = []
    for line in m.group(1).splitlines():
        hit = _OPTION_LINE.match(line)
        if hit is None:
            if line.strip():
                break
            continue
        if hit.group(1) != "ABCDEFGH"[len(options)]:
            return []
        options.append(hit.group(2))
    return options


class MathVerse(BenchmarkTask):
    id = "mathverse"
    version = "1.0"
    description = ("MathVerse testmini: 788 problems x 5 problem versions (3940 rows); choice "
                   "and free-form; breakdown by problem version.")
    hub_id = "AI4Math/MathVerse"
    hub_config = "testmini"
    hub_split = "testmini"
    rows = 3940
    release_hint = "the release file testmini.json with its unpacked images/ folder"

    def official_prompts(self) -> dict[str, PromptBuilder]:
        # MathVerse's own queries, as the dataset ships them: chain-of-thought and direct.
        return {"cot": lambda s: s.meta["query_cot"], "direct": lambda s: s.meta["query_wo"]}

    def paper_prompt(self, sample: Sample) -> str:
        # The question text lists its own choices; a Vision Only question is in the image.
        question = sample.question.strip() or "Answer the question shown in the image."
        return f"{question}\n{PROMPT_SUFFIX}"

    def prepare(self, rows: list[dict[str, Any]]) -> None:
        """Each row gets the options its problem lists in any version read (``_options``)."""
        options_of: dict[str, list[str]] = {}
        for row in rows:
            opts = question_options(str(row.get("question") or ""))
            if opts:
                options_of.setdefault(str(row.get("problem_index")), opts)
        for row in rows:
            row["_options"] = options_of.get(str(row.get("problem_index")), [])

    def row_sample(self, row: dict[str, Any], index: int, where: str,
                   root: Path | None) -> Sample:
        sid = field(row, "sample_index", where, (str, int))
        question = field(row, "question", where)
        answer = field(row, "answer", where).strip()
        qtype = field(row, "question_type", where)
        version = field(row, "problem_version", where)
        meta: dict[str, Any] = {
            "problem_index": str(field(row, "problem_index", where, (str, int))),
            "problem_version": version,
            "query_cot": field(row, "query_cot", where),
            "query_wo": field(row, "query_wo", where),
            "question_type": qtype,
        }
        if qtype == "multi-choice":
            if len(answer) != 1 or not answer.isupper():
                raise ValueError(f"{where}: multi-choice answer {answer!r} is not a letter")
            options = (question_options(question)
                       or row.get("_options")
                       or list("ABCDE"))
            meta.update(typed_meta("choice", options))
        elif qtype == "free-form":
            kind = "float" if re.fullmatch(r"-?\d+\.\d+", answer) else (
                "integer" if re.fullmatch(r"-?\d+", answer) else "text")
            meta.update(typed_meta(kind))
        else:
            raise ValueError(f"{where}: question_type {qtype!r} is neither multi-choice nor "
                             "free-form")
        return Sample(
            id=str(sid),
            question=question,
            gold=answer,
            image=self.require_image(row.get("image"), where, "image", root),
            meta=meta,
        )

    def breakdown(self, sample: Sample) -> str:
        return str(sample.meta.get("problem_version", ""))


class MathVerseVisionOnly(MathVerse):
    id = "mathverse-vision-only"
    description = "MathVerse testmini, the Vision Only version (788 rows)."
    rows = 788

    def select(self, row: Mapping[str, Any]) -> bool:
        return row.get("problem_version") == "Vision Only"


TASKS = [MathVerse(), MathVerseVisionOnly()]
