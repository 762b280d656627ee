"""A model whose outputs are one character or token repeated is flagged as broken in the run
table and results.json (issue 28: a NaN-weight model printed ``!!!!!!!!`` for every sample and
was reported as a normal 0 %)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness_fixtures import ToyCount, gold_of, install, pattern_output

from othink_bench.backends import GenRequest, ScriptedBackend
from othink_bench.harness import evaluate, format_summary
from othink_bench.metrics import degenerate_output
from othink_bench.registry import unregister
from othink_bench.results import read_results


@pytest.fixture
def toy() -> Iterator[ToyCount]:
    task = install(ToyCount(n=20))
    yield task
    unregister(task.id)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!!!!!!!!", True),
        ("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", True),
        ("<pad><pad><pad><pad>", True),
        ("the the the the the", True),
        ("", True),
        ("   \n ", True),
        (None, False),  # an error record: no output
        ("!!!", False),  # too short to call
        ("<think>2 + 2</think><answer>4</answer>", False),
        ("<answer>3</answer>", False),
        ("ab ab ab", False),
    ],
)
def test_degenerate_output(text: str | None, expected: bool) -> None:
    assert degenerate_output(text) is expected


def _run(out: Path, script: object) -> tuple[str, Path]:
    (s,) = evaluate("scripted-model", "toy-count", backend=ScriptedBackend(script, batch_size=4),
                    out=out, progress=False)
    return format_summary([s]), s.run_dir


def test_degenerate_model_flagged_in_table_and_results(toy: ToyCount, tmp_path: Path) -> None:
    table, run_dir = _run(tmp_path / "bad", lambda r: "!!!!!!!!")
    assert "complete, DEGENERATE" in table
    assert "warning: toy-count: 20 of 20 outputs are empty or one character" in table
    res = read_results(run_dir)
    assert res.degenerate and res.degenerate_outputs == 20 and res.accuracy.k == 0


def test_healthy_model_not_flagged(toy: ToyCount, tmp_path: Path) -> None:
    def pattern(request: GenRequest) -> str:
        i = int(request.sample_id.rsplit("-", 1)[1])
        return pattern_output(i, str(gold_of(i)))

    table, run_dir = _run(tmp_path / "good", pattern)
    assert "DEGENERATE" not in table and "warning" not in table
    res = read_results(run_dir)
    assert not res.degenerate and res.degenerate_outputs == 0
