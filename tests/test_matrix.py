"""train-and-eval on the tiny model: 2 methods x 2 train tasks x 2 eval tasks (+ the base model),
records the leaderboard reads, and resumption of an interrupted matrix."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("trl")

from othink_bench.records import find_run_dirs, read_manifest, read_records
from trainers.checkpoints import TRAINING_MARKER
from trainers.matrix import MATRIX_FILE, MATRIX_MD, Matrix, MatrixSpec
from trainers.recipes import ConfigError
from trainers.run import train

TASKS = ["vc-synth-tiny", "gr-synth-tiny"]
METHODS = ["sft", "grpod"]
STEPS = 2
LIMIT = 2
OVERRIDES = {
    "max_steps": STEPS,
    "save_steps": 1,
    "train_samples": 8,
    "per_device_train_batch_size": 4,
    "num_generations": 2,
    "max_completion_length": 8,
}


def length_bonus(fn: Any) -> Any:
    """The random tiny model never earns a reward; without a signal GRPO leaves the weights
    as they were, and identical weights are one harness run. A tiny length term on the
    accuracy reward makes every training move its weights, as a real one does."""
    from othink_bench.rewards import completion_text

    def wrapped(completions: list[Any], **columns: Any) -> list[float]:
        out = fn(completions, **columns)
        if fn.__name__.startswith("accuracy"):
            out = [r + 1e-3 * len(completion_text(c)) for r, c in zip(out, completions,
                                                                       strict=True)]
        return out

    return wrapped


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _spec(model: str, out: Path) -> MatrixSpec:
    return MatrixSpec(
        model=model,
        methods=["base", *METHODS],
        train_tasks=list(TASKS),
        eval_tasks=list(TASKS),
        out=out,
        recipe="tiny",
        eval_checkpoints="all",
        overrides=dict(OVERRIDES),
        eval_limit=LIMIT,
        eval_settings={"max_new_tokens": 8, "batch_size": 4, "progress": False},
    )


class Counting:
    """Counts trainings that really ran and evaluate() calls."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import othink_bench.harness as harness

        self.trained: list[tuple[str, str]] = []
        self.evaluated: list[tuple[str, tuple[str, ...]]] = []
        real = harness.evaluate

        def evaluate(model: str, tasks: Any, **kw: Any) -> Any:
            self.evaluated.append((model, tuple(tasks)))
            return real(model, tasks, **kw)

        monkeypatch.setattr(harness, "evaluate", evaluate)

    def train(self, method: str, task: str, model: str, **kw: Any) -> Any:
        result = train(method, task, model, **kw)
        if not result.reused:
            self.trained.append((method, task))
        return result


@pytest.fixture(scope="module")
def matrix_run(tiny_model: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("matrix")
    cells = Matrix(_spec(tiny_model, out), echo=lambda _: None,
                   train_kwargs={"reward_wrapper": length_bonus}).run()
    return out, cells


def test_full_matrix_of_records(matrix_run: tuple[Path, Any], tiny_model: str) -> None:
    out, cells = matrix_run
    # base on each eval task, and every (method, train task, checkpoint, eval task)
    assert len(cells) == len(TASKS) + len(METHODS) * len(TASKS) * STEPS * len(TASKS)
    keys = {(c.method, c.train_task, c.eval_task, c.step) for c in cells}
    for method in METHODS:
        for train_task in TASKS:
            for eval_task in TASKS:
                for step in range(1, STEPS + 1):
                    assert (method, train_task, eval_task, step) in keys
    for eval_task in TASKS:
        assert ("base", None, eval_task, 0) in keys
    finals = [c for c in cells if c.final and c.method != "base"]
    assert len(finals) == len(METHODS) * len(TASKS) ** 2 and {c.step for c in finals} == {STEPS}
    assert sum(c.same_task for c in finals) == len(METHODS) * len(TASKS)

    # every cell is a harness run directory the leaderboard can read on its own
    run_dirs = find_run_dirs([out / "runs"])
    assert len(run_dirs) == len(cells)
    for cell in cells:
        assert cell.status == "complete" and cell.n == LIMIT
        manifest = read_manifest(Path(cell.run_dir))
        assert manifest.status == "complete" and manifest.task == cell.eval_task
        model = manifest.model
        assert (model.method, model.train_task, model.step) == (
            cell.method, cell.train_task, cell.step)
        assert model.base_model == tiny_model
        if cell.method != "base":
            meta = json.loads((Path(cell.checkpoint) / "othink_checkpoint.json").read_text())
            assert (meta["method"], meta["task"], meta["step"]) == (
                cell.method, cell.train_task, cell.step)
            # the checkpoint's model card carries its board line, as matrix.md shows the cell
            card = (Path(cell.checkpoint) / "README.md").read_text()
            assert "[None]" not in card and "## Evaluation (othink-bench)" in card
            assert f"| {cell.eval_task} | {'yes' if cell.same_task else 'no'} | " in card
            assert f"n={cell.scored} |" in card and f"`{cell.run_id}`" in card
            if cell.final:
                assert f"`{cell.run_id}`" in (Path(cell.checkpoint).parent / "README.md").read_text()
        records = read_records(Path(cell.run_dir) / "records.jsonl")
        assert len(records) == LIMIT and {r.task for r in records} == {cell.eval_task}

    data = json.loads((out / MATRIX_FILE).read_text())
    assert len(data["cells"]) == len(cells)
    assert set(data["trainings"]) == {f"{m}/{t}" for m in METHODS for t in TASKS}
    md = (out / MATRIX_MD).read_text()
    assert "### sft" in md and "### grpod" in md and "accuracy % by step" in md
    assert "| base |" in md


def test_matrix_resumes(
    matrix_run: tuple[Path, Any], tiny_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, cells = matrix_run
    spy = Counting(monkeypatch)

    # Nothing to do on a finished matrix: no training, no evaluation.
    again = Matrix(_spec(tiny_model, out), echo=lambda _: None, train_fn=spy.train).run()
    assert spy.trained == [] and spy.evaluated == []
    assert {c.run_dir for c in again} == {c.run_dir for c in cells}

    # An evaluation killed mid-run: its cell is redone (from the records), the rest reused.
    victim = next(c for c in cells if c.method == "grpod" and c.step == 1)
    manifest = Path(victim.run_dir) / "manifest.json"
    data = json.loads(manifest.read_text())
    data["status"] = "interrupted"
    manifest.write_text(json.dumps(data))
    records = Path(victim.run_dir) / "records.jsonl"
    records.write_text(records.read_text().splitlines(keepends=True)[0])
    # A training killed before its marker: it resumes from its newest checkpoint (here the
    # final one: nothing left to train), so no checkpoint is deleted or evaluated anew.
    train_dir = out / "train" / Path(tiny_model).name / "gr-synth-tiny" / "sft"
    (train_dir / TRAINING_MARKER).unlink()
    resumed = Matrix(_spec(tiny_model, out), echo=lambda _: None, train_fn=spy.train).run()
    assert spy.trained == [("sft", "gr-synth-tiny")]
    assert (train_dir / TRAINING_MARKER).is_file()
    assert sorted(p.name for p in train_dir.glob("checkpoint-*")) == [
        f"checkpoint-{s}" for s in range(1, STEPS + 1)]
    # the resumed training rewrote the final card; its reused cells are put back in it
    final_card = (train_dir / f"checkpoint-{STEPS}" / "README.md").read_text()
    assert "## Evaluation (othink-bench)" in final_card and "| gr-synth-tiny | yes |" in final_card
    assert sorted(spy.evaluated) == [(victim.checkpoint, (victim.eval_task,))]
    assert len(resumed) == len(cells)
    redone = next(c for c in resumed if c.cell_key == victim.cell_key)
    assert redone.status == "complete" and redone.n == LIMIT


def test_processes_sharing_an_out_folder_lose_no_cells(
    matrix_run: tuple[Path, Any], tiny_model: str, tmp_path: Path
) -> None:
    """Two train-and-eval processes on one --out (one per train task, say) each save what they
    did; the last save keeps the other's cells and trainings instead of overwriting them."""
    _, cells = matrix_run
    first = Matrix(_spec(tiny_model, tmp_path), echo=lambda _: None)
    second = Matrix(_spec(tiny_model, tmp_path), echo=lambda _: None)  # started before any save
    mine = [c for c in cells if c.train_task != "gr-synth-tiny"]
    theirs = [c for c in cells if c.train_task == "gr-synth-tiny"]
    assert mine and theirs
    first.cells = {c.slot: c for c in mine}
    first.trainings = {"sft/vc-synth-tiny": {"steps": 2}}
    second.cells = {c.slot: c for c in theirs}
    second.trainings = {"sft/gr-synth-tiny": {"steps": 2}}
    first.save()
    second.save()
    data = json.loads((tmp_path / MATRIX_FILE).read_text())
    assert {c["cell_key"] for c in data["cells"]} == {c.cell_key for c in cells}
    assert set(data["trainings"]) == {"sft/vc-synth-tiny", "sft/gr-synth-tiny"}
    assert not list(tmp_path.glob("*.tmp"))
    assert "| base |" in (tmp_path / MATRIX_MD).read_text()


def test_an_unreadable_matrix_file_is_ignored_and_replaced(
    matrix_run: tuple[Path, Any], tiny_model: str, tmp_path: Path
) -> None:
    _, cells = matrix_run
    (tmp_path / MATRIX_FILE).write_text('{"cells": [{"method": "sft"}]')  # cut short
    matrix = Matrix(_spec(tiny_model, tmp_path), echo=lambda _: None)
    assert matrix.cells == {}
    matrix.cells = {c.slot: c for c in cells}
    matrix.save()  # the broken file is not merged, it is replaced
    data = json.loads((tmp_path / MATRIX_FILE).read_text())
    assert len(data["cells"]) == len(cells)


def test_spec_validation_and_cli(tmp_path: Path) -> None:
    from trainers.matrix.command import configure_train_and_eval, matrix_spec_from_args

    with pytest.raises(ConfigError, match="unknown method"):
        MatrixSpec(model="tiny", methods=["ppo"], train_tasks=["vc"], eval_tasks=["vc"],
                   out=tmp_path)
    with pytest.raises(ConfigError, match="eval-checkpoints"):
        MatrixSpec(model="tiny", methods=["sft"], train_tasks=["vc"], eval_tasks=["vc"],
                   out=tmp_path, eval_checkpoints="best")
    parser = argparse.ArgumentParser()
    configure_train_and_eval(parser)
    args = parser.parse_args([
        "--method", "grpod", "--model", "tiny", "--train-tasks", "vc-synth,gr-synth",
        "--eval-limit", "5", "--eval-data", "vc-synth=/data/vc.jsonl", "--out", str(tmp_path),
        "max_steps=3", "grpod.beta_max=0.2",
    ])
    spec = matrix_spec_from_args(args)
    assert spec.methods == ["base", "grpod"] and spec.eval_tasks == ["vc-synth", "gr-synth"]
    assert spec.recipe == "tiny" and spec.overrides == {"max_steps": 3, "grpod.beta_max": 0.2}
    assert spec.eval_data == {"vc-synth": "/data/vc.jsonl"} and spec.eval_limit == 5
    args = parser.parse_args(["--methods", "sft,grpo", "--model", "Qwen/Qwen2-VL-7B-Instruct",
                              "--eval-tasks", "vc", "--eval-data", "vc=/data/vc.jsonl"])
    spec = matrix_spec_from_args(args)
    assert spec.methods == ["sft", "grpo"] and spec.train_tasks == ["vc", "gr"]
    assert spec.eval_tasks == ["vc"] and spec.recipe == "qwen2-vl-7b"


def test_default_tasks_follow_the_model(tmp_path: Path) -> None:
    """--model tiny trains and evaluates on the tiny presets; paper tasks need --eval-data."""
    from trainers.matrix.command import configure_train_and_eval, matrix_spec_from_args

    parser = argparse.ArgumentParser()
    configure_train_and_eval(parser)
    spec = matrix_spec_from_args(parser.parse_args(["--model", "tiny", "--out", str(tmp_path)]))
    assert spec.train_tasks == ["vc-synth-tiny", "gr-synth-tiny"]
    assert spec.eval_tasks == spec.train_tasks and spec.recipe == "tiny"
    helps = {a.dest: a.help or "" for a in parser._actions}
    assert "default: vc-synth-tiny,gr-synth-tiny with --model tiny, else vc,gr" in helps[
        "train_tasks"]
    with pytest.raises(ConfigError) as err:
        matrix_spec_from_args(parser.parse_args(["--model", "Qwen/Qwen2-VL-2B-Instruct"]))
    message = str(err.value)
    assert "--eval-data vc=FILE --eval-data gr=FILE" in message and "--train-tasks" in message
    assert "--data " not in message and "--tasks " not in message  # run's flags, not ours
    with pytest.raises(ConfigError, match="--eval-data gr=FILE"):
        matrix_spec_from_args(parser.parse_args(
            ["--model", "m", "--train-tasks", "vc-synth", "--eval-tasks", "vc-synth,gr",
             "--eval-data", "vc=/data/vc.jsonl"]))


# -- training seeds ----------------------------------------------------------------------------

SEED_OVERRIDES = {"max_steps": 1, "save_steps": 1, "train_samples": 8,
                  "per_device_train_batch_size": 4}


def _seed_spec(model: str, out: Path, seeds: list[int] | None = None) -> MatrixSpec:
    return MatrixSpec(
        model=model,
        methods=["base", "sft"],
        train_tasks=["vc-synth-tiny"],
        eval_tasks=["vc-synth-tiny"],
        out=out,
        recipe="tiny",
        overrides=dict(SEED_OVERRIDES),
        eval_limit=LIMIT,
        eval_settings={"max_new_tokens": 4, "batch_size": 2, "progress": False},
        seeds=[0, 1] if seeds is None else seeds,
    )


def test_seeds_train_apart_on_the_same_data_and_resume_per_seed(
    tiny_model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safetensors.torch import load_file

    out = tmp_path / "seeds"
    cells = Matrix(_seed_spec(tiny_model, out), echo=lambda _: None).run()
    # the base model once (no seed), each seed's final checkpoint once
    assert sorted((c.method, c.train_seed) for c in cells) == [
        ("base", None), ("sft", 0), ("sft", 1)]
    train_root = out / "train" / Path(tiny_model).name / "vc-synth-tiny" / "sft"
    weights = []
    for seed in (0, 1):
        folder = train_root / f"seed-{seed}"
        marker = json.loads((folder / TRAINING_MARKER).read_text())
        assert marker["recipe"]["values"]["seed"] == seed  # the TRL seed, per training
        assert marker["recipe"]["values"].get("data_seed", 0) == 0  # the data stays the same
        assert marker["data"]["used"] == 8
        # ... and each checkpoint says its seed, so `run` on it later keeps the seed's row
        meta = json.loads((folder / "checkpoint-1" / "othink_checkpoint.json").read_text())
        assert meta["train_seed"] == seed
        weights.append(load_file(str(folder / "checkpoint-1" / "model.safetensors")))
    # another sampling order of the same 8 samples: the two trainings moved apart
    assert any(not (weights[0][k] == weights[1][k]).all() for k in weights[0])
    samples = []
    for cell in cells:
        manifest = read_manifest(Path(cell.run_dir))
        assert manifest.model.train_seed == cell.train_seed
        raw = json.loads((Path(cell.run_dir) / "manifest.json").read_text())
        assert ("train_seed" in raw["model"]) == (cell.method != "base")
        samples.append([r.sample_id for r in read_records(Path(cell.run_dir) / "records.jsonl")])
    assert samples[0] == samples[1] == samples[2]  # every seed on the same test samples
    data = json.loads((out / MATRIX_FILE).read_text())
    assert data["spec"]["seeds"] == [0, 1]
    assert set(data["trainings"]) == {"sft/vc-synth-tiny/seed-0", "sft/vc-synth-tiny/seed-1"}
    md = (out / MATRIX_MD).read_text()
    assert "mean over training seeds 0, 1" in md
    seeded = sorted((c for c in cells if c.method == "sft"), key=lambda c: c.train_seed or 0)
    values = [f"{100 * c.accuracy:.1f} [{100 * c.accuracy_low:.1f}, {100 * c.accuracy_high:.1f}]"
              for c in seeded]
    assert f"({values[0]}, {values[1]}) n={seeded[0].scored}" in md

    # Resume per seed: seed 1's training lost its marker; only it trains again, nothing else
    # is evaluated anew (its final checkpoint is unchanged, so its cell stands).
    spy = Counting(monkeypatch)
    (train_root / "seed-1" / TRAINING_MARKER).unlink()
    again = Matrix(_seed_spec(tiny_model, out), echo=lambda _: None, train_fn=spy.train).run()
    assert spy.trained == [("sft", "vc-synth-tiny")] and spy.evaluated == []
    assert {c.run_dir for c in again} == {c.run_dir for c in cells}
    # a third seed adds its training and its cell; the base and seeds 0-1 are reused
    more = Matrix(_seed_spec(tiny_model, out, [0, 1, 2]), echo=lambda _: None,
                  train_fn=spy.train).run()
    assert spy.trained[1:] == [("sft", "vc-synth-tiny")]
    assert [m for m, _ in spy.evaluated] == [str(train_root / "seed-2" / "checkpoint-1")]
    assert sorted(c.train_seed for c in more if c.method == "sft") == [0, 1, 2]


def test_seeds_flag(tmp_path: Path) -> None:
    from trainers.matrix import parse_seeds
    from trainers.matrix.command import configure_train_and_eval, matrix_spec_from_args

    parser = argparse.ArgumentParser()
    configure_train_and_eval(parser)
    spec = matrix_spec_from_args(parser.parse_args(["--model", "tiny", "--seeds", "3"]))
    assert spec.seeds == [0, 1, 2] and spec.train_seeds == [0, 1, 2]
    spec = matrix_spec_from_args(parser.parse_args(["--model", "tiny", "--seeds", "4,2"]))
    assert spec.seeds == [4, 2]
    spec = matrix_spec_from_args(parser.parse_args(["--model", "tiny"]))
    assert spec.seeds is None and spec.train_seeds == [None]
    assert "seeds" not in spec.to_dict()  # matrices without seeds keep their matrix.json
    assert parse_seeds("7,") == [7]
    for bad, match in (("0", "N >= 1"), ("1,1", "given twice"), ("a", "comma list"),
                       ("1,-2", ">= 0, got -2")):
        with pytest.raises(ConfigError, match=match):
            parse_seeds(bad)
    with pytest.raises(ConfigError, match="drop the override"):
        matrix_spec_from_args(parser.parse_args(["--model", "tiny", "--seeds", "2", "seed=3"]))


def test_training_seed_is_part_of_the_run_key() -> None:
    """Two seeds that end with identical weights are still two runs; no seed: the old key."""
    from othink_bench.harness import RunSettings
    from othink_bench.harness.identity import run_key
    from othink_bench.records import ModelInfo
    from othink_bench.registry import get_task

    task = get_task("vc-synth-tiny")

    def key(seed: int | None) -> dict[str, Any]:
        info = ModelInfo(name="ckpt", method="sft", train_task="vc-synth-tiny", step=1,
                         train_seed=seed)
        return run_key({"fingerprint": "same"}, task, RunSettings(), "synthetic", info)

    assert key(0) != key(1)
    assert key(None)["provenance"] == {"method": "sft", "train_task": "vc-synth-tiny", "step": 1}
    assert key(1)["provenance"]["train_seed"] == 1
