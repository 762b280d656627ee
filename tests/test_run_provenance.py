"""`run --model <checkpoint folder>` records how the checkpoint was made (its
othink_checkpoint.json), so `train` then `run` fills the board rows train-and-eval fills; flags
override the file with a warning; a malformed file is an error naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from othink_bench.cli import build_parser, main
from othink_bench.models.provenance import (
    CHECKPOINT_META,
    CheckpointMetaError,
    Provenance,
    checkpoint_label,
    merge_provenance,
    read_provenance,
)

META = {
    "format": 1, "method": "grpod", "task": "vc-synth-tiny", "task_version": "1",
    "base_model": "tiny", "step": 3, "total_steps": 3, "beta": 0.0, "schedule": None,
    "recipe": {"name": "tiny"}, "final": True, "saved": "2026-01-01T00:00:00+0000",
}


def _checkpoint(tmp_path: Path, meta: Any = META, raw: str | None = None) -> Path:
    folder = tmp_path / "grpod" / "checkpoint-3"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    text = raw if raw is not None else json.dumps(meta)
    (folder / CHECKPOINT_META).write_text(text)
    return folder


def _description(argv: list[str]) -> dict[str, Any]:
    from othink_bench.commands.run import model_description

    args = build_parser("run").parse_args(["run", *argv, "--tasks", "vc-synth-tiny"])
    return model_description(args)


def test_checkpoint_folder_supplies_the_description(tmp_path: Path, capsys: Any) -> None:
    folder = _checkpoint(tmp_path)
    assert read_provenance(folder) == Provenance("grpod", "tiny", "vc-synth-tiny", 3)
    assert _description(["--model", str(folder)]) == {
        "method": "grpod", "base_model": "tiny", "train_task": "vc-synth-tiny", "step": 3,
        "train_seed": None, "label": "grpod:vc-synth-tiny@3",
    }
    assert capsys.readouterr().err == ""


def test_flags_override_the_file_and_a_conflict_warns_naming_both(
    tmp_path: Path, capsys: Any
) -> None:
    folder = _checkpoint(tmp_path, {**META, "train_seed": 1})
    got = _description(["--model", str(folder), "--method", "grpo", "--step", "3",
                        "--label", "mine"])
    assert got["method"] == "grpo" and got["step"] == 3 and got["label"] == "mine"
    assert got["base_model"] == "tiny" and got["train_seed"] == 1
    err = capsys.readouterr().err.strip().splitlines()
    # one warning, for the flag that differs (--step 3 agrees with the file)
    assert err == [f"warning: --method grpo overrides method 'grpod' recorded in "
                   f"{folder / CHECKPOINT_META}"]


def test_a_folder_without_the_file_and_other_backends_behave_as_before(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert read_provenance(plain) is None
    flags = {"method": "sft", "base_model": None, "train_task": None, "step": None,
             "train_seed": None, "label": None}
    assert merge_provenance(flags, None, "x") == (flags, [])
    folder = _checkpoint(tmp_path)  # read by hf/vllm only: a scripted "model" is a file
    got = _description(["--model", str(folder), "--backend", "openai"])
    assert got["method"] is None and got["label"] is None


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ('{"method": "grpod",', r"not valid JSON \(line 1, column"),
        ("[1, 2]", "must hold a JSON object, got list"),
        (json.dumps({**META, "step": "3"}), r"field 'step' must be a non-negative integer, got '3'"),
        (json.dumps({**META, "step": True}), r"field 'step' must be a non-negative integer"),
        (json.dumps({k: v for k, v in META.items() if k != "method"}),
         r"field 'method' must be a non-empty string, got None"),
        (json.dumps({**META, "train_seed": "a"}), r"field 'train_seed' must be"),
        (json.dumps({**META, "sweep": [0.05]}), r"field 'sweep' must map setting names"),
        (json.dumps({**META, "sweep": {"beta": [1]}}), r"field 'sweep' must map setting names"),
    ],
)
def test_a_malformed_file_names_the_file_and_the_field(
    tmp_path: Path, raw: str, match: str
) -> None:
    folder = _checkpoint(tmp_path, raw=raw)
    with pytest.raises(CheckpointMetaError, match=match) as info:
        read_provenance(folder)
    assert str(folder / CHECKPOINT_META) in str(info.value)
    assert "delete" in str(info.value)  # ... and the fix


def test_the_cli_reports_a_malformed_file_before_loading_anything(
    tmp_path: Path, capsys: Any
) -> None:
    folder = _checkpoint(tmp_path, {**META, "base_model": 7})
    out = tmp_path / "runs"
    assert main(["run", "--model", str(folder), "--tasks", "vc-synth-tiny",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"error: {folder / CHECKPOINT_META}: field 'base_model'" in err
    assert not out.exists()


def test_a_swept_checkpoint_keeps_its_value(tmp_path: Path) -> None:
    """A checkpoint of ``train-and-eval --sweep`` records its value; ``run`` on it gets the
    value's label and the ``sweep`` field that puts it in the value's run (not the other's)."""
    folder = _checkpoint(tmp_path, {**META, "sweep": {"beta": 0.05}})
    found = read_provenance(folder)
    assert found is not None and found.sweep == {"beta": 0.05}
    described = _description(["--model", str(folder)])
    assert described["sweep"] == {"beta": 0.05}
    assert described["label"] == "grpod:vc-synth-tiny@3 beta=0.05"


def test_label_is_the_one_train_and_eval_gives() -> None:
    assert checkpoint_label("grpod", "vc", 3) == "grpod:vc@3"
    assert checkpoint_label("sft", "gr", 10, 2) == "sft:gr@10 seed 2"
    assert checkpoint_label("base", None, 0) == "base"


# -- end to end: train, run on the checkpoint, the board ------------------------------------------

TRAIN_OVERRIDES = {
    "max_steps": 2, "save_steps": 2, "train_samples": 8, "per_device_train_batch_size": 4,
    "num_generations": 2, "max_completion_length": 8,
}


@pytest.mark.usefixtures("one_torch_thread")
def test_train_then_run_fills_the_train_and_eval_row(
    tiny_model: str, tmp_path: Path, capsys: Any
) -> None:
    pytest.importorskip("trl")
    import torch

    from leaderboard import collect
    from leaderboard.analysis import analyse
    from othink_bench.records import find_run_dirs, read_manifest
    from trainers.matrix import Matrix, MatrixSpec
    from trainers.run import slug

    out = tmp_path / "matrix"
    task = "vc-synth-tiny"
    # `train` into the folder train-and-eval would use, so the matrix below reuses the training
    train_dir = out / "train" / slug(tiny_model) / task / "grpod"
    assert main(["train", "--method", "grpod", "--task", task, "--model", tiny_model,
                 "--recipe", "tiny", "--output", str(train_dir),
                 *(f"{k}={v}" for k, v in TRAIN_OVERRIDES.items())]) == 0
    checkpoint = train_dir / "checkpoint-2"
    assert json.loads((checkpoint / CHECKPOINT_META).read_text())["method"] == "grpod"
    capsys.readouterr()

    threads_before = torch.get_num_threads()
    runs = out / "runs"
    assert main(["run", "--model", str(checkpoint), "--tasks", task, "--limit", "2",
                 "--max-new-tokens", "8", "--batch-size", "4", "--threads", "1",
                 "--no-progress", "--out", str(runs)]) == 0
    err = capsys.readouterr().err
    assert "overrides" not in err  # nothing contradicts the checkpoint's file
    assert "note: torch uses 1 CPU thread (--threads;" in err
    assert torch.get_num_threads() == threads_before  # restored when the backend closed
    (run_dir,) = find_run_dirs([runs])
    manifest = read_manifest(run_dir)
    model = manifest.model
    assert (model.method, model.base_model, model.train_task, model.step, model.label) == (
        "grpod", tiny_model, task, 2, "grpod:vc-synth-tiny@2")
    raw = json.loads((run_dir / "manifest.json").read_text())
    assert raw["backend_info"]["cpu_threads"] == {"threads": 1, "reason": "--threads"}

    # train-and-eval on the same training evaluates the same cell: the run `run` made is its
    # run (same id, nothing generated again), so the board has one GRPO-D row, not two
    spec = MatrixSpec(
        model=tiny_model, methods=["grpod"], train_tasks=[task], eval_tasks=[task], out=out,
        recipe="tiny", overrides=dict(TRAIN_OVERRIDES), eval_limit=2,
        eval_settings={"max_new_tokens": 8, "batch_size": 4, "progress": False},
    )
    (cell,) = Matrix(spec, echo=lambda _: None).run()
    assert Path(cell.run_dir) == run_dir and cell.step == 2
    assert find_run_dirs([runs]) == [run_dir]

    rows = analyse(collect([runs])).table1.rows
    assert [(r.model.base, r.model.method) for r in rows] == [(tiny_model, "grpod")]
    assert main(["leaderboard", str(runs), "--out", str(tmp_path / "board"),
                 "--no-plots"]) == 0
    board = (tmp_path / "board" / "README.md").read_text()
    rows = [line.split(" | ")[0] for line in board.splitlines() if line.startswith("| ")]
    assert "| + GRPO-D" in rows  # a method row under its base model ...
    assert not any("checkpoint-2" in r for r in rows)  # ... not a model named after the folder
