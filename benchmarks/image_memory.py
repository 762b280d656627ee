"""Peak memory of ``othink-bench run`` on decompression-bomb images (issue 28, item 1).

A 13000x13000 1-bit PNG compresses to about 20 KB and is under PIL's own bomb limit; decoded
in full it costs about 1.2 GB (a byte a pixel as mode "1", four as RGB). This writes a local
data file with 1 and with 4 such images (plus two ordinary rows) and measures the peak RSS of
``othink-bench run --model tiny --batch-size 1`` on it, in a fresh process each time, for:

* ``before``: the source tree of ``--before-rev`` (default: the commit before the bounded
  decoding; extracted with ``git archive`` into a temporary folder), run with the same venv;
* ``after``: this checkout (the bombs are refused from their headers: per-sample image errors);
* ``after, cap raised``: this checkout with ``--max-image-pixels`` above the bomb, so it is
  decoded - and reduced towards the decode budget at once (default 12845056 pixels), not kept
  at full size; ``and --max-pixels``: the same with the tiny model's own budget (112 x 112).

Each figure is ``ru_maxrss`` of the run's process (``os.wait4``), the median of ``--repeat``.
The ratio after/before for 4 bombs is printed on the last line.

    python benchmarks/image_memory.py [--before-rev REV] [--repeat 1] [--side 13000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = "import sys; from othink_bench.cli import main; sys.exit(main())"


def write_data(folder: Path, bombs: int, side: int) -> Path:
    """A jsonl data file of ``bombs`` bomb rows and two small ordinary ones."""
    from PIL import Image

    bomb = folder / "bomb.png"
    if not bomb.exists():
        Image.new("1", (side, side)).save(bomb, optimize=True)
    Image.new("RGB", (64, 48), (200, 30, 30)).save(folder / "small.png")
    rows = [{"image_path": "small.png", "question": "How many?", "ground_truth": 1}] * 2
    rows += [{"image_path": "bomb.png", "question": f"How many? ({i})", "ground_truth": 1}
             for i in range(bombs)]
    data = folder / f"bombs{bombs}.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data


def peak_rss_mb(src: Path, data: Path, out: Path, extra: list[str]) -> tuple[float, int]:
    """Peak RSS (MB) and exit status of one ``othink-bench run`` from the source tree ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-c", RUN, "run", "--model", "tiny", "--tasks", "vc", "--data",
           str(data), "--batch-size", "1", "--max-new-tokens", "4", "--max-errors", "1",
           "--out", str(out), "--no-progress", *extra]
    proc = subprocess.Popen(cmd, cwd=src, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return usage.ru_maxrss / 1024, proc.returncode


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before-rev", default="efa05f3",
                   help="git revision measured as 'before' (empty: skip)")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--side", type=int, default=13000, help="bomb side in pixels")
    p.add_argument("--bombs", default="1,4")
    args = p.parse_args(argv)
    counts = [int(x) for x in args.bombs.split(",")]
    with tempfile.TemporaryDirectory(prefix="image-memory-") as tmp:
        work = Path(tmp)
        variants: list[tuple[str, Path, list[str]]] = []
        if args.before_rev:
            before = work / "before"
            before.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before_rev],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
            variants.append(("before", before, []))
        variants.append(("after", ROOT, []))
        cap = str(args.side * args.side + 1)
        variants.append(("after, cap raised", ROOT, ["--max-image-pixels", cap]))
        variants.append(("  and --max-pixels", ROOT,
                         ["--max-image-pixels", cap, "--max-pixels", "12544"]))
        datas = {n: write_data(work, n, args.side) for n in counts}
        print(f"bomb: {args.side}x{args.side} 1-bit PNG, "
              f"{(work / 'bomb.png').stat().st_size / 1024:.1f} KB; --model tiny --batch-size 1")
        print(f"{'variant':<20} " + " ".join(f"{f'{n} bomb(s)':>14}" for n in counts))
        table: dict[tuple[str, int], float] = {}
        for name, src, extra in variants:
            cells = []
            for n in counts:
                runs = [peak_rss_mb(src, datas[n], work / f"out-{name}-{n}-{i}", extra)
                        for i in range(args.repeat)]
                table[name, n] = statistics.median(r[0] for r in runs)
                cells.append(f"{table[name, n]:>9.0f} MB rc{runs[-1][1]}")
            print(f"{name:<20} " + " ".join(cells))
        n = max(counts)
        if ("before", n) in table:
            print(f"peak RSS after/before with {n} bombs: "
                  f"{table['after', n] / table['before', n]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
