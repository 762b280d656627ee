"""Case studies (the paper's Figure 8): `leaderboard --viewer` writes a GRPO-D vs SFT page for
every cross-task cell of the fixture board, links it from the cross-task section, and each page
lists first exactly the samples on which one of the two runs is right."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from leaderboard import build_board
from leaderboard.viewer.cases import case_studies
from leaderboard.viewer.template import compare_name
from othink_bench.cli import main

RUNS = Path(__file__).resolve().parent / "fixtures" / "leaderboard" / "runs"
ROW = re.compile(r'<tr class="sample ([^"]*)" data-sample="([^"]*)"')


def _correct(run_id: str) -> dict[str, bool]:
    lines = (RUNS / run_id / "records.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["sample_id"]: r["correct"] for r in map(json.loads, lines)}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cases")
    board, view = root / "board", root / "board" / "samples"
    assert main(["leaderboard", str(RUNS), "--out", str(board), "--no-plots",
                 "--viewer", str(view)]) == 0
    return board, view


def test_one_case_per_grpod_cross_task_cell() -> None:
    cases = case_studies(build_board([RUNS], plots=False).data)
    assert [(c.model, c.train_task, c.column) for c in cases] == [
        ("+ GRPO-D", "gr-synth", "vc-synth v1.0"), ("+ GRPO-D", "vc-synth", "gr-synth v1.0")]
    # A is GRPO-D trained on the other task, B the SFT run the matrix's "vs SFT" uses
    first = cases[0]
    assert first.run_id.startswith("tiny-grpod-gr-synth-s30--vc-synth")
    assert first.sft_run_id.startswith("tiny-sft-gr-synth-s30--vc-synth")


def test_pages_exist_and_are_linked_from_the_cross_task_section(built: tuple[Path, Path]) -> None:
    board, view = built
    md = (board / "README.md").read_text(encoding="utf-8")
    cross = md[md.index("## Cross-task results"):md.index("\n## ", md.index("## Cross-task"))]
    assert "### Case studies: GRPO-D vs SFT" in cross
    cases = case_studies(build_board([RUNS], plots=False).data)
    for case in cases:
        page = view / compare_name(case.run_id, case.sft_run_id)
        assert page.is_file()
        assert f"[side by side](samples/{page.name})" in cross
    assert len(re.findall(r"\[side by side\]", md)) == len(cases) == 2


def test_each_page_lists_first_exactly_the_samples_one_side_gets_right(
        built: tuple[Path, Path]) -> None:
    _, view = built
    for case in case_studies(build_board([RUNS], plots=False).data):
        a, b = _correct(case.run_id), _correct(case.sft_run_id)
        only_a = {s for s in a if a[s] and not b[s]}
        only_b = {s for s in a if b[s] and not a[s]}
        assert only_a and only_b  # the fixtures disagree both ways
        html = (view / compare_name(case.run_id, case.sft_run_id)).read_text(encoding="utf-8")
        rows = ROW.findall(html)
        assert len(rows) == len(a)
        shown_a = {s for cls, s in rows if "is-a-only" in cls.split()}
        shown_b = {s for cls, s in rows if "is-b-only" in cls.split()}
        assert (shown_a, shown_b) == (only_a, only_b)
        disagree = ["is-disagree" in cls.split() for cls, _ in rows]
        n = len(only_a) + len(only_b)
        assert disagree == [True] * n + [False] * (len(rows) - n)  # exactly-one-right first
