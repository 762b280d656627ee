"""Page size, side files, time and peak memory of ``othink-bench view`` on huge outputs
(issue 28, item 4).

A server that ignores ``max_tokens`` can answer megabytes per sample; the viewer used to put
every output inline (eight 50 MB answers made a 419 MB page). This writes one run of
``vc-synth-tiny`` whose scripted model answers ``--mb`` MB of text (full of characters HTML
escapes) on each of ``--samples`` samples, then runs ``othink-bench view RUN --out DIR
--no-images`` in a fresh process for:

* ``before``: the source tree of ``--before-rev`` (extracted with ``git archive``; default: the
  commit before bounded pages), run with the same venv through ``PYTHONPATH``;
* ``after``: this checkout, with the default bounds (``--max-output-chars 4000``,
  ``--max-page-mb 20``).

Each line gives the run page's size, the ``texts/`` folder's size, the wall time and the peak
RSS of the view process (``ru_maxrss`` via ``os.wait4``). Nothing here runs in CI: it writes
about ``samples * mb`` MB of records (and as much again per variant).

    python benchmarks/viewer_page_size.py [--before-rev REV] [--samples 8] [--mb 50]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIEW = "import sys; from othink_bench.cli import main; sys.exit(main())"


def write_run(out: Path, samples: int, mb: float) -> Path:
    from othink_bench.backends.scripted import ScriptedBackend
    from othink_bench.harness import evaluate

    unit = "<b>&amp;'\"x "  # 12 characters, 10 of which HTML escapes
    body = unit * int(mb * 10**6 / len(unit))

    def answer(request: object) -> str:
        return f"<think>{request.sample_id}{body}</think><answer>1</answer>"  # type: ignore[attr-defined]

    (summary,) = evaluate("huge-server", "vc-synth-tiny", backend=ScriptedBackend(answer),
                          limit=samples, out=str(out), progress=False)
    return Path(summary.run_dir)


def measure(src: Path, run: Path, out: Path) -> tuple[int, int, float, float, int]:
    """``(page bytes, texts bytes, seconds, peak RSS MB, exit code)`` of one view process."""
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    cmd = [sys.executable, "-c", VIEW, "view", str(run), "--out", str(out), "--no-images"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=src, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    pages = [p for p in out.glob("*.html") if p.name != "index.html"]
    page = max((p.stat().st_size for p in pages), default=0)
    texts = sum(p.stat().st_size for p in (out / "texts").glob("*")) if (out / "texts").is_dir() else 0
    return page, texts, seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before-rev", default="b834337",
                        help="the version to compare with ('' to measure this checkout only)")
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--mb", type=float, default=50.0, help="MB of text per answer")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="viewer-size-") as tmp:
        root = Path(tmp)
        run = write_run(root / "runs", args.samples, args.mb)
        records = (run / "records.jsonl").stat().st_size
        print(f"{args.samples} samples x {args.mb:g} MB: records.jsonl {records / 2**20:.1f} MiB")
        variants = [("after", ROOT)]
        if args.before_rev:
            before = root / "before"
            before.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before_rev],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
            variants.insert(0, ("before", before))
        print(f"{'variant':8} {'page':>12} {'texts/':>12} {'time':>8} {'peak RSS':>10}  rc")
        for name, src in variants:
            page, texts, seconds, rss, rc = measure(src, run, root / f"view-{name}")
            print(f"{name:8} {page / 2**20:9.2f} MiB {texts / 2**20:9.1f} MiB {seconds:7.1f}s "
                  f"{rss:7.0f} MB  {rc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
