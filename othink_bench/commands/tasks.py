"""`othink-bench tasks`: what can be evaluated, under which names, versions and sources."""

from __future__ import annotations

import argparse
import json
import sys


def configure_tasks(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--knobs", action="store_true", help="also list each task's knobs")
    parser.add_argument(
        "--prompts",
        action="store_true",
        help="also list each task's prompt variants (run --prompt NAME): version, scoring "
        "profile, where the string comes from, and the text",
    )


def execute_tasks(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from othink_bench.registry import NoTasksRegisteredError, all_tasks, suites

    try:
        tasks = all_tasks()
    except NoTasksRegisteredError as exc:
        print(f"othink-bench tasks: {exc}", file=sys.stderr)
        return 2
    infos = [t.info() for t in tasks]
    if args.prompts:
        for t, i in zip(tasks, infos, strict=True):
            i["prompts"] = [v.info() for v in t.prompt_variants().values()]
    if args.json:
        print(json.dumps(infos, indent=2, ensure_ascii=False, default=str))
        return 0
    named = suites()
    rows = [
        [i["id"], i["version"], ", ".join(i["aliases"]), ", ".join(i["sources"]),
         i["max_new_tokens"], i["description"]]
        for i in infos
    ]
    headers = ["task", "version", "aliases", "sources", "max tokens", "description"]
    print(tabulate(rows, headers=headers, disable_numparse=True))
    if named:
        print("\nsuites (--tasks @NAME): " + "; ".join(
            f"@{name} = {','.join(members)}" for name, members in named.items()))
    if args.knobs:
        for i in infos:
            if i["knobs"]:
                knobs = ", ".join(f"{k}={v}" for k, v in i["knobs"].items())
                print(f"\n{i['id']}: {knobs}")
    if args.prompts:
        for i in infos:
            print(f"\n{i['id']} prompts:")
            for v in i["prompts"]:
                print(f"  {v['name']} v{v['version']} (scored by {v['scored_by']}; "
                      f"{v['origin']}): {v['template']!r}")
    return 0
