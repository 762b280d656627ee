"""We-Math testmini (`wemath`, 1740 rows): one-step sub-problems and their multi-step problems,
letter golds; the four-dimensional metrics (IK, IG, CM, RM) are computed on the board.

Schema followed: the columns lmms-eval reads from ``We-Math/We-Math`` (``lmms_eval/tasks/wemath``)
and VLMEvalKit's evaluation reads (``vlmeval/dataset/utils/wemath.py``): ``ID``, ``split``,
``knowledge concept``, ``question``, ``option`` (all options in one string, e.g.
``A. 3cm; B. 4cm; C. 5cm; D. 6cm; E. No correct answer``), ``answer`` (the letter),
``image_path`` (the image), ``key`` (``2steps_1``, ``2steps_2``, ``2steps_multi``,
``3steps_1`` ... ``3steps_multi``), ``question number`` (int), ``knowledge concept description``.
A release JSON with these fields, ``image_path`` a path, is read as well.

Sample ids are ``ID#key`` (e.g. ``12#2steps_multi``): the board joins a problem's sub-problems and
its multi-step question by ``ID``, as We-Math's own metric code merges on ``ID``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from othink_bench.task import PROMPT_SUFFIX, Sample
from tasks.battery.benchmark import BenchmarkTask, typed_meta
from tasks.battery.common import PromptBuilder
from tasks.battery.rows import field

_OPTION = re.compile(r"(?:^|(?<=[;；\n]))\s*([A-H])\s*[.:：、]\s*")
KEY = re.compile(r"(\d)steps_(\d|multi)")


def split_options(text: str) -> list[str]:
    """The option texts of We-Math's one-string options, in letter order; [] when the letters
    are not A, B, C ... in order."""
    marks = list(_OPTION.finditer(text))
    if not marks or [m.group(1) for m in marks] != list("ABCDEFGH"[: len(marks)]):
        return []
    out = []
    for m, nxt in zip(marks, [*marks[1:], None], strict=True):
        end = nxt.start() if nxt is not None else len(text)
        out.append(text[m.end():end].strip().rstrip(";；").strip())
    return out


class WeMath(BenchmarkTask):
    id = "wemath"
    version = "1.0"
    description = ("We-Math testmini (1740): one-step and multi-step problems, letter golds; "
                   "board: IK, IG, CM, RM (loose and strict) beside accuracy.")
    hub_id = "We-Math/We-Math"
    hub_split = "testmini"
    rows = 1740
    release_hint = "a JSON file with the hub's columns and image_path a path to the image"

    def paper_prompt(self, sample: Sample) -> str:
        return f"{sample.question.strip()}\n{sample.meta['option_text']}\n{PROMPT_SUFFIX}"

    def official_prompts(self) -> dict[str, PromptBuilder]:
        # VLMEvalKit's multiple-choice layout, with which We-Math is evaluated there.
        def vlmevalkit(s: Sample) -> str:
            lines = "".join(f"{'ABCDEFGH'[i]}. {o}\n" for i, o in enumerate(s.meta["options"]))
            return f"Question: {s.question.strip()}\nOptions:\n{lines}"
        return {"vlmevalkit": vlmevalkit}

    def row_sample(self, row: dict[str, Any], index: int, where: str,
                   root: Path | None) -> Sample:
        pid = str(field(row, "ID", where, (str, int)))
        key = field(row, "key", where)
        if KEY.fullmatch(key) is None:
            raise ValueError(f"{where}: key {key!r} is not NstepS_I or NstepS_multi")
        option_text = field(row, "option", where)
        options = split_options(option_text)
        if not options:
            raise ValueError(f"{where}: field 'option' does not list options as 'A. ...; B. ...'")
        answer = field(row, "answer", where).strip()
        if len(answer) != 1 or answer not in "ABCDEFGH"[: len(options)]:
            raise ValueError(f"{where}: answer {answer!r} does not name one of the "
                             f"{len(options)} options")
        return Sample(
            id=f"{pid}#{key}",
            question=field(row, "question", where),
            gold=answer,
            image=self.require_image(row.get("image_path"), where, "image_path", root),
            meta=typed_meta("choice", options, option_text=option_text, key=key,
                            problem_id=pid,
                            knowledge_concept=str(row.get("knowledge concept", ""))),
        )

    def breakdown(self, sample: Sample) -> str:
        m = KEY.fullmatch(str(sample.meta.get("key", "")))
        if m is None:
            return ""
        return f"{m.group(1)}-step, {'multi-step' if m.group(2) == 'multi' else 'one-step'}"


TASKS = [WeMath()]
