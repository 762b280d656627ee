"""A training whose newest checkpoint was damaged after it was saved resumes from the newest
intact one, says which one it passed over and why, and ends with the weights of a training
that was never interrupted (issue 28, item 6). Real SFT runs of the tiny model on CPU."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from test_trainers import COUNTING, StepSpy, _changed, _weights  # noqa: E402

from trainers.checkpoints import TRAINING_MARKER, finished_training  # noqa: E402
from trainers.recipes import ConfigError  # noqa: E402
from trainers.run import train  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# 8 samples, 2 a step: 4 steps an epoch; every checkpoint keeps its resume state
OVERRIDES = {"max_steps": 4, "save_steps": 2, "train_samples": 8,
             "per_device_train_batch_size": 2, "keep_resume_state": "all"}


def _truncate(path: Path, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


DAMAGE = {
    "truncated model.safetensors": (
        lambda c: _truncate(c / "model.safetensors", 0.5), "model.safetensors is truncated"),
    "missing trainer_state.json": (
        lambda c: (c / "trainer_state.json").unlink(), "trainer_state.json is missing"),
    "truncated optimizer.pt": (
        lambda c: _truncate(c / "optimizer.pt", 0.5),
        "optimizer.pt is truncated or not a torch file"),
}


def test_a_damaged_newest_checkpoint_resumes_from_the_one_before(
    tiny_model: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    straight = tmp_path / "straight"
    train("sft", COUNTING, tiny_model, recipe="tiny", output_dir=straight, overrides=OVERRIDES)
    expected = _weights(straight / "checkpoint-4")
    for kind, (damage, message) in DAMAGE.items():
        out = tmp_path / kind.replace(" ", "_")
        shutil.copytree(straight, out)
        (out / TRAINING_MARKER).unlink()  # as if killed right after checkpoint-4 was saved
        damage(out / "checkpoint-4")
        steps = StepSpy()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="trainers.resume"):
            resumed = train("sft", COUNTING, tiny_model, recipe="tiny", output_dir=out,
                            overrides=OVERRIDES, callbacks=[steps])
        assert f"resuming from {out / 'checkpoint-2'} instead" in caplog.text, kind
        assert f"{out / 'checkpoint-4'} is damaged: {message}" in caplog.text, kind
        assert steps.steps == [2, 3], kind  # steps 3 and 4 again, not from step 0
        assert resumed.steps == 4 and finished_training(out) is not None
        assert _changed(expected, _weights(out / "checkpoint-4")) == [], kind


def test_no_intact_checkpoint_refuses_before_training(tiny_model: str, tmp_path: Path) -> None:
    out = tmp_path / "run"
    overrides = {**OVERRIDES, "keep_resume_state": "last"}
    train("sft", COUNTING, tiny_model, recipe="tiny", output_dir=out, overrides=overrides)
    (out / TRAINING_MARKER).unlink()
    _truncate(out / "checkpoint-4" / "optimizer.pt", 0.5)
    with pytest.raises(ConfigError, match=r"checkpoint-4 is damaged: optimizer.pt .*--overwrite"):
        train("sft", COUNTING, tiny_model, recipe="tiny", output_dir=out, overrides=overrides)
    assert (out / "checkpoint-4" / "model.safetensors").is_file()  # nothing was cleared
    again = train("sft", COUNTING, tiny_model, recipe="tiny", output_dir=out,
                  overrides=overrides, overwrite=True)
    assert again.steps == 4 and finished_training(out) is not None
