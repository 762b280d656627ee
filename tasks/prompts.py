"""The prompt variants of the paper's tasks (``othink-bench run --prompt NAME``).

``paper`` is this project's prompt (:data:`othink_bench.task.PAPER_PROMPT`). ``r1v-eval`` and
``r1v-train`` are R1-V's strings, character for character, as its scripts format them
(``QUESTION_TEMPLATE.format(Question=...)``, the question not stripped). Source followed:
the R1-V repository (github.com/Deep-Agent/R1-V, commit bbbbe3d):

* counting evaluation, ``src/eval/test_qwen2vl_counting_superclevr.py``: "First output ..."
* GeoQA evaluation, ``src/eval/test_qwen2vl_geoqa.py`` (and ``..._multigpu.py``): "Output ..."
  (one space; the same words as the paper prompt)
* GRPO training, ``src/r1-v/src/open_r1/grpo.py``: "Output ..." after two spaces

``direct`` asks for the answer alone, with no tags; its outputs are read by the ``free-form``
scoring profile (the strict verdict, which needs an ``<answer>`` block, is recorded beside it).
The strings are facts about R1-V's protocol; nothing else of its code is used.
"""

from __future__ import annotations

from othink_bench.task import PAPER_PROMPT, PromptVariant

_TAGS = (
    "Output the thinking process in <think> </think> and final answer (number) in "
    "<answer> </answer> tags."
)
_R1V = "R1-V (Deep-Agent/R1-V@bbbbe3d) "

R1V_TRAIN = PromptVariant(
    "r1v-train", "1", "{question}  " + _TAGS, strip=False,
    origin=_R1V + "src/r1-v/src/open_r1/grpo.py QUESTION_TEMPLATE (two spaces)",
)

COUNTING_PROMPTS: dict[str, PromptVariant] = {
    p.name: p
    for p in (
        PAPER_PROMPT,
        PromptVariant(
            "r1v-eval", "1",
            "{question} First output the thinking process in <think> </think> and final answer "
            "(number) in <answer> </answer> tags.",
            strip=False,
            origin=_R1V + "src/eval/test_qwen2vl_counting_superclevr.py QUESTION_TEMPLATE",
        ),
        R1V_TRAIN,
        PromptVariant(
            "direct", "1", "{question} Answer with a single number.", scored_by="free-form",
            origin="issue 27: the direct-answer prompt (no tags)",
        ),
    )
}

GEOMETRY_PROMPTS: dict[str, PromptVariant] = {
    p.name: p
    for p in (
        PAPER_PROMPT,
        PromptVariant(
            "r1v-eval", "1", "{question} " + _TAGS, strip=False,
            origin=_R1V + "src/eval/test_qwen2vl_geoqa.py QUESTION_TEMPLATE",
        ),
        R1V_TRAIN,
        PromptVariant(
            "direct", "1", "{question} Answer with a single number or expression.",
            scored_by="free-form",
            origin="issue 27: the direct-answer prompt (no tags); geometry answers may be "
            "surds, fractions or multiples of pi",
        ),
    )
}
