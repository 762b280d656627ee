"""Does ``rescore --profile r1v-legacy`` reproduce R1-V's own verdicts, sample by sample?

R1-V publishes four evaluation logs (github.com/Deep-Agent/R1-V, ``src/eval/logs/``): two
counting logs (SuperCLEVR-200, Qwen2-VL-2B before and after GRPO) and two GeoQA logs (Qwen2-VL-7B
before and after GRPO). The GeoQA logs record ``is_correct`` per sample; the counting logs record
``extracted_answer`` only, and their script's verdict is ``extracted_answer == ground_truth``
(the "implied" verdict). For each log this runs ``othink-bench rescore LOG --task TASK --profile
r1v-legacy --json`` and prints n, how many verdicts and extractions agree, the log's own
accuracy against ours, and the first disagreements. Nothing here runs in CI: the logs are not
part of this repository (get them with ``git clone https://github.com/Deep-Agent/R1-V``).

    python benchmarks/r1v_agreement.py vc=PATH/counting_results_..._legacy.json \\
        gr=PATH/geoqa_test_..._legacy.json [...] [--profile r1v-legacy] [--json]

Exit status 0 when every log agrees on every sample, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def rescore(task: str, path: Path, profile: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "othink_bench.cli", "rescore", str(path), "--task", task,
           "--profile", profile, "--json"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1) or not done.stdout.strip():
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("logs", nargs="+", metavar="TASK=PATH", help="e.g. vc=counting_....json")
    ap.add_argument("--profile", default="r1v-legacy")
    ap.add_argument("--json", action="store_true", help="print one JSON object per log")
    args = ap.parse_args(argv)
    all_agree = True
    for item in args.logs:
        task, sep, path = item.partition("=")
        if not sep or not path:
            ap.error(f"{item!r}: give TASK=PATH, e.g. vc=counting_results.json")
        s = rescore(task, Path(path), args.profile)
        p = s["profiles"][args.profile]
        ag = p["agreement"]
        row = {
            "log": Path(path).name,
            "task": task,
            "rows": s["rows"],
            "n": p["n"],
            "profile_errors": p["errors"],
            "verdicts_from": s["agreement"]["verdicts_from"],
            "verdicts_agree": ag["agree"],
            "verdicts_known": ag["n_with_verdicts"],
            "extractions_agree": ag["agree_extracted"],
            "extractions_known": ag["n_with_extracted"],
            "none_agree": ag["agree_none"],
            "none_known": ag["n_none_extracted"],
            "log_accuracy": s.get("reported_accuracy"),
            "profile_accuracy": None if p["accuracy"] is None else 100 * p["accuracy"],
            "strict_accuracy": None if s["accuracy"] is None else 100 * s["accuracy"],
            "first_disagreements": ag["first_disagreements"],
        }
        all_agree &= (row["verdicts_agree"] == row["verdicts_known"] == row["rows"]
                      and not row["profile_errors"])
        if args.json:
            print(json.dumps(row, ensure_ascii=False))
            continue
        print(f"{row['log']} ({task}): n {row['n']} of {row['rows']} rows; verdicts "
              f"({', '.join(row['verdicts_from'])}) agree on {row['verdicts_agree']} of "
              f"{row['verdicts_known']}; extractions agree on {row['extractions_agree']} of "
              f"{row['extractions_known']} (and read none where the log read none on "
              f"{row['none_agree']} of {row['none_known']}); accuracy: log {row['log_accuracy']}, "
              f"{args.profile} {row['profile_accuracy']}, strict {row['strict_accuracy']}")
        for d in row["first_disagreements"]:
            print(f"  differs at {d['where']}: log {d['theirs']}, ours {d['ours']}, gold "
                  f"{d['gold']!r}, log read {d['their_extracted']!r}, we read {d['extracted']!r}")
    return 0 if all_agree else 1


if __name__ == "__main__":
    sys.exit(main())
