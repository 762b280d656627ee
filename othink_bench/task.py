"""The Task contract: what a task must provide so that training and evaluation agree.

A task owns its prompt, its answer extraction and its verifier. Rewards (training) and the
harness (evaluation) both call :meth:`Task.score`, so a model is never trained against one
parser and scored by another - the defect of the reference code this project replaces.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PIL import Image
from pydantic import BaseModel, ConfigDict

from othink_bench.answers import extract_answer, has_format, lenient_answer
from othink_bench.answers.freeform import answer_span, is_non_answer
from othink_bench.answers.typed import AnswerSpec, read_typed, typed_equal
from othink_bench.images import (
    DEFAULT_MAX_IMAGE_PIXELS,
    ImageError,
    check_header,
    decode,
    load_image,
)

if TYPE_CHECKING:
    from othink_bench.testsets import PublishedSet

Split = Literal["train", "test"]
SourceName = Literal["hub", "local", "synthetic"]

PROMPT_SUFFIX = (
    "Output the thinking process in <think> </think> and final answer (number) in "
    "<answer> </answer> tags."
)

#: The prompt every task uses unless a run names another (``--prompt``); never part of a run id.
DEFAULT_PROMPT = "paper"


@dataclass(frozen=True)
class PromptVariant:
    """A named, versioned prompt of a task (``run --prompt NAME``).

    ``template`` holds ``{question}``; ``strip`` says whether the question is stripped first
    (the paper prompt strips it; a peer's exact string may not). ``scored_by`` names the
    scoring profile that reads outputs of this prompt (``strict``, or ``free-form`` for a
    prompt that asks for no tags); the strict verdict is recorded whatever it says. A change to
    the text bumps ``version``, which is part of the run id of every variant but ``paper``.
    """

    name: str
    version: str
    template: str
    strip: bool = True
    scored_by: str = "strict"
    origin: str = ""
    #: builds the text from the whole sample instead of ``template`` (a benchmark's own query,
    #: options listed); ``template`` then only describes it
    builder: Callable[[Sample], str] | None = field(default=None, compare=False, repr=False)

    @property
    def tag(self) -> str:
        """``name@version``: how records and run ids name the variant."""
        return f"{self.name}@{self.version}"

    def render(self, question: str) -> str:
        return self.template.replace("{question}", question.strip() if self.strip else question)

    def text(self, sample: Sample) -> str:
        """The prompt text of ``sample`` under this variant."""
        return self.builder(sample) if self.builder is not None else self.render(sample.question)

    def info(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "scored_by": self.scored_by,
                "template": self.template, "strip": self.strip, "origin": self.origin}


PAPER_PROMPT = PromptVariant(
    "paper", "1", "{question} " + PROMPT_SUFFIX,
    origin="OThink-MR1's prompt (this project's default since its first version)",
)


class UnknownPromptError(ValueError):
    """A ``--prompt`` name the task does not define; the message lists the ones it does."""


@dataclass(frozen=True)
class ImageRef:
    """Where a sample's image comes from: a file, encoded bytes, or an in-memory image.

    Decoding is deferred to :meth:`load` so that a corrupt image fails one sample, not the load.
    """

    path: str | None = None
    data: bytes | None = None
    pil: Image.Image | None = field(default=None, compare=False, repr=False)

    def load(
        self,
        *,
        max_pixels: int | None = None,
        max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
    ) -> Image.Image:
        """The image as RGB, refused from its header when larger than ``max_image_pixels``
        and reduced towards ``max_pixels`` as it decodes (:mod:`othink_bench.images`)."""
        if self.pil is not None:
            try:
                check_header(self.pil, "<in-memory image>", max_image_pixels)
                return decode(self.pil, max_pixels)
            except ImageError:
                raise
            except Exception as exc:
                raise ImageError(f"cannot convert in-memory image: {exc}") from exc
        return load_image(
            path=self.path, data=self.data, max_pixels=max_pixels,
            max_image_pixels=max_image_pixels,
        )


@dataclass(frozen=True)
class Sample:
    """One question about one image, with its ground truth as the data gives it.

    ``meta`` holds what a task records beside the sample (breakdown keys and the like). Tasks
    with choice or typed answers (the benchmark battery) declare them there, and are then
    scored by :mod:`othink_bench.answers.typed` under every profile:

    * ``meta["answer_type"]``: one of "integer", "float", "text", "list", "yes_no", "choice";
    * ``meta["options"]``: ``list[str]``, the choice texts in letter order (``[]`` if none);
    * ``meta["precision"]``: ``int | None``, decimals a float answer is rounded to;
    * ``meta["unit"]``: ``str | None``, the unit the question asks the answer in.

    Samples without ``answer_type`` (``vc``, ``gr``, the synthetic tasks) keep their task's
    own ``verify`` on the strict ``<answer>`` block.
    """

    id: str
    question: str
    gold: str
    image: ImageRef
    solution: str | None = None  # SFT target when the data has one (e.g. "<answer> 3 </answer>")
    meta: dict[str, Any] = field(default_factory=dict, compare=False)


class ScoreRecord(BaseModel):
    """How one model output scored against one sample."""

    model_config = ConfigDict(frozen=True)

    extracted: str | None
    correct: bool
    lenient_extracted: str | None
    lenient_correct: bool
    format_ok: bool
    error: str | None = None


class Task(ABC):
    """A verifiable task. Subclasses set the class attributes and implement the abstract methods.

    ``version`` must change whenever anything that affects scores changes (prompt, extraction,
    verifier, data); the leaderboard never mixes versions in one cell.
    """

    id: str
    version: str
    family: str = ""  # "counting" | "geometry": which paper settings (betas, tokens) apply
    aliases: tuple[str, ...] = ()
    sources: tuple[SourceName, ...] = ()
    default_source: SourceName = "local"
    description: str = ""
    max_new_tokens: int = 256
    knobs: dict[str, Any] = {}
    #: where the task's published test set is downloaded from (``othink-bench data fetch``)
    test_set: PublishedSet | None = None
    #: the prompt variant this task object renders (:meth:`with_prompt` gives another)
    prompt_variant: str = DEFAULT_PROMPT
    #: samples declare typed answers (``Sample.meta["answer_type"]``): scoring needs the sample,
    #: not only the gold string (``rescore`` then needs the test file, ``--data``; and
    #: ``verify_records`` cannot recompute their verdicts from records alone)
    typed_answers: bool = False

    @abstractmethod
    def load(
        self,
        split: Split = "test",
        source: SourceName | None = None,
        data: str | Path | None = None,
        image_root: str | Path | None = None,
        limit: int | None = None,
        seed: int = 0,
    ) -> Sequence[Sample]:
        """Return the samples of a split from a source (``None``: the task's default source)."""

    @abstractmethod
    def verify(self, answer: str | None, gold: str) -> bool:
        """Whether an extracted answer is correct for a gold answer (the one verifier)."""

    def check_gold(self, gold: str) -> None:  # noqa: B027 - optional hook
        """Raise ``ValueError`` when a gold answer cannot be verified against (a data error)."""

    def prompt_variants(self) -> dict[str, PromptVariant]:
        """The task's named prompts; ``paper`` is always one of them (the default)."""
        return {PAPER_PROMPT.name: PAPER_PROMPT}

    @property
    def prompt_info(self) -> PromptVariant:
        """The variant this task object renders."""
        return self.prompt_variants()[self.prompt_variant]

    def with_prompt(self, name: str | None) -> Task:
        """This task rendering prompt variant ``name`` (a shallow copy; ``self`` is unchanged).
        An unknown name is an :class:`UnknownPromptError` listing the task's variants."""
        name = name or DEFAULT_PROMPT
        variants = self.prompt_variants()
        if name not in variants:
            raise UnknownPromptError(
                f"task {self.id} has no prompt {name!r}; its prompts are "
                f"{', '.join(sorted(variants))} (`othink-bench tasks --prompts` shows them)"
            )
        if name == self.prompt_variant:
            return self
        other = copy.copy(self)
        other.prompt_variant = name
        if "prompt" in self.knobs:  # a task that lists its prompt among its knobs
            other.knobs = {**self.knobs, "prompt": name}
        return other

    def prompt_text(self, sample: Sample) -> str:
        return self.prompt_info.text(sample)

    def prompt(self, sample: Sample) -> list[dict[str, Any]]:
        """Chat messages for a sample: one user turn, the image first, then the text."""
        return [
            {
                "role": "user",
                "content": [{"type": "image"}, {"type": "text", "text": self.prompt_text(sample)}],
            }
        ]

    def extract(self, text: str) -> str | None:
        return extract_answer(text)

    def breakdown(self, sample: Sample) -> str:
        """A label to group accuracy by (e.g. the true count); '' when the task has none."""
        return ""

    def score(self, text: str, sample: Sample) -> ScoreRecord:
        if "answer_type" in sample.meta:
            return self.score_typed(text, sample)
        return self.score_gold(text, sample.gold)

    def score_typed(self, text: str, sample: Sample) -> ScoreRecord:
        """Strict scoring of a sample that declares its answer type (see :class:`Sample`): the
        ``<answer>`` block read by that type; the lenient score is the free-form reading."""
        text = text or ""
        block = self.extract(text)
        try:
            spec = AnswerSpec.from_meta(sample.meta)
            assert spec is not None
            options = list(spec.options) or None
            extracted = read_typed(block, spec, "tag", sample.question)
            if block is not None and is_non_answer(block, sample.question, options):
                extracted = None
            correct = typed_equal(extracted, sample.gold, spec)
            span, how = answer_span(text)
            lenient = (
                None if is_non_answer(text, sample.question, options)
                else read_typed(span, spec, how, sample.question, text)
            )
            lenient_correct = typed_equal(lenient, sample.gold, spec)
        except ValueError as exc:  # a bad gold or declaration: a data error, reported
            return ScoreRecord(
                extracted=block, correct=False, lenient_extracted=None, lenient_correct=False,
                format_ok=has_format(text),
                error=f"gold answer {sample.gold!r} cannot be verified: {exc}",
            )
        return ScoreRecord(
            extracted=extracted,
            correct=correct,
            lenient_extracted=lenient,
            lenient_correct=lenient_correct,
            format_ok=has_format(text),
        )

    def score_gold(self, text: str, gold: str) -> ScoreRecord:
        """Score raw model text against a gold answer; never raises for bad model text."""
        text = text or ""
        extracted = self.extract(text)
        lenient = lenient_answer(text)
        try:
            correct = self.verify(extracted, gold) if extracted is not None else False
            lenient_correct = self.verify(lenient, gold) if lenient is not None else False
        except ValueError as exc:  # unverifiable gold: a data error, reported not hidden
            return ScoreRecord(
                extracted=extracted,
                correct=False,
                lenient_extracted=lenient,
                lenient_correct=False,
                format_ok=has_format(text),
                error=f"gold answer {gold!r} cannot be verified: {exc}",
            )
        return ScoreRecord(
            extracted=extracted,
            correct=correct,
            lenient_extracted=lenient,
            lenient_correct=lenient_correct,
            format_ok=has_format(text),
        )

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "aliases": list(self.aliases),
            "sources": list(self.sources),
            "default_source": self.default_source,
            "max_new_tokens": self.max_new_tokens,
            "description": self.description,
            "knobs": dict(self.knobs),
        }
