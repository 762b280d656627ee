"""What decides whether a training may be reused or resumed (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("trl")

from trainers.checkpoints import (
    CHECKPOINT_META,
    has_resume_state,
    prune_resume_state,
)
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
    folder = root / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    if meta:
        (folder / CHECKPOINT_META).write_text(f'{{"step": {step}}}')
    if weights:
        (folder / "model.safetensors").write_bytes(b"w")
    if state:
        for name in ("optimizer.pt", "scheduler.pt", "rng_state_0.pth", "rng_state_1.pth"):
            (folder / name).write_bytes(b"s")
        (folder / "global_step4").mkdir()
    return folder


def test_prune_and_resume_point(tmp_path: Path) -> None:
    old = _checkpoint(tmp_path, 2, state=True)
    shards_only = _checkpoint(tmp_path, 3, state=True, weights=False)  # ZeRO-3 shards only
    new = _checkpoint(tmp_path, 4, state=True)
    cut = _checkpoint(tmp_path, 6, state=True, meta=False)  # a save a kill cut short
    assert resume_point(tmp_path) == new  # the newest with metadata
    prune_resume_state(tmp_path, keep_step=4)
    assert not has_resume_state(old) and sorted(p.name for p in old.iterdir()) == sorted(
        [CHECKPOINT_META, "model.safetensors"])
    assert has_resume_state(shards_only)  # its weights live in the state: kept
    assert has_resume_state(new) and (new / "rng_state_1.pth").is_file()
    assert resume_point(tmp_path) == new
    clear_stale(tmp_path, keep_upto=4)
    assert not cut.exists() and new.exists() and old.exists()
