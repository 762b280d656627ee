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
from tasks.battery.benchmark import BenchmarkTask
from tasks.battery.common import PromptBuilder, typed_meta

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
    raise ValueError(f"{where}: 'precision' is {value!r}; expected an integer or null")


def _official(sample: Sample) -> str:
    query = sample.meta.get("query")
    if not query:
        raise ValueError(
            f"sample {sample.id} has no official query (the hub's 'query' column, or "
            "data/query.json beside the annotation file); use the 'paper' prompt"
        )
    return str(query)


class MathVista(BenchmarkTask):
    id = "mathvista"
    version = "1.0"
    description = "MathVista testmini (1000): math reasoning in visual contexts, choice and free form."
    hub_id = "AI4Math/MathVista"
    hub_split = "testmini"
    rows = 1000
    release_hint = RELEASE_HINT

    def official_prompts(self) -> dict[str, PromptBuilder]:
        return {"official": _official}

    def read_local(self, path: Path, limit: int | None) -> tuple[list[dict[str, Any]], Path | None]:
        """The repository's ``data/testmini.json`` ({pid: problem}): image paths start at the
        folder above ``data/``, and ``data/query.json`` beside it ({pid: query}) adds the
        official queries. Other copies read as the base class reads them."""
        rows, root = super().read_local(path, limit)
        if not (path.is_file() and path.suffix.lower() == ".json"):
            return rows, root
        queries: dict[str, Any] = {}
        qpath = path.with_name("query.json")
        if qpath.is_file():
            try:
                loaded = json.loads(qpath.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise DataSourceError(f"{qpath}: cannot read MathVista's queries ({exc}); fix or "
                                      f"remove it. {RELEASE_HINT}") from None
            if not isinstance(loaded, dict):
                raise DataSourceError(f"{qpath}: expected a JSON object {{pid: query}}, found "
                                      f"{type(loaded).__name__}; fix or remove it. {RELEASE_HINT}")
            queries = loaded
        for row in rows:
            pid = str(row.get("pid", row.get("_key", "")))
            if not row.get("query") and queries.get(pid):
                row["query"] = queries[pid]
        return rows, path.resolve().parent.parent

    def row_sample(self, row: dict[str, Any], index: int, where: str,
                   root: Path | None) -> Sample:
        missing = [c for c in ("question", "answer", "question_type", "answer_type") if c not in row]
        if "pid" not in row and "_key" not in row:
            missing.insert(0, "pid")
        if missing:
            raise ValueError(f"{where}: missing field(s) {', '.join(missing)}. {RELEASE_HINT}")
        pid = str(row.get("pid", row.get("_key")))
        meta: Mapping[str, Any] = row.get("metadata") or {}
        choices = row.get("choices") or []
        if row["question_type"] == "multi_choice":
            kind = "choice"
            if not choices:
                raise ValueError(f"{where}: multi_choice problem {pid} has no 'choices'")
        else:
            kind = _TYPES.get(str(row["answer_type"]), "")
            if not kind:
                raise ValueError(f"{where}: unknown answer_type {row['answer_type']!r}")
        image = row.get("decoded_image") or row.get("image")
        skills = meta.get("skills") or []
        return Sample(
            id=f"mathvista/{self.hub_split}/{pid}",
            question=str(row["question"]),
            gold=str(row["answer"]),
            image=self.require_image(image, where, "image", root),
            meta=typed_meta(
                kind, [str(c) for c in choices], _precision(row.get("precision"), where),
                row.get("unit") or None,
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
            ),
        )


TASKS = [MathVista()]
