"""The paper's Figure 5 (reward parts per step) and Figure 1 on a samples-seen axis, and the
training-log table's quarter means: each checked on its data, from the leaderboard fixtures
(tests/fixtures/leaderboard) and hand-computed series; the plotting is a thin layer over it."""

from __future__ import annotations

import io
import json
import statistics
from pathlib import Path

import pytest
from PIL import Image

from leaderboard import build_board, collect, render_markdown
from leaderboard.analysis import analyse
from leaderboard.figures.board import figure_plots
from leaderboard.figures.rewards import reward_curves, reward_key, reward_parts_plot, smooth
from leaderboard.figures.samples_seen import plot_name, samples_per_step, samples_seen
from leaderboard.keys import ModelKey
from leaderboard.log_summary import quarter_means, quarter_text, range_text
from leaderboard.plots import SIZE_PX
from leaderboard.training_logs import TrainingLog
from othink_bench.stats import wilson

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "leaderboard"
RUNS = FIXTURES / "runs"


@pytest.fixture(scope="module")
def analysis():
    return analyse(collect([RUNS]))


def _log(method: str, history: list[dict[str, object]], task: str = "vc-synth",
         seed: int | None = None) -> TrainingLog:
    return TrainingLog(ModelKey("tiny", method, train_seed=seed), task, "x/trainer_state.json",
                       history)


# -- the training-log table --------------------------------------------------------------------


def test_quarter_means_by_hand() -> None:
    q = quarter_means([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 100.0])  # 9 // 4 = 2 per quarter
    assert q is not None and q.size == 2
    assert (q.first_mean, q.last_mean) == (1.5, 54.0)
    assert q.first_sd == pytest.approx(0.70711, abs=1e-5)
    assert q.last_sd == pytest.approx(65.05382, abs=1e-5)
    assert quarter_text([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]) == (
        "1.5 ± 0.7071 → 7.5 ± 0.7071 (2 steps each)")
    # under 4 values each quarter is one value: the ends, without a spread
    assert quarter_text([1.438, 9.0, 1.688]) == "1.438 → 1.688 (1 step each)"
    assert quarter_text([]) == "—" and quarter_means([]) is None


def test_beta_shows_its_range_not_only_its_ends() -> None:
    # GRPO-D's beta falls to 0 at w and comes back: the ends alone would hide it
    assert range_text([0.01, 0.005, 0.0, 0.01, 0.02]) == "0.01 → 0.02 (min 0, max 0.02)"
    assert range_text([0.04, 0.04]) == "0.04 → 0.04 (constant)"
    assert range_text([]) == "—"


def test_board_table_shows_quarter_means_of_the_fixture_logs(analysis) -> None:
    md = render_markdown(build_board([RUNS], plots=False))
    section = md[md.index("## Training logs"):]
    (row,) = [x for x in section.splitlines() if x.startswith("| + GRPO-D (tiny) | vc-synth |")]
    log = next(x for x in analysis.collection.logs
               if x.model.method == "grpod" and x.train_task == "vc-synth")
    _, rewards = log.series("reward")
    assert len(rewards) == 30
    first, last = rewards[:7], rewards[-7:]  # 30 // 4 = 7 steps a quarter
    expected = (f"{statistics.fmean(first):.4g} ± {statistics.stdev(first):.4g} → "
                f"{statistics.fmean(last):.4g} ± {statistics.stdev(last):.4g} (7 steps each)")
    assert f"| {expected} |" in row
    # Eq. 3: from 0.07 - 0.03 / 9 at step 1 down to beta_min at w = 9, then up to beta_max
    assert "| 0.06667 → 0.1 (min 0.04, max 0.1) |" in row
    (sft,) = [x for x in section.splitlines() if x.startswith("| + SFT (tiny) | vc-synth |")]
    assert sft.endswith("| — | — |")


# -- Figure 5: the reward parts ----------------------------------------------------------------


def test_reward_key_reads_trl_names() -> None:
    history = [{"step": 1, "rewards/accuracy_vc_synth/std": 0.5,
                "rewards/accuracy_vc_synth/mean": 0.25, "rewards/format_reward": 1.0}]
    assert reward_key(history, "accuracy") == "rewards/accuracy_vc_synth/mean"
    assert reward_key(history, "format") == "rewards/format_reward"  # older TRL: no /mean
    assert reward_key([{"reward": 1.0}], "accuracy") is None


def test_smooth_is_a_centred_mean_cut_at_the_ends() -> None:
    assert smooth([0.0, 3.0, 6.0, 0.0], 1) == [1.5, 3.0, 3.0, 3.0]
    assert smooth([1.0, 2.0], 5) == [1.5, 1.5]


def test_reward_curves_of_the_fixture_logs(analysis) -> None:
    curves = reward_curves(analysis.collection.logs)
    # GRPO and GRPO-D on two tasks, accuracy and format each; SFT logs have no rewards
    assert [(c.label, c.train_task, c.part) for c in curves] == [
        (label, task, part)
        for label in ("+ GRPO", "+ GRPO-D")
        for task in ("gr-synth", "vc-synth")
        for part in ("accuracy", "format")
    ]
    c = next(c for c in curves if c.label == "+ GRPO-D" and c.train_task == "vc-synth"
             and c.part == "format")
    assert c.key == "rewards/format_reward/mean"
    assert c.steps == [float(s) for s in range(1, 31)]
    assert c.raw == [round(min(1.0, 0.5 + s / 20), 4) for s in range(1, 31)]
    assert c.smoothed[0] == pytest.approx((c.raw[0] + c.raw[1]) / 2)  # half width 30 // 20 = 1
    assert c.smoothed[5] == pytest.approx(sum(c.raw[4:7]) / 3)
    acc = next(x for x in curves if x.label == "+ GRPO-D" and x.train_task == "vc-synth"
               and x.part == "accuracy")
    assert acc.raw != c.raw and acc.key == "rewards/accuracy_reward/mean"


def test_reward_parts_per_seed_and_png() -> None:
    history = [{"step": s, "rewards/accuracy_vc/mean": s / 10, "rewards/format_reward/mean": 1.0}
               for s in range(1, 6)]
    logs = [_log("grpod", history, seed=0), _log("grpod", history, seed=1)]
    curves = reward_curves(logs)
    assert [(c.label, c.part) for c in curves] == [
        ("+ GRPO-D (seed 0)", "accuracy"), ("+ GRPO-D (seed 0)", "format"),
        ("+ GRPO-D (seed 1)", "accuracy"), ("+ GRPO-D (seed 1)", "format")]
    plot = reward_parts_plot(logs)
    assert plot is not None and plot.name == "reward-parts.png"
    assert plot.png == reward_parts_plot(logs).png  # type: ignore[union-attr]
    with Image.open(io.BytesIO(plot.png)) as im:
        assert im.size == SIZE_PX
    assert reward_parts_plot([_log("grpod", [{"step": 1, "reward": 1.0}])]) is None


# -- Figure 1 on a samples-seen axis -----------------------------------------------------------


def test_samples_per_step_comes_from_the_checkpoint_metadata(analysis) -> None:
    runs = {(r.model.method, r.train_task, r.step, r.column.task): r
            for r in analysis.collection.runs}
    assert samples_per_step(runs[("sft", "vc-synth", 20, "vc-synth")]) == 16
    assert samples_per_step(runs[("grpod", "gr-synth", 10, "gr-synth")]) == 4
    assert samples_per_step(runs[("grpo", "gr-synth", 30, "gr-synth")]) is None  # not recorded
    assert samples_per_step(runs[("base", None, None, "vc-synth")]) is None


def test_samples_seen_series(analysis) -> None:
    panels = {p.column.task: p for p in analysis.steps}
    vc = samples_seen(panels["vc-synth"])
    assert vc.missing == []
    by_label = {s.label: s for s in vc.series}
    assert sorted(by_label) == ["+ GRPO (4 per step)", "+ GRPO-D (4 per step)",
                                "+ SFT (16 per step)"]
    sft = by_label["+ SFT (16 per step)"]
    assert list(sft.x) == [160.0, 320.0, 480.0]
    assert list(sft.y) == pytest.approx([100 * k / 80 for k in (44, 50, 55)])
    interval = wilson(55, 80)
    low, high = interval.low, interval.high
    assert (sft.low[-1], sft.high[-1]) == pytest.approx((100 * low, 100 * high))  # type: ignore[index]
    assert list(by_label["+ GRPO-D (4 per step)"].x) == [40.0, 80.0, 120.0]
    gr = samples_seen(panels["gr-synth"])
    assert gr.missing == ["+ GRPO"] and len(gr.series) == 2


def test_board_shows_the_figures_and_names_what_is_missing(analysis, tmp_path: Path) -> None:
    names = [p.name for p in figure_plots(analysis)]
    assert names == [plot_name(analysis.steps[0]), plot_name(analysis.steps[1]),
                     "reward-parts.png"]
    assert names[0] == "samples-tiny-gr-synth-v1.0-synthetic-test.png"
    board = build_board([RUNS])
    md = render_markdown(board)
    for name in names:
        assert f"(plots/{name})" in md
    assert "Not on the samples-seen axis: + GRPO (the checkpoints do not record" in md
    assert all(f"plots/{n}" in board.data["plots"] for n in names)


def test_checkpoint_meta_names_agree_with_the_trainers() -> None:
    pytest.importorskip("trl")
    import leaderboard.figures.samples_seen as module
    from trainers.checkpoints import CHECKPOINT_META

    assert module.CHECKPOINT_META == CHECKPOINT_META
    meta = json.loads((FIXTURES / "train" / "sft-vc-synth" / "checkpoint-10" /
                       CHECKPOINT_META).read_text())
    assert meta[module.SAMPLES_KEY] == 16
