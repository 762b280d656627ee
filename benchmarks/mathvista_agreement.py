"""Agreement of the free-form profile with MathVista's published official verdicts.

The MathVista repository publishes models' raw testmini outputs with the official scorer's
verdicts (``results/<model>/output_<model>.json``: ``{pid: {..., "response", "extraction",
"prediction", "true_false"}}``). This script rescores each ``response`` with this project's
free-form profile (ANSWERS.md policy 1.2) against the annotation file and reports, per file: n,
the official accuracy, ours, the agreement, and the disagreements grouped by class, with
examples. It runs offline on a local copy; it is a measurement, not a test.

    python benchmarks/mathvista_agreement.py --annotations MathVista/data/testmini.json \
        MathVista/results/*/output_*.json [--examples 2] [--details out.jsonl]

Classes (automatic, by mechanism; whether the official verdict or ours is right is judged by
reading the examples):
    official_runs_code            the response is a program the official pipeline executed
    official_credits_non_answer   official true on an output we class as a non-answer
    official_nearest_choice       official true, its extraction names no option (N/A, a
                                  sentence) yet was mapped to the nearest one
    letter_text_conflict          a letter and an option text that name different options
    official_contradicts_stated_answer  official true, the response states (phrase, box, tag)
                                  an answer that is not the gold
    ours_no_rule_answer           official true, no rule of ours finds an answer (paraphrase,
                                  table, restated claim: the official LLM extractor guessed)
    different_reading             official true, our concluding-sentence reading differs
    official_truncates            official int() of a decimal
    official_missed_stated_answer official false, the response states the gold explicitly
    ours_reads_concluding_sentence official false, ours credits the concluding sentence
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any


def _classify(row: dict[str, Any], sample: Any, ours: Any) -> str:
    """The mechanism behind one disagreement (see the module doc)."""
    from othink_bench.answers.choices import match_choice
    from othink_bench.answers.freeform import answer_span

    official = bool(row.get("true_false"))
    kind = sample.meta["answer_type"]
    extraction = str(row.get("extraction") or "").strip()
    response = str(row.get("response") or "")
    if "print(" in response or "import " in response:
        return "official_runs_code"
    if official and ours.non_answer:
        return f"official_credits_non_answer ({ours.non_answer})"
    _, how = answer_span(response)
    explicit = how in ("tag", "boxed", "phrase")
    if official:
        if kind == "choice" and match_choice(extraction, sample.meta["options"]) is None:
            return "official_nearest_choice"
        if ours.extracted is None and kind == "choice" and re.search(r"\([A-Z]\)\s*\S", response[-300:]):
            return "letter_text_conflict"
        if ours.extracted is not None and explicit:
            return "official_contradicts_stated_answer"
        if ours.extracted is None:
            return "ours_no_rule_answer (paraphrase, table or restated claim; a judge guessed)"
        return "different_reading (concluding sentence)"
    if kind in ("integer", "float") and ours.extracted is not None:
        try:
            as_float = float(extraction)
        except ValueError:
            as_float = None
        if as_float is not None and kind == "integer" and not as_float.is_integer():
            return "official_truncates"
    return "official_missed_stated_answer" if explicit else "ours_reads_concluding_sentence"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outputs", nargs="+", type=Path, help="output_*.json files of the repository")
    ap.add_argument("--annotations", type=Path, required=True, help="data/testmini.json")
    ap.add_argument("--examples", type=int, default=2, help="examples printed per class")
    ap.add_argument("--details", type=Path, help="write every disagreement here (JSON lines)")
    args = ap.parse_args(argv)

    from othink_bench.answers.profiles import get_profile
    from tasks.battery.mathvista import MathVista

    task = MathVista()
    samples = {s.meta["benchmark_id"]: s for s in task.load(source="local", data=args.annotations)}
    profile = get_profile("free-form")
    details = []
    print(f"{'file':48} {'n':>5} {'official %':>10} {'ours %':>7} {'agree %':>8}")
    per_file: dict[str, dict[str, list[str]]] = {}
    totals: Counter[str] = Counter()
    for path in args.outputs:
        doc = json.loads(path.read_text(encoding="utf-8"))
        n = off = ours_n = agree = 0
        classes: dict[str, list[str]] = defaultdict(list)
        for pid, row in doc.items():
            sample = samples.get(str(pid))
            if sample is None or "true_false" not in row:
                continue
            response = row.get("response")
            verdict = profile.score(task, sample, response if isinstance(response, str) else "")
            official = bool(row["true_false"])
            n += 1
            off += official
            ours_n += verdict.correct
            if official == verdict.correct:
                agree += 1
                continue
            cls = _classify(row, sample, verdict)
            totals[cls] += 1
            classes[cls].append(
                f"pid {pid} ({sample.meta['answer_type']}, gold {sample.gold!r}): official "
                f"{official} (extraction {str(row.get('extraction'))[:40]!r}), ours "
                f"{verdict.correct} ({verdict.extracted!r}{', ' + verdict.non_answer if verdict.non_answer else ''}); "
                f"response {str(response)[-160:]!r}"
            )
            details.append({"file": path.name, "pid": pid, "class": cls, "gold": sample.gold,
                            "official": official, "ours": verdict.correct,
                            "extraction": row.get("extraction"), "ours_extracted": verdict.extracted,
                            "non_answer": verdict.non_answer, "response": response})
        per_file[path.name] = classes
        if n:
            print(f"{path.name:48} {n:5d} {100 * off / n:10.1f} {100 * ours_n / n:7.1f} {100 * agree / n:8.1f}")
    print("\ndisagreement classes (all files):")
    for cls, k in totals.most_common():
        print(f"  {k:5d}  {cls}")
    if args.examples:
        for name, classes in per_file.items():
            for cls, rows in sorted(classes.items()):
                for ex in rows[: args.examples]:
                    print(f"[{name}] {cls}: {ex}")
    if args.details:
        with args.details.open("w", encoding="utf-8") as fh:
            for d in details:
                fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
