"""HallusionBench, image questions (`hallusionbench`, 951 rows): yes/no; aAcc, qAcc and fAcc are
computed on the board.

Schema followed: the dataset card of ``lmms-lab/HallusionBench`` (split ``image``): ``category``
(VD or VS), ``subcategory``, ``visual_input``, ``set_id``, ``figure_id``, ``sample_note``,
``question_id``, ``question``, ``gt_answer_details``, ``gt_answer`` ("1" yes, "0" no),
``filename``, ``image``; all strings but the image. lmms-eval (``tasks/hallusion_bench``) reads the
same columns. The release file ``HallusionBench.json`` (the benchmark's repository) has these
fields with ``filename`` a path into its image folder and also the 178 questions without an image
(``visual_input`` "0"), which are left out here as they are from the hub's ``image`` split.

Sample ids are ``category/subcategory/set_id/figure_id/question_id``: the board groups them as
lmms-eval's ``evaluate_hb`` does (qAcc per question across figures, fAcc per figure).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from othink_bench.task import PROMPT_SUFFIX, Sample
from tasks.battery.benchmark import BenchmarkTask, typed_meta
from tasks.battery.common import PromptBuilder
from tasks.battery.rows import field


class HallusionBench(BenchmarkTask):
    id = "hallusionbench"
    version = "1.0"
    description = "HallusionBench image questions (951): yes/no; board: aAcc, qAcc, fAcc."
    hub_id = "lmms-lab/HallusionBench"
    hub_split = "image"
    rows = 951
    release_hint = "the release file HallusionBench.json with its image folder"
    max_new_tokens = 512

    def paper_prompt(self, sample: Sample) -> str:
        return f"{sample.question.strip()} {PROMPT_SUFFIX}"

    def official_prompts(self) -> dict[str, PromptBuilder]:
        return {"question": lambda s: s.question}  # lmms-eval: the question alone

    def select(self, row: Mapping[str, Any]) -> bool:
        return str(row.get("visual_input", "1")) != "0"

    def row_sample(self, row: dict[str, Any], index: int, where: str,
                   root: Path | None) -> Sample:
        parts = [str(field(row, name, where, (str, int))) for name in
                 ("category", "subcategory", "set_id", "figure_id", "question_id")]
        if any("/" in p for p in parts):
            raise ValueError(f"{where}: an id field holds '/'")
        gt = str(field(row, "gt_answer", where, (str, int))).strip()
        if gt not in ("0", "1"):
            raise ValueError(f"{where}: gt_answer {gt!r} is neither '1' (yes) nor '0' (no)")
        image = row.get("image")
        if not image:
            image = row.get("filename")
        return Sample(
            id="/".join(parts),
            question=field(row, "question", where),
            gold="yes" if gt == "1" else "no",
            image=self.require_image(image, where, "image", root),
            meta=typed_meta("yes_no", category=parts[0], subcategory=parts[1],
                            visual_input=str(row.get("visual_input", ""))),
        )

    def breakdown(self, sample: Sample) -> str:
        return f"{sample.meta.get('category', '')}/{sample.meta.get('subcategory', '')}"


TASKS = [HallusionBench()]
