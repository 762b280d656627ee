"""train-and-eval --sweep: each value of a setting its own training folder, run identity,
manifest, matrix cell and row; checked before any model loads; resumed per value.

The end-to-end test is the issue's: the tiny model's GRPO never earns a reward, so a sweep of
the format weight alpha leaves the weights byte-identical across values - the case where two
values used to share one run id and the leaderboard exited 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from othink_bench.sweeps import sweep_sort_key, sweep_text, value_text
from trainers.matrix.sweep import (
    SweepAxis,
    check_sweeps,
    parse_sweep,
    point_overrides,
    sweep_folder,
    sweep_points,
)
from trainers.recipes import ConfigError


def test_parse_sweep_values_and_errors() -> None:
    axis = parse_sweep("grpo.beta=0,0.01,0.05")
    assert axis == SweepAxis("grpo.beta", (0, 0.01, 0.05))
    assert axis.scope == "grpo" and axis.setting == "beta"
    assert parse_sweep("--learning-rate=1e-5,2e-5").key == "learning_rate"
    assert parse_sweep("beta_schedule=grpod,linear").values == ("grpod", "linear")
    for bad, match in (("beta", "not KEY=V1,V2"), ("=1,2", "not KEY=V1,V2"),
                       ("beta=0,,1", "empty value"), ("beta=", "empty value"),
                       ("beta=0,0.0", "given twice"), ("beta=a/b", "letters, digits"),
                       ("beta=[1]", "not one value")):
        with pytest.raises(ConfigError, match=match):
            parse_sweep(bad)


def test_check_sweeps_refuses_what_cannot_train() -> None:
    methods = ["base", "sft", "grpo"]
    assert check_sweeps([parse_sweep("grpo.alpha=0,1")], methods, {})
    cases = [
        ("nomethod.beta=0,1", {}, "'nomethod' is not a method"),
        ("grpo.nosuch=0,1", {}, "not a setting of grpo"),
        ("grpod.beta=0,1", {}, "does not train; add it to --methods"),
        ("nosuch=0,1", {}, "no method trained here"),
        ("seed=0,1", {}, "use --seeds 0,1"),
        ("grpo.beta=0,1", {"beta": 0.1}, "drop the override"),
        ("grpo.beta=0,1", {"grpo.beta": 0.1}, "drop the override"),
    ]
    for text, overrides, match in cases:
        with pytest.raises(ConfigError, match=match):
            check_sweeps([parse_sweep(text)], methods, overrides)
    # an override of another method's beta does not clash with a grpo sweep
    check_sweeps([parse_sweep("grpo.beta=0,1")], ["grpo", "grpod"], {"grpod.beta": 0.1})
    with pytest.raises(ConfigError, match="both sweep beta of grpo"):
        check_sweeps([parse_sweep("beta=0,1"), parse_sweep("grpo.beta=0.5,0.7")], methods, {})


def test_points_grid_folders_and_overrides() -> None:
    axes = [parse_sweep("grpo.beta=0,0.05"), parse_sweep("alpha=0,0.5")]
    assert sweep_points(axes, "grpo") == [
        {"alpha": 0, "beta": 0}, {"alpha": 0.5, "beta": 0},
        {"alpha": 0, "beta": 0.05}, {"alpha": 0.5, "beta": 0.05}]
    assert sweep_points(axes, "grpod") == [{"alpha": 0}, {"alpha": 0.5}]  # alpha is grpod's too
    assert sweep_points(axes, "sft") == [None]  # sft has neither: trained once, no folder
    point = {"beta": 0.05, "alpha": 0.5}
    assert sweep_folder(point) == "sweep-alpha=0.5,beta=0.05" and sweep_folder(None) == ""
    assert point_overrides(axes, point, "grpo") == {"grpo.beta": 0.05, "alpha": 0.5}
    assert point_overrides(axes, None, "sft") == {}
    assert [value_text(v) for v in (0, 0.05, 1e-05, True, "cosine")] == [
        "0", "0.05", "1e-05", "true", "cosine"]
    values = [0.1, 0.05, 0, 0.01]
    assert sorted(values, key=lambda v: sweep_sort_key({"beta": v})) == [0, 0.01, 0.05, 0.1]
    assert sweep_text({}) == "" and sweep_sort_key(None) == ()


def test_sweep_is_part_of_the_run_key() -> None:
    """Two values that end with identical weights are still two runs; no sweep: the old key."""
    from othink_bench.harness import RunSettings
    from othink_bench.harness.identity import run_key
    from othink_bench.records import ModelInfo
    from othink_bench.registry import get_task

    task = get_task("gr-synth-tiny")

    def key(sweep: dict[str, Any] | None) -> dict[str, Any]:
        info = ModelInfo(name="ckpt", method="grpo", train_task="gr-synth-tiny", step=1,
                         sweep=sweep)
        return run_key({"fingerprint": "same"}, task, RunSettings(), "synthetic", info)

    assert key({"alpha": 0}) != key({"alpha": 0.5})
    assert key(None)["provenance"] == {"method": "grpo", "train_task": "gr-synth-tiny", "step": 1}
    assert key({"alpha": 0.5})["provenance"]["sweep"] == {"alpha": 0.5}
    assert "sweep" not in ModelInfo(name="x").model_dump()  # old manifests keep their shape


def _parser() -> argparse.ArgumentParser:
    from trainers.matrix.command import configure_train_and_eval

    parser = argparse.ArgumentParser()
    configure_train_and_eval(parser)
    return parser


def test_sweep_flag(tmp_path: Path) -> None:
    from trainers.matrix.command import matrix_spec_from_args

    parser = _parser()
    spec = matrix_spec_from_args(parser.parse_args(
        ["--model", "tiny", "--methods", "base,sft,grpo", "--out", str(tmp_path),
         "--sweep", "grpo.beta=0,0.05", "--sweep", "alpha=0,1"]))
    assert [a.key for a in spec.sweeps] == ["grpo.beta", "alpha"]
    assert len(spec.sweep_points("grpo")) == 4 and spec.sweep_points("sft") == [None]
    assert spec.to_dict()["sweeps"] == [{"key": "grpo.beta", "values": [0, 0.05]},
                                        {"key": "alpha", "values": [0, 1]}]
    plain = matrix_spec_from_args(parser.parse_args(["--model", "tiny", "--out", str(tmp_path)]))
    assert plain.sweeps is None and "sweeps" not in plain.to_dict()  # the old matrix.json
    assert plain.sweep_points("grpo") == [None]
    with pytest.raises(ConfigError, match="does not train"):
        matrix_spec_from_args(parser.parse_args(
            ["--model", "tiny", "--methods", "sft", "--sweep", "grpo.beta=0,1"]))


def test_plan_plans_each_value(capsys: pytest.CaptureFixture[str]) -> None:
    from trainers.matrix.command import execute_train_and_eval

    args = _parser().parse_args(
        ["--model", "tiny", "--methods", "grpo", "--train-tasks", "gr-synth-tiny",
         "--sweep", "grpo.beta=0,0.05", "--plan", "--json", "max_steps=4"])
    assert execute_train_and_eval(args) == 0
    plans = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [p["sweep"] for p in plans] == [{"beta": 0}, {"beta": 0.05}]
    assert [set(p["beta_at_saves"].values()) for p in plans] == [{0}, {0.05}]
    args = _parser().parse_args(["--model", "tiny", "--methods", "grpo", "--sweep",
                                 "grpo.nosuch=1,2", "--plan"])
    assert execute_train_and_eval(args) == 2
    assert "not a setting of grpo" in capsys.readouterr().err


# -- end to end on the tiny model ----------------------------------------------------------------

OVERRIDES = {"max_steps": 1, "save_steps": 1, "train_samples": 8,
             "per_device_train_batch_size": 4, "num_generations": 2,
             "max_completion_length": 8}
TASK = "gr-synth-tiny"


def _sweep_spec(model: str, out: Path, *sweeps: str) -> Any:
    from trainers.matrix import MatrixSpec

    return MatrixSpec(
        model=model, methods=["grpo"], train_tasks=[TASK], eval_tasks=[TASK], out=out,
        recipe="tiny", overrides=dict(OVERRIDES), eval_limit=2,
        eval_settings={"max_new_tokens": 4, "batch_size": 2, "progress": False},
        sweeps=[parse_sweep(s) for s in sweeps],
    )


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_alpha_sweep_with_identical_weights_gives_two_runs_rows_and_a_figure(
    tiny_model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("trl")
    from leaderboard import build_board, render_markdown
    from othink_bench.models.provenance import read_provenance
    from othink_bench.records import read_manifest
    from trainers.checkpoints import TRAINING_MARKER
    from trainers.matrix import MATRIX_FILE, MATRIX_MD, Matrix
    from trainers.run import train

    out = tmp_path / "alpha"
    cells = Matrix(_sweep_spec(tiny_model, out, "grpo.alpha=0,0.5"), echo=lambda _: None).run()
    assert [c.sweep for c in cells] == [{"alpha": 0}, {"alpha": 0.5}]
    assert len({c.run_id for c in cells}) == 2
    root = out / "train" / Path(tiny_model).name / TASK / "grpo"
    folders = [root / "sweep-alpha=0", root / "sweep-alpha=0.5"]
    for cell, folder in zip(cells, folders, strict=True):
        assert cell.checkpoint == str(folder / "checkpoint-1")
        marker = json.loads((folder / TRAINING_MARKER).read_text())
        assert marker["recipe"]["values"]["alpha"] == cell.sweep["alpha"]  # trained at it
        manifest = read_manifest(Path(cell.run_dir))
        assert manifest.model.sweep == cell.sweep
        assert manifest.model.label == f"grpo:{TASK}@1 alpha={value_text(cell.sweep['alpha'])}"
        # the checkpoint knows its value: `run` on it gives this cell's row and run id
        found = read_provenance(folder / "checkpoint-1")
        assert found is not None and found.sweep == cell.sweep
        assert found.label == manifest.model.label
    # the random tiny model earns no reward: both values leave the same weights, the case
    # where two values used to be one run
    weights = [(f / "checkpoint-1" / "model.safetensors").read_bytes() for f in folders]
    assert weights[0] == weights[1]
    data = json.loads((out / MATRIX_FILE).read_text())
    assert data["spec"]["sweeps"] == [{"key": "grpo.alpha", "values": [0, 0.5]}]
    assert set(data["trainings"]) == {f"grpo/{TASK}/sweep-alpha=0", f"grpo/{TASK}/sweep-alpha=0.5"}
    assert [c["sweep"] for c in data["cells"]] == [{"alpha": 0}, {"alpha": 0.5}]
    md = (out / MATRIX_MD).read_text()
    assert f"| {TASK} alpha=0 |" in md and f"| {TASK} alpha=0.5 |" in md

    board = build_board([out / "runs"])
    text = render_markdown(board)
    assert "+ GRPO (alpha=0)" in text and "+ GRPO (alpha=0.5)" in text
    assert "superseded" not in text.lower()
    assert [p.name for p in board.plots if p.name.startswith("sweep-")] == [
        f"sweep-alpha-{Path(tiny_model).name}.png"]

    # resume per value: alpha=0.5 lost its marker; only it trains and is evaluated again
    trained: list[str] = []
    evaluated: list[str] = []
    import othink_bench.harness as harness

    real = harness.evaluate

    def evaluate(model: str, tasks: Any, **kw: Any) -> Any:
        evaluated.append(model)
        return real(model, tasks, **kw)

    def spy(method: str, task: str, model: str, **kw: Any) -> Any:
        result = train(method, task, model, **kw)
        if not result.reused:
            trained.append(str(kw["output_dir"]))
        return result

    monkeypatch.setattr(harness, "evaluate", evaluate)
    (folders[1] / TRAINING_MARKER).unlink()
    again = Matrix(_sweep_spec(tiny_model, out, "grpo.alpha=0,0.5"), echo=lambda _: None,
                   train_fn=spy).run()
    assert trained == [str(folders[1])]
    assert evaluated and all(m.startswith(str(folders[1])) for m in evaluated)
    assert again[0] == cells[0]  # alpha=0: its training and its cell untouched
    assert {c.sweep["alpha"] for c in again if c.final} == {0, 0.5}
    assert all(c.checkpoint.startswith(str(folders[1])) for c in again[1:])


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_beta_values_from_separate_out_folders_merge_on_one_board(
    tiny_model: str, tmp_path: Path
) -> None:
    pytest.importorskip("trl")
    from leaderboard import collect
    from leaderboard.figures.sweeps import build_sweeps
    from trainers.matrix import Matrix

    outs = [tmp_path / "b0", tmp_path / "b5"]
    for out, value in zip(outs, ("0", "0.05"), strict=True):
        Matrix(_sweep_spec(tiny_model, out, f"grpo.beta={value}"), echo=lambda _: None).run()
    coll = collect([out / "runs" for out in outs])
    assert [m.display for m in coll.models] == ["+ GRPO (beta=0)", "+ GRPO (beta=0.05)"]
    assert coll.superseded == []
    # each value's training log is its own, never the other value's
    assert [(log.model.sweep, Path(log.path).parts[0]) for log in coll.logs] == [
        ((("beta", 0),), "b0"), ((("beta", 0.05),), "b5")]
    for log in coll.logs:
        assert set(log.series("beta")[1]) == {dict(log.model.sweep)["beta"]}
    figures = build_sweeps(coll)
    assert [(f.setting, [v for v, _ in f.lines[0].points]) for f in figures] == [
        ("beta", [0, 0.05])]
