"""Reading the files `othink-bench rescore` scores: our records and the reference results JSON.

Every value is type-checked where it is read, never coerced: a verdict must be JSON ``true`` or
``false`` (``"false"`` is an error, not a truthy string), a gold answer a string or a number (an
object, a list, ``true`` or ``null`` is a per-sample gold error, not its first number), a model
output a string or ``null``. Every error names the file and the line (or the ``results[i]``
item) and says what to do.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from othink_bench.records import MANIFEST_FILE, RECORDS_FILE, read_manifest

#: Source error kinds that mean the sample never had a valid input: left out, as `run` does.
SOURCE_EXCLUDED_KINDS = frozenset({"image", "data"})


class RescoreInputError(ValueError):
    """The predictions file is not in a layout rescore understands; the message says why."""


@dataclass
class Prediction:
    """One row to score, with where it came from."""

    where: str  # "file:line" or "file: results[i]"
    output: str
    gold: str | None  # None when the gold is not a string or number (see gold_error)
    gold_error: str | None = None
    their_correct: bool | None = None
    their_extracted: str | None = None
    task: str | None = None
    sample_id: str | None = None
    k: int = 0
    excluded: str | None = None  # the source file's own data error: not scored
    #: "file" (its is_correct / correct) or "implied" (R1-V's counting logs record no verdict:
    #: their script's is ``extracted_answer == ground_truth``, both integers or a null answer)
    verdict_from: str | None = None
    #: the question, where the file holds it (R1-V's logs: ``question.question``); profiles
    #: that tell an echo of the question from an answer (free-form) read it
    question: str = ""
    #: the file has an extraction field for this row (then a null there means "none read")
    extracted_given: bool = False


@dataclass
class Predictions:
    path: Path  # the file read
    rows: list[Prediction]
    manifest_task: str | None = None  # the run folder's task, when a folder was given
    duplicates: int = 0  # earlier lines replaced by a later one with the same (sample_id, k)
    partial_line: str | None = None  # an unparsable last line with no newline, left out
    reported_accuracy: float | None = None  # a reference JSON's own "accuracy" (percent)


def _reported(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return "a number"


def number_text(value: int | float) -> str:
    """A JSON number as the text the verifiers read: ``3``, ``-3``, ``2.5``."""
    if isinstance(value, int):
        return str(value)
    return str(int(value)) if value.is_integer() else repr(value)


def read_gold(value: object) -> tuple[str | None, str | None]:
    """(gold text, None) or (None, why it is not a gold answer)."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return None, f"gold answer {value!r} is not a finite number"
        return number_text(value), None
    return None, f"gold answer is {_kind(value)} ({json.dumps(value)[:60]}); expected a string or number"


def _verdict(value: object, field: str, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise RescoreInputError(
        f"{where}: {field!r} is {_kind(value)} ({json.dumps(value)[:40]}), not true/false; "
        f"write the verdict as JSON true or false (or drop the field)"
    )


def _text(value: object, field: str, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if field != "output" and isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    raise RescoreInputError(f"{where}: {field!r} is {_kind(value)}, expected a string or null")


def decode(path: Path) -> str:
    """The file's text (UTF-8, a leading BOM dropped); an error names the line of a bad byte."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RescoreInputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RescoreInputError(
            f"{path}:{line}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise RescoreInputError(f"{where}: JSON nested too deeply to read") from None
    except json.JSONDecodeError as exc:
        raise RescoreInputError(
            f"{where}: not JSON ({exc.msg}); expected records.jsonl lines or a reference "
            'results JSON ({"results": [...]})'
        ) from None


def _question(value: object) -> str:
    """The question of a reference row: a string, or R1-V's prompt row ``{"question": ...}``."""
    if isinstance(value, dict):
        value = value.get("question")
    return value if isinstance(value, str) else ""


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _reference(doc: dict[str, Any], path: Path) -> list[Prediction]:
    rows = []
    for i, item in enumerate(doc["results"]):
        where = f"{path}: results[{i}]"
        if not isinstance(item, dict) or "ground_truth" not in item:
            raise RescoreInputError(f"{where} has no 'ground_truth'")
        gold, gold_error = read_gold(item["ground_truth"])
        field = "is_correct" if "is_correct" in item else "correct"
        their = _verdict(item.get(field), field, where)
        verdict_from = "file" if their is not None else None
        if their is None and field not in item and _integer(item["ground_truth"]):
            answer = item.get("extracted_answer")
            if answer is None or _integer(answer):  # R1-V's counting log layout
                their = answer is not None and answer == item["ground_truth"]
                verdict_from = "implied"
        rows.append(
            Prediction(
                where=where,
                output=_text(item.get("model_output"), "output", where) or "",
                gold=gold,
                gold_error=gold_error,
                their_correct=their,
                their_extracted=_text(item.get("extracted_answer"), "extracted_answer", where),
                verdict_from=verdict_from,
                question=_question(item.get("question")),
                extracted_given="extracted_answer" in item,
            )
        )
    return rows


def _record_line(item: Any, where: str) -> Prediction:
    if not isinstance(item, dict) or "gold" not in item:
        raise RescoreInputError(f"{where}: record has no 'gold' field")
    gold, gold_error = read_gold(item["gold"])
    sample_id = item.get("sample_id")
    k = item.get("k", 0)
    if sample_id is not None and not isinstance(sample_id, str):
        raise RescoreInputError(f"{where}: 'sample_id' is {_kind(sample_id)}, expected a string")
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise RescoreInputError(f"{where}: 'k' is {json.dumps(k)[:20]}, expected an integer >= 0")
    task = item.get("task")
    if task is not None and not isinstance(task, str):
        raise RescoreInputError(f"{where}: 'task' is {_kind(task)}, expected a string")
    kind = item.get("error_kind")
    return Prediction(
        where=where,
        output=_text(item.get("output"), "output", where) or "",
        gold=gold,
        gold_error=gold_error,
        their_correct=_verdict(item.get("correct"), "correct", where),
        their_extracted=_text(item.get("extracted"), "extracted", where),
        task=task,
        sample_id=sample_id,
        k=k,
        excluded=f"{kind} error in the file" if kind in SOURCE_EXCLUDED_KINDS else None,
    )


def read_predictions(path: Path) -> Predictions:
    """Rows to score from a records file, a run folder or a reference results JSON."""
    manifest_task = None
    if path.is_dir():
        if not (path / MANIFEST_FILE).exists() and not (path / RECORDS_FILE).exists():
            raise RescoreInputError(f"{path}: a folder without {RECORDS_FILE}; give a run folder")
        if (path / MANIFEST_FILE).exists():
            manifest_task = read_manifest(path).task
        path = path / RECORDS_FILE
        if not path.is_file():
            raise RescoreInputError(f"{path}: no such file; the run has no records yet")
    elif not path.is_file():
        raise RescoreInputError(f"no such file or run folder: {path}")
    text = decode(path)
    stripped = text.lstrip()
    if stripped.startswith("{") and '"results"' in stripped[:100_000]:
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("results"), list):
            return Predictions(path, _reference(doc, path), manifest_task,
                               reported_accuracy=_reported(doc.get("accuracy")))
    rows: list[Prediction] = []
    index: dict[tuple[str, int], int] = {}
    duplicates = 0
    partial: str | None = None
    lines = text.split("\n")  # not splitlines(): U+2028 and friends may sit inside a string
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            item = _loads(line, where)
        except RescoreInputError:
            if lineno == len(lines) and lineno > 1:  # no newline after it: a writer killed mid-line
                partial = where
                continue
            raise
        row = _record_line(item, where)
        if row.sample_id is not None:  # a retried sample: the later line replaces the earlier
            key = (row.sample_id, row.k)
            if key in index:
                rows[index[key]] = row
                duplicates += 1
                continue
            index[key] = len(rows)
        rows.append(row)
    return Predictions(path, rows, manifest_task, duplicates, partial)
