"""A training whose loss or weights stop being finite stops with an error and leaves no
finished marker (issue 28: ``learning_rate=inf`` trained to NaN weights and said "trained")."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from trainers.checkpoints import TRAINING_MARKER, finished_training, list_checkpoints  # noqa: E402
from trainers.finite_guard import (  # noqa: E402
    FiniteGuardCallback,
    TrainingDiverged,
    nonfinite_parameters,
)
from trainers.run import train  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _state(step: int = 2, max_steps: int = 10) -> SimpleNamespace:
    return SimpleNamespace(global_step=step, max_steps=max_steps)


def _control(save: bool = False, stop: bool = False) -> SimpleNamespace:
    return SimpleNamespace(should_save=save, should_training_stop=stop)


def test_on_log_refuses_nan_loss_and_inf_grad_norm() -> None:
    guard, args = FiniteGuardCallback(), SimpleNamespace(learning_rate=1e30)
    guard.on_log(args, _state(), _control(), logs={"loss": 1.5, "grad_norm": 0.2})
    with pytest.raises(TrainingDiverged, match=r"step 2: loss = nan.*learning_rate \(now 1e\+30\)"):
        guard.on_log(args, _state(), _control(), logs={"loss": float("nan")})
    with pytest.raises(TrainingDiverged, match="grad_norm = inf"):
        guard.on_log(args, _state(), _control(), logs={"loss": 1.0, "grad_norm": float("inf")})


def test_weights_checked_before_a_save_or_the_end_only() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 1))
    guard, args = FiniteGuardCallback(), SimpleNamespace(learning_rate=1e-5)
    guard.on_step_end(args, _state(), _control(save=True), model=model)  # finite: passes
    with torch.no_grad():
        model[1].weight[0, 1] = float("nan")
    assert nonfinite_parameters(model) == ["1.weight"]
    guard.on_step_end(args, _state(), _control(), model=model)  # no save, not the end: skipped
    for control, state in ((_control(save=True), _state()), (_control(stop=True), _state()),
                           (_control(), _state(10, 10))):
        with pytest.raises(TrainingDiverged, match=r"non-finite weights in 1\.weight"):
            guard.on_step_end(args, state, control, model=model)


def test_diverging_sft_stops_without_marker(tiny_model: str, tmp_path: Path) -> None:
    out = tmp_path / "sft"
    # lr 1e30 is finite, so the settings pass; the first update makes the weights ~1e30 and the
    # next forward pass overflows to a NaN loss and NaN weights
    overrides = {"learning_rate": 1e30, "max_steps": 4, "save_steps": 1, "logging_steps": 1,
                 "train_samples": 8, "per_device_train_batch_size": 2,
                 "gradient_accumulation_steps": 1}
    with pytest.raises(TrainingDiverged, match="training diverged at step"):
        train("sft", "vc-synth-tiny", tiny_model, recipe="tiny", output_dir=out,
              overrides=overrides)
    assert not (out / TRAINING_MARKER).exists() and finished_training(out) is None
    saved = list_checkpoints(out)
    assert all(s.step < 4 for s in saved)  # the final model was never saved
    from safetensors.torch import load_file

    for ckpt in saved:  # every checkpoint that was written holds finite weights
        weights = load_file(str(ckpt.path / "model.safetensors"))
        assert all(bool(torch.isfinite(w).all()) for w in weights.values()), ckpt.path
