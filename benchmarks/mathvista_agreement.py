"""Agreement of the free-form profile with MathVista's published official verdicts.

The MathVista repository publishes models' raw testmini outputs with the official scorer's
verdicts (``results/<model>/output_<model>.json``: ``{pid: {..., "response", "extraction",
"prediction", "true_false"}}``). This script rescores each ``response`` with this project's
free-form profile (ANSWERS.md policy 1.2) against the annotation file and reports, per file: n,
the official accuracy, ours, the agreement, and the disagreements grouped by class, with
examples. It runs offline on a local copy; it is a measurement, not a test.

    python benchmarks/mathvista_agreement.py --annotations MathVista/data/testmini.json \
        MathVista/results/*/output_*.json [--examples 2] [--details out.jsonl]

Classes (automatic, from the official record and ours):
    official_credits_non_answer   the official verdict is true on an output we class as a
                                  non-answer (empty, refusal, undetermined, echo)
    official_truncates            free-form number: the official prediction is int() of a
                                  decimal, or our reading rounds differently from its truncation
    official_nearest_choice       multiple choice: the official extraction is not an option
                                  or a letter, yet was mapped to an option
    official_misread              the official extraction differs from ours and ours is right
    ours_misread                  the official extraction is right and ours is wrong
    other                         anything else
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
    official = bool(row.get("true_false"))
    kind = sample.meta["answer_type"]
    extraction = str(row.get("extraction") or "").strip()
    response = str(row.get("response") or "")
    if "print(" in response or "import " in response:
        return "official_runs_code (the response is a program; we never execute model output)"
    if official and ours.non_answer:
        return f"official_credits_non_answer ({ours.non_answer})"
    if kind == "choice" and official and not ours.correct:
        from othink_bench.answers.choices import match_choice

        if match_choice(extraction, sample.meta["options"]) is None:
            return "official_nearest_choice"
        if ours.extracted is None and re.search(r"\([A-Z]\)\s*\S", response[-300:]):
            return "letter_text_conflict (official takes the letter)"
    if kind in ("integer", "float") and official != ours.correct:
        try:
            as_float = float(extraction)
        except ValueError:
            as_float = None
        if as_float is not None and not as_float.is_integer() and kind == "integer":
            return "official_truncates"
    return "official_misread" if ours.correct else "ours_misread"


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
