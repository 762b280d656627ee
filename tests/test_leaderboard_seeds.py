"""Training seeds on the board: per-seed rows, means with t intervals over seeds, every seed's
value, and method differences marked supported by the pooled tests (CMH stratified by seed and
the two-level interval; tests/test_leaderboard_seeds_pooled.py tests them closely), with the
per-seed McNemar directions beside them.

The fixture set is written here (three seeds of SFT, GRPO and GRPO-D over one base run): sample
i of a run with k correct is right when i < k, so two runs' discordant pairs all go one way and
McNemar's p is 2 * 0.5^d for d = the difference in correct samples.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from scipy.stats import t as student_t

from leaderboard import build_board, collect, render_markdown, runs_frame
from leaderboard.analysis import analyse
from leaderboard.cells import SIGNIFICANT
from leaderboard.formats import render_json
from leaderboard.seeds import SUPPORTED, build_seeds, sign_test, t_interval
from othink_bench.records import Manifest, ModelInfo, RunRecord, append_records, write_manifest

N = 100
TASK = "vc-synth"
BASE_K = 40
# correct samples of each seed's final checkpoint: (method, seed) -> k
K = {
    ("sft", 0): 50, ("sft", 1): 52, ("sft", 2): 72,
    ("grpod", 0): 70, ("grpod", 1): 74, ("grpod", 2): 74,
    ("grpo", 0): 30, ("grpo", 1): 28, ("grpo", 2): 29,
}  # fmt: skip


def write_run(root: Path, run_id: str, k: int, *, method: str = "base",
              train_seed: int | None = None, step: int | None = None) -> None:
    trained = method != "base"
    run_dir = root / run_id
    run_dir.mkdir(parents=True)
    label = f"{method}:{TASK}@{step}" if trained else "base"
    write_manifest(run_dir, Manifest(
        run_id=run_id,
        model=ModelInfo(
            name=f"ckpt-{run_id}" if trained else "tiny",
            base_model="tiny" if trained else None,
            method=method,
            train_task=TASK if trained else None,
            step=step,
            label=label + (f" seed {train_seed}" if train_seed is not None else ""),
            train_seed=train_seed,
        ),
        task=TASK, task_version="1.0", source="synthetic", split="test",
        started="2025-01-01T00:00:00+00:00", finished="2025-01-01T00:00:00+00:00",
        status="complete", packages={"othink-bench": "0.1.0"},
    ))  # fmt: skip
    append_records(run_dir / "records.jsonl", [
        RunRecord(sample_id=f"s{i:04d}", index=i, task=TASK, task_version="1.0", gold="3",
                  correct=i < k)
        for i in range(N)
    ])  # fmt: skip


def write_seed_fixtures(root: Path, seeds: tuple[int, ...] = (0, 1, 2)) -> Path:
    write_run(root, "base", BASE_K)
    for (method, seed), k in K.items():
        if seed in seeds:
            # an earlier checkpoint too: a seed's cell is its last one
            write_run(root, f"{method}-s{seed}-step5", 0, method=method, train_seed=seed, step=5)
            write_run(root, f"{method}-s{seed}", k, method=method, train_seed=seed, step=10)
    return root


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_seed_fixtures(tmp_path_factory.mktemp("seeds"))


def _cell(sa, method):  # type: ignore[no-untyped-def]
    (cell,) = [c for c in sa.cells if c.model.method == method]
    return cell


def _comp(sa, method, against):  # type: ignore[no-untyped-def]
    (comp,) = [c for c in sa.comparisons if c.cell.model.method == method and c.against == against]
    return comp


def test_stats_helpers() -> None:
    mean, low, high = t_interval([0.70, 0.74, 0.74])
    sd = math.sqrt(((0.70 - mean) ** 2 + 2 * (0.74 - mean) ** 2) / 2)
    half = student_t.ppf(0.975, 2) * sd / math.sqrt(3)
    assert mean == pytest.approx(0.72666667)
    assert (low, high) == pytest.approx((mean - half, mean + half))
    assert (low, high) == pytest.approx((0.66930, 0.78403), abs=1e-4)
    assert t_interval([0.5, 0.5]) == (0.5, 0.5, 0.5)
    with pytest.raises(ValueError, match="two seeds"):
        t_interval([0.5])
    assert sign_test(3, 0) == pytest.approx(0.25) and sign_test(2, 1) == pytest.approx(1.0)
    assert sign_test(6, 0) == pytest.approx(2 ** -5) and sign_test(0, 0) is None


def test_means_intervals_and_every_seed(seeded: Path) -> None:
    sa = build_seeds(collect([seeded]))
    assert sorted(c.model.method for c in sa.cells) == ["grpo", "grpod", "sft"]
    cell = _cell(sa, "grpod")
    assert cell.model.train_seed is None and cell.seeds == [0, 1, 2]
    assert cell.values == [0.70, 0.74, 0.74]  # the final checkpoints (step 10), not step 5
    assert {r.step for r in cell.runs} == {10}
    assert cell.interval == pytest.approx(t_interval([0.70, 0.74, 0.74]))

    md = render_markdown(build_board([seeded], plots=False))
    section = md[md.index("## Across training seeds"):md.index("## Cross-task results")]
    refs = {r.run_id: r.ref for r in collect([seeded]).runs}
    line = next(x for x in section.splitlines() if x.startswith("| + GRPO-D |"))
    assert "| 3 | 72.67 [66.9, 78.4] |" in line
    assert (f"seed 0: 70.00 (100) {refs['grpod-s0']}; seed 1: 74.00 (100) {refs['grpod-s1']}; "
            f"seed 2: 74.00 (100) {refs['grpod-s2']}") in line
    # every seed is its own row in Table 1, beside the one base row
    table1 = md[md.index("## Same-task results"):md.index("## Across training seeds")]
    for seed in (0, 1, 2):
        assert f"| + GRPO-D (seed {seed}) |" in table1
    assert table1.count("| tiny |") == 1
    assert "with a 95% Student-t interval over the seeds' accuracies" in md  # conventions


def test_supported_by_the_pooled_tests(seeded: Path) -> None:
    sa = build_seeds(collect([seeded]))
    # GRPO-D over base: +30, +34, +34 samples, significant on 3/3 seeds: supported.
    up = _comp(sa, "grpod", "base")
    assert [s for s, _ in up.pairs] == [0, 1, 2]
    assert all(c.significant for _, c in up.pairs) and up.unanimous == 1
    assert (up.better, up.worse, up.direction, up.supported) == (3, 0, 1, True)
    assert up.sign_p == pytest.approx(0.25)
    assert up.diffs == pytest.approx([0.30, 0.34, 0.34])
    assert up.pooled is not None and up.pooled.cmh.better == (30, 34, 34)
    # GRPO-D over SFT, seed paired with seed: +20, +22, +2: better on 3/3 but significant
    # on 2/3 only (seed 2: 2 discordant pairs, p = 0.5). The old rule (every seed
    # significant) said no; pooled, 44 discordant pairs all one way (CMH chi2 = 44) and a
    # two-level interval above 0: supported.
    mixed = _comp(sa, "grpod", "sft")
    assert [c.significant for _, c in mixed.pairs] == [True, True, False]
    assert [c.baseline for _, c in mixed.pairs] == [
        r.ref for r in sorted((r for r in collect([seeded]).runs if r.model.method == "sft"
                               and r.step == 10), key=lambda r: r.train_seed or 0)]
    assert (mixed.better, mixed.worse, mixed.unanimous) == (3, 0, 0)
    assert mixed.pooled is not None and mixed.pooled.cmh.statistic == pytest.approx(44.0)
    assert mixed.pooled.two_level.low > 0 and mixed.supported
    # GRPO under base on every seed, significantly: supported, the other way.
    down = _comp(sa, "grpo", "base")
    assert (down.direction, down.supported, down.worse) == (-1, True, 3)
    # GRPO-D over GRPO and SFT over base: every seed significant.
    assert _comp(sa, "grpod", "grpo").supported and _comp(sa, "sft", "base").supported

    md = render_markdown(build_board([seeded], plots=False))
    rows = [x for x in md.splitlines() if x.startswith("| + GRPO-D | vc-synth → ")]
    vs_base = next(x for x in rows if "| base |" in x)
    vs_sft = next(x for x in rows if "| SFT |" in x)
    assert f"**{SUPPORTED} better**" in vs_base
    assert f"| 3 : 0 (3{SIGNIFICANT} : 0{SIGNIFICANT}) | 0.25 |" in vs_base
    assert f"seed 0: +30.00 pts (+75.00%){SIGNIFICANT} (100)" in vs_base
    assert f"| 3 : 0 (2{SIGNIFICANT} : 0{SIGNIFICANT}) | 0.25 |" in vs_sft
    assert vs_sft.endswith(f"| **{SUPPORTED} better** |")
    assert "seed 2: +2.00 pts (+2.78%) (100)" in vs_sft
    assert f"{SUPPORTED} worse" in next(
        x for x in md.splitlines() if x.startswith("| + GRPO | vc-synth → ") and "| base |" in x)


def test_table1_compares_seed_with_seed(seeded: Path) -> None:
    an = analyse(collect([seeded]))
    for row in an.table1.rows:
        if row.model.method != "grpod":
            continue
        (comps,) = row.comparisons.values()
        sft = comps["sft"]
        sft_run = next(r for r in an.collection.runs if r.ref == sft.baseline)
        assert sft_run.train_seed == row.model.train_seed
        assert comps["base"].baseline == next(
            r.ref for r in an.collection.runs if r.model.method == "base")


def test_json_and_frames_carry_seeds(seeded: Path) -> None:
    board = build_board([seeded], plots=False)
    data = json.loads(render_json(board))
    (cell,) = [c for c in data["seeds"]["cells"] if c["method"] == "grpod"]
    assert [s["train_seed"] for s in cell["seeds"]] == [0, 1, 2]
    assert [s["accuracy"] for s in cell["seeds"]] == [0.7, 0.74, 0.74]
    assert cell["mean"] == pytest.approx(0.726667) and cell["low"] == pytest.approx(0.6693, 1e-3)
    by = {(c["method"], c["against"]): c for c in data["seeds"]["comparisons"]}
    assert by[("grpod", "base")]["supported"] and by[("grpod", "sft")]["supported"]
    assert by[("grpod", "base")]["mcnemar_every_seed"] == 1
    assert by[("grpod", "sft")]["mcnemar_every_seed"] == 0  # the old rule, shown
    assert by[("grpod", "sft")]["sign_test_p"] == 0.25
    assert by[("grpod", "sft")]["mean_difference"] == pytest.approx(0.146667)
    frame = runs_frame(collect([seeded]).runs)
    assert sorted(frame[frame.method == "grpod"].train_seed.unique()) == [0, 1, 2]


def test_one_seed_is_todays_board(tmp_path: Path) -> None:
    """Runs of one recorded seed (--seeds 1) build the board of runs without seeds."""
    seeded = write_seed_fixtures(tmp_path / "a" / "runs", seeds=(0,))
    plain = tmp_path / "b" / "runs"
    shutil.copytree(seeded, plain)
    for manifest in plain.glob("*/manifest.json"):
        data = json.loads(manifest.read_text())
        data["model"].pop("train_seed", None)
        data["model"]["label"] = data["model"]["label"].replace(" seed 0", "")
        manifest.write_text(json.dumps(data))
    one = render_markdown(build_board([seeded], plots=False))
    assert one == render_markdown(build_board([plain], plots=False))
    assert "(seed " not in one and "Across training seeds" not in one
    assert "seeds" not in build_board([plain], plots=False).data


def test_boards_without_seeds_have_no_seed_section() -> None:
    fixtures = Path(__file__).resolve().parent / "fixtures" / "leaderboard" / "runs"
    board = build_board([fixtures], plots=False)
    assert "seeds" not in board.data and "Across training seeds" not in render_markdown(board)


def test_old_manifests_stay_byte_identical(tmp_path: Path) -> None:
    """ModelInfo.train_seed is written only when set."""
    info = ModelInfo(name="tiny", method="base")
    assert "train_seed" not in info.model_dump_json()
    assert json.loads(ModelInfo(name="x", train_seed=2).model_dump_json())["train_seed"] == 2
