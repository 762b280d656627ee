"""`othink-bench rescore`: score an existing predictions file with a task's verifier.

Two input layouts: this project's ``records.jsonl`` (each line has ``output`` and ``gold``), and
the reference evaluation scripts' JSON (``{"results": [{"ground_truth", "model_output", ...}]}``).
Where the file carries its own verdicts (``is_correct`` or ``correct``, ``extracted_answer``),
the agreement with ours is reported, which is how the reference numbers are audited.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


class RescoreInputError(ValueError):
    """The predictions file is not in a layout rescore understands."""


def read_predictions(path: Path) -> list[dict[str, Any]]:
    """Rows with ``output`` and ``gold`` (plus the file's own verdicts where present)."""
    text = path.read_text(encoding="utf-8")
    stripped = text.lstrip()
    rows: list[dict[str, Any]] = []
    if stripped.startswith("{") and '"results"' in stripped[:100_000]:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("results"), list):
            for i, item in enumerate(doc["results"]):
                if not isinstance(item, dict) or "ground_truth" not in item:
                    raise RescoreInputError(f"{path}: results[{i}] has no 'ground_truth'")
                verdict = item.get("is_correct", item.get("correct"))
                rows.append({
                    "output": item.get("model_output") or "",
                    "gold": item["ground_truth"],
                    "their_correct": None if verdict is None else bool(verdict),
                    "their_extracted": item.get("extracted_answer"),
                })
            return rows
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RescoreInputError(
                f"{path}:{lineno}: not JSON ({exc.msg}); expected records.jsonl lines or a "
                "reference results JSON ({\"results\": [...]})"
            ) from exc
        if not isinstance(item, dict) or "gold" not in item:
            raise RescoreInputError(f"{path}:{lineno}: record has no 'gold' field")
        rows.append({
            "output": item.get("output") or "",
            "gold": item["gold"],
            "their_correct": item.get("correct"),
            "their_extracted": item.get("extracted"),
        })
    return rows


def configure_rescore(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="records.jsonl or a reference results JSON")
    parser.add_argument("--task", required=True, help="task whose verifier scores (e.g. gr, vc)")
    parser.add_argument("--output", type=Path, help="write one JSON line per input sample here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def execute_rescore(args: argparse.Namespace) -> int:
    from othink_bench.registry import get_task

    task = get_task(args.task)
    if not args.path.is_file():
        print(f"error: no such file {args.path}", file=sys.stderr)
        return 2
    try:
        rows = read_predictions(args.path)
    except RescoreInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out_rows: list[dict[str, Any]] = []
    agree_correct = agree_extracted = n_correct_known = n_extracted_known = 0
    gold_errors = 0
    for i, row in enumerate(rows):
        score = task.score_gold(str(row["output"]), str(row["gold"]))
        gold_errors += score.error is not None
        out_rows.append({
            "index": i,
            "gold": str(row["gold"]),
            "extracted": score.extracted,
            "correct": score.correct,
            "lenient_extracted": score.lenient_extracted,
            "lenient_correct": score.lenient_correct,
            "format_ok": score.format_ok,
            "error": score.error,
        })
        if row["their_correct"] is not None:
            n_correct_known += 1
            agree_correct += bool(row["their_correct"]) == score.correct
        if row["their_extracted"] is not None:
            n_extracted_known += 1
            agree_extracted += str(row["their_extracted"]).strip() == (score.extracted or "")
    n = len(out_rows)
    summary: dict[str, Any] = {
        "task": task.id,
        "task_version": task.version,
        "n": n,
        "accuracy": sum(r["correct"] for r in out_rows) / n if n else 0.0,
        "lenient_accuracy": sum(r["lenient_correct"] for r in out_rows) / n if n else 0.0,
        "format_rate": sum(r["format_ok"] for r in out_rows) / n if n else 0.0,
        "gold_errors": gold_errors,
        "agreement": {
            "correct": agree_correct / n_correct_known if n_correct_known else None,
            "extracted_answer": agree_extracted / n_extracted_known if n_extracted_known else None,
            "n_with_verdicts": n_correct_known,
        },
    }
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        with args.output.open("w", encoding="utf-8") as fh:
            for r in out_rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        from tabulate import tabulate

        table = [["n", n], ["accuracy", f"{summary['accuracy']:.4f}"],
                 ["lenient accuracy", f"{summary['lenient_accuracy']:.4f}"],
                 ["format rate", f"{summary['format_rate']:.4f}"],
                 ["unverifiable golds", gold_errors]]
        agreement = summary["agreement"]
        if agreement["correct"] is not None:
            table.append(["agreement with file's verdicts", f"{agreement['correct']:.4f}"])
        if agreement["extracted_answer"] is not None:
            table.append(["agreement with file's extractions",
                          f"{agreement['extracted_answer']:.4f}"])
        print(f"{task.id} v{task.version}: {args.path}")
        print(tabulate(table, tablefmt="plain"))
    return 0
