"""Sweeps on the board: each swept value its own row (grouped, by value), never superseded by
another value, its own training log; the sweep figures (Figure 4: accuracy and format accuracy
vs alpha; Figure 6: accuracy vs a constant beta, GRPO-D over its beta range) from records only.

Fixtures are written here: sample i of a run with k correct is right when i < k; with f
formatted, sample i is formatted when i < f.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leaderboard import build_board, collect, render_markdown
from leaderboard.figures.sweeps import build_sweeps, sweep_plot
from leaderboard.formats import render_json
from othink_bench.records import Manifest, ModelInfo, RunRecord, append_records, write_manifest
from othink_bench.stats import wilson

N = 50
TASK = "gr-synth"


def write_run(root: Path, run_id: str, k: int, *, method: str = "base", step: int = 10,
              sweep: dict[str, Any] | None = None, fmt: int = N,
              beta_log: list[float] | None = None) -> None:
    trained = method != "base"
    run_dir = root / "runs" / run_id
    run_dir.mkdir(parents=True)
    ckpt = root / "train" / run_id / f"checkpoint-{step}"
    if beta_log is not None:  # a trainer log next to the checkpoint, as TRL writes one
        ckpt.mkdir(parents=True)
        history = [{"step": s + 1, "beta": b, "reward": 0.5} for s, b in enumerate(beta_log)]
        (ckpt / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    said = " ".join(f"{k}={v}" for k, v in sorted((sweep or {}).items()))
    write_manifest(run_dir, Manifest(
        run_id=run_id,
        model=ModelInfo(
            name=str(ckpt) if trained else "tiny", path=str(ckpt) if trained else None,
            base_model="tiny" if trained else None, method=method,
            train_task=TASK if trained else None, step=step if trained else 0,
            label=f"{method}:{TASK}@{step} {said}".strip() if trained else "base", sweep=sweep,
        ),
        task=TASK, task_version="1.0", source="synthetic", split="test",
        started="2025-01-01T00:00:00+00:00", finished="2025-01-01T00:00:00+00:00",
        status="complete", packages={"othink-bench": "0.1.0"},
    ))  # fmt: skip
    append_records(run_dir / "records.jsonl", [
        RunRecord(sample_id=f"s{i:04d}", index=i, task=TASK, task_version="1.0", gold="3",
                  correct=i < k, format_ok=i < fmt)
        for i in range(N)
    ])  # fmt: skip


BETAS = {0.1: 10, 0: 30, 0.05: 20, 0.01: 25}  # beta -> correct samples (given out of order)
ALPHAS = {0: (30, 5), 0.5: (30, 40), 1: (28, 50)}  # alpha -> (correct, formatted)


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweeps")
    write_run(root, "base", 15)
    for beta, k in BETAS.items():
        write_run(root, f"grpo-beta{beta}", k, method="grpo", sweep={"beta": beta},
                  beta_log=[beta] * 10)
        # an earlier checkpoint of the same value: a value's cell is its last one
        write_run(root, f"grpo-beta{beta}-step5", 0, method="grpo", step=5, sweep={"beta": beta})
    for alpha, (k, f) in ALPHAS.items():
        write_run(root, f"grpod-alpha{alpha}", k, method="grpod", sweep={"alpha": alpha}, fmt=f)
    # GRPO-D swept in alpha only: on the beta figure, over the beta range its log shows
    write_run(root, "grpod", 35, method="grpod", beta_log=[0.01, 0.004, 0.0, 0.02, 0.04])
    return root


def test_each_value_is_its_own_row_grouped_by_value(swept: Path) -> None:
    coll = collect([swept / "runs"])
    assert [m.display for m in coll.models] == [
        "tiny", "+ GRPO (beta=0)", "+ GRPO (beta=0.01)", "+ GRPO (beta=0.05)",
        "+ GRPO (beta=0.1)", "+ GRPO-D", "+ GRPO-D (alpha=0)", "+ GRPO-D (alpha=0.5)",
        "+ GRPO-D (alpha=1)"]
    assert coll.superseded == []  # values never supersede one another
    assert all(not m.variant for m in coll.models)  # labels that differ by value: no variant
    for model in coll.models:
        if model.sweep:
            run = coll.final(model, TASK, coll.columns[0])
            assert run is not None and run.manifest.model.sweep == dict(model.sweep)
    # each training log belongs to its own value's row
    by_row = {log.model.display: set(log.series("beta")[1]) for log in coll.logs}
    assert by_row["+ GRPO (beta=0.05)"] == {0.05} and by_row["+ GRPO (beta=0)"] == {0.0}


def test_board_rows_json_and_sweep_section(swept: Path) -> None:
    board = build_board([swept / "runs"])
    text = render_markdown(board)
    assert "## Sweeps" in text and "superseded" not in text.lower()
    data = json.loads(render_json(board))
    rows = {r["model"]: r for r in data["table1"]["rows"]}
    assert rows["+ GRPO (beta=0.05)"]["sweep"] == {"beta": 0.05}
    assert "sweep" not in rows["+ GRPO-D"]
    names = sorted(p.name for p in board.plots if p.name.startswith("sweep-"))
    assert names == ["sweep-alpha-tiny.png", "sweep-beta-tiny.png"]
    # GRPO-D's range is said in words too, from its log: min 0, max 0.04
    assert "+ GRPO-D trained on gr-synth, on gr-synth v1.0: 70.00" in text
    assert "beta 0 to 0.04" in text


def test_figures_from_records(swept: Path) -> None:
    coll = collect([swept / "runs"])
    figures = {f.setting: f for f in build_sweeps(coll)}
    beta = figures["beta"]
    (line,) = beta.lines
    assert [v for v, _ in line.points] == [0, 0.01, 0.05, 0.1]  # numeric order
    assert [r.accuracy.value for _, r in line.points] == [k / N for k in (30, 25, 20, 10)]
    (mark,) = beta.ranges
    assert mark.model.display == "+ GRPO-D" and mark.beta_range == (0.0, 0.04)
    assert mark.run.accuracy == wilson(35, N)
    alpha = figures["alpha"]
    assert [v for v, _ in alpha.lines[0].points] == [0, 0.5, 1]
    assert [r.format_rate.value for _, r in alpha.lines[0].points] == [0.1, 0.8, 1.0]
    assert alpha.ranges == ()  # GRPO-D's range belongs to the beta figure only
    assert beta.title == "tiny: accuracy vs constant KL weight beta (GRPO-D over the beta range it used)"
    assert alpha.title == "tiny: accuracy vs format-reward weight alpha (format accuracy dashed)"
    png = sweep_plot(beta).png
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == sweep_plot(beta).png  # byte-stable


def test_no_sweep_no_section(tmp_path: Path) -> None:
    write_run(tmp_path, "base", 15)
    write_run(tmp_path, "grpo", 20, method="grpo")
    board = build_board([tmp_path / "runs"])
    assert "Sweeps" not in render_markdown(board)
    assert not [p for p in board.plots if p.name.startswith("sweep-")]
    assert build_sweeps(collect([tmp_path / "runs"])) == []
    write_run(tmp_path, "grpo-b", 25, method="grpo", sweep={"beta": 0.05})
    write_run(tmp_path, "grpo-a", 25, method="grpo", sweep={"beta": 0})
    (fig,) = build_sweeps(collect([tmp_path / "runs"]))  # no GRPO-D: no range, none promised
    assert fig.ranges == () and fig.title == "tiny: accuracy vs constant KL weight beta"


def test_a_run_in_two_out_folders_names_the_fix(tmp_path: Path) -> None:
    """Two --out folders of one sweep that both evaluated the base model hold one run twice."""
    import shutil

    write_run(tmp_path / "a", "base", 15)
    write_run(tmp_path / "a", "grpo", 20, method="grpo", sweep={"beta": 0})
    write_run(tmp_path / "b", "grpo-b", 22, method="grpo", sweep={"beta": 0.05})
    shutil.copytree(tmp_path / "a" / "runs" / "base", tmp_path / "b" / "runs" / "base")
    with pytest.raises(ValueError, match=r"appears twice.*without it, e\.g\. --methods grpo"):
        collect([tmp_path / "a" / "runs", tmp_path / "b" / "runs"])
    shutil.rmtree(tmp_path / "b" / "runs" / "base")
    coll = collect([tmp_path / "a" / "runs", tmp_path / "b" / "runs"])
    assert [m.display for m in coll.models] == ["tiny", "+ GRPO (beta=0)", "+ GRPO (beta=0.05)"]
