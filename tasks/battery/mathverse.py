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
Vision Only version shows question and options only in the image, so its gold is the bare letter.
Free-form golds are compared by the geometry rule (ANSWERS.md) when they are numbers or
expressions, and by normalised text otherwise (e.g. an equation such as ``y=2x+1``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from othink_bench.answers import check_gold_math, math_equal
from othink_bench.task import Sample
from tasks.battery.common import (
    SUFFIX,
    BenchmarkTask,
    PromptBuilder,
    choice_gold,
    field,
    parse_choice_gold,
    resolve_choice,
)

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


def _is_choice(gold: str) -> bool:
    return gold.lstrip().startswith("{") or (len(gold.strip()) == 1 and gold.strip().isupper())


def _text_norm(s: str) -> str:
    return re.sub(r"[\s$]+", "", s).lower().rstrip(".")


class MathVerse(BenchmarkTask):
    id = "mathverse"
    version = "1.0"
    family = "geometry"  # paper settings, were it trained on (it has no train split)
    description = ("MathVerse testmini: 788 problems x 5 problem versions (3940 rows); choice "
                   "and free-form; breakdown by problem version.")
    hub_id = "AI4Math/MathVerse"
    hub_config = "testmini"
    hub_split = "testmini"
    rows = 3940
    answer_kind = "number, expression or option letter"
    release_hint = "the release file testmini.json with its unpacked images/ folder"

    def official_prompts(self) -> dict[str, PromptBuilder]:
        # MathVerse's own queries, as the dataset ships them: chain-of-thought and direct.
        return {"cot": lambda s: s.meta["query_cot"], "direct": lambda s: s.meta["query_wo"]}

    def paper_prompt(self, sample: Sample) -> str:
        question = sample.question.strip() or "Answer the question shown in the image."
        kind = "option letter" if sample.meta.get("answer_type") == "choice" else "number"
        return f"{question} {SUFFIX.format(kind=kind)}"

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
            options = question_options(question)
            if len(answer) != 1 or not answer.isupper():
                raise ValueError(f"{where}: multi-choice answer {answer!r} is not a letter")
            gold = choice_gold(answer, options)
            meta.update(options=options, answer_type="choice")
        elif qtype == "free-form":
            gold = answer
            meta["answer_type"] = "float" if re.fullmatch(r"-?\d+\.\d+", answer) else (
                "integer" if re.fullmatch(r"-?\d+", answer) else "text")
        else:
            raise ValueError(f"{where}: question_type {qtype!r} is neither multi-choice nor "
                             "free-form")
        return Sample(
            id=str(sid),
            question=question,
            gold=gold,
            image=self.require_image(row.get("image"), where, "image", root),
            meta=meta,
        )

    def breakdown(self, sample: Sample) -> str:
        return str(sample.meta.get("problem_version", ""))

    def verify(self, answer: str | None, gold: str) -> bool:
        if _is_choice(gold):
            letter_, options = parse_choice_gold(gold)
            return resolve_choice(answer, len(options), options) == "ABCDEFGH".index(letter_)
        if answer is None:
            return False
        try:
            check_gold_math(gold)
        except ValueError:  # an equation or a word: compared as normalised text
            return _text_norm(answer) == _text_norm(gold)
        return math_equal(answer, gold)

    def answer_text(self, sample: Sample) -> str:
        return parse_choice_gold(sample.gold)[0] if _is_choice(sample.gold) else sample.gold


class MathVerseVisionOnly(MathVerse):
    id = "mathverse-vision-only"
    description = "MathVerse testmini, the Vision Only version (788 rows)."
    rows = 788

    def select(self, row: dict[str, Any]) -> bool:
        return row.get("problem_version") == "Vision Only"


TASKS = [MathVerse(), MathVerseVisionOnly()]
