"""What decides whether a training may be reused or resumed (no model needed)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("trl")

from trainers.checkpoints import (
    CHECKPOINT_META,
    has_resume_state,
    prune_resume_state,
)
from trainers.recipes import ConfigError
from trainers.resume import clear_stale, resume_point, settings_diff


def _side(**values: object) -> dict[str, object]:
    return {"method": "grpod", "task": "vc", "recipe": {"values": values}}


def test_settings_diff() -> None:
    assert settings_diff(_side(beta_max=0.1), _side(beta_max=0.1)) == ""
    assert settings_diff(_side(beta_max=0.1), _side(beta_max=0.2)) == (
        "recipe.beta_max: 0.1 -> 0.2")
    # storage and reporting keys never make two trainings different
    assert settings_diff(_side(save_only_model=True, logging_steps=1),
                         _side(save_only_model=False, logging_steps=5)) == ""
    # a vLLM setting matters only where vLLM generates
    assert settings_diff(_side(), _side(vllm_importance_sampling_correction=False)) == ""
    assert "vllm_importance_sampling_correction" in settings_diff(
        _side(use_vllm=True), _side(use_vllm=True, vllm_importance_sampling_correction=False))
    assert "task" in settings_diff({**_side(), "task": "gr"}, _side())


def _checkpoint(root: Path, step: int, *, state: bool, weights: bool = True,
                meta: bool = True) -> Path:
    """A checkpoint folder with real (tiny) files of the kinds asked for."""
    import json

    import torch
    from safetensors.torch import save_file

    folder = root / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    if meta:
        (folder / CHECKPOINT_META).write_text(f'{{"step": {step}}}')
    if weights:
        save_file({"w": torch.arange(64, dtype=torch.float32), "b": torch.ones(3)},
                  str(folder / "model.safetensors"))
    if state:
        torch.save({"state": {0: {"exp_avg": torch.zeros(64)}}}, folder / "optimizer.pt")
        torch.save({"last_epoch": step}, folder / "scheduler.pt")
        for name in ("rng_state_0.pth", "rng_state_1.pth"):
            torch.save({"cpu": torch.get_rng_state()}, folder / name)
        (folder / "global_step4").mkdir()
        (folder / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    return folder


def test_prune_and_resume_point(tmp_path: Path) -> None:
    old = _checkpoint(tmp_path, 2, state=True)
    shards_only = _checkpoint(tmp_path, 3, state=True, weights=False)  # ZeRO-3 shards only
    new = _checkpoint(tmp_path, 4, state=True)
    cut = _checkpoint(tmp_path, 6, state=True, meta=False)  # a save a kill cut short
    assert resume_point(tmp_path) == new  # the newest with metadata
    prune_resume_state(tmp_path, keep_step=4)
    assert not has_resume_state(old) and sorted(p.name for p in old.iterdir()) == sorted(
        [CHECKPOINT_META, "model.safetensors", "trainer_state.json"])
    assert has_resume_state(shards_only)  # its weights live in the state: kept
    assert has_resume_state(new) and (new / "rng_state_1.pth").is_file()
    assert resume_point(tmp_path) == new
    clear_stale(tmp_path, keep_upto=4)
    assert not cut.exists() and new.exists() and old.exists()


def _real_checkpoint(root: Path, step: int) -> Path:
    folder = _checkpoint(root, step, state=True)
    for name in ("rng_state_1.pth",):
        (folder / name).unlink()
    shutil.rmtree(folder / "global_step4")
    return folder


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


DAMAGE = {
    "truncated weights": (
        lambda c: _truncate(c / "model.safetensors"),
        r"model.safetensors is truncated: \d+ bytes, its header says \d+",
    ),
    "missing trainer state": (
        lambda c: (c / "trainer_state.json").unlink(),
        "trainer_state.json is missing",
    ),
    "truncated optimizer": (
        lambda c: _truncate(c / "optimizer.pt", 0.9),
        "optimizer.pt is truncated or not a torch file",
    ),
    "missing optimizer": (
        lambda c: (c / "optimizer.pt").unlink(),
        r"its optimizer state \(optimizer.pt\) is missing",
    ),
    "truncated weights header": (
        lambda c: _truncate(c / "model.safetensors", 0.2),
        "model.safetensors is truncated: its header claims",
    ),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_newest_checkpoint_falls_back_to_an_intact_one(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from trainers.checkpoint_integrity import checkpoint_damage

    older = _real_checkpoint(tmp_path, 2)
    newest = _real_checkpoint(tmp_path, 4)
    assert checkpoint_damage(older) is None and checkpoint_damage(newest) is None
    assert resume_point(tmp_path) == newest
    damage, message = DAMAGE[kind]
    damage(newest)
    with caplog.at_level("WARNING", logger="trainers.resume"):
        assert resume_point(tmp_path) == older
    assert re.search(rf"resuming from {older} instead: the newer {newest} is damaged: {message}",
                     caplog.text), caplog.text
    clear_stale(tmp_path, keep_upto=2)  # what a resumed training does next
    assert not newest.exists() and older.exists()


def test_no_intact_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    older = _real_checkpoint(tmp_path, 2)
    prune_resume_state(tmp_path, keep_step=4)  # keep_resume_state: last
    newest = _real_checkpoint(tmp_path, 4)
    assert not has_resume_state(older)
    _truncate(newest / "optimizer.pt")
    with pytest.raises(ConfigError) as err:
        resume_point(tmp_path)
    text = str(err.value)
    assert f"{newest} is damaged: optimizer.pt is truncated" in text
    assert "no older checkpoint holds resume state" in text and "--overwrite" in text
    assert newest.exists()  # nothing is deleted on the way to the error


def test_the_integrity_checks_read_sharded_and_extended_files(tmp_path: Path) -> None:
    import json

    from trainers.checkpoint_integrity import checkpoint_damage, safetensors_damage

    ckpt = _real_checkpoint(tmp_path, 2)
    weights = ckpt / "model.safetensors"
    weights.write_bytes(weights.read_bytes() + b"\0" * 8)
    assert "longer than its header says" in (safetensors_damage(weights) or "")
    weights.rename(ckpt / "model-00001-of-00002.safetensors")
    (ckpt / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {
        "w": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
    assert checkpoint_damage(ckpt) == (
        "model-00001-of-00002.safetensors is longer than its header says: "
        f"{(ckpt / 'model-00001-of-00002.safetensors').stat().st_size} bytes, its header says "
        f"{(ckpt / 'model-00001-of-00002.safetensors').stat().st_size - 8}"
    )
    _truncate(ckpt / "model-00001-of-00002.safetensors", 1.0)
    (ckpt / "model-00001-of-00002.safetensors").write_bytes(
        (ckpt / "model-00001-of-00002.safetensors").read_bytes()[:-8])
    assert checkpoint_damage(ckpt) == (
        "model-00002-of-00002.safetensors (listed in model.safetensors.index.json) is missing")
    (ckpt / "trainer_state.json").write_text("[1]")
    assert checkpoint_damage(ckpt) == "trainer_state.json has no global_step"
