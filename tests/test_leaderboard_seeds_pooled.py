"""The board's across-seed tests: CMH stratified by seed and the two-level (seeds x questions)
interval decide "supported", the per-seed McNemar tests are shown beside them.

Three constructed boards, each one base run and five seeds of GRPO-D on 200 questions (the
base model right on questions 0-79):
- ``small``: every seed wins 6 discordant pairs and loses 1, on different questions per seed:
  McNemar p = 0.125 on each seed, CMH chi2 = 25^2 / 35 (p = 2.4e-5): supported;
- ``split``: seeds win 10 and lose 2, or the reverse, or tie: McNemar significant both ways,
  CMH chi2 = 0: not supported;
- ``three``: every seed wins the same 3 questions and nothing else: CMH exact p = 2^-14 and a
  seed-only interval of [+1.5, +1.5] points, but the question resampling leaves out all three
  in about 5% of draws, so the two-level interval includes 0: not supported.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from leaderboard import build_board, collect, render_markdown
from leaderboard.across_seeds import RULE, pool_pairs
from leaderboard.cells import SIGNIFICANT
from leaderboard.formats import render_json
from leaderboard.seeds import SUPPORTED, build_seeds
from othink_bench.records import Manifest, ModelInfo, RunRecord, append_records, write_manifest
from othink_bench.stats import two_level_bootstrap

N = 200
TASK = "vc-synth"
BASE = set(range(80))
SEEDS = range(5)


def write_run(root: Path, run_id: str, correct: set[int], *, train_seed: int | None = None,
              draws: int = 1) -> None:
    trained = train_seed is not None
    run_dir = root / run_id
    run_dir.mkdir(parents=True)
    write_manifest(run_dir, Manifest(
        run_id=run_id,
        model=ModelInfo(
            name=f"ckpt-{run_id}" if trained else "tiny",
            base_model="tiny" if trained else None,
            method="grpod" if trained else "base",
            train_task=TASK if trained else None,
            step=10 if trained else None,
            label=f"grpod:{TASK}@10 seed {train_seed}" if trained else "base",
            train_seed=train_seed,
        ),
        task=TASK, task_version="1.0", source="synthetic", split="test",
        started="2025-01-01T00:00:00+00:00", finished="2025-01-01T00:00:00+00:00",
        status="complete", packages={"othink-bench": "0.1.0"},
        generation={"samples": draws} if draws > 1 else {},
    ))  # fmt: skip
    append_records(run_dir / "records.jsonl", [
        RunRecord(sample_id=f"s{i:04d}", index=i, task=TASK, task_version="1.0", gold="3",
                  correct=i in correct, k=k)
        for i in range(N) for k in range(draws)
    ])  # fmt: skip


def write_board_runs(root: Path, wins: dict[int, set[int]], losses: dict[int, set[int]],
                     draws: int = 1) -> Path:
    write_run(root, "base", BASE, draws=draws)
    for seed in SEEDS:
        write_run(root, f"grpod-s{seed}", (BASE | wins[seed]) - losses[seed], train_seed=seed,
                  draws=draws)
    return root


SMALL = ({s: set(range(100 + 6 * s, 106 + 6 * s)) for s in SEEDS}, {s: {s} for s in SEEDS})
_WIN = {0: 10, 1: 2, 2: 10, 3: 2, 4: 6}
SPLIT = ({s: set(range(100 + 12 * s, 100 + 12 * s + _WIN[s])) for s in SEEDS},
         {s: set(range(12 * s, 12 * s + 12 - _WIN[s])) for s in SEEDS})
THREE = ({s: {100, 101, 102} for s in SEEDS}, {s: set() for s in SEEDS})


@pytest.fixture(scope="module")
def boards(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pooled")
    return {name: write_board_runs(root / name, *spec)
            for name, spec in (("small", SMALL), ("split", SPLIT), ("three", THREE))}


def _vs_base(path: Path):  # type: ignore[no-untyped-def]
    (comp,) = [c for c in build_seeds(collect([path])).comparisons if c.against == "base"]
    return comp


def _row(md: str) -> str:
    return next(x for x in md.splitlines() if x.startswith("| + GRPO-D | vc-synth → "))


def test_a_small_consistent_gain_is_found_by_cmh(boards: dict[str, Path]) -> None:
    comp = _vs_base(boards["small"])
    assert [c.n_shared for _, c in comp.pairs] == [N] * 5
    assert [c.p_value for _, c in comp.pairs] == pytest.approx([0.125] * 5)
    assert not any(c.significant for _, c in comp.pairs) and comp.unanimous == 0
    pooled = comp.pooled
    assert pooled is not None
    assert pooled.cmh.better == (6,) * 5 and pooled.cmh.worse == (1,) * 5
    assert pooled.cmh.statistic == pytest.approx(625 / 35) and not pooled.cmh.exact
    assert pooled.cmh.p_value == pytest.approx(2.3806e-05, rel=1e-3)
    assert pooled.mean == pytest.approx(0.025) and pooled.seed_means == pytest.approx([0.025] * 5)
    assert pooled.two_level.low > 0 and pooled.n_questions == N
    assert comp.direction == 1 and comp.supported

    md = render_markdown(build_board([boards["small"]], plots=False))
    row = _row(md)
    assert f"seed 0: +2.50 pts (+6.25%) ({N})" in row and SIGNIFICANT not in row.split("|")[4]
    assert f"| 5 : 0 (0{SIGNIFICANT} : 0{SIGNIFICANT}) | 0.0625 |" in row
    assert "| +2.50 [+2.5, +2.5] pt |" in row  # t over seeds: every seed +2.50
    low, high = pooled.two_level.low, pooled.two_level.high
    assert f"| [{100 * low:+.1f}, {100 * high:+.1f}] pt ({N}) |" in row
    assert "| 17.86 (p 2.38e-05) |" in row and row.endswith(f"| **{SUPPORTED} better** |")
    # the board says in words which test decides
    section = md[md.index("## Across training seeds"):md.index("## Cross-task results")]
    assert f"**Which test decides supported ({SUPPORTED})**: {RULE}." in section
    assert "Cochran-Mantel-Haenszel test for matched pairs stratified by seed gives p < 0.05" in md


def test_seeds_that_disagree_are_not_supported(boards: dict[str, Path]) -> None:
    comp = _vs_base(boards["split"])
    # seeds 0 and 2 significantly better (10 : 2), seeds 1 and 3 significantly worse
    assert [c.significant for _, c in comp.pairs] == [True, True, True, True, False]
    assert (comp.significant_better, comp.significant_worse, comp.unanimous) == (2, 2, 0)
    pooled = comp.pooled
    assert pooled is not None and pooled.cmh.better == (10, 2, 10, 2, 6)
    assert pooled.cmh.statistic == 0.0 and pooled.cmh.p_value == pytest.approx(1.0)
    assert pooled.two_level.low < 0 < pooled.two_level.high
    assert comp.direction == 0 and not comp.supported
    row = _row(render_markdown(build_board([boards["split"]], plots=False)))
    assert f"(2{SIGNIFICANT} : 2{SIGNIFICANT})" in row
    assert "| 0.00 (p 1) |" in row and row.endswith("| no |")


def test_a_gain_on_three_questions_is_not_supported(boards: dict[str, Path]) -> None:
    comp = _vs_base(boards["three"])
    pooled = comp.pooled
    assert pooled is not None
    assert pooled.cmh.exact and pooled.cmh.p_value == pytest.approx(2.0**-14)  # CMH: yes
    assert pooled.seed_means == pytest.approx([0.015] * 5)
    # a seed-only interval (questions held fixed) excludes 0 ...
    table = np.zeros((5, N))
    table[:, [100, 101, 102]] = 1.0
    seeds_only = two_level_bootstrap(table, questions=False)
    assert seeds_only.low == pytest.approx(0.015) and seeds_only.excludes_zero() == 1
    # ... the two-level one, which resamples the questions too, does not
    assert pooled.two_level == two_level_bootstrap(table)
    assert pooled.two_level.low <= 0 < pooled.two_level.high
    assert not comp.supported
    row = _row(render_markdown(build_board([boards["three"]], plots=False)))
    assert f"| [+0.0, {100 * pooled.two_level.high:+.1f}] pt ({N}) |" in row
    assert "| 15.00 (exact p 6.1e-05) |" in row and row.endswith("| no |")


def test_cells_show_the_two_level_interval_beside_the_t_interval(
        boards: dict[str, Path]) -> None:
    sa = build_seeds(collect([boards["small"]]))
    (cell,) = [c for c in sa.cells if c.model.method == "grpod"]
    assert cell.pooled is not None and cell.pooled.n_questions == N
    correct = np.array([[run.outcomes[(f"s{i:04d}", 0)] for i in range(N)] for run in cell.runs],
                       dtype=float)
    assert cell.pooled.two_level == two_level_bootstrap(correct)
    mean, _, _ = cell.interval
    assert cell.pooled.two_level.mean == pytest.approx(mean) == pytest.approx(0.425)
    md = render_markdown(build_board([boards["small"]], plots=False))
    line = next(x for x in md.splitlines() if x.startswith("| + GRPO-D | vc-synth |"))
    iv = cell.pooled.two_level
    assert f"| 42.50 [42.5, 42.5] | [{100 * iv.low:.1f}, {100 * iv.high:.1f}] ({N}) |" in line
    assert iv.high - iv.low > 0.05  # the question sampling: several points, not zero


def test_json_carries_the_pooled_numbers_and_the_rule(boards: dict[str, Path]) -> None:
    data = json.loads(render_json(build_board([boards["small"]], plots=False)))["seeds"]
    assert data["supported_rule"] == RULE
    (comp,) = [c for c in data["comparisons"] if c["against"] == "base"]
    assert comp["cmh_better"] == [6] * 5 and comp["cmh_worse"] == [1] * 5
    assert comp["cmh_statistic"] == pytest.approx(17.857143) and comp["cmh_exact"] is False
    assert comp["cmh_p"] == pytest.approx(2.3806e-05, rel=1e-3)
    assert comp["mean_difference"] == 0.025 and comp["n_questions"] == N
    assert comp["two_level_low"] > 0 and comp["supported"] and comp["direction"] == 1
    assert comp["mcnemar_every_seed"] == 0 and comp["mcnemar_significant_better"] == 0
    (cell,) = [c for c in data["cells"] if c["method"] == "grpod"]
    assert cell["n_questions"] == N and cell["two_level_low"] < 0.425 < cell["two_level_high"]


def test_draws_of_a_question_are_one_question(tmp_path: Path) -> None:
    """With --k 2 the CMH counts are over (question, draw) pairs, the bootstrap resamples the
    200 questions (a question's difference is the mean over its draws)."""
    root = write_board_runs(tmp_path / "k2", *SMALL, draws=2)
    comp = _vs_base(root)
    pooled = comp.pooled
    assert pooled is not None
    assert (pooled.n_questions, pooled.n_samples) == (N, 2 * N)
    assert pooled.cmh.better == (12,) * 5 and pooled.cmh.worse == (2,) * 5
    one = _vs_base(write_board_runs(tmp_path / "k1", *SMALL)).pooled
    assert one is not None and pooled.two_level == one.two_level  # same per-question means


def test_a_seed_missing_questions_pools_on_the_common_ones(tmp_path: Path) -> None:
    root = write_board_runs(tmp_path / "runs", *SMALL)
    records = root / "grpod-s4" / "records.jsonl"
    lines = records.read_text().splitlines(keepends=True)
    records.write_text("".join(lines[:120]))  # seed 4 scored questions 0-119 only
    comp = _vs_base(root)
    pooled = comp.pooled
    assert pooled is not None and pooled.n_questions == 120
    # seed 3 won questions 118-123 (two of them common), seed 4 won 124-129 (none)
    assert pooled.cmh.better == (6, 6, 6, 2, 0) and pooled.cmh.worse == (1,) * 5
    assert [c.n_shared for _, c in comp.pairs] == [N, N, N, N, 120]  # per seed: its own
    assert pool_pairs([(s, r, b) for s, r, b in comp.runs][:1]) is None  # one seed: nothing
