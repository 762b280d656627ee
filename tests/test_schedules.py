"""KL-weight schedules: Eq. 3 numerics, the other schedules, validation, recipes, the command.

Pure tier: no torch, no TRL (the ``schedule`` command must not need them either).
"""

from __future__ import annotations

import argparse
import math
import sys

import pytest

from trainers.recipes import merged_values, read_recipe
from trainers.schedules import (
    SCHEDULES,
    BetaSchedule,
    ScheduleError,
    constant_beta,
    cosine_beta,
    grpod_beta,
    linear_beta,
)

# PAPER.md, GRPO-D settings: (beta_min, beta_max) per task family, w/t = 0.3.
PAPER_GRPOD = {"counting": (0.04, 0.1), "geometry": (0.0, 0.02)}
PAPER_GRPO = {"counting": 0.04, "geometry": 0.01}


def eq3(s: float, t: float, lo: float, hi: float, ratio: float = 0.3) -> float:
    """Eq. 3 written out independently of the implementation."""
    mid = (lo + hi) / 2
    w = ratio * t
    if s <= w:
        return mid - (mid - lo) * s / w
    return lo + (hi - lo) * (s - w) / (t - w)


@pytest.mark.parametrize("family", ["counting", "geometry"])
def test_grpod_key_points(family: str) -> None:
    lo, hi = PAPER_GRPOD[family]
    t = 100
    mid = (lo + hi) / 2
    assert grpod_beta(0, t, beta_min=lo, beta_max=hi) == pytest.approx(mid)
    assert grpod_beta(30, t, beta_min=lo, beta_max=hi) == pytest.approx(lo)  # s = w
    assert grpod_beta(t, t, beta_min=lo, beta_max=hi) == pytest.approx(hi)
    # halfway down the exploration phase, and halfway up the exploitation phase
    assert grpod_beta(15, t, beta_min=lo, beta_max=hi) == pytest.approx((mid + lo) / 2)
    assert grpod_beta(65, t, beta_min=lo, beta_max=hi) == pytest.approx((lo + hi) / 2)


@pytest.mark.parametrize("family", ["counting", "geometry"])
@pytest.mark.parametrize("t", [1, 2, 7, 10, 13, 100, 1000])
def test_grpod_every_step_matches_eq3(family: str, t: int) -> None:
    lo, hi = PAPER_GRPOD[family]
    sched = BetaSchedule(name="grpod", beta_min=lo, beta_max=hi, ratio=0.3)
    values = sched.values(t)
    assert len(values) == t + 1
    for s, v in enumerate(values):
        assert v == pytest.approx(eq3(s, t, lo, hi), abs=1e-15)
        assert min(lo, hi) - 1e-15 <= v <= hi + 1e-15
    w = 0.3 * t
    down = [v for s, v in enumerate(values) if s <= w]
    up = [v for s, v in enumerate(values) if s >= w]
    assert all(a >= b for a, b in zip(down, down[1:], strict=False))
    assert all(a <= b for a, b in zip(up, up[1:], strict=False))


def test_grpod_geometry_touches_zero_at_w() -> None:
    sched = BetaSchedule(name="grpod", beta_min=0.0, beta_max=0.02)
    assert sched(3, 10) == 0.0  # w = 3 exactly
    assert sched(0, 10) == pytest.approx(0.01) and sched(0, 10) > 0  # reference model needed
    assert sched.initial() == pytest.approx(0.01)


def test_grpod_ratio_and_non_integer_w() -> None:
    # t = 7, ratio 0.3: w = 2.1 lies between steps; step 2 is still on the way down
    v2 = grpod_beta(2, 7, beta_min=0.04, beta_max=0.1)
    v3 = grpod_beta(3, 7, beta_min=0.04, beta_max=0.1)
    assert v2 == pytest.approx(0.07 - 0.03 * 2 / 2.1)
    assert v3 == pytest.approx(0.04 + 0.06 * (3 - 2.1) / (7 - 2.1))
    # ratio 1: all exploration, ends at beta_min
    assert grpod_beta(10, 10, beta_min=0.0, beta_max=0.2, ratio=1.0) == pytest.approx(0.0)
    # other ratio: kink moves
    assert grpod_beta(50, 100, beta_min=0.0, beta_max=0.2, ratio=0.5) == pytest.approx(0.0)


def test_other_schedules() -> None:
    assert constant_beta(0, 10, beta=0.04) == constant_beta(10, 10, beta=0.04) == 0.04
    assert linear_beta(0, 10, beta_min=0.0, beta_max=0.1) == 0.0
    assert linear_beta(5, 10, beta_min=0.0, beta_max=0.1) == pytest.approx(0.05)
    assert linear_beta(10, 10, beta_min=0.0, beta_max=0.1) == pytest.approx(0.1)
    assert cosine_beta(0, 10, beta_min=0.02, beta_max=0.1) == pytest.approx(0.02)
    assert cosine_beta(5, 10, beta_min=0.02, beta_max=0.1) == pytest.approx(0.06)
    assert cosine_beta(10, 10, beta_min=0.02, beta_max=0.1) == pytest.approx(0.1)
    assert cosine_beta(2, 10, beta_min=0.0, beta_max=1.0) == pytest.approx(
        (1 - math.cos(math.pi * 0.2)) / 2
    )
    assert set(SCHEDULES) >= {"constant", "grpod", "linear", "cosine"}


def test_schedule_properties() -> None:
    const = BetaSchedule(name="constant", beta=0.04)
    assert const.is_constant and not const.is_zero and const.initial() == 0.04
    assert BetaSchedule(name="constant", beta=0.0).is_zero
    grpod = BetaSchedule(name="grpod", beta_min=0.04, beta_max=0.1)
    assert not grpod.is_constant and grpod.peak == 0.1
    assert BetaSchedule(name="grpod", beta_min=0.05, beta_max=0.05).is_constant
    lin = BetaSchedule(name="linear", beta_min=0.0, beta_max=0.1)
    assert lin.initial() == 0.0 and lin.peak == 0.1 and not lin.is_zero
    assert BetaSchedule(**grpod.to_dict()) == grpod
    assert grpod.params == {"beta_min": 0.04, "beta_max": 0.1, "ratio": 0.3}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: grpod_beta(0, 10, beta_min=0.2, beta_max=0.1), "beta_min"),
        (lambda: grpod_beta(0, 10, beta_min=-0.1, beta_max=0.1), ">= 0"),
        (lambda: grpod_beta(0, 10, beta_min=0.0, beta_max=0.1, ratio=0.0), "ratio"),
        (lambda: grpod_beta(0, 10, beta_min=0.0, beta_max=0.1, ratio=1.5), "ratio"),
        (lambda: grpod_beta(11, 10, beta_min=0.0, beta_max=0.1), "step"),
        (lambda: grpod_beta(-1, 10, beta_min=0.0, beta_max=0.1), "step"),
        (lambda: grpod_beta(0, 0, beta_min=0.0, beta_max=0.1), "total"),
        (lambda: constant_beta(0, 10, beta=float("nan")), "finite"),
        (lambda: BetaSchedule(name="exponential"), "unknown beta schedule"),
        (lambda: BetaSchedule(name="grpod", beta_min=0.1, beta_max=0.0), "beta_min"),
    ],
)
def test_validation(call, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScheduleError, match=match):
        call()


@pytest.mark.parametrize("recipe", ["qwen2-vl-2b", "qwen2-vl-7b", "tiny"])
@pytest.mark.parametrize("family", ["counting", "geometry"])
def test_recipes_carry_paper_betas(recipe: str, family: str) -> None:
    """The paper's betas; the tiny recipe's geometry betas are the paper's x 10 (calibrated on
    the validation stream: at the paper's 0.01 the KL gradient was 2-3% of the policy
    gradient; docs/testbed-calibration.md), Eq. 3's shape and w/t kept."""
    raw = read_recipe(recipe)
    scale = 10 if (recipe, family) == ("tiny", "geometry") else 1
    grpod = merged_values(raw, "grpod", family)
    assert grpod["beta_schedule"] == "grpod"
    assert (grpod["beta_min"], grpod["beta_max"]) == pytest.approx(
        tuple(scale * b for b in PAPER_GRPOD[family]))
    assert grpod.get("beta_ratio", 0.3) == 0.3
    grpo = merged_values(raw, "grpo", family)
    assert grpo["beta_schedule"] == "constant"
    assert grpo["beta"] == pytest.approx(scale * PAPER_GRPO[family])
    assert grpo["alpha"] == grpod["alpha"] == 1.0


@pytest.mark.parametrize(("recipe", "few_shot"), [("qwen2-vl-2b", 100), ("qwen2-vl-7b", 120)])
def test_paper_recipes_settings(recipe: str, few_shot: int) -> None:
    raw = read_recipe(recipe)
    for method in ("sft", "grpo", "grpod"):
        for family in ("counting", "geometry"):
            v = merged_values(raw, method, family)
            # the paper's 100 where a training has hundreds of steps; a tenth of the steps for
            # SFT and few-shot counting, which have 12-63 (tests/test_plan.py)
            short = method == "sft" or family == "counting"
            assert v["bf16"] is True and v["save_steps"] == (0.1 if short else 100)
            assert v["max_pixels"] == 401408
            assert v.get("train_samples") == (few_shot if family == "counting" else None)
            if method == "sft" and family == "counting":  # few-shot: ours (see the recipe)
                assert (v["per_device_train_batch_size"], v["gradient_accumulation_steps"],
                        v["num_train_epochs"]) == (1, 1, 3)
            elif method == "sft":  # R1-V's SFT config (the paper states none)
                assert v["per_device_train_batch_size"] == 4 and v["num_train_epochs"] == 1
                assert v["gradient_accumulation_steps"] == 4
            else:  # one prompt x its generations per device, in TRL's completion units
                assert v["num_train_epochs"] == 2 and v["gradient_accumulation_steps"] == 2
                assert v["per_device_train_batch_size"] == v["num_generations"]
                assert v["loss_type"] == "grpo" and v["use_bias_correction_kl"] is False


def _schedule_cli(*argv: str) -> argparse.Namespace:
    from trainers.commands import configure_schedule

    parser = argparse.ArgumentParser()
    configure_schedule(parser)
    return parser.parse_args(list(argv))


def test_schedule_command_csv(capsys: pytest.CaptureFixture[str]) -> None:
    from trainers.commands import execute_schedule

    assert execute_schedule(_schedule_cli("--task", "gr", "--total-steps", "10", "--csv")) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "step,beta"
    rows = [line.split(",") for line in lines[1:]]
    assert [int(s) for s, _ in rows] == list(range(11))
    assert [float(b) for _, b in rows] == pytest.approx([eq3(s, 10, 0.0, 0.02) for s in range(11)])


def test_schedule_command_table_overrides_and_plot(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from trainers.commands import execute_schedule

    png = tmp_path / "beta.png"
    args = _schedule_cli("--task", "vc", "--beta-min", "0.01", "--beta-max", "0.05",
                         "--ratio", "0.5", "--total-steps", "4", "--plot", str(png))
    assert execute_schedule(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("# grpod (beta_min=0.01, beta_max=0.05, ratio=0.5)")
    assert out[1].startswith("# step s = optimizer updates done (TRL's global_step, checkpoint-s)")
    assert [float(x.split()[1]) for x in out[2:]] == pytest.approx(
        [eq3(s, 4, 0.01, 0.05, 0.5) for s in range(5)])
    assert png.is_file() and png.stat().st_size > 1000
    assert execute_schedule(_schedule_cli("--method", "grpo", "--task", "vc", "--total-steps",
                                          "2", "--csv")) == 0
    assert capsys.readouterr().out.splitlines()[1:] == ["0,0.04", "1,0.04", "2,0.04"]
    assert execute_schedule(_schedule_cli("--beta-min", "0.3", "--beta-max", "0.1")) == 2
    assert "beta_min" in capsys.readouterr().err


def test_schedule_command_does_not_import_trl() -> None:
    import subprocess

    code = (
        "import argparse, sys; from trainers.commands import configure_schedule, "
        "execute_schedule; p = argparse.ArgumentParser(); configure_schedule(p); "
        "execute_schedule(p.parse_args(['--task', 'counting', '--csv', '--total-steps', '3'])); "
        "sys.exit(1 if 'trl' in sys.modules or 'torch' in sys.modules else 0)"
    )
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
