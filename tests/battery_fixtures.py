"""Exact-schema fixtures of the battery's benchmarks: synthetic rows with the hub's columns and
types (images as the datasets store them), written as parquet, and the benchmarks' release
layouts. Every value is made up here; only the column names and types follow the sources named
in each task module's docstring.

The registry-wide contract (``test_tasks_contract.py``) checks every task on its synthetic data
or, for a task without one, on the samples its builder in :data:`FIXTURES` returns: a builder
writes the task's exact-schema fixture files under the folder it is given and loads them through
the task's own loader.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from othink_bench.task import Sample


def png(seed: int, size: int = 32) -> bytes:
    img = Image.new("RGB", (size, size), (40 * seed % 255, 90, 160))
    ImageDraw.Draw(img).rectangle([4, 4, 4 + seed % 20, 20], fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Rows (the hub columns; images as {"bytes", "path"})

VERSIONS = ["Text Dominant", "Text Lite", "Text Only", "Vision Intensive", "Vision Dominant",
            "Vision Only"]


def mathverse_rows() -> list[dict[str, Any]]:
    rows = []
    problems = [
        ("multi-choice", "As shown in the figure, angle 1 = 35°, find angle 2.\nChoices:\n"
         "A:145°\nB:165°\nC:215°\nD:235°", "A"),
        ("free-form", "The radius is 3. Find the area of the circle to one decimal.", "28.3"),
        ("free-form", "Write the equation of the line through the marked points.", "y=2x+1"),
    ]
    i = 0
    for p, (qtype, question, answer) in enumerate(problems, 1):
        for version in VERSIONS:
            i += 1
            q = "" if version == "Vision Only" else question
            rows.append({
                "sample_index": str(i),
                "problem_index": str(p),
                "problem_version": version,
                "question": q,
                "image": {"bytes": png(i), "path": f"image_{i}.png"},
                "answer": answer,
                "question_type": qtype,
                "metadata": {"split": "testmini", "source": "synthetic", "subject":
                             "Plane Geometry", "subfield": "Angle"},
                "query_wo": f"Please directly answer the question.\nQuestion: {q}",
                "query_cot": f"Please first conduct reasoning, then answer.\nQuestion: {q}",
                "question_for_eval": question,
            })
    return rows


def geometry3k_rows() -> list[dict[str, Any]]:
    return [
        {"images": [{"bytes": png(k), "path": None}],
         "problem": f"<image>Find x. Round to the nearest tenth if necessary. ({k})",
         "answer": ["3", "12.5", "45", "90"][k % 4], "id": 2401 + k,
         "choices": ["3", "12.5", "45", "90"], "ground_truth": "ABCD"[k % 4]}
        for k in range(4)
    ]


def wemath_rows() -> list[dict[str, Any]]:
    rows = []
    specs = [("1", "2steps_1", "B"), ("1", "2steps_2", "A"), ("1", "2steps_multi", "C"),
             ("2", "3steps_1", "A"), ("2", "3steps_2", "B"), ("2", "3steps_3", "D"),
             ("2", "3steps_multi", "E")]
    for n, (pid, key, answer) in enumerate(specs):
        rows.append({
            "ID": pid, "split": "testmini", "knowledge concept": "Angles and Length",
            "question": f"What is the length of segment {n}?",
            "option": "A. 3cm; B. 4cm; C. 5cm; D. 6cm; E. No correct answer",
            "answer": answer, "image_path": {"bytes": png(n), "path": f"{n}.png"},
            "key": key, "question number": n + 1,
            "knowledge concept description": "Lengths of segments.",
        })
    return rows


def hallusion_rows() -> list[dict[str, Any]]:
    rows = []
    n = 0
    for category, sub in (("VD", "ocr"), ("VS", "chart")):
        for figure in ("0", "1"):
            for question in ("0", "1"):
                n += 1
                rows.append({
                    "category": category, "subcategory": sub, "visual_input": "1" if figure ==
                    "0" else "2", "set_id": "0", "figure_id": figure, "sample_note": "note",
                    "question_id": question,
                    "question": f"Is the number in the {category} figure larger than {n}?",
                    "gt_answer_details": "details", "gt_answer": "1" if n % 2 else "0",
                    "filename": f"./hallusion_bench/{category}/{sub}/0_{figure}.png",
                    "image": {"bytes": png(n), "path": None},
                })
    return rows


def countbench_rows() -> list[dict[str, Any]]:
    return [{"image": {"bytes": png(k), "path": None}, "text": f"{k + 2} cups on a table",
             "question": "How many cups are there in the image?", "number": k + 2}
            for k in range(5)]


# --------------------------------------------------------------------------------------------
# Writers


def _features(task: str) -> Any:
    from datasets import Features, List, Value
    from datasets import Image as Img

    s = Value("string")
    if task == "mathverse":
        return Features({
            "sample_index": s, "problem_index": s, "problem_version": s, "question": s,
            "image": Img(), "answer": s, "question_type": s,
            "metadata": {"split": s, "source": s, "subject": s, "subfield": s},
            "query_wo": s, "query_cot": s, "question_for_eval": s})
    if task == "geometry3k":
        return Features({"images": List(Img()), "problem": s, "answer": s,
                         "id": Value("int64"), "choices": List(s), "ground_truth": s})
    if task == "wemath":
        return Features({"ID": s, "split": s, "knowledge concept": s, "question": s,
                         "option": s, "answer": s, "image_path": Img(), "key": s,
                         "question number": Value("int64"),
                         "knowledge concept description": s})
    if task == "hallusionbench":
        return Features({k: s for k in (
            "category", "subcategory", "visual_input", "set_id", "figure_id", "sample_note",
            "question_id", "question", "gt_answer_details", "gt_answer", "filename")}
            | {"image": Img()})
    if task == "countbench":
        return Features({"image": Img(), "text": s, "question": s, "number": Value("int32")})
    raise KeyError(task)


ROWS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "mathverse": mathverse_rows,
    "geometry3k": geometry3k_rows,
    "wemath": wemath_rows,
    "hallusionbench": hallusion_rows,
    "countbench": countbench_rows,
}


def write_parquet(task: str, folder: Path) -> Path:
    """The hub rows of ``task`` as one parquet file with the hub's features."""
    from datasets import Dataset

    rows = ROWS[task]()
    ds = Dataset.from_list(rows, features=_features(task))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{task}.parquet"
    ds.to_parquet(str(path))
    return path


def write_saved(task: str, folder: Path) -> Path:
    """The hub rows of ``task`` as a ``save_to_disk`` folder."""
    from datasets import Dataset

    ds = Dataset.from_list(ROWS[task](), features=_features(task))
    path = folder / f"{task}-saved"
    ds.save_to_disk(str(path))
    return path


def _release_rows(task: str, folder: Path, image_field: str, name_of: Callable[[int], str],
                  drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for i, row in enumerate(ROWS[task]()):
        data = row.pop(image_field)
        data = data[0] if isinstance(data, list) else data
        rel = name_of(i)
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data["bytes"])
        row = {k: v for k, v in row.items() if k not in drop}
        row[image_field] = rel
        out.append(row)
    return out


def write_release(task: str, folder: Path) -> Path:
    """The benchmark's release layout: a JSON file (or folders) with image paths."""
    folder.mkdir(parents=True, exist_ok=True)
    if task == "mathverse":
        rows = _release_rows(task, folder, "image", lambda i: f"images/image_{i + 1}.png")
        path = folder / "testmini.json"
        path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
        return path
    if task == "hallusionbench":
        rows = []
        for row in ROWS[task]():
            data = row.pop("image")
            rel = row["filename"]
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data["bytes"])
            rows.append(row)
        # the release also lists questions without a figure (left out, as on the hub)
        rows.append({**rows[0], "visual_input": "0", "figure_id": "0", "filename": None,
                     "question_id": "9"})
        path = folder / "HallusionBench.json"
        path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
        return path
    if task == "wemath":
        rows = _release_rows(task, folder, "image_path", lambda i: f"images/{i}.png")
        path = folder / "testmini.json"
        path.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
        return path
    if task == "countbench":
        rows = _release_rows(task, folder, "image", lambda i: f"images/{i}.png")
        path = folder / "countbench.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path
    if task == "geometry3k":
        for row in geometry3k_rows():
            sub = folder / str(row["id"])
            sub.mkdir(parents=True, exist_ok=True)
            (sub / "img_diagram.png").write_bytes(row["images"][0]["bytes"])
            (sub / "data.json").write_text(json.dumps({
                "id": row["id"], "problem_text": row["problem"].replace("<image>", ""),
                "choices": row["choices"], "answer": row["ground_truth"],
                "problem_type_graph": ["Triangle"], "problem_type_goal": ["Length"]}))
        return folder
    raise KeyError(task)


#: Rows each fixture yields as the task reads it (a preset keeps its subset).
FIXTURE_TASKS = {"mathverse": "mathverse", "mathverse-vision-only": "mathverse",
                 "geometry3k": "geometry3k", "wemath": "wemath",
                 "hallusionbench": "hallusionbench", "countbench": "countbench"}


def _builder(name: str) -> Callable[[Path], list[Sample]]:
    def build(folder: Path) -> list[Sample]:
        from othink_bench.registry import get_task

        return list(get_task(name).load(data=write_parquet(FIXTURE_TASKS[name], folder)))

    return build


FIXTURES: dict[str, Callable[[Path], list[Sample]]] = {
    name: _builder(name) for name in FIXTURE_TASKS}
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

# MathVista's and MATH-V's release layouts, for the end-to-end matrix (--eval-data with
# --eval-image-root the repository folder)
RELEASE_A: dict[str, Callable[[Path], Path]] = {
    "mathvista": write_mathvista_release, "mathvision": write_mathv_release}
