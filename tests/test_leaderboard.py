"""Leaderboard tests: the golden board, marks, relative changes, version separation, determinism.

The golden markdown (tests/fixtures/leaderboard/golden.md) is the board built from the fixture
runs. After an intended change to the board's layout, regenerate it and review the diff:

    OTHINK_BENCH_UPDATE_GOLDEN=1 python -m pytest tests/test_leaderboard.py -k golden

The fixture runs themselves come from tests/fixtures/leaderboard/make_fixtures.py (a test checks
that the stored files match its output).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leaderboard import build_board, collect, records_frame, render_markdown, runs_frame
from leaderboard.analysis import analyse
from leaderboard.blocks import compress_refs
from leaderboard.cells import SIGNIFICANT
from leaderboard.commands import configure_leaderboard, execute_leaderboard
from leaderboard.displays import table1_display
from leaderboard.formats import FORMATS, render_csv, render_html, render_json
from leaderboard.keys import EvalKey, ModelKey
from leaderboard.render import board_from_collection, write_board
from othink_bench.records import Manifest, ModelInfo, RunRecord, append_records, write_manifest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "leaderboard"
RUNS = FIXTURES / "runs"
GOLDEN = FIXTURES / "golden.md"
GOLDEN_TITLE = "othink-bench leaderboard (test fixtures)"
UPDATE_ENV = "OTHINK_BENCH_UPDATE_GOLDEN"


@pytest.fixture(scope="module")
def fixture_board():
    return build_board([RUNS], title=GOLDEN_TITLE)


# -- helpers -----------------------------------------------------------------------------------


def make_run(
    root: Path,
    run_id: str,
    correct: list[bool],
    *,
    task: str = "vc-synth",
    version: str = "1.0",
    source: str = "synthetic",
    split: str = "test",
    method: str = "base",
    train_task: str | None = None,
    step: int | None = None,
    base: str = "tiny",
    label: str | None = None,
    finished: str = "2025-01-01T00:00:00+00:00",
    status: str = "complete",
    ids: list[str] | None = None,
    error_kinds: dict[int, str] | None = None,
    data: str | None = None,
    seed: int = 0,
    model_path: str | None = None,
    **manifest_extra: object,
) -> Path:
    """A run directory written through the core's own writers."""
    run_dir = root / run_id
    run_dir.mkdir(parents=True)
    trained = method != "base"
    manifest = Manifest(
        run_id=run_id,
        model=ModelInfo(
            name=f"ckpt-{run_id}" if trained else base,
            path=model_path,
            base_model=base if trained else None,
            method=method,
            train_task=train_task,
            step=step,
            label=label,
        ),
        task=task,
        task_version=version,
        source=source,
        split=split,
        started=finished,
        finished=finished,
        status=status,
        packages={"othink-bench": "0.1.0"},
        data=data,
        seed=seed,
        **manifest_extra,
    )
    write_manifest(run_dir, manifest)
    ids = ids or [f"s{i:04d}" for i in range(len(correct))]
    errors = error_kinds or {}
    append_records(
        run_dir / "records.jsonl",
        [
            RunRecord(
                sample_id=sid,
                index=i,
                task=task,
                task_version=version,
                gold="3",
                correct=ok,
                error="bad" if i in errors else None,
                error_kind=errors.get(i),
            )
            for i, (sid, ok) in enumerate(zip(ids, correct, strict=True))
        ],
    )
    return run_dir


def table1_md(root: Path) -> str:
    board = build_board([root], plots=False)
    text = render_markdown(board)
    start = text.index("## Same-task results")
    return text[start : text.index("## Cross-task results")]


def row_of(md: str, name: str) -> str:
    for line in md.splitlines():
        if line.startswith(f"| {name} |"):
            return line
    raise AssertionError(f"no row {name!r} in:\n{md}")


# -- golden and fixtures -----------------------------------------------------------------------


def test_golden_markdown(fixture_board):
    text = render_markdown(fixture_board)
    if os.environ.get(UPDATE_ENV):
        GOLDEN.write_text(text, encoding="utf-8", newline="\n")
        pytest.skip(f"golden board rewritten: {GOLDEN}")
    assert GOLDEN.exists(), f"no golden board; run with {UPDATE_ENV}=1 to write it"
    expected = GOLDEN.read_text(encoding="utf-8")
    assert text == expected, f"board differs from {GOLDEN}; if intended, rerun with {UPDATE_ENV}=1"


def test_fixtures_match_their_generator(tmp_path):
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write(tmp_path)
    for sub in ("runs", "train"):
        stored = sorted(p.relative_to(FIXTURES) for p in (FIXTURES / sub).rglob("*") if p.is_file())
        made = sorted(p.relative_to(tmp_path) for p in (tmp_path / sub).rglob("*") if p.is_file())
        assert stored == made
        for rel in stored:
            assert (FIXTURES / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_fixture_numbers_are_the_known_patterns():
    coll = collect([RUNS])
    assert len(coll.runs) == 26
    # Matrix-style labels ("grpod:vc-synth@30") do not split a method into rows.
    assert [m.display for m in coll.models] == ["tiny", "+ SFT", "+ GRPO", "+ GRPO-D"]
    # Procedural columns carry the data seed (the fixtures' manifests: seed 0).
    vc = EvalKey("vc-synth", "1.0", "synthetic", "test", data_seed=0)
    gr = EvalKey("gr-synth", "1.0", "synthetic", "test", data_seed=0)
    assert coll.columns == [gr, vc]
    grpod = ModelKey("tiny", "grpod")
    assert coll.final(ModelKey("tiny", "base"), None, vc).accuracy.k == 34
    assert coll.final(grpod, "vc-synth", vc).accuracy.k == 61
    assert coll.final(grpod, "vc-synth", vc).step == 30
    assert coll.final(grpod, "vc-synth", gr).accuracy.k == 8  # cross-task
    assert [r.step for r in coll.steps(grpod, "gr-synth", gr)] == [10, 20, 30]


# -- Table 1 marks and relative improvements ---------------------------------------------------


def test_bold_best_and_underline_strongest_baseline(fixture_board):
    text = render_markdown(fixture_board)
    t1 = text[text.index("## Same-task results") : text.index("## Cross-task results")]
    # GRPO-D is best on both tasks; SFT is the strongest baseline on both.
    assert row_of(t1, "+ GRPO-D").count("**") == 4
    assert "<u>" not in row_of(t1, "+ GRPO-D")
    assert row_of(t1, "+ SFT").count("<u>") == 2
    assert "**" not in row_of(t1, "+ SFT")
    for name in ("tiny", "+ GRPO"):
        assert "**" not in row_of(t1, name) and "<u>" not in row_of(t1, name)
    assert "**<u>" not in t1


def test_baseline_that_is_best_is_bold_and_underlined_and_ties_share(tmp_path):
    make_run(tmp_path, "base", [True] * 10 + [False] * 30)
    make_run(tmp_path, "sft", [True] * 30 + [False] * 10, method="sft", train_task="vc-synth")
    make_run(tmp_path, "grpo", [True] * 30 + [False] * 10, method="grpo", train_task="vc-synth")
    make_run(tmp_path, "grpod", [True] * 20 + [False] * 20, method="grpod", train_task="vc-synth")
    md = table1_md(tmp_path)
    # SFT and GRPO tie for best; both are baselines, so both are bold and underlined.
    assert "**<u>75.00</u>**" in row_of(md, "+ SFT")
    assert "**<u>75.00</u>**" in row_of(md, "+ GRPO")
    assert "**" not in row_of(md, "+ GRPO-D") and "<u>" not in row_of(md, "+ GRPO-D")


def test_proposed_methods_are_configurable(tmp_path):
    make_run(tmp_path, "base", [True] * 10 + [False] * 30)
    make_run(tmp_path, "sft", [True] * 30 + [False] * 10, method="sft", train_task="vc-synth")
    make_run(tmp_path, "grpo", [True] * 20 + [False] * 20, method="grpo", train_task="vc-synth")
    board = build_board([tmp_path], plots=False, proposed=("sft",))
    md = render_markdown(board)
    assert "**75.00**" in row_of(md, "+ SFT")  # best, not a baseline
    assert "<u>50.00</u>" in row_of(md, "+ GRPO")


def test_relative_improvement_and_significance_marker(tmp_path):
    # 200 paired samples: base right on 80, GRPO-D on those 80 and 60 more -> (140-80)/80 = +75%,
    # shown after the points it is: 70% - 40% = +30 pts.
    make_run(tmp_path, "base", [i < 80 for i in range(200)])
    make_run(tmp_path, "big", [i < 140 for i in range(200)], method="grpod", train_task="vc-synth")
    row = row_of(table1_md(tmp_path), "+ GRPO-D")
    assert f"| +30.00 pts (+75.00%){SIGNIFICANT} (200) |" in row


def test_tiny_difference_has_no_marker(tmp_path):
    make_run(tmp_path, "base", [i < 100 for i in range(200)])
    make_run(
        tmp_path, "small", [i < 102 for i in range(200)], method="grpod", train_task="vc-synth"
    )
    row = row_of(table1_md(tmp_path), "+ GRPO-D")
    assert "+2.00%" in row
    assert SIGNIFICANT not in row


def test_paired_test_uses_shared_samples_only(tmp_path):
    # 100 samples each, 20 shared (s0080-s0099): base wrong on all 20, SFT right on all 20.
    # The comparison sees those 20 pairs only; on them the base is 0, so there is no ratio.
    make_run(tmp_path, "base", [i < 10 for i in range(100)])
    ids = [f"s{i:04d}" for i in range(80, 180)]
    make_run(
        tmp_path, "other", [i < 90 for i in range(100)], method="sft", train_task="vc-synth",
        ids=ids,
    )  # fmt: skip
    an = analyse(collect([tmp_path]))
    (sft_row,) = [r for r in an.table1.rows if r.model.method == "sft"]
    comp = next(iter(sft_row.comparisons.values()))["base"]
    assert comp.n_shared == 20
    assert (comp.accuracy, comp.baseline_accuracy) == (1.0, 0.0)
    assert comp.why_not == "baseline 0"
    assert "n/a (baseline 0, 20)" in row_of(table1_md(tmp_path), "+ SFT")


def test_relative_columns_against_each_baseline(fixture_board):
    data = fixture_board.data
    rows = {r["method"]: r for r in data["table1"]["rows"]}
    cell = rows["grpod"]["cells"]["vc-synth v1.0"]
    assert cell["run"] and cell["best"]
    assert cell["vs"]["base"]["relative_percent"] == pytest.approx((61 - 34) / 34 * 100, abs=1e-4)
    assert cell["vs"]["sft"]["relative_percent"] == pytest.approx((61 - 55) / 55 * 100, abs=1e-4)
    assert cell["vs"]["grpo"]["relative_percent"] == pytest.approx((61 - 51) / 51 * 100, abs=1e-4)
    # the points beside the relative change: 61/80 - 34/80 on the 80 shared samples
    assert cell["vs"]["base"]["difference_points"] == pytest.approx((61 - 34) / 80 * 100, abs=1e-4)
    assert cell["vs"]["base"]["significant"]
    assert "vs" in rows["base"]["cells"]["vc-synth v1.0"]
    assert rows["base"]["cells"]["vc-synth v1.0"]["vs"] == {}


# -- separation, selection, data errors --------------------------------------------------------


def test_task_versions_and_sources_never_mix(tmp_path):
    make_run(tmp_path, "v1", [True] * 50, version="1.0")
    make_run(tmp_path, "v2", [False] * 50, version="2.0")
    make_run(tmp_path, "local", [True] * 10 + [False] * 40, version="2.0", source="local")
    board = build_board([tmp_path], plots=False)
    md = render_markdown(board)
    header = next(line for line in md.splitlines() if line.startswith("| model |"))
    assert "vc-synth v1.0" in header
    assert "vc-synth v2.0 (local/test)" in header
    assert "vc-synth v2.0 (synthetic/test)" in header
    row = row_of(md, "tiny")
    assert "100.00" in row and "0.00 [" in row and "20.00" in row
    assert "50.00" not in row and "36.67" not in row  # never pooled
    columns = {c["column"]: c for c in board.data["columns"]}
    assert columns["vc-synth v2.0 (local/test)"]["source"] == "local"


def test_rerun_of_a_cell_supersedes_and_is_listed(tmp_path):
    make_run(tmp_path, "old", [False] * 10, finished="2025-01-01T00:00:00+00:00")
    make_run(tmp_path, "new", [True] * 10, finished="2025-02-01T00:00:00+00:00")
    board = build_board([tmp_path], plots=False)
    md = render_markdown(board)
    assert "100.00" in row_of(md, "tiny")
    runs = {r["run_id"]: r for r in board.data["runs"]}
    assert runs["old"]["superseded_by"] == runs["new"]["ref"]
    assert "superseded by" in md


def test_data_errors_are_excluded_and_counted(tmp_path):
    make_run(tmp_path, "r", [True, False, False, True], error_kinds={1: "gold", 2: "generation"})
    board = build_board([tmp_path], plots=False)
    (run,) = board.data["runs"]
    assert (run["k"], run["n"], run["excluded"]) == (2, 3, 1)  # generation error counts as wrong


def test_unfinished_run_is_marked(tmp_path):
    make_run(tmp_path, "r", [True] * 4, status="running")
    md = render_markdown(build_board([tmp_path], plots=False))
    assert "‡" in row_of(md, "tiny")


# -- reported (paper) rows ---------------------------------------------------------------------


def test_reported_rows_only_where_task_and_split_match(tmp_path):
    hub = tmp_path / "hub"
    make_run(hub, "vc", [True] * 10, task="vc", source="hub")
    make_run(hub, "gr", [True] * 10, task="gr", source="local")
    md = table1_md(hub)
    assert "*reported (paper): Qwen2-VL-2B-Instruct*" in md
    row = row_of(md, "*reported (paper): Qwen2-VL-2B-Instruct + GRPO-D*")
    assert "76.50" in row and "34.35" in row and "+80.00%" in row
    assert SIGNIFICANT not in row

    for name, kwargs in {
        "train-split": {"task": "vc", "split": "train", "source": "hub"},
        "synthetic-source": {"task": "vc", "source": "synthetic"},
        "synthetic-task": {"task": "vc-synth", "source": "synthetic"},
    }.items():
        root = tmp_path / name
        make_run(root, name, [True] * 10, **kwargs)
        md = table1_md(root)
        assert "reported (paper)" not in md, name
        assert "reported numbers are not shown" in md


def test_reported_cross_task_rows(tmp_path):
    make_run(tmp_path, "base-vc", [True] * 4 + [False] * 6, task="vc", source="hub")
    make_run(tmp_path, "base-gr", [True] * 2 + [False] * 8, task="gr", source="hub")
    for task in ("vc", "gr"):
        make_run(tmp_path, f"d-{task}", [True] * 7 + [False] * 3, task=task, source="hub",
                 method="grpod", train_task=task)  # fmt: skip
    make_run(tmp_path, "d-gr-on-vc", [True] * 7 + [False] * 3, task="vc", source="hub",
             method="grpod", train_task="gr")  # fmt: skip
    md = render_markdown(build_board([tmp_path], plots=False))
    cross = md[md.index("## Cross-task results") :]
    line = next(x for x in cross.splitlines() if x.startswith("| *reported (paper)"))
    assert "≈69.50" in line and "+63.53%" in line and "+61.63%" in line


# -- the rest of the board ---------------------------------------------------------------------


def test_every_measured_cell_names_its_run(fixture_board):
    coll = collect([RUNS])
    an = analyse(coll)
    refs = {r.ref for r in coll.runs}
    table = table1_display(an.table1)
    for row in table.rows:
        for cell in row[1:]:
            if cell.main not in ("—", "") and not cell.main.startswith(("+", "-", "n/a")):
                assert cell.ref in refs
    md = render_markdown(fixture_board)
    runs_section = md[md.index("## Runs") :]
    for run in coll.runs:
        assert f"| {run.ref} | `{run.run_id}` | `{run.path}` |" in runs_section


def test_board_carries_versions_sources_dates_packages(fixture_board):
    md = render_markdown(fixture_board)
    assert "| vc-synth v1.0 | `vc-synth` | 1.0 | synthetic | test |" in md
    assert "2025-06-01T10:00:30+00:00 and 2025-06-01T10:25:30+00:00" in md
    assert "| transformers | 4.57.1 | r1–r26 |" in md
    assert "`0123456789abcdef`" in md


def test_breakdowns_cross_task_steps_and_logs(fixture_board):
    md = render_markdown(fixture_board)
    assert "| count=3 |" in md and "| count=10 |" in md
    assert md.index("| count=9 |") < md.index("| count=10 |")  # natural order
    assert "| sqrt |" in md
    assert "### + GRPO-D (tiny)" in md
    assert "| gr-synth → vc-synth v1.0 |" in md
    assert "![tiny: accuracy on vc-synth v1.0 vs training step]" in md
    # the output folder's full log wins over checkpoint-10's partial one
    assert "`train/grpod-vc-synth/trainer_state.json`" in md
    assert "checkpoint-10/trainer_state.json" not in md
    logs = {(x["method"], x["train_task"]): x for x in fixture_board.data["training_logs"]}
    assert logs[("grpod", "vc-synth")]["entries"] == 31


def test_other_formats_are_well_formed(fixture_board):
    data = json.loads(render_json(fixture_board))
    assert data == json.loads(json.dumps(fixture_board.data))
    assert len(data["runs"]) == 26
    rows = list(csv.DictReader(io.StringIO(render_csv(fixture_board))))
    table1 = [r for r in rows if r["section"] == "table1"]
    assert len(table1) == 8 and all(r["run_id"] for r in table1)
    grpod_vc = next(r for r in table1 if r["method"] == "grpod" and r["vs_base"]
                    and float(r["vs_base"]) == pytest.approx((61 - 34) / 34 * 100, abs=1e-4))
    assert float(grpod_vc["pts_vs_base"]) == pytest.approx((61 - 34) / 80 * 100, abs=1e-4)
    assert {r["section"] for r in rows} == {"table1", "cross-task", "breakdown", "run"}
    page = render_html(fixture_board)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<tr id="r1">' in page and '<a href="#r1">r1</a>' in page
    assert "<b>76.25</b>" in page and "<u>68.75</u>" in page


def test_frames():
    coll = collect([RUNS])
    frame = records_frame(coll.runs)
    assert len(frame) == sum(len(r.records) for r in coll.runs) == 1664
    per_run = runs_frame(coll.runs)
    acc = frame.groupby("run_id")["correct"].mean()
    for _, row in per_run.iterrows():
        assert row["accuracy"] == pytest.approx(acc[row["run_id"]])


def test_compress_refs():
    assert compress_refs(["r1", "r2", "r3", "r5", "r7", "r8"]) == "r1–r3, r5, r7–r8"
    assert compress_refs([]) == ""


# -- determinism and the command ---------------------------------------------------------------


def test_two_builds_are_byte_identical(tmp_path):
    formats = list(FORMATS)
    for out in ("a", "b"):
        write_board(build_board([RUNS], title=GOLDEN_TITLE), tmp_path / out, formats)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    assert files_a == files_b
    assert any(str(p).endswith(".png") for p in files_a)
    for rel in files_a:
        if (tmp_path / "a" / rel).is_file():
            assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_board_does_not_depend_on_input_order(tmp_path):
    dirs = sorted(p for p in RUNS.iterdir() if p.is_dir())
    a = board_from_collection(collect(dirs, root=FIXTURES), plots=False)
    b = board_from_collection(collect(list(reversed(dirs)), root=FIXTURES), plots=False)
    assert render_markdown(a) == render_markdown(b)


def test_command_writes_board(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    configure_leaderboard(parser)
    out = tmp_path / "board"
    args = parser.parse_args(
        [str(RUNS), "--out", str(out), "--format", "md", "--format", "json", "--title", "T"]
    )
    assert execute_leaderboard(args) == 0
    assert (out / "README.md").read_text(encoding="utf-8").startswith("# T\n")
    assert json.loads((out / "board.json").read_text(encoding="utf-8"))["title"] == "T"
    assert sorted(p.name for p in (out / "plots").iterdir()) == [
        "beta-schedule.png",
        "cross-task-tiny.png",
        "reward-parts.png",
        "rewards.png",
        "samples-tiny-gr-synth-v1.0-synthetic-test.png",
        "samples-tiny-vc-synth-v1.0-synthetic-test.png",
        "steps-tiny-gr-synth-v1.0-synthetic-test.png",
        "steps-tiny-vc-synth-v1.0-synthetic-test.png",
    ]
    missing = parser.parse_args([str(tmp_path / "nope"), "--out", str(out)])
    assert execute_leaderboard(missing) == 2
    assert "no such run directory" in capsys.readouterr().err


def test_leaderboard_imports_neither_torch_nor_trainers():
    code = (
        "import sys, leaderboard, leaderboard.commands, leaderboard.plots;"
        "bad = [m for m in ('torch', 'trainers', 'transformers', 'trl') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_cli_wiring(tmp_path):
    from othink_bench import cli

    out = tmp_path / "board"
    rc = cli.main(["leaderboard", str(RUNS), "--out", str(out), "--no-plots", "--format", "csv"])
    assert rc == 0
    assert (out / "board.csv").exists() and not (out / "plots").exists()


def test_marks_are_per_base_model_and_labels_split_rows(tmp_path):
    for base, k in (("small", 10), ("large", 30)):
        make_run(tmp_path, f"{base}-base", [i < k for i in range(40)], base=base)
        make_run(tmp_path, f"{base}-d", [i < k + 5 for i in range(40)], base=base,
                 method="grpod", train_task="vc-synth")  # fmt: skip
    make_run(tmp_path, "small-d2", [i < 12 for i in range(40)], base="small", method="grpod",
             train_task="vc-synth", label="GRPO-D (alpha 0.5)")  # fmt: skip
    md = table1_md(tmp_path)
    rows = [line for line in md.splitlines() if line.startswith("| ") and "[r" in line]
    assert [r.split(" | ")[0] for r in rows] == [
        "| large", "| + GRPO-D", "| small", "| + GRPO-D", "| GRPO-D (alpha 0.5)",
    ]  # fmt: skip
    assert "**87.50**" in rows[1] and "<u>75.00</u>" in rows[0]  # large block
    assert "**37.50**" in rows[3] and "<u>25.00</u>" in rows[2]  # small block
    assert "**" not in rows[4]


def test_a_run_given_twice_counts_once(tmp_path):
    run = make_run(tmp_path / "runs", "r", [True, False])
    coll = collect([tmp_path / "runs", run, run.resolve()])
    assert len(coll.runs) == 1


# -- numbers that compare runs use the samples both scored; test sets never share a column -------


def test_vs_base_is_computed_on_the_shared_samples(tmp_path):
    # The audit's case: a 40-sample base run (31 right, 10 of the first 12) and a 12-sample
    # GRPO-D run (5 right). Pooled accuracies give -46.24%; the 12 shared samples give -50%.
    make_run(tmp_path, "base", [i not in (3, 7) for i in range(12)] + [i < 21 for i in range(28)])
    make_run(tmp_path, "d", [i < 5 for i in range(12)], method="grpod", train_task="vc-synth")
    row = row_of(table1_md(tmp_path), "+ GRPO-D")
    assert "-41.67 pts (-50.00%) (12)" in row  # 5/12 vs 10/12 on the shared samples
    assert "46.24" not in row
    assert "41.67 [" in row and "(12) [r2]" in row  # the run's own cell keeps its own n


def test_marks_compare_rows_on_their_shared_samples(tmp_path):
    # Over their own samples SFT (30/40) beats GRPO-D (8/12); on the 12 both scored, GRPO-D
    # (8/12) beats SFT (6/12). Bold goes to GRPO-D, and the board says why.
    make_run(tmp_path, "base", [i < 3 for i in range(12)] + [False] * 28)
    make_run(tmp_path, "sft", [i < 6 for i in range(12)] + [True] * 24 + [False] * 4,
             method="sft", train_task="vc-synth")  # fmt: skip
    make_run(tmp_path, "d", [i < 8 for i in range(12)], method="grpod", train_task="vc-synth")
    md = table1_md(tmp_path)
    assert "**66.67**" in row_of(md, "+ GRPO-D")
    assert "**" not in row_of(md, "+ SFT") and "<u>75.00</u>" in row_of(md, "+ SFT")
    assert "bold and underline compare them on the 12 samples all of them scored" in md


def test_rows_that_share_no_sample_are_not_marked(tmp_path):
    make_run(tmp_path, "base", [True] * 10, ids=[f"a{i}" for i in range(10)])
    make_run(tmp_path, "d", [False] * 10, ids=[f"b{i}" for i in range(10)], method="grpod",
             train_task="vc-synth")  # fmt: skip
    md = table1_md(tmp_path)
    assert "**" not in md.split("| model |")[1].split("\n\n")[0]
    assert "n/a (no shared samples)" in row_of(md, "+ GRPO-D")
    assert "share no scored sample, so no cell is marked" in md


def _ids(seed: int, n: int = 10, task: str = "vc-synth") -> list[str]:
    return [f"{task}/test/{seed}/{i}" for i in range(n)]


def test_different_data_seeds_never_share_a_column(tmp_path):
    # Older manifests: one seed chose both the samples and the sampling.
    make_run(tmp_path, "base0", [True] * 10, ids=_ids(0), seed=0)
    make_run(tmp_path, "base3", [False] * 10, ids=_ids(3), seed=3)
    # A newer manifest keeps them apart (sampling seed 7, data seed 3); the ids agree.
    make_run(tmp_path, "d3", [True] * 5 + [False] * 5, ids=_ids(3), seed=7, data_seed=3,
             method="grpod", train_task="vc-synth")  # fmt: skip
    # The ids are the ground truth: a manifest that says data seed 0 over seed-3 samples.
    make_run(tmp_path, "sft3", [True] * 2 + [False] * 8, ids=_ids(3), seed=0, data_seed=0,
             method="sft", train_task="vc-synth")  # fmt: skip
    board = build_board([tmp_path], plots=False)
    md = render_markdown(board)
    header = next(line for line in md.splitlines() if line.startswith("| model |"))
    assert "vc-synth v1.0 (data seed 0)" in header and "vc-synth v1.0 (data seed 3)" in header
    cells = {r["method"]: r["cells"] for r in board.data["table1"]["rows"]}
    assert cells["base"]["vc-synth v1.0 (data seed 0)"]["accuracy"] == 1.0
    assert cells["base"]["vc-synth v1.0 (data seed 3)"]["accuracy"] == 0.0
    assert set(cells["grpod"]) == {"vc-synth v1.0 (data seed 3)"}
    assert set(cells["sft"]) == {"vc-synth v1.0 (data seed 3)"}
    assert not board.data["table1_marks"]  # in its column every row scored the same samples
    assert all(r["superseded_by"] is None for r in board.data["runs"])  # no run hides another


def test_different_data_files_never_share_a_column(tmp_path):
    make_run(tmp_path, "a", [True] * 10, task="vc", source="local", data="/data/a/test.jsonl")
    make_run(tmp_path, "b", [False] * 10, task="vc", source="local", data="/data/b/test.jsonl")
    make_run(tmp_path, "c", [False] * 10, task="vc", source="local", data="/data/c/other.jsonl")
    board = build_board([tmp_path], plots=False)
    labels = [c["column"] for c in board.data["columns"]]
    assert labels == [
        "vc v1.0 (/data/a/test.jsonl)", "vc v1.0 (/data/b/test.jsonl)",
        "vc v1.0 (/data/c/other.jsonl)",
    ]  # fmt: skip
    assert all(r["superseded_by"] is None for r in board.data["runs"])


# -- runs that scored nothing are skipped, with the reason --------------------------------------


def test_runs_that_scored_nothing_are_skipped_and_named(tmp_path, capsys):
    make_run(tmp_path, "ok", [True] * 4 + [False] * 6)
    # A model that never loaded: a failed run of a paper task with no records.
    make_run(tmp_path, "noload", [], task="vc", source="hub", method="grpod", train_task="vc",
             status="failed", error="ModelLoadError: no checkpoint at /ckpt")  # fmt: skip
    # An endpoint that never answered: every record a generation error.
    make_run(tmp_path, "down", [False] * 3, method="sft", train_task="vc-synth",
             status="aborted", error_kinds={0: "generation", 1: "generation", 2: "generation"})
    # Data that gave only errors.
    make_run(tmp_path, "baddata", [False] * 2, task="gr", source="local",
             error_kinds={0: "data", 1: "data"})  # fmt: skip
    board = build_board([tmp_path], plots=False)
    md = render_markdown(board)
    assert [r["run_id"] for r in board.data["runs"]] == ["ok"]
    assert "| *reported (paper)" not in md  # no vc/gr column, so no paper rows
    assert [c["column"] for c in board.data["columns"]] == ["vc-synth v1.0"]
    assert "+ SFT" not in md.split("## Skipped runs")[0] and "n/a (0)" not in md
    skipped = {x["run_id"]: x["reason"] for x in board.data["skipped"]}
    assert "model never loaded" in skipped["noload"] and "ModelLoadError" in skipped["noload"]
    assert "all 3 records are generation errors" in skipped["down"]
    assert "all 2 records are data errors" in skipped["baddata"]
    section = md[md.index("## Skipped runs") :]
    assert f"| `noload` | `{tmp_path.name}/noload` | failed | 0 scored samples" in section
    assert "3 runs scored no sample" in md
    parser = argparse.ArgumentParser()
    configure_leaderboard(parser)
    args = parser.parse_args([str(tmp_path), "--out", str(tmp_path.parent / "board-skipped")])
    assert execute_leaderboard(args) == 0
    err = capsys.readouterr().err
    assert f"skipped {tmp_path.name}/noload: 0 scored samples" in err and err.count("skipped") == 3


def test_a_board_of_only_skipped_runs_is_an_error(tmp_path, capsys):
    make_run(tmp_path, "noload", [], status="failed")
    parser = argparse.ArgumentParser()
    configure_leaderboard(parser)
    assert execute_leaderboard(parser.parse_args([str(tmp_path), "--out", str(tmp_path / "b")])) == 2
    err = capsys.readouterr().err
    assert "no run scored a sample" in err and "noload" in err


# -- damaged files are errors that name the file ------------------------------------------------


def test_damaged_manifest_or_record_names_the_file(tmp_path, capsys):
    run = make_run(tmp_path / "runs", "r", [True, False])
    parser = argparse.ArgumentParser()
    configure_leaderboard(parser)
    args = parser.parse_args([str(tmp_path / "runs"), "--out", str(tmp_path / "b")])
    lines = (run / "records.jsonl").read_text().splitlines()
    lines[1] = lines[1].replace('"correct":false', '"correct":"yes"')
    (run / "records.jsonl").write_text("\n".join(lines) + "\n")
    assert execute_leaderboard(args) == 2
    assert f"{run / 'records.jsonl'}:2: malformed record line (correct: " in capsys.readouterr().err
    manifest = run / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:60])
    assert execute_leaderboard(args) == 2
    err = capsys.readouterr().err
    assert str(manifest) in err and "delete the run folder" in err


def test_a_damaged_trainer_log_names_the_file(tmp_path):
    run = make_run(tmp_path / "runs", "d", [True], method="grpod", train_task="vc-synth",
                   model_path="ckpt")  # fmt: skip
    (tmp_path / "runs" / "ckpt").mkdir()
    (tmp_path / "runs" / "ckpt" / "trainer_state.json").write_text("[" * 100_000)
    with pytest.raises(ValueError, match=r"ckpt/trainer_state.json: not a readable"):
        collect([run])
