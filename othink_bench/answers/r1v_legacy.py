"""The ``r1v-legacy`` scoring profile: R1-V's own evaluation scripts' verdicts, reproduced.

Source followed: github.com/Deep-Agent/R1-V (commit bbbbe3d), ``src/eval/``:

* counting (``test_qwen2vl_counting_superclevr.py``): the answer is the first match of
  ``<answer>\\s*(\\d+)\\s*</answer>`` in the whole output (Python ``re.search``: the first block
  whose content is only digits and white space), read with ``int``; it is right when it equals
  the integer ground truth. Anything else (no block, ``<answer>4.</answer>``, a block cut off,
  words) is no answer.
* geometry (``test_qwen2vl_geoqa.py``): math_verify on the whole output, as the
  ``math-verify-whole`` profile (:mod:`othink_bench.answers.math_verify_whole`).

This is a peer's scorer, for comparing with numbers published with it; the project's own score
stays the strict verifier. The behaviour is reimplemented here; none of R1-V's code is used.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from othink_bench.answers.math_verify_whole import math_verify_whole
from othink_bench.answers.profiles import ProfileVerdict

if TYPE_CHECKING:
    from othink_bench.task import Sample, Task

_R1V_COUNT = re.compile(r"<answer>\s*(\d+)\s*</answer>")


def r1v_count(output: str) -> int | None:
    """R1-V's counting extraction: the first ``<answer> N </answer>`` with digits only."""
    match = _R1V_COUNT.search(output)
    return int(match.group(1)) if match else None


def integer_gold(gold: str) -> int:
    """The counting gold as the integer R1-V's prompt file holds (``ground_truth: 4``)."""
    text = gold.strip()
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"counting gold {gold!r} is not a plain integer, as R1-V's file holds")
    return int(text)


class R1VLegacyProfile:
    #: whose verdicts this reproduces: a peer's scorer, exempt from the project's answer policy
    #: (it credits what the peer credits, non-answers included)
    peer = "R1-V's eval scripts (github.com/Deep-Agent/R1-V, src/eval/)"
    name = "r1v-legacy"
    description = (
        "R1-V's eval scripts: counting, the first <answer>N</answer> (digits only) equal to the "
        "gold; geometry, math_verify on the whole output"
    )

    def score(self, task: Task, sample: Sample, output: str) -> ProfileVerdict:
        if "answer_type" in sample.meta:  # a benchmark of the battery: R1-V has no script
            raise ValueError(
                f"r1v-legacy reproduces R1-V's counting and GeoQA scripts; task {task.id}'s "
                "samples declare typed answers, which R1-V never scored"
            )
        if task.family == "counting":
            count = r1v_count(output or "")
            return ProfileVerdict(
                None if count is None else str(count),
                count is not None and count == integer_gold(sample.gold),
            )
        if task.family == "geometry":
            return math_verify_whole(output or "", sample.gold)
        raise ValueError(
            f"r1v-legacy reproduces R1-V's counting and geometry scripts; task {task.id} is "
            f"neither (family {task.family or 'unset'!r})"
        )
