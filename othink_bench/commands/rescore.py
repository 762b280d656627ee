"""`othink-bench rescore`: score an existing predictions file with a task's verifier.

Two input layouts: this project's ``records.jsonl`` (each line has ``output`` and ``gold``), and
the reference evaluation scripts' JSON (``{"results": [{"ground_truth", "model_output", ...}]}``).
Where the file carries its own verdicts (``is_correct`` or ``correct``, ``extracted_answer``),
the agreement with ours is reported, which is how the reference numbers are audited.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from othink_bench.commands.rescore_input import (
    Predictions,
    RescoreInputError,
    read_predictions,
)
from othink_bench.records import ManifestError
from othink_bench.strict_json import dumps

__all__ = ["RescoreInputError", "configure_rescore", "execute_rescore", "read_predictions"]


def configure_rescore(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", type=Path, help="a run folder, a records.jsonl, or a reference results JSON"
    )
    parser.add_argument(
        "--task",
        help="task whose verifier scores (e.g. gr, vc); default: the task the records or the "
        "run's manifest name (a reference results JSON needs it)",
    )
    parser.add_argument(
        "--profile",
        action="append",
        metavar="NAME[,NAME]",
        help="also score under this scoring profile (repeatable): r1v-legacy (R1-V's eval "
        "scripts), math-verify-whole, free-form, ...; reports its accuracy and its agreement "
        "with the file's own verdicts, sample by sample (the strict verdict stays the score). "
        "With --data: the one profile the joined samples are scored under (default strict)",
    )
    parser.add_argument(
        "--compare-profiles",
        metavar="A,B",
        help="count the verdicts that differ between two profiles (strict is one), each way, "
        "with the first examples of each",
    )
    parser.add_argument("--output", type=Path, help="write one JSON line per input sample here")
    parser.add_argument(
        "--data", type=Path,
        help="the test file the predictions were made on (e.g. MathVista's data/testmini.json, "
        "MATH-V's data/testmini.jsonl, or a hub copy); joins predictions to samples by id, which "
        "also reads MathVista's and MATH-V's official output files",
    )
    parser.add_argument("--source", choices=("hub", "local"), default=None,
                        help="how --data is read (default: local for .json/.jsonl, else hub)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _choose_task(preds: Predictions, given: str | None) -> tuple[str, list[str]]:
    """The task to score with, and warnings (records of one task rescored with another)."""
    named = sorted({r.task for r in preds.rows if r.task})
    if preds.manifest_task and preds.manifest_task not in named:
        named = sorted({*named, preds.manifest_task})
    if given is None:
        if not named:
            raise RescoreInputError(
                f"{preds.path}: the file names no task; give --task (e.g. --task gr or --task vc)"
            )
        if len(named) > 1:
            raise RescoreInputError(
                f"{preds.path}: records of several tasks ({', '.join(named)}); give --task"
            )
        return named[0], []
    from othink_bench.registry import get_task

    wanted = get_task(given).id
    others = [t for t in named if t != wanted]
    warnings = [
        f"warning: {preds.path} holds records of task {', '.join(others)}, rescored here with "
        f"{wanted}'s verifier (--task {given})"
    ] if others else []
    return given, warnings


def _write_atomic(path: Path, rows: list[dict[str, Any]]) -> None:
    """One JSON line per row, all or nothing (a text no encoder takes is escaped, not fatal)."""
    chunks = []
    for r in rows:
        line = dumps(r, where=str(path), ensure_ascii=False)
        try:
            chunks.append(line.encode("utf-8"))
        except UnicodeEncodeError:  # a lone surrogate from the input: keep it, escaped
            chunks.append(dumps(r, where=str(path), ensure_ascii=True).encode("ascii"))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(b"".join(c + b"\n" for c in chunks))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_output(path: Path | None, rows: list[dict[str, Any]]) -> bool:
    """Write ``--output`` when given; False (after saying why) when it cannot be written."""
    if path is None:
        return True
    try:
        _write_atomic(path, rows)
    except OSError as exc:
        print(f"error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _one_profile(args: argparse.Namespace) -> str | None:
    """The one ``--profile`` of a ``--data`` rescore (a name, or a one-name list from the
    repeatable flag); several are a ``RescoreInputError``."""
    given = getattr(args, "profile", None)
    if given is None or isinstance(given, str):
        return given
    names = [n.strip() for v in given for n in v.split(",") if n.strip()]
    if len(names) > 1:
        raise RescoreInputError(
            f"--data scores under one profile; got {', '.join(names)} (drop --data to score a "
            "run or a log under several, beside strict)"
        )
    return names[0] if names else None


def _execute_with_samples(args: argparse.Namespace) -> int:
    """Predictions joined to the test file's samples, scored under a profile."""
    from othink_bench.answers.peers import register_peer_profiles
    from othink_bench.commands.rescore_profile import read_outputs, rescore_samples
    from othink_bench.data_sources import DataSourceError
    from othink_bench.registry import UnknownTaskError, get_task
    from othink_bench.task import SourceName

    register_peer_profiles()  # r1v-legacy, math-verify-whole beside strict and free-form
    try:
        if not args.task:
            raise RescoreInputError("--data needs --task (e.g. --task mathvista)")
        task = get_task(args.task)
        data = getattr(args, "data", None)
        if data is None:
            raise RescoreInputError("--profile needs --data TESTFILE (the samples the outputs answer)")
        source: SourceName = getattr(args, "source", None) or (
            "local" if data.suffix.lower() in (".json", ".jsonl") else "hub")
        samples = list(task.load(split="test", source=source, data=data))
        rows = read_outputs(args.path)
        out, summary = rescore_samples(rows, samples, task, _one_profile(args) or "strict")
    except (RescoreInputError, DataSourceError, UnknownTaskError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not _write_output(args.output, out):
        return 2
    if args.json:
        print(json.dumps(summary, ensure_ascii=True))
    else:
        acc = summary["accuracy"]
        agree = summary["agreement"]["correct"]
        print(f"{task.id} v{task.version} ({summary['profile']}): {args.path}")
        print(f"n {summary['n']}  accuracy {100 * acc:.1f}%" if acc is not None else "n 0")
        print(f"non-answers {summary['non_answers']}  samples without a prediction "
              f"{summary['samples_without_prediction']}")
        if agree is not None:
            print(f"agreement with the file's verdicts {100 * agree:.1f}% "
                  f"(n {summary['agreement']['n_with_verdicts']})")
    return 0


def execute_rescore(args: argparse.Namespace) -> int:
    from othink_bench.answers.peers import parse_profiles
    from othink_bench.commands.rescore_profiles import (
        Comparison,
        ProfileTally,
        parse_pair,
        profile_lines,
        profile_score,
    )
    from othink_bench.registry import UnknownTaskError, get_task

    # --data joins predictions to a test file's samples (one profile); without it, --profile
    # scores a run or a peer's log under each named profile beside the strict verifier
    if getattr(args, "data", None) is not None:
        return _execute_with_samples(args)
    from othink_bench.stats import wilson

    try:
        given = getattr(args, "profile", None)
        profiles = parse_profiles([given] if isinstance(given, str) else given)
        pair = parse_pair(args.compare_profiles) if getattr(args, "compare_profiles", None) else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    tallies = {name: ProfileTally(name) for name in profiles}
    comparison = Comparison(*pair) if pair else None
    try:
        preds = read_predictions(args.path)
        task_id, warnings = _choose_task(preds, args.task)
        task = get_task(task_id)
        if task.typed_answers:
            raise RescoreInputError(
                f"task {task.id} scores each output by its sample's answer type (options, "
                "precision): pass --data TESTFILE, the test file the predictions answer"
            )
        if not preds.rows:
            raise RescoreInputError(
                f"{preds.path}: no predictions in the file (empty); give a records.jsonl or a "
                "reference results JSON with at least one row"
            )
    except (RescoreInputError, ManifestError, UnknownTaskError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if preds.partial_line:
        warnings.append(
            f"warning: {preds.partial_line}: left out a partial last line (no newline; a writer "
            "killed mid-line)"
        )
    for w in warnings:
        print(w, file=sys.stderr)
    out_rows: list[dict[str, Any]] = []
    agree_correct = agree_extracted = n_correct_known = n_extracted_known = 0
    gold_errors = excluded = 0
    for i, row in enumerate(preds.rows):
        base: dict[str, Any] = {"index": i, "where": row.where}
        if row.sample_id is not None:
            base.update(sample_id=row.sample_id, k=row.k)
        if row.excluded:
            excluded += 1
            out_rows.append({**base, "gold": row.gold, "error": row.excluded,
                             "error_kind": "data", "scored": False})  # fmt: skip
            continue
        by_profile = {}
        if row.gold is not None and (tallies or comparison):
            wanted = [*tallies, *(pair or ())]
            by_profile = {name: profile_score(task, name, row) for name in dict.fromkeys(wanted)}
            for name, tally in tallies.items():
                tally.add(row, by_profile[name])
            if comparison is not None and pair is not None:
                comparison.add(row, by_profile[pair[0]], by_profile[pair[1]])
            base["profiles"] = {
                k: v.model_dump(mode="json") for k, v in by_profile.items() if k in tallies
            }
        error = row.gold_error
        score = None
        if row.gold is not None:
            try:
                task.check_gold(row.gold)
            except ValueError as exc:
                error = f"gold answer {row.gold!r} cannot be verified: {exc}"
            else:
                score = task.score_gold(row.output, row.gold)
                error = score.error
        if error is not None or score is None:
            gold_errors += 1
            out_rows.append({**base, "gold": row.gold, "error": error, "error_kind": "gold",
                             "scored": False})  # fmt: skip
            continue
        out_rows.append({
            **base,
            "gold": row.gold,
            "extracted": score.extracted,
            "correct": score.correct,
            "lenient_extracted": score.lenient_extracted,
            "lenient_correct": score.lenient_correct,
            "format_ok": score.format_ok,
            "error": None,
            "scored": True,
        })
        if row.their_correct is not None:
            n_correct_known += 1
            agree_correct += row.their_correct == score.correct
        if row.their_extracted is not None:
            n_extracted_known += 1
            agree_extracted += row.their_extracted.strip() == (score.extracted or "")
    scored = [r for r in out_rows if r["scored"]]
    n = len(scored)
    acc = wilson(sum(r["correct"] for r in scored), n)
    lenient = wilson(sum(r["lenient_correct"] for r in scored), n)
    fmt = wilson(sum(r["format_ok"] for r in scored), n)
    summary: dict[str, Any] = {
        "task": task.id,
        "task_version": task.version,
        "path": str(preds.path),
        "rows": len(out_rows),
        "n": n,
        "accuracy": acc.value if n else None,
        "accuracy_low": acc.low if n else None,
        "accuracy_high": acc.high if n else None,
        "lenient_accuracy": lenient.value if n else None,
        "format_rate": fmt.value if n else None,
        "gold_errors": gold_errors,
        "excluded": excluded,
        "duplicates_replaced": preds.duplicates,
        "agreement": {
            "correct": agree_correct / n_correct_known if n_correct_known else None,
            "extracted_answer": agree_extracted / n_extracted_known if n_extracted_known else None,
            "n_with_verdicts": n_correct_known,
            "verdicts_from": sorted({r.verdict_from for r in preds.rows if r.verdict_from}),
        },
    }
    if preds.reported_accuracy is not None:
        summary["reported_accuracy"] = preds.reported_accuracy
    if tallies:
        summary["profiles"] = {name: t.summary() for name, t in tallies.items()}
    if comparison is not None:
        summary["compare_profiles"] = comparison.summary()
    if not _write_output(args.output, out_rows):
        return 2
    if args.json:
        print(json.dumps(summary, ensure_ascii=True))
    else:
        _print_table(summary, acc, lenient, fmt, preds)
        for line in profile_lines(summary.get("profiles", {})):
            print(line)
        if comparison is not None:
            print(comparison.text())
    if not n:
        print(
            f"error: no sample of {preds.path} could be scored ({gold_errors} unverifiable gold "
            f"answers, {excluded} data errors in the file)",
            file=sys.stderr,
        )
        return 1
    return 0


def _print_table(summary: dict[str, Any], acc: Any, lenient: Any, fmt: Any, preds: Predictions) -> None:
    from tabulate import tabulate

    from othink_bench.metrics import pct, pct_ci

    table = [["n", summary["n"]], ["accuracy % [95% CI]", pct_ci(acc)],
             ["lenient %", pct(lenient)], ["format %", pct(fmt)],
             ["unverifiable golds", summary["gold_errors"]]]  # fmt: skip
    if summary["excluded"]:
        table.append(["data errors in the file (left out)", summary["excluded"]])
    if summary["duplicates_replaced"]:
        table.append(["repeated samples (last line kept)", summary["duplicates_replaced"]])
    if summary.get("reported_accuracy") is not None:
        table.append(["the file's own accuracy %", f"{summary['reported_accuracy']:.2f}"])
    agreement = summary["agreement"]
    if agreement["correct"] is not None:
        implied = " (implied: extracted == gold)" if "implied" in agreement["verdicts_from"] else ""
        table.append([f"agreement with file's verdicts{implied} %",
                      f"{100 * agreement['correct']:.1f}"])
    if agreement["extracted_answer"] is not None:
        table.append(["agreement with file's extractions %",
                      f"{100 * agreement['extracted_answer']:.1f}"])  # fmt: skip
    print(f"{summary['task']} v{summary['task_version']}: {preds.path}")
    print(tabulate(table, tablefmt="plain", disable_numparse=True))
