"""``matrix.md``: a train-and-eval matrix's cells as markdown tables, for people."""

from __future__ import annotations

from collections.abc import Sequence

from othink_bench.sweeps import sweep_sort_key, sweep_text
from trainers.matrix.cells import MatrixCell
from trainers.matrix.spec import ALL_METHODS

#: how every cell reads, said once in each table's heading
_CI = "[Wilson 95% interval] n=scored samples"


def _n(cell: MatrixCell) -> int:
    """The accuracy's denominator (``n`` in a matrix.json written before ``scored`` was kept)."""
    return cell.n if cell.scored is None else cell.scored


def _value(cell: MatrixCell | None) -> str:
    """``32.5 [19.6, 48.5]``: the accuracy with its Wilson 95% interval, ``-`` when undefined."""
    if cell is None or cell.accuracy is None:
        return "-"
    if cell.accuracy_low is None or cell.accuracy_high is None:
        return f"{100 * cell.accuracy:.1f}"
    return (f"{100 * cell.accuracy:.1f} [{100 * cell.accuracy_low:.1f}, "
            f"{100 * cell.accuracy_high:.1f}]")


def _fmt(cell: MatrixCell | None) -> str:
    """``32.5 [19.6, 48.5] n=40``: so that 32.5 against 45.0 with n = 40 reads as the overlap
    of two wide intervals, not as a gain."""
    if cell is None or cell.accuracy is None:
        return "-"
    return f"{_value(cell)} n={_n(cell)}"


def _fmt_seeds(cells: Sequence[MatrixCell]) -> str:
    """One matrix cell over training seeds: the mean, then each seed's value with its interval
    (by seed), then n (once when every seed has the same, else after each seed)."""
    if not cells:
        return "-"
    if len(cells) == 1 and cells[0].train_seed is None:
        return _fmt(cells[0])
    ordered = sorted(cells, key=lambda c: -1 if c.train_seed is None else c.train_seed)
    values = [c.accuracy for c in ordered if c.accuracy is not None]
    mean = f"{100 * sum(values) / len(values):.1f}" if values else "-"
    ns = {_n(c) for c in ordered if c.accuracy is not None}
    if len(ns) == 1:
        return f"{mean} ({', '.join(_value(c) for c in ordered)}) n={ns.pop()}"
    return f"{mean} ({', '.join(_fmt(c) for c in ordered)})"


def card_lines(cells: Sequence[MatrixCell]) -> list[str]:
    """One checkpoint's cells for its model card: eval task, accuracy as matrix.md shows it,
    format rate, the run folder."""
    lines = [f"Greedy evaluation by `othink-bench train-and-eval`, accuracy % {_CI}:", "",
             "| eval task | same-task | accuracy | format % | run |", "|---|---|---|---|---|"]
    for c in cells:
        fmt = "-" if c.format_rate is None else f"{100 * c.format_rate:.1f}"
        lines.append(f"| {c.eval_task} | {'yes' if c.same_task else 'no'} | {_fmt(c)} | {fmt} | "
                     f"`{c.run_id}` |")
    return lines


def render_markdown(cells: Sequence[MatrixCell]) -> str:
    """Per method: train task x eval task accuracy (final checkpoints), the base model row, and
    accuracy by step where several checkpoints were evaluated. With training seeds a cell is
    the mean over seeds followed by every seed's value; with a sweep, each swept value is its
    own row (``gr-synth-tiny beta=0.05``), grouped under its train task in value order."""
    if not cells:
        return "(no cells yet)"
    eval_tasks = sorted({c.eval_task for c in cells})
    seeds = sorted({c.train_seed for c in cells if c.train_seed is not None})
    lines: list[str] = []
    base = {c.eval_task: c for c in cells if c.method == "base"}
    header = "| train \\ eval | " + " | ".join(eval_tasks) + " |"
    sep = "|---|" + "---|" * len(eval_tasks)
    what = f"accuracy % {_CI}, final checkpoints; same-task on the diagonal"
    if seeds:
        what += (f"; mean over training seeds {', '.join(map(str, seeds))}, "
                 "then each seed's value in seed order")
    for method in ALL_METHODS:
        if method == "base":
            continue
        finals = [c for c in cells if c.method == method and c.final]
        if not finals:
            continue
        lines += [f"### {method} ({what})", "", header, sep]
        if base:
            lines.append("| base | " + " | ".join(_fmt(base.get(t)) for t in eval_tasks) + " |")
        rows = {(c.train_task or "", sweep_text(c.sweep)): c.sweep for c in finals}
        for train_task, swept in sorted(rows, key=lambda r: (r[0], sweep_sort_key(rows[r]))):
            row = [c for c in finals
                   if (c.train_task or "") == train_task and sweep_text(c.sweep) == swept]
            lines.append(
                f"| {train_task}{' ' + swept if swept else ''} | "
                + " | ".join(_fmt_seeds([c for c in row if c.eval_task == t]) for t in eval_tasks)
                + " |"
            )
        lines.append("")
    if not lines and base:
        lines += [f"### base (accuracy % {_CI})", "", "| " + " | ".join(eval_tasks) + " |",
                  "|" + "---|" * len(eval_tasks),
                  "| " + " | ".join(_fmt(base.get(t)) for t in eval_tasks) + " |", ""]
    curves = [c for c in cells if c.method != "base"]
    def training(c: MatrixCell) -> tuple[object, ...]:
        return (c.method, c.train_task, c.eval_task, c.train_seed, sweep_text(c.sweep))

    steps = {training(c) for c in curves}
    swept = any(c.sweep for c in curves)
    if any(sum(1 for c in curves if training(c) == k) > 1 for k in steps):
        seed_col = ("seed | ", "---|") if seeds else ("", "")
        sweep_col = ("sweep | ", "---|") if swept else ("", "")
        lines += [f"### accuracy % by step ({_CI})", "",
                  f"| method | train | {sweep_col[0]}eval | {seed_col[0]}step | accuracy |",
                  f"|---|---|{sweep_col[1]}---|{seed_col[1]}---|---|"]
        for c in sorted(curves, key=lambda c: (c.method, c.train_task or "",
                                               sweep_sort_key(c.sweep), c.eval_task,
                                               -1 if c.train_seed is None else c.train_seed,
                                               c.step)):
            seed = (f"{'-' if c.train_seed is None else c.train_seed} | " if seeds else "")
            sweep = (f"{sweep_text(c.sweep) or '-'} | " if swept else "")
            lines.append(f"| {c.method} | {c.train_task} | {sweep}{c.eval_task} | {seed}"
                         f"{c.step} | {_fmt(c)} |")
    return "\n".join(lines).rstrip()
