"""MathVista testmini (``mathvista``): 1000 questions, multiple choice and free form.

Schema (followed: the hub card of AI4Math/MathVista and the repository's ``data/testmini.json``;
they agree on every field this task reads): ``pid`` (string), ``question``, ``image`` (a path
``images/<pid>.jpg``; the hub adds ``decoded_image``), ``choices`` (list of strings or null),
``unit`` (string or null), ``precision`` (the hub: float64 or null; the JSON: int or null),
``answer`` (string; for multiple choice the choice's text), ``question_type`` ("multi_choice" or
"free_form"), ``answer_type`` ("text", "integer", "float", "list"), ``metadata`` (category,
context, grade, skills, source, task, ...) and, on the hub only, ``query`` (the official prompt;
in the repository it is ``data/query.json``, ``{pid: query}``, read when it lies beside the
annotation file). lmms-eval's mathvista task (lmms_eval/tasks/mathvista/utils.py) reads the hub
copy the same way: the image from ``decoded_image["bytes"]``, the problem from ``question_type`` and
the other columns.

Answer types: multi_choice -> ``choice`` (options = ``choices``, gold = the choice text);
integer / float / list as stated, a float rounded to ``precision`` decimals (never truncated).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from othink_bench.data_sources import DataSourceError
from othink_bench.task import Sample
from tasks.battery.common import BatteryTask, image_ref, typed_sample

RELEASE_HINT = (
    "MathVista offline: pass the repository's annotation file, --source local --data "
    "MathVista/data/testmini.json --image-root MathVista (the folder holding images/), or a copy of the hub "
    "dataset AI4Math/MathVista (--source hub --data FOLDER_OR_PARQUET)."
)
_TYPES = {"integer": "integer", "float": "float", "list": "list", "text": "text"}


def _precision(value: Any, where: str) -> int | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    raise DataSourceError(f"{where}: 'precision' is {value!r}; expected an integer or null")


class MathVista(BatteryTask):
    id = "mathvista"
    version = "1.0"
    description = "MathVista testmini (1000): math reasoning in visual contexts, choice and free form."
    hub_id = "AI4Math/MathVista"
    hub_split = "testmini"
    release_hint = RELEASE_HINT

    def official_prompt(self, sample: Sample) -> str:
        query = sample.meta.get("query")
        if not query:
            raise ValueError(
                f"sample {sample.id} has no official query (the hub's 'query' column, or "
                "data/query.json beside the annotation file); use the 'paper' prompt"
            )
        return str(query)

    def read_release(self, path: Path) -> list[dict[str, Any]]:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataSourceError(f"{path}: cannot read MathVista annotations ({exc}). {RELEASE_HINT}") from None
        if not isinstance(doc, dict):
            raise DataSourceError(f"{path}: expected a JSON object {{pid: problem}}. {RELEASE_HINT}")
        queries: dict[str, str] = {}
        qpath = path.with_name("query.json")
        if qpath.is_file():
            queries = json.loads(qpath.read_text(encoding="utf-8"))
        rows = []
        for pid, row in doc.items():
            if not isinstance(row, dict):
                raise DataSourceError(f"{path}: problem {pid!r} is not an object")
            rows.append({**row, "pid": str(row.get("pid", pid)), "query": row.get("query") or queries.get(str(pid))})
        return rows

    def row_to_sample(self, row: Mapping[str, Any], where: str, root: Path | None) -> Sample:
        missing = [c for c in ("pid", "question", "answer", "question_type", "answer_type") if c not in row]
        if missing:
            raise DataSourceError(f"{where}: missing field(s) {', '.join(missing)}. {RELEASE_HINT}")
        pid = str(row["pid"])
        meta = row.get("metadata") or {}
        choices = row.get("choices") or []
        if row["question_type"] == "multi_choice":
            kind = "choice"
            if not choices:
                raise DataSourceError(f"{where}: multi_choice problem {pid} has no 'choices'")
        else:
            kind = _TYPES.get(str(row["answer_type"]), "")
            if not kind:
                raise DataSourceError(f"{where}: unknown answer_type {row['answer_type']!r}")
        image = row.get("decoded_image") or row.get("image")
        skills = meta.get("skills") or []
        return typed_sample(
            sid=f"mathvista/{self.hub_split}/{pid}",
            question=str(row["question"]),
            gold=str(row["answer"]),
            image=image_ref(image, root, where),
            answer_type=kind,
            options=[str(c) for c in choices],
            precision=_precision(row.get("precision"), where),
            unit=row.get("unit") or None,
            where=where,
            benchmark_id=pid,
            query=row.get("query"),
            category=meta.get("category"),
            task=meta.get("task"),
            context=meta.get("context"),
            grade=meta.get("grade"),
            skills=list(skills),
            # every dimension MathVista reports, one record label (leaderboard.benchmark_metrics
            # splits it): category, task, context, grade, and each skill
            breakdown=(f"category={meta.get('category')}; task={meta.get('task')}; "
                       f"context={meta.get('context')}; grade={meta.get('grade')}; "
                       f"skills={'+'.join(str(x) for x in skills)}"),
        )


TASKS = [MathVista()]
