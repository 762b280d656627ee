"""Samples per second per core of the procedural generators (targets: counting >= 200 scenes/s
at 320x240, geometry >= 100 problems/s, on one core).

Run: python benchmarks/generate_speed.py [--n 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tabulate import tabulate

from tasks.geo import GeoConfig, make_problem
from tasks.scenes import SceneConfig, make_scene


def rate(make: Callable[[int], object], n: int) -> float:
    make(0)  # warm caches (fonts, palettes)
    start = time.perf_counter()
    for i in range(1, n + 1):
        make(i)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    cases: list[tuple[str, Callable[[int], object], float]] = [
        ("counting 320x240 free", lambda i: make_scene(SceneConfig(), 0, i), 200),
        ("counting 320x240 occlusion+filtered",
         lambda i: make_scene(SceneConfig(occlusion=True, filtered_share=0.4), 0, i), 200),
        ("counting 112x112 grid",
         lambda i: make_scene(SceneConfig(width=112, height=112, layout="grid"), 0, i), 200),
        ("geometry 320x240 all families", lambda i: make_problem(GeoConfig(), 0, i), 100),
    ]
    rows = []
    for name, make, target in cases:
        r = rate(make, args.n)
        rows.append([name, f"{r:.0f}", f">= {target:.0f}", "ok" if r >= target else "BELOW"])
    print(tabulate(rows, headers=["generator", "samples/s (1 core)", "target", ""]))


if __name__ == "__main__":
    main()
