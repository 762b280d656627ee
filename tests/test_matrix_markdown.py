"""matrix.md cells: accuracy with its Wilson interval and n, the seeds form kept (pure)."""

from __future__ import annotations

from othink_bench.stats import wilson
from trainers.matrix.cells import MatrixCell, cell_dict
from trainers.matrix.markdown import render_markdown


def _cell(method: str, eval_task: str, k: int, n: int, *, train_task: str | None = "vc",
          step: int = 3, seed: int | None = None, scored: int | None = None) -> MatrixCell:
    p = wilson(k, n if scored is None else scored)
    return MatrixCell(
        method=method, train_task=None if method == "base" else train_task, eval_task=eval_task,
        step=0 if method == "base" else step, final=True, checkpoint="c", run_id="r",
        run_dir="d", status="complete", n=n, accuracy=p.value, accuracy_low=p.low,
        accuracy_high=p.high, format_rate=1.0, errors=0, cell_key=f"{method}{seed}",
        train_seed=seed, scored=n if scored is None else scored)


def test_a_cell_shows_its_interval_and_n() -> None:
    # the example: 32.5 against 45.0 with n = 40 is inside both intervals
    md = render_markdown([_cell("base", "vc", 13, 40), _cell("grpod", "vc", 18, 40)])
    base, grpod = wilson(13, 40), wilson(18, 40)
    assert (f"| base | 32.5 [{100 * base.low:.1f}, {100 * base.high:.1f}] n=40 |") in md
    assert (f"| vc | 45.0 [{100 * grpod.low:.1f}, {100 * grpod.high:.1f}] n=40 |") in md
    assert "[Wilson 95% interval] n=scored samples" in md
    assert "| 32.5 |" not in md


def test_n_is_the_accuracys_denominator_not_the_record_count() -> None:
    # 40 records, 2 of them data errors: the interval and n are over the 38 scored
    md = render_markdown([_cell("sft", "vc", 19, 40, scored=38)])
    p = wilson(19, 38)
    assert f"50.0 [{100 * p.low:.1f}, {100 * p.high:.1f}] n=38" in md


def test_an_old_matrix_file_without_scored_shows_n() -> None:
    raw = cell_dict(_cell("sft", "vc", 10, 20))
    del raw["scored"]
    assert " n=20 |" in render_markdown([MatrixCell(**raw)])


def test_seeds_show_the_mean_then_each_seed_with_its_interval() -> None:
    cells = [_cell("sft", "vc", 10, 40, seed=1), _cell("sft", "vc", 20, 40, seed=0)]
    md = render_markdown(cells)
    a, b = wilson(20, 40), wilson(10, 40)
    want = (f"37.5 (50.0 [{100 * a.low:.1f}, {100 * a.high:.1f}], "
            f"25.0 [{100 * b.low:.1f}, {100 * b.high:.1f}]) n=40")
    assert f"| vc | {want} |" in md
    assert "mean over training seeds 0, 1" in md
    # different n per seed: n after each seed instead of once
    uneven = render_markdown([_cell("sft", "vc", 10, 40, seed=0),
                              _cell("sft", "vc", 10, 20, seed=1)])
    assert "n=40, " in uneven and "n=20)" in uneven


def test_by_step_rows_carry_intervals() -> None:
    early = _cell("grpod", "vc", 4, 40, step=1)
    early.final = False
    md = render_markdown([early, _cell("grpod", "vc", 18, 40, step=2)])
    p = wilson(4, 40)
    assert "### accuracy % by step ([Wilson 95% interval] n=scored samples)" in md
    assert f"| grpod | vc | vc | 1 | 10.0 [{100 * p.low:.1f}, {100 * p.high:.1f}] n=40 |" in md
