"""Plot tests: expected pixel size, visible content, byte-identical rebuilds, no PNG metadata."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from leaderboard import analyse, collect
from leaderboard.keys import ModelKey
from leaderboard.plots import (
    SIZE_PX,
    Series,
    beta_plot,
    board_plots,
    grouped_bars,
    line_plot,
    reward_plot,
)
from leaderboard.training_logs import TrainingLog

RUNS = Path(__file__).resolve().parent / "fixtures" / "leaderboard" / "runs"


@pytest.fixture(scope="module")
def plots():
    return board_plots(analyse(collect([RUNS])))


def check_png(png: bytes) -> None:
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG"
        assert im.size == SIZE_PX
        assert "Software" not in im.info
        pixels = np.asarray(im.convert("RGB"), dtype=np.float64)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 1
    assert pixels.std() > 0


def test_board_plots_have_size_and_content(plots):
    names = [p.name for p in plots]
    assert names == [
        "steps-tiny-gr-synth-v1.0-synthetic-test.png",
        "steps-tiny-vc-synth-v1.0-synthetic-test.png",
        "cross-task-tiny.png",
        "beta-schedule.png",
        "rewards.png",
    ]
    for plot in plots:
        check_png(plot.png)
        assert plot.title


def test_line_plot_and_bars_primitives():
    series = [Series("a", "grpod", [1, 2, 3], [10.0, 20.0, 15.0], [5, 15, 10], [15, 25, 20])]
    png = line_plot(series, title="t", xlabel="x", ylabel="y", hlines=[("base", 12.0)])
    check_png(png)
    assert png == line_plot(series, title="t", xlabel="x", ylabel="y", hlines=[("base", 12.0)])
    bars = grouped_bars(
        ["g1", "g2"],
        [
            ("base", "base", [40.0, None], [(30.0, 50.0), None]),
            ("m", "sft", [60.0, 10.0], [None, None]),
        ],
        title="t",
        ylabel="y",
    )
    check_png(bars)


def test_beta_and_reward_plots_need_logs():
    log = TrainingLog(
        model=ModelKey("tiny", "grpod"),
        train_task="vc-synth",
        path="x/trainer_state.json",
        history=[{"step": s, "beta": 0.05 + s / 100, "reward": s / 10} for s in range(1, 6)]
        + [{"step": 5, "train_runtime": 1.0}],
    )
    sft = TrainingLog(ModelKey("tiny", "sft"), "vc-synth", "y", [{"step": 1, "loss": 1.0}])
    assert beta_plot([sft]) is None
    assert reward_plot([sft]) is None
    beta = beta_plot([log, sft])
    reward = reward_plot([log, sft])
    assert beta is not None and reward is not None
    check_png(beta.png)
    check_png(reward.png)
    steps, betas = log.series("beta")
    assert steps == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert betas == pytest.approx([0.06, 0.07, 0.08, 0.09, 0.1])
