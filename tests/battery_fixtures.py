"""Exact-schema fixture samples of the tasks that have no synthetic source (the benchmark battery).

The registry-wide contract (``test_tasks_contract.py``) checks every task on its synthetic data
or, for a task without one, on the samples its builder here returns. A battery task adds one
builder to :data:`FIXTURES`: it writes the task's exact-schema fixture files under the folder it
is given (tiny PIL images made in the test, synthetic rows with the real columns and types) and
loads them through the task's own loader.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from othink_bench.task import Sample

FIXTURES: dict[str, Callable[[Path], list[Sample]]] = {}
"""Task id -> builder(folder) returning samples loaded from fixture files written there."""


def _png(path: Path, color: tuple[int, int, int]) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (12, 10), color).save(path)


# MathVista testmini rows with the release's exact fields and types (data/testmini.json: pid
# keys, precision an int or null; the hub: precision float64, plus decoded_image and query).
MATHVISTA_ROWS: list[dict[str, Any]] = [
    {"pid": "1", "question": "By what distance d is the spring compressed?", "image": "images/1.png",
     "choices": None, "unit": None, "precision": 1, "answer": "1.2", "question_type": "free_form",
     "answer_type": "float",
     "metadata": {"split": "testmini", "language": "english", "img_width": 12, "img_height": 10,
                  "source": "SciBench", "category": "math-targeted-vqa", "task": "textbook question answering",
                  "context": "scientific figure", "grade": "college", "skills": ["scientific reasoning"]}},
    {"pid": "2", "question": "What is the total volume of the measuring cup?", "image": "images/2.png",
     "choices": None, "unit": "g", "precision": None, "answer": "1000", "question_type": "free_form",
     "answer_type": "integer",
     "metadata": {"split": "testmini", "language": "english", "img_width": 12, "img_height": 10,
                  "source": "TextVQA", "category": "general-vqa", "task": "visual question answering",
                  "context": "natural image", "grade": "daily life",
                  "skills": ["numeric commonsense", "arithmetic reasoning"]}},
    {"pid": "3", "question": "Find the measure of angle 2.", "image": "images/3.png",
     "choices": ["135°", "140°", "145°", "145°"], "unit": None, "precision": None, "answer": "145°",
     "question_type": "multi_choice", "answer_type": "text",
     "metadata": {"split": "testmini", "language": "english", "img_width": 12, "img_height": 10,
                  "source": "Geometry3K", "category": "math-targeted-vqa", "task": "geometry problem solving",
                  "context": "geometry diagram", "grade": "high school",
                  "skills": ["geometry reasoning", "algebraic reasoning"]}},
    {"pid": "4", "question": "Between which two years does the line reach its peak?", "image": "images/4.png",
     "choices": None, "unit": None, "precision": None, "answer": "[2014, 2016]",
     "question_type": "free_form", "answer_type": "list",
     "metadata": {"split": "testmini", "language": "english", "img_width": 12, "img_height": 10,
                  "source": "ChartQA", "category": "general-vqa", "task": "figure question answering",
                  "context": "line plot", "grade": "daily life", "skills": ["statistical reasoning"]}},
    {"pid": "5", "question": "Is the bar of Dark Orchid the maximum?", "image": "images/5.png",
     "choices": ["yes", "no"], "unit": None, "precision": None, "answer": "no",
     "question_type": "multi_choice", "answer_type": "text",
     "metadata": {"split": "testmini", "language": "english", "img_width": 12, "img_height": 10,
                  "source": "FigureQA", "category": "general-vqa", "task": "figure question answering",
                  "context": "bar chart", "grade": "daily life", "skills": ["statistical reasoning"]}},
]


def mathvista_query(row: dict[str, Any]) -> str:
    return f"Hint: answer the question.\nQuestion: {row['question']}"


def write_mathvista_release(folder: Path) -> Path:
    """MathVista's repository layout: data/testmini.json, data/query.json, images/."""
    for i, row in enumerate(MATHVISTA_ROWS):
        _png(folder / row["image"], (40 * i, 80, 120))
    (folder / "data").mkdir(parents=True, exist_ok=True)
    ann = folder / "data" / "testmini.json"
    ann.write_text(json.dumps({r["pid"]: r for r in MATHVISTA_ROWS}), encoding="utf-8")
    (folder / "data" / "query.json").write_text(
        json.dumps({r["pid"]: mathvista_query(r) for r in MATHVISTA_ROWS}), encoding="utf-8")
    return ann


def write_mathvista_hub(folder: Path) -> Path:
    """A parquet copy of the hub's testmini split, with its exact features."""
    import io

    import datasets
    from PIL import Image

    def png(i: int) -> bytes:
        buf = io.BytesIO()
        Image.new("RGB", (12, 10), (40 * i, 80, 120)).save(buf, format="PNG")
        return buf.getvalue()

    features = datasets.Features({
        "pid": datasets.Value("string"), "question": datasets.Value("string"),
        "image": datasets.Value("string"), "decoded_image": datasets.Image(),
        "choices": datasets.Sequence(datasets.Value("string")), "unit": datasets.Value("string"),
        "precision": datasets.Value("float64"), "answer": datasets.Value("string"),
        "question_type": datasets.Value("string"), "answer_type": datasets.Value("string"),
        "metadata": {"category": datasets.Value("string"), "context": datasets.Value("string"),
                     "grade": datasets.Value("string"), "img_height": datasets.Value("int64"),
                     "img_width": datasets.Value("int64"), "language": datasets.Value("string"),
                     "skills": datasets.Sequence(datasets.Value("string")),
                     "source": datasets.Value("string"), "split": datasets.Value("string"),
                     "task": datasets.Value("string")},
        "query": datasets.Value("string"),
    })
    rows = [{**r, "decoded_image": {"bytes": png(i), "path": None},
             "precision": None if r["precision"] is None else float(r["precision"]),
             "query": mathvista_query(r)} for i, r in enumerate(MATHVISTA_ROWS)]
    ds = datasets.Dataset.from_list(rows, features=features)
    out = folder / "testmini-00000-of-00001.parquet"
    folder.mkdir(parents=True, exist_ok=True)
    ds.to_parquet(str(out))
    return out


# MATH-V rows with the release's exact fields and types (data/testmini.jsonl; the hub adds
# decoded_image): five options and a letter, no options and a number, no options and a letter
# (options drawn in the image), a fraction.
MATHV_ROWS: list[dict[str, Any]] = [
    {"id": "1", "question": "Which cube is opposite?\n<image1>", "options": ["3 cm", "$6$ cm", "9 cm", "12 cm", "15 cm"],
     "answer": "B", "solution": None, "level": 2, "subject": "solid geometry", "image": "images/1.png"},
    {"id": "4", "question": "How many different digits can you find in this picture?\n<image1>", "options": [],
     "answer": "6", "solution": None, "level": 1, "subject": "counting", "image": "images/4.png"},
    {"id": "7", "question": "Which side is opposite?\n<image1>", "options": [], "answer": "C",
     "solution": "It is C.", "level": 3, "subject": "descriptive geometry", "image": "images/7.png"},
    {"id": "9", "question": "What fraction is shaded?\n<image1>", "options": [], "answer": "0.25",
     "solution": None, "level": 4, "subject": "arithmetic", "image": "images/9.png"},
]


def write_mathv_release(folder: Path, split: str = "testmini") -> Path:
    for i, row in enumerate(MATHV_ROWS):
        _png(folder / row["image"], (10, 50 * i, 90))
    (folder / "data").mkdir(parents=True, exist_ok=True)
    ann = folder / "data" / f"{split}.jsonl"
    ann.write_text("".join(json.dumps(r) + "\n" for r in MATHV_ROWS), encoding="utf-8")
    return ann


def write_mathv_hub(folder: Path, split: str = "testmini") -> Path:
    import io

    import datasets
    from PIL import Image

    def png(i: int) -> bytes:
        buf = io.BytesIO()
        Image.new("RGB", (12, 10), (10, 50 * i, 90)).save(buf, format="PNG")
        return buf.getvalue()

    features = datasets.Features({
        "id": datasets.Value("string"), "question": datasets.Value("string"),
        "options": datasets.Sequence(datasets.Value("string")), "image": datasets.Value("string"),
        "decoded_image": datasets.Image(), "answer": datasets.Value("string"),
        "solution": datasets.Value("string"), "level": datasets.Value("int64"),
        "subject": datasets.Value("string"),
    })
    rows = [{**r, "decoded_image": {"bytes": png(i), "path": None}} for i, r in enumerate(MATHV_ROWS)]
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{split}-00000-of-00001.parquet"
    datasets.Dataset.from_list(rows, features=features).to_parquet(str(out))
    return out


def _mathvista(folder: Path) -> list[Sample]:
    from othink_bench.registry import get_task

    return list(get_task("mathvista").load(source="local", data=write_mathvista_release(folder)))


def _mathvision(task_id: str) -> Callable[[Path], list[Sample]]:
    def build(folder: Path) -> list[Sample]:
        from othink_bench.registry import get_task

        task = get_task(task_id)
        split = "testmini" if task_id == "mathvision" else "test"
        return list(task.load(source="local", data=write_mathv_release(folder, split)))

    return build


FIXTURES.update({
    "mathvista": _mathvista,
    "mathvision": _mathvision("mathvision"),
    "mathvision-full": _mathvision("mathvision-full"),
})
