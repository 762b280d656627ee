"""Visual counting: SuperCLEVR-200 (`vc`) and procedural CLEVR-like scenes (`vc-synth*`).

All counting tasks share one verifier (:func:`othink_bench.answers.count_equal`: the single
integer, digits or an English word, in the extracted answer) and one prompt; only the data
differs. Presets of the procedural scenes are separate tasks so boards never mix them.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from othink_bench.answers import count_equal, count_value
from othink_bench.data import PaperDataTask, SyntheticTask, split_seed
from othink_bench.task import ImageRef, PromptVariant, Sample, Task
from tasks.prompts import COUNTING_PROMPTS
from tasks.published import SUPERCLEVR_200

HUB_TRAIN = "leonardPKU/clevr_cogen_a_train"
TEST_HINT = (
    "The paper's counting test set is SuperCLEVR-200: the reference evaluation's JSON-lines "
    "file (superclevr_test200_counting_problems.jsonl: image_path, question, ground_truth) with "
    "SuperCLEVR images 25000-25199; pass it with --data FILE [--image-root DIR]. "
    "Offline, use --tasks vc-synth instead."
)

# A gold count is a plain non-negative integer: digits (``7``, ``7.0``) or a number word
# (``seven``, ``twenty-one``). ``-3``, ``[3]``, ``{'x': 1}`` or ``True`` are data errors, never 3.
_PLAIN_COUNT = re.compile(
    r"\s*(?:\d+(?:\.0+)?|[a-z]+(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?)\s*",
    re.IGNORECASE,
)


class CountingTask(Task):
    """The counting verifier, prompt settings and breakdown, whatever the data."""

    family = "counting"
    max_new_tokens = 256

    def verify(self, answer: str | None, gold: str) -> bool:
        return count_equal(answer, gold)

    def check_gold(self, gold: str) -> None:
        if not _PLAIN_COUNT.fullmatch(gold) or count_value(gold) is None:
            raise ValueError(f"counting gold {gold!r} is not a single non-negative integer")

    def breakdown(self, sample: Sample) -> str:
        return f"count={sample.gold}"

    def prompt_variants(self) -> dict[str, PromptVariant]:
        return COUNTING_PROMPTS


class VisualCounting(PaperDataTask, CountingTask):
    id = "vc"
    version = "1.2"
    aliases = ("counting", "superclevr")
    sources = ("hub", "local")
    default_source = "local"
    description = "Visual counting; test: SuperCLEVR-200, train: CLEVR CoGenT-A (hub)."
    hub_id = HUB_TRAIN
    hub_train_rows = 70_000  # for --plan only; the hub viewer lists 70k rows (CLEVR CoGenT-A train)
    test_hint = TEST_HINT
    test_set = SUPERCLEVR_200


class SyntheticCounting(SyntheticTask, CountingTask):
    """CLEVR-like scenes rendered offline; item i of a split is a pure function of (seed, i)."""

    def __init__(
        self,
        task_id: str,
        *,
        version: str,
        description: str,
        scene: dict[str, Any],
        scratchpad: str,
        test_size: int = 200,
        train_size: int = 100_000,
        aliases: tuple[str, ...] = (),
    ) -> None:
        from tasks.scenes import SceneConfig

        self.id = task_id
        self.version = version
        self.description = description
        self.aliases = aliases
        self.scene_config = SceneConfig(**scene)
        if scratchpad not in ("objects", "occupancy"):
            raise ValueError(f"scratchpad must be 'objects' or 'occupancy', got {scratchpad!r}")
        self.scratchpad = scratchpad
        self.sizes = {"test": test_size, "train": train_size}
        self.knobs = {**asdict(self.scene_config), "scratchpad": scratchpad, **{
            f"{k}_size": v for k, v in self.sizes.items()}}

    def make_sample(self, split: str, seed: int, index: int) -> Sample:
        from tasks.scenes import make_scene

        scene = make_scene(self.scene_config, split_seed(split, seed), index)
        if self.scratchpad == "occupancy" and scene.occupancy is not None:
            think = scene.occupancy
        else:
            think = "; ".join(
                f"{o.size} {o.color} {o.material} {o.shape}" for o in scene.objects
            ) + f". That is {len(scene.objects)} objects."
        return Sample(
            id=f"{self.id}/{split}/{seed}/{index}",
            question=scene.question,
            gold=str(scene.answer),
            image=ImageRef(pil=scene.image),
            solution=f"<think>{think}</think><answer>{scene.answer}</answer>",
            meta={"kind": scene.kind, "n_objects": len(scene.objects)},
        )


TASKS: list[Task] = [
    VisualCounting(),
    SyntheticCounting(
        "vc-synth",
        version="1.2",
        description="CLEVR-like counting scenes, 320x240, free layout, 3-10 objects.",
        scene={},
        scratchpad="objects",
        aliases=("counting-synth",),
    ),
    SyntheticCounting(
        "vc-synth-filtered",
        version="1.2",
        description="Harder counting: 40% attribute-filtered questions (answers may be 0).",
        scene={"filtered_share": 0.4, "occlusion": True},
        scratchpad="objects",
    ),
    SyntheticCounting(
        "vc-synth-tiny",
        version="1.2",
        description="Easy preset for tiny models: 112x112, jittered 4x4 grid, 3-10 objects, "
        "occupancy-map scratchpad.",
        scene={"width": 112, "height": 112, "layout": "grid", "cell": 28},
        scratchpad="occupancy",
    ),
]
