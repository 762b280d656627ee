"""Real run directories for the viewer tests: the harness with a scripted model on real tasks.

Two runs of the procedural task ``vc-synth-tiny`` (images regenerated from (seed, index)) whose
scripted outputs cover every kind of row the viewer shows (correct, wrong, format failure,
generation error, hostile HTML), and one run of ``vc`` on a local JSON-lines file whose images
are files named by ``image_path``.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from othink_bench.backends.base import GenRequest
from othink_bench.backends.scripted import ScriptedBackend
from othink_bench.harness import evaluate
from othink_bench.registry import get_task

SYNTH = "vc-synth-tiny"
N = 12
HOSTILE = (
    "<think>I am </think><script>window.__pwned = 1</script>"
    '<img src="x" onerror="window.__pwned = 2"> & "quotes"</think><answer>-1</answer>'
)


def gold(sample_id: str) -> int:
    task = get_task(SYNTH)
    index = int(sample_id.rsplit("/", 1)[1])
    return int(task.make_sample("test", 0, index).gold)  # type: ignore[attr-defined]


def kind_a(index: int) -> str:
    """What run A answers for sample ``index``."""
    return ["right", "wrong", "noformat", "error", "right", "hostile"][index % 6]


def kind_b(index: int) -> str:
    """Run B: right on every sample except those A gets right (disagreements where A is right
    and where A is wrong)."""
    return "wrong" if kind_a(index) == "right" else "right"


def _output(kind: str, sample_id: str) -> str | dict[str, str]:
    g = gold(sample_id)
    if kind == "right":
        return f"<think>I count {g} objects.</think><answer>{g}</answer>"
    if kind == "wrong":
        return f"<think>Maybe {g + 1}.</think><answer>{g + 1}</answer>"
    if kind == "noformat":
        return f"The answer is {g + 2}."
    if kind == "error":
        return {"error": "server said 500"}
    return HOSTILE


def _index(request: GenRequest) -> int:
    return int(request.sample_id.rsplit("/", 1)[1])


def script_a(request: GenRequest) -> str | dict[str, str]:
    return _output(kind_a(_index(request)), request.sample_id)


def script_b(request: GenRequest) -> str | dict[str, str]:
    return _output(kind_b(_index(request)), request.sample_id)


def synthetic_runs(out: Path) -> tuple[Path, Path]:
    """Runs A and B of ``vc-synth-tiny`` (first N test samples) under ``out``."""
    dirs = []
    for name, script in (("model-a", script_a), ("model-b", script_b)):
        (summary,) = evaluate(
            name,
            SYNTH,
            backend=ScriptedBackend(script),  # type: ignore[arg-type]
            limit=N,
            out=str(out),
            progress=False,
            max_errors=1.0,
        )
        dirs.append(summary.run_dir)
    return dirs[0], dirs[1]


def local_run(out: Path, data_dir: Path) -> Path:
    """A run of ``vc`` on a local JSON-lines file with three image files."""
    (data_dir / "images").mkdir(parents=True)
    rows = []
    for i, colour in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200)]):
        Image.new("RGB", (64 + 16 * i, 48), colour).save(data_dir / "images" / f"im{i}.png")
        rows.append(
            {"image_path": f"images/im{i}.png", "question": f"How many things? ({i})",
             "ground_truth": 3 + i}
        )
    data = data_dir / "test.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (summary,) = evaluate(
        "model-local",
        "vc",
        backend=ScriptedBackend({}, default="<think>hm</think><answer>4</answer>"),
        source="local",
        data=str(data),
        out=str(out),
        progress=False,
    )
    return summary.run_dir
