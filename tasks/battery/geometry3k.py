"""Geometry3K test (`geometry3k`, 601 rows): four choices, a letter gold.

Schema followed: the dataset card of ``hiyouga/geometry3k``: ``images`` (a list of images, one
diagram), ``problem`` (the text, with an ``<image>`` marker), ``answer`` (the correct choice's
value), ``id`` (int64), ``choices`` (four strings), ``ground_truth`` (the letter). lmms-eval reads
another copy (``Yang130/geometry3k_4choices_mixed``) with the same ``choices`` / ``ground_truth``
columns; we read the card's dataset. The release (InterGPS, ``data/geometry3k/test/<id>/``) has
one folder per problem with ``data.json`` (``problem_text``, ``choices``, ``answer`` a letter) and
``img_diagram.png``; a folder of such folders is read too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from othink_bench.answers.choices import letter
from othink_bench.data_sources import DataSourceError
from othink_bench.task import Sample, SourceName, Split
from tasks.battery.benchmark import BenchmarkTask, typed_meta
from tasks.battery.common import PromptBuilder
from tasks.battery.rows import field


def _choice_lines(options: list[str]) -> str:
    return "\n".join(f"{letter(i)}. {o}" for i, o in enumerate(options))

class Geometry3K(BenchmarkTask):
    id = "geometry3k"
    version = "1.0"
    description = "Geometry3K test (601): geometry diagrams, four choices, letter gold."
    hub_id = "hiyouga/geometry3k"
    hub_split = "test"
    rows = 601
    release_hint = ("InterGPS's data/geometry3k/test folder (one folder per problem: data.json "
                    "and img_diagram.png)")

    def official_prompts(self) -> dict[str, PromptBuilder]:
        # lmms-eval's multiple-choice layout (no official Geometry3K query exists).
        return {"mcq": lambda s: (
            f"{s.question.strip()}\n{_choice_lines(s.meta['options'])}\n"
            "Answer with the option's letter from the given choices directly.")}

    def row_sample(self, row: dict[str, Any], index: int, where: str,
                   root: Path | None) -> Sample:
        problem = field(row, "problem", where)
        options = [str(c) for c in field(row, "choices", where, list)]
        gt = field(row, "ground_truth", where).strip()
        if len(options) < 2 or gt not in "ABCDEFGH"[: len(options)] or len(gt) != 1:
            raise ValueError(f"{where}: ground_truth {gt!r} does not name one of the "
                             f"{len(options)} choices")
        rid = row.get("id", index)
        return Sample(
            id=str(rid),
            question=problem.replace("<image>", "").strip(),
            gold=gt,
            image=self.require_image(row.get("images"), where, "images", root),
            meta=typed_meta("choice", options, answer_value=str(row.get("answer", ""))),
        )

    def load(
        self,
        split: Split = "test",
        source: SourceName | None = None,
        data: str | Path | None = None,
        image_root: str | Path | None = None,
        limit: int | None = None,
        seed: int = 0,
    ) -> Sequence[Sample]:
        if data is not None and split == "test" and Path(data).is_dir() and any(
                Path(data).glob("*/data.json")):
            return self._release_folders(Path(data), limit)
        return super().load(split, source, data, image_root, limit, seed)

    def _release_folders(self, root: Path, limit: int | None) -> list[Sample]:
        """InterGPS's layout: ``<id>/data.json`` + ``<id>/img_diagram.png``."""
        folders = sorted((p.parent for p in root.glob("*/data.json")),
                         key=lambda p: (len(p.name), p.name))
        rows = []
        for folder in folders[:limit] if limit is not None else folders:
            where = str(folder / "data.json")
            try:
                raw = json.loads((folder / "data.json").read_text(encoding="utf-8"))
                row = {
                    "id": raw.get("id", folder.name),
                    "problem": field(raw, "problem_text", where),
                    "choices": field(raw, "choices", where, list),
                    "ground_truth": field(raw, "answer", where),
                    "images": str(folder / "img_diagram.png"),
                }
            except ValueError as exc:
                row = {"_bad": str(exc)}
            rows.append(row)
        if not rows:
            raise DataSourceError(f"{root}: no problem folders")
        return self.samples_from_rows(rows, str(root), None, limit)

    def breakdown(self, sample: Sample) -> str:
        return ""


TASKS = [Geometry3K()]
