"""Paired comparison of two runs of one task version, as ``othink-bench compare`` reports it.

The runs are paired on the samples both scored; each accuracy (strict and lenient) gets an
exact McNemar test and a paired bootstrap interval of the difference
(:func:`othink_bench.stats.paired_compare`). The difference is shown in points and, labelled
beside it, as B's relative change over A - the leaderboard's vs columns show the same pair. Runs of different tasks, task versions or test
sets are refused with a :class:`CompareError` that says why: their sample ids do not name the
same samples. So is a run whose records do not verify against its manifest and its task's
verifier (:mod:`othink_bench.verify_records`).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from othink_bench.stats import PairedComparison, relative_change


class CompareError(ValueError):
    """Two runs cannot be compared; the message says why."""


def find_run_dir(spec: str, root: str) -> Path:
    """``spec`` as a run directory, else as a run id under the runs root ``root``."""
    p = Path(spec)
    if p.is_dir():
        return p
    if (Path(root) / spec).is_dir():
        return Path(root) / spec
    raise CompareError(f"no run directory {spec!r} (nor {Path(root) / spec})")


def compare_runs(dir_a: Path, dir_b: Path, *, n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Paired comparison of two run directories (strict and lenient accuracy)."""
    from othink_bench.metrics import pair_records
    from othink_bench.records import read_manifest
    from othink_bench.stats import paired_compare
    from othink_bench.verify_records import check_run

    ma, mb = read_manifest(dir_a), read_manifest(dir_b)
    if ma.task != mb.task:
        raise CompareError(f"the runs are of different tasks ({ma.task} vs {mb.task})")
    if ma.task_version != mb.task_version:
        raise CompareError(
            f"the runs are of different versions of task {ma.task} ({ma.task_version} vs "
            f"{mb.task_version}); scores of different versions are not comparable - rerun the "
            "older one"
        )
    for field in ("source", "split", "data"):  # one test set, or the ids may pair wrong rows
        va, vb = getattr(ma, field), getattr(mb, field)
        if va != vb:
            raise CompareError(
                f"the runs are of different test sets ({field}: {va} vs {vb}); sample ids of "
                "different test sets are not the same samples - rerun one on the other's data"
            )
    checks = [check_run(dir_a, ma), check_run(dir_b, mb)]
    for name, check in zip("AB", checks, strict=True):
        if not check.ok:
            raise CompareError(f"run {name} is refused, its records do not verify: {check.reason()}")
    pairing = pair_records(checks[0].records, checks[1].records)
    if not pairing.keys:
        raise CompareError(
            f"the runs share no scored samples ({ma.task}: {ma.source}/{ma.split} "
            f"data={ma.data} vs {mb.source}/{mb.split} data={mb.data})"
        )
    rows = {}
    for metric in ("correct", "lenient_correct"):
        c = paired_compare(
            [getattr(r, metric) for r in pairing.a],
            [getattr(r, metric) for r in pairing.b],
            n_boot=n_boot,
            seed=seed,
        )
        rows["strict" if metric == "correct" else "lenient"] = c
    return {
        "task": ma.task,
        "task_version": ma.task_version,
        "a": {"dir": str(dir_a), "model": ma.model.label or ma.model.name},
        "b": {"dir": str(dir_b), "model": mb.model.label or mb.model.name},
        "shared": len(pairing.keys),
        "only_in_a": pairing.only_in_a,
        "only_in_b": pairing.only_in_b,
        "comparisons": rows,
        "notes": [f"{name}: {n}" for name, c in zip("AB", checks, strict=True) for n in c.notes],
    }


def compare_json(report: dict[str, Any]) -> dict[str, Any]:
    """A :func:`compare_runs` report as plain JSON data (each comparison with ``significant``)."""
    out = dict(report)
    out["comparisons"] = {
        k: {**asdict(v), "significant": v.significant, "diff_points": 100 * v.diff,
            "relative_percent": _finite(relative_change(100 * v.acc_b, 100 * v.acc_a))}
        for k, v in report["comparisons"].items()
    }
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _relative(c: PairedComparison) -> str:
    """B's relative change over A, as the leaderboard's vs columns give it: ``+12.50%``."""
    rel = relative_change(c.acc_b, c.acc_a)
    return f"{rel:+.2f}%" if math.isfinite(rel) else "n/a (A is 0)"


def format_compare(report: dict[str, Any]) -> str:
    """A :func:`compare_runs` report for people: the two runs, a table, what was not paired."""
    from tabulate import tabulate

    lines = [
        f"task {report['task']} v{report['task_version']}: paired on the {report['shared']} "
        "samples both runs scored (n)",
        f"  A: {report['a']['model']}  ({report['a']['dir']})",
        f"  B: {report['b']['model']}  ({report['b']['dir']})",
    ]
    rows = []
    for name, c in report["comparisons"].items():
        rows.append(
            [
                name,
                c.n,
                f"{100 * c.acc_a:.1f}",
                f"{100 * c.acc_b:.1f}",
                f"{100 * c.diff:+.1f} [{100 * c.diff_low:+.1f}, {100 * c.diff_high:+.1f}]",
                _relative(c),
                c.only_a,
                c.only_b,
                f"{c.p_value:.3g}",
                "yes" if c.significant else "no",
            ]
        )
    lines.append(
        tabulate(
            rows,
            headers=[
                "accuracy",
                "n",
                "A %",
                "B %",
                "B-A pts [95% CI]",
                "B vs A relative",
                "only A",
                "only B",
                "McNemar p",
                "p<0.05",
            ],
            disable_numparse=True,
        )
    )
    if report["only_in_a"] or report["only_in_b"]:
        lines.append(
            f"not paired: {report['only_in_a']} scored only in A, "
            f"{report['only_in_b']} only in B (missing or errored in the other)"
        )
    return "\n".join(lines)
