"""Geometry reasoning: GeoQA test (`gr`) and procedural GeoQA-style problems (`gr-synth*`).

All geometry tasks share one verifier (:func:`othink_bench.answers.math_equal`, the
ANSWERS.md policy: units and degrees stripped, surds, pi and fractions read exactly, rounded
decimals accepted only for irrational or non-terminating golds) and one prompt.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from othink_bench.answers import check_gold_math, math_equal
from othink_bench.data import PaperDataTask, SyntheticTask, split_seed
from othink_bench.task import ImageRef, PromptVariant, Sample, Task
from tasks.prompts import GEOMETRY_PROMPTS
from tasks.published import GEOQA_TEST

HUB_TRAIN = "leonardPKU/GEOQA_R1V_Train_8K"
TEST_HINT = (
    "The paper's geometry test set is GeoQA test: the reference evaluation's JSON-lines prompt "
    "file (geoqa_test_prompts.jsonl, 754 rows: image_path, question, ground_truth) with the "
    "Geo170K test images; pass it with --data FILE [--image-root DIR]. "
    "Offline, use --tasks gr-synth instead."
)

_UNIT_MARKS = ("cm", "mm", "m", "米", "海里", "秒", "小时")


def answer_form(gold: str) -> str:
    """A coarse label of a gold answer's written form, for per-form accuracy breakdowns."""
    g = gold.replace(" ", "")
    if "π" in g or "pi" in g:
        return "pi"
    if "√" in g or "sqrt" in g:
        return "sqrt"
    if "frac" in g:
        return "fraction"
    if "°" in g or "circ" in g:
        return "decimal degrees" if "." in g else "degrees"
    has_unit = any(u in g for u in _UNIT_MARKS)
    if "." in g:
        return "decimal"
    if has_unit:
        return "integer with unit"
    if g.lstrip("-").isdigit():
        return "integer"
    return "other"


class GeometryTask(Task):
    family = "geometry"
    max_new_tokens = 1024

    def verify(self, answer: str | None, gold: str) -> bool:
        return math_equal(answer, gold)

    def check_gold(self, gold: str) -> None:
        check_gold_math(gold)

    def breakdown(self, sample: Sample) -> str:
        return answer_form(sample.gold)

    def prompt_variants(self) -> dict[str, PromptVariant]:
        return GEOMETRY_PROMPTS


class GeometryReasoning(PaperDataTask, GeometryTask):
    id = "gr"
    version = "1.1"
    aliases = ("geometry", "geoqa")
    sources = ("hub", "local")
    default_source = "local"
    description = "Geometry reasoning; test: GeoQA test, train: GEOQA_R1V_Train_8K (hub)."
    hub_id = HUB_TRAIN
    hub_train_rows = 8_030  # for --plan only; about: the name says 8K, a copy of it on the hub lists 8.03k rows
    test_hint = TEST_HINT
    test_set = GEOQA_TEST


#: The SFT target's ``<think>`` text: the full reasoning chain, or only its numeric equations
#: (:func:`tasks.geo.scratchpad.arithmetic_scratchpad`, short enough for tiny models to learn).
SOLUTION_STYLES: tuple[str, ...] = ("reasoning", "arithmetic")


class SyntheticGeometry(SyntheticTask, GeometryTask):
    """GeoQA-style problems built from real constructions; answers computed exactly."""

    def __init__(
        self,
        task_id: str,
        *,
        version: str,
        description: str,
        problem: dict[str, Any],
        test_size: int = 200,
        train_size: int = 100_000,
        aliases: tuple[str, ...] = (),
        max_new_tokens: int = 1024,
        solution: str = "reasoning",
    ) -> None:
        from tasks.geo import GeoConfig

        if solution not in SOLUTION_STYLES:
            raise ValueError(f"{task_id}: solution must be one of {SOLUTION_STYLES}, "
                             f"got {solution!r}")
        self.max_new_tokens = max_new_tokens
        self.solution_style = solution
        self.id = task_id
        self.version = version
        self.description = description
        self.aliases = aliases
        self.problem_config = GeoConfig(**problem)
        self.sizes = {"test": test_size, "train": train_size}
        self.knobs = {**asdict(self.problem_config), **{
            f"{k}_size": v for k, v in self.sizes.items()}, "solution": solution}

    def make_sample(self, split: str, seed: int, index: int) -> Sample:
        from tasks.geo import make_problem
        from tasks.geo.scratchpad import arithmetic_scratchpad

        prob = make_problem(self.problem_config, split_seed(split, seed), index)
        think = (arithmetic_scratchpad(prob.reasoning) if self.solution_style == "arithmetic"
                 else prob.reasoning)
        return Sample(
            id=f"{self.id}/{split}/{seed}/{index}",
            question=prob.question,
            gold=prob.answer,
            image=ImageRef(pil=prob.image),
            solution=f"<think>{think}</think><answer>{prob.answer}</answer>",
            meta={"family": prob.family, "steps": prob.steps},
        )


TASKS: list[Task] = [
    GeometryReasoning(),
    SyntheticGeometry(
        "gr-synth",
        version="1.1",
        description="GeoQA-style problems from 11 construction families, 320x240 diagrams.",
        problem={},
        aliases=("geometry-synth",),
    ),
    SyntheticGeometry(
        "gr-synth-tiny",
        version="1.2",
        description="Easy preset for tiny models: one- and two-step angle problems whose text "
                    "names every angle relation, 112x112 diagrams, arithmetic-scratchpad "
                    "SFT targets.",
        problem={
            "families": ("triangle_angle_sum", "parallel_transversal", "isosceles_base",
                         "exterior_angle"),
            "width": 112,
            "height": 112,
            "max_steps": 2,
            "relation_in_text": True,
        },
        max_new_tokens=256,
        solution="arithmetic",
    ),
]
