"""Numeric ``othink-bench run`` flags that are NaN, infinite or out of range are refused before
any model loads, naming the flag (issue 28: ``--temperature nan --samples 2`` ran two identical
greedy draws, ``--temperature inf`` recorded ``temperature: null``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness_fixtures import cli

from othink_bench.harness import RunSettings


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--temperature", "nan", "--samples", "2"], "--temperature nan"),
        (["--temperature", "inf"], "--temperature inf"),
        (["--temperature", "-1"], "--temperature -1.0"),
        (["--top-p", "nan"], "top_p"),
        (["--max-errors", "nan"], "max errors"),
        (["--timeout", "nan"], "--timeout nan"),
        (["--timeout", "inf"], "--timeout inf"),
        (["--timeout", "0"], "--timeout 0"),
        (["--gpu-memory-utilization", "inf"], "--gpu-memory-utilization inf"),
        (["--concurrency", "0"], "--concurrency 0"),
        (["--max-retries", "-1"], "--max-retries -1"),
        (["--max-pixels", "0"], "--max-pixels 0"),
    ],
)
def test_bad_numeric_run_flags_refused_before_the_model_loads(
    flags: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import othink_bench.backends.factory as factory

    def no_backend(*a: object, **k: object) -> None:
        raise AssertionError("a backend was built before the flags were checked")

    monkeypatch.setattr(factory, "make_backend", no_backend, raising=False)
    model = tmp_path / "empty-checkpoint"  # exists (passes the path check), cannot load
    model.mkdir()
    argv = ["run", "--model", str(model), "--tasks", "vc-synth-tiny",
            "--out", str(tmp_path / "runs"), "--no-progress", *flags]
    assert cli(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err, err
    assert "empty-checkpoint" not in err  # refused for the flag, not for the unloadable model
    assert not (tmp_path / "runs").exists()


def test_finite_settings_pass() -> None:
    RunSettings(temperature=0.7, samples=2, backend_options={"timeout": 3.0}).validate()
    RunSettings(temperature=0.0).validate()
    with pytest.raises(ValueError, match="finite number >= 0"):
        RunSettings(temperature=float("nan")).validate()
