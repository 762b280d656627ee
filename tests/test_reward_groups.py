"""Each prompt's rewards at each GRPO step (reward_groups.jsonl): written by a wrapper on the
reward functions, read back weighted, trimmed on resume, damaged lines named; the same-prompt rise
test on them; and the sweep section's across-seed contrasts, of final checkpoints and of the
training logs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from scipy.stats import ttest_1samp, ttest_rel

from leaderboard import build_board, collect, render_markdown
from leaderboard.figures.sweeps import (
    SweepFigure,
    build_sweeps,
    sweep_contrasts,
    sweep_plot,
    sweep_training_parts,
)
from leaderboard.keys import ModelKey
from leaderboard.log_summary import prompt_rise, prompt_rise_text
from leaderboard.training_logs import TrainingLog
from othink_bench.records import Manifest, ModelInfo, RunRecord, append_records, write_manifest
from othink_bench.reward_groups import read_reward_groups, reward_groups_path
from trainers.reward_log import RewardRecorder, record_rewards


def _acc(completions: list[str], **_: Any) -> list[float]:
    return [1.0 if c.endswith("3") else 0.0 for c in completions]


def _fmt(completions: list[str], **_: Any) -> list[float]:
    return [1.0 if c.startswith("<think>") else 0.0 for c in completions]


def _call(funcs: list[Any], step: int, ids: list[str], completions: list[str]) -> None:
    state = SimpleNamespace(global_step=step)
    for fn in funcs:
        fn(prompts=["p"] * len(ids), completions=completions, id=ids, trainer_state=state)


def test_recorded_rewards_read_back_weighted_by_step_and_prompt(tmp_path: Path) -> None:
    funcs = record_rewards([_acc, _fmt], [1.0, 0.5], tmp_path)
    assert [f.__name__ for f in funcs] == ["_acc", "_fmt"]  # TRL's log columns keep their names
    _call(funcs, 0, ["a", "a", "b", "b"], ["<think>3", "x", "<think>y", "3"])
    _call(funcs, 1, ["c", "c", "a", "a"], ["3", "3", "<think>3", "<think>3"])
    funcs[0](completions=["3"], id=["z"])  # no trainer_state (a direct call): not recorded
    groups = read_reward_groups(tmp_path)
    assert groups == {0: {"a": [1.5, 0.0], "b": [0.5, 1.0]},
                      1: {"c": [1.0, 1.0], "a": [1.5, 1.5]}}
    assert read_reward_groups(tmp_path / "none") is None


def test_a_resumed_training_drops_the_steps_it_redoes(tmp_path: Path) -> None:
    first = record_rewards([_acc], [1.0], tmp_path)
    for step in range(4):
        _call(first, step, ["a", "b"], ["3", "x"])
    path = reward_groups_path(tmp_path)
    with path.open("a") as fh:
        fh.write('{"step": 4, "fn": "_ac')  # killed mid-line
    resumed = record_rewards([_acc], [1.0], tmp_path)  # resumed from checkpoint-2
    _call(resumed, 2, ["c", "d"], ["x", "x"])
    groups = read_reward_groups(tmp_path)
    assert groups is not None and sorted(groups) == [0, 1, 2]
    assert groups[2] == {"c": [0.0], "d": [0.0]}


def test_rank_files_are_read_with_the_main_one(tmp_path: Path) -> None:
    for rank, sid in ((0, "a"), (1, "b")):
        rec = RewardRecorder(tmp_path, rank=rank)
        rec.record(0, "_acc", 1.0, [sid], [1.0])
    assert (tmp_path / "reward_groups.rank1.jsonl").is_file()
    assert read_reward_groups(tmp_path) == {0: {"a": [1.0], "b": [1.0]}}


@pytest.mark.parametrize(("line", "says"), [
    ("not json", "line 2: not JSON"),
    ('{"step": -1, "fn": "_acc", "weight": 1, "ids": [], "values": []}', "'step'"),
    ('{"step": 1, "fn": "_acc", "weight": 1, "ids": ["a"], "values": []}', "one length"),
    ('{"step": 1, "fn": "_acc", "weight": "1", "ids": [], "values": []}', "'weight'"),
])
def test_a_damaged_file_is_named_with_its_line(tmp_path: Path, line: str, says: str) -> None:
    path = reward_groups_path(tmp_path)
    path.write_text('{"step": 0, "fn": "_acc", "weight": 1, "ids": ["a"], "values": [1]}\n'
                    + line + "\n")
    with pytest.raises(ValueError, match=says) as info:
        read_reward_groups(tmp_path)
    assert str(path) in str(info.value)


def test_functions_that_saw_different_samples_are_refused(tmp_path: Path) -> None:
    rec = RewardRecorder(tmp_path)
    rec.record(0, "_acc", 1.0, ["a", "b"], [1.0, 0.0])
    rec.record(0, "_fmt", 1.0, ["a", "c"], [1.0, 1.0])
    with pytest.raises(ValueError, match="different samples"):
        read_reward_groups(tmp_path)


def test_prompt_rise_is_the_paired_test_over_prompts_in_both_quarters() -> None:
    # 8 steps, quarters of 2; prompts a-d early, b-e late (a and e are in one quarter only)
    early = {"a": 0.0, "b": 0.2, "c": 0.5, "d": 0.1}
    late = {"b": 0.6, "c": 0.9, "d": 0.2, "e": 1.0}
    groups: dict[int, dict[str, list[float]]] = {s: {"m": [0.5]} for s in range(2, 6)}
    groups[0] = {k: [v] for k, v in early.items() if k in "ab"}
    groups[1] = {k: [v, v] for k, v in early.items() if k in "cd"}
    groups[6] = {k: [v] for k, v in late.items() if k in "bc"}
    groups[7] = {k: [v] for k, v in late.items() if k in "de"}
    rise = prompt_rise(groups)
    assert rise is not None and rise.prompts == 3
    first, last = [0.2, 0.5, 0.1], [0.6, 0.9, 0.2]
    assert rise.p_value == pytest.approx(ttest_rel(last, first, alternative="greater").pvalue)
    assert rise.first_mean == pytest.approx(sum(first) / 3)
    assert prompt_rise_text(rise).endswith("(3 prompts)")
    fall = prompt_rise({s: {k: [1.0 - v for v in vals] for k, vals in g.items()}
                        for s, g in groups.items()})
    assert fall is not None and fall.p_value > 0.95
    assert prompt_rise({0: {"a": [1.0]}, 1: {"a": [1.0]}, 2: {"a": [1.0]}}) is None  # < 4 steps
    same = {s: {"a": [float(s > 1)], "b": [float(s > 1)]} for s in range(4)}
    assert prompt_rise(same) is not None and prompt_rise(same).p_value == 0.0  # type: ignore[union-attr]
    assert prompt_rise_text(None) == "—"


# -- the sweep section's contrasts -------------------------------------------------------------

N = 60


def _run(root: Path, run_id: str, correct: set[int], seed: int | None, alpha: float | None) -> None:
    run_dir = root / "runs" / run_id
    run_dir.mkdir(parents=True)
    trained = alpha is not None
    ckpt = root / "train" / run_id / "checkpoint-10"
    write_manifest(run_dir, Manifest(
        run_id=run_id,
        model=ModelInfo(name=str(ckpt) if trained else "tiny", path=str(ckpt) if trained else None,
                        base_model="tiny" if trained else None,
                        method="grpo" if trained else "base",
                        train_task="gr-synth" if trained else None, step=10 if trained else 0,
                        label=f"grpo alpha={alpha} seed={seed}" if trained else "base",
                        train_seed=seed, sweep={"alpha": alpha} if trained else None),
        task="gr-synth", task_version="1.0", source="synthetic", split="test",
        started="2025-01-01T00:00:00+00:00", finished="2025-01-01T00:00:00+00:00",
        status="complete", packages={"othink-bench": "0.1.0"},
    ))  # fmt: skip
    append_records(run_dir / "records.jsonl", [
        RunRecord(sample_id=f"s{i:04d}", index=i, task="gr-synth", task_version="1.0", gold="3",
                  correct=i in correct)
        for i in range(N)
    ])  # fmt: skip


def test_sweep_contrasts_pool_the_seeds_and_say_the_verdict(tmp_path: Path) -> None:
    _run(tmp_path, "base", set(range(20)), None, None)
    for seed in range(3):
        _run(tmp_path, f"a0-s{seed}", set(range(40 + seed)), seed, 0.0)  # 40-42 right
        _run(tmp_path, f"a1-s{seed}", set(range(20 + seed)), seed, 1.0)  # 20 fewer, every seed
        _run(tmp_path, f"a05-s{seed}", set(range(39 + seed)) | {59}, seed, 0.5)  # about the same
    coll = collect([tmp_path / "runs"])
    (fig,) = build_sweeps(coll)
    contrasts = {c.value: c for c in sweep_contrasts(fig)}
    assert set(contrasts) == {0.5, 1.0} and all(c.against == 0.0 for c in contrasts.values())
    low = contrasts[1.0].pooled
    assert low.seeds == (0, 1, 2) and low.n_questions == N
    assert low.mean == pytest.approx(-20 / N) and low.direction == -1
    assert contrasts[0.5].pooled.direction == 0
    text = render_markdown(build_board([tmp_path / "runs"]))
    assert "| alpha=1.0 vs alpha=0.0 | 0, 1, 2 | -33.33" in text and "**✓ lower**" in text
    assert "| alpha=0.5 vs alpha=0.0 | 0, 1, 2 |" in text and "not supported" in text


def _train_log(alpha: float, seed: int, fmt: list[float], acc: list[float],
               kl: list[float] | None = None) -> TrainingLog:
    history = []
    for i, (f, a) in enumerate(zip(fmt, acc, strict=True)):
        row = {"step": i + 1, "rewards/format_reward/mean": f,
               "rewards/accuracy_vc_synth_tiny/mean": a}
        if kl is not None:
            row["kl"] = kl[i]
        history.append(row)
    return TrainingLog(model=ModelKey("tiny", "grpo", train_seed=seed, sweep=(("alpha", alpha),)),
                       train_task="vc-synth-tiny", path=f"a{alpha}/s{seed}", history=history)


def test_sweep_training_parts_contrast_the_first_quarter_over_seeds() -> None:
    # alpha 0 learns the format late on every seed; alpha 1 early
    logs = [_train_log(0.0, s, [0.5 + 0.01 * s] * 2 + [1.0] * 6, [0.2] * 8) for s in range(3)]
    logs += [_train_log(1.0, s, [0.9 - 0.02 * s] * 2 + [1.0] * 6, [0.2] * 8) for s in range(3)]
    logs.append(_train_log(0.5, 0, [0.7] * 8, [0.2] * 8))  # one seed only: no row
    fig = SweepFigure("tiny", "alpha", ())
    ((model, task), parts), = sweep_training_parts(fig, logs).items()
    assert model.display == "+ GRPO" and task == "vc-synth-tiny"
    fmt = {tp.value: tp for tp in parts if tp.part == "format reward"}
    assert set(fmt) == {0.0, 1.0} and fmt[0.0].p_value is None
    one = fmt[1.0]
    assert one.quarter == "first" and one.seeds == (0, 1, 2) and one.against == 0.0
    assert one.diffs == pytest.approx((0.4, 0.37, 0.34))
    assert one.p_value == pytest.approx(ttest_1samp([0.4, 0.37, 0.34], 0.0).pvalue)
    acc = next(tp for tp in parts if tp.part == "accuracy reward" and tp.value == 1.0)
    assert acc.p_value == 1.0  # no difference at all
    # beta is read on the last quarter's KL, against the first value that logged one
    betas = [TrainingLog(model=ModelKey("tiny", "grpo", train_seed=s, sweep=(("beta", b),)),
                         train_task="gr", path=f"{b}/{s}",
                         history=[{"step": i + 1, **({"kl": k} if b else {}),
                                   "rewards/accuracy_gr/mean": 0.3} for i in range(8)])
             for b, k in ((0.0, 0.0), (0.01, 0.2), (0.3, 0.05)) for s in range(2)]
    (parts_b,) = sweep_training_parts(SweepFigure("tiny", "beta", ()), betas).values()
    kl = {tp.value: tp for tp in parts_b if tp.part == "KL"}
    assert set(kl) == {0.01, 0.3} and kl[0.3].against == 0.01 and kl[0.3].quarter == "last"
    assert kl[0.3].diffs == pytest.approx((-0.15, -0.15)) and kl[0.3].p_value == 0.0


def test_the_sweep_figure_gains_a_training_panel(tmp_path: Path) -> None:
    for seed in range(2):
        for alpha in (0.0, 1.0):
            _run(tmp_path, f"a{alpha}-s{seed}", set(range(30)), seed, alpha)
    (fig,) = build_sweeps(collect([tmp_path / "runs"]))
    logs = [_train_log(a, s, [0.5 + a / 4] * 8, [0.2] * 8) for a in (0.0, 1.0) for s in range(2)]
    training = sweep_training_parts(fig, logs)
    assert training
    plain, with_training = sweep_plot(fig).png, sweep_plot(fig, training).png
    assert with_training != plain and with_training == sweep_plot(fig, training).png
    assert sweep_plot(fig, {}).png == plain  # nothing logged: the figure is unchanged
