"""What `othink-bench run` settles before it loads anything heavy: task names and paths are
checked before torch is imported, a model that cannot load leaves no run folder, the help
claims no per-task number, and CPU threads are chosen so as not to oversubscribe the cores."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from othink_bench.cli import main
from othink_bench.cpu_threads import ThreadChoice, choose_threads
from othink_bench.registry import all_tasks

# Each case runs the CLI in one fresh interpreter, then reports whether torch/transformers
# were imported by the time the error came back.
_PROBE = """
import json, sys
from othink_bench.cli import main
out = []
for argv in json.loads(sys.argv[1]):
    rc = main(argv)
    out.append([rc, "torch" in sys.modules, "transformers" in sys.modules])
print(json.dumps(out))
"""


def test_bad_names_and_paths_fail_before_torch_is_imported(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text("")
    cases = [
        (["--model", "tiny", "--tasks", "vc-synth-tinyy"],
         "unknown task 'vc-synth-tinyy'. Did you mean 'vc-synth-tiny'"),
        (["--model", "tiny", "--tasks", "vc", "--data", str(tmp_path / "missing.jsonl")],
         f"--data {tmp_path / 'missing.jsonl'}: no such file or folder"),
        (["--model", "tiny", "--tasks", "vc", "--data", str(data), "--image-root",
          str(tmp_path / "imgs")], f"--image-root {tmp_path / 'imgs'}: no such folder"),
        (["--model", str(tmp_path / "no-such-checkpoint"), "--tasks", "vc-synth-tiny"],
         "--model: model '" + str(tmp_path / "no-such-checkpoint") + "' is neither"),
        (["--model", "./ckpt", "--tasks", "vc-synth-tiny"], "check the path (no such folder)"),
        (["--model", "tiny", "--tasks", "vc-synth-tiny", "--threads", "0"],
         "--threads 0: pass a number of threads >= 1"),
    ]
    argv = [["run", *args, "--out", str(tmp_path / "runs")] for args, _ in cases]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv)], capture_output=True, text=True,
        env=env, cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == len(cases), proc.stderr
    for (_, expected), (rc, torch_loaded, transformers_loaded), line in zip(
        cases, results, errors, strict=True
    ):
        assert rc == 2 and expected in line
        assert not torch_loaded and not transformers_loaded, line
    assert not (tmp_path / "runs").exists()


def test_a_model_that_cannot_load_leaves_no_run_folder(tmp_path: Path, capsys: Any) -> None:
    broken = tmp_path / "broken-ckpt"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "qwen2_vl",')  # cut short
    out = tmp_path / "runs"
    rc = main(["run", "--model", str(broken), "--tasks", "vc-synth-tiny", "--limit", "2",
               "--no-progress", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"cannot load model {str(broken)!r}" in err and "config.json" in err
    assert not out.exists() or not any(out.iterdir())


def test_max_new_tokens_help_claims_no_number_a_task_contradicts(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    page = " ".join(capsys.readouterr().out.split())
    text = page.rsplit("--max-new-tokens MAX_NEW_TOKENS", 1)[1].split(" --", 1)[0]
    tokens = {t.max_new_tokens for t in all_tasks()}
    assert len(tokens) > 1  # tasks really differ: no single number is true for all
    for number in re.findall(r"\d+", text):
        assert {int(number)} == tokens, f"--max-new-tokens help claims {number}: {text}"
    assert "othink-bench tasks" in text


def test_the_tasks_table_shows_each_tasks_own_default(capsys: Any) -> None:
    assert main(["tasks"]) == 0
    table = capsys.readouterr().out.splitlines()
    for task in all_tasks():
        row = next(line for line in table if line.split()[:1] == [task.id])
        assert f" {task.max_new_tokens} " in f" {row} ", row


@pytest.mark.parametrize(
    ("requested", "env", "cores", "expected"),
    [
        (3, {"OMP_NUM_THREADS": "1"}, 8, ThreadChoice(3, "--threads")),
        (None, {"OMP_NUM_THREADS": "2"}, 8, ThreadChoice(2, "OMP_NUM_THREADS")),
        (None, {"OMP_NUM_THREADS": "x"}, 8, None),
        (None, {}, 8, None),
        (None, {}, 2, None),
        (None, {}, 1, None),
    ],
)
def test_thread_choice(
    monkeypatch: pytest.MonkeyPatch, requested: int | None, env: dict[str, str], cores: int,
    expected: ThreadChoice | None,
) -> None:
    import othink_bench.cpu_threads as ct

    monkeypatch.setattr(ct, "usable_cores", lambda: cores)
    got = choose_threads(requested, env)
    if expected is not None:
        assert got == expected
    else:  # one core left to the harness's own threads, never fewer than one thread
        assert got.threads == max(1, cores - 1) and f"{cores} usable core" in got.reason
    assert "--threads N or OMP_NUM_THREADS=N" in got.describe()
    with pytest.raises(ValueError, match="--threads must be >= 1"):
        choose_threads(0, env)
