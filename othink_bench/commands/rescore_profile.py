"""`othink-bench rescore PRED --task T --data TESTFILE --profile NAME`: score outputs against the
task's own test samples under a scoring profile (ANSWERS.md policy 1.2).

Why a path of its own: the benchmark battery's verdicts need the sample (its options, answer
type, precision), not only a gold string, so predictions are joined to the test file's samples by
id. Prediction layouts read (each value type-checked, errors name the file and line):

* a run folder or ``records.jsonl`` of this project (``sample_id``, ``output``);
* JSON lines ``{"sample_id": ..., "output": ...}``;
* MathVista's official output file: one JSON object ``{pid: {..., "response": ...}}`` (the
  official verdict ``true_false`` is compared when present);
* MATH-V's official output file: JSON lines with ``id`` and ``response`` (``correct`` compared
  when present).

A prediction's id may be the sample id (``mathvista/testmini/12``) or the benchmark's own id
(``12``). One record per prediction is written, keyed by the benchmark's own id.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from othink_bench.commands.rescore_input import RescoreInputError, decode
from othink_bench.records import RECORDS_FILE

__all__ = ["OutputRow", "read_outputs", "rescore_samples"]


@dataclass
class OutputRow:
    key: str
    output: str
    where: str
    their_correct: bool | None = None


def _verdict(value: object, field: str, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise RescoreInputError(f"{where}: {field!r} is not true/false; write it as JSON true or false")


def _output(value: object, field: str, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise RescoreInputError(f"{where}: {field!r} is not a string or null")


def _key(value: object, field: str, where: str) -> str:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise RescoreInputError(f"{where}: {field!r} is missing or not a string id")


def read_outputs(path: Path) -> list[OutputRow]:
    """Predictions in any layout of the module doc."""
    if path.is_dir():
        path = path / RECORDS_FILE
    if not path.is_file():
        raise RescoreInputError(f"no such file or run folder: {path}")
    text = decode(path)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        if isinstance(doc, dict) and doc and all(isinstance(v, dict) for v in doc.values()):
            rows = []
            for pid, item in doc.items():
                where = f"{path}: [{pid!r}]"
                if "response" not in item:
                    raise RescoreInputError(
                        f"{where}: no 'response'; expected MathVista's output layout "
                        "{pid: {..., \"response\": ...}}"
                    )
                rows.append(OutputRow(str(item.get("pid", pid)), _output(item["response"], "response", where),
                                      where, _verdict(item.get("true_false"), "true_false", where)))
            return rows
    rows = []
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RescoreInputError(f"{where}: not JSON ({exc.msg}); expected one object per line") from None
        if not isinstance(item, dict):
            raise RescoreInputError(f"{where}: expected an object")
        if "response" in item:  # MATH-V's layout
            rows.append(OutputRow(_key(item.get("id"), "id", where), _output(item["response"], "response", where),
                                  where, _verdict(item.get("correct"), "correct", where)))
        elif "output" in item:
            rows.append(OutputRow(_key(item.get("sample_id"), "sample_id", where),
                                  _output(item["output"], "output", where), where))
        else:
            raise RescoreInputError(
                f"{where}: neither 'output' (with 'sample_id') nor 'response' (with 'id'); see "
                "`othink-bench rescore --help` for the layouts read"
            )
    if not rows:
        raise RescoreInputError(f"{path}: no predictions in the file (empty)")
    return rows


def rescore_samples(
    rows: list[OutputRow], samples: list[Any], task: Any, profile_name: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One record per prediction and a summary; an id that names no sample is an error."""
    from othink_bench.answers.profiles import get_profile

    profile = get_profile(profile_name)
    index: dict[str, Any] = {}
    for s in samples:
        index[s.id] = s
        bid = s.meta.get("benchmark_id")
        if bid is not None:
            index.setdefault(str(bid), s)
    unknown = [r for r in rows if r.key not in index]
    if unknown:
        first = ", ".join(f"{r.key!r} ({r.where})" for r in unknown[:3])
        raise RescoreInputError(
            f"{len(unknown)} prediction(s) name no sample of the test file: {first}; pass the test "
            "file the predictions were made on (--data)"
        )
    out: list[dict[str, Any]] = []
    classes: Counter[str] = Counter()
    agree = known = correct = 0
    for r in rows:
        s = index[r.key]
        v = profile.score(task, s, r.output)
        bid = str(s.meta.get("benchmark_id", s.id))
        out.append({"id": bid, "sample_id": s.id, "gold": s.gold, "extracted": v.extracted,
                    "correct": v.correct, "non_answer": v.non_answer, "profile": profile.name,
                    "their_correct": r.their_correct})  # fmt: skip
        correct += v.correct
        if v.non_answer:
            classes[v.non_answer] += 1
        if r.their_correct is not None:
            known += 1
            agree += r.their_correct == v.correct
    n = len(out)
    summary = {
        "task": task.id, "task_version": task.version, "profile": profile.name, "n": n,
        "accuracy": correct / n if n else None, "non_answers": dict(classes),
        "samples_without_prediction": len({s.id for s in samples} - {index[r.key].id for r in rows}),
        "agreement": {"correct": agree / known if known else None, "n_with_verdicts": known},
    }
    return out, summary
