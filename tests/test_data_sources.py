"""Loaders on local fixtures with the hub's exact schema and the reference JSON-lines layout."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import datasets
import pytest
from PIL import Image

from othink_bench.data_sources import DataSourceError
from othink_bench.registry import get_task
from othink_bench.task import ImageError


def _png(color: str, size: tuple[int, int] = (32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture()
def hub_parquet(tmp_path: Path) -> Path:
    """A parquet file exactly as the hub's training sets: image (Image feature), problem,
    solution; one row carries corrupt image bytes."""
    features = datasets.Features(
        {
            "image": datasets.Image(),
            "problem": datasets.Value("string"),
            "solution": datasets.Value("string"),
        }
    )
    ds = datasets.Dataset.from_dict(
        {
            "image": [
                {"bytes": _png("red"), "path": None},
                {"bytes": _png("blue"), "path": None},
                {"bytes": b"not an image at all", "path": None},
            ],
            "problem": [
                "How many items are there in the image?",
                "As shown in the figure, then angle ABC is ()",
                "How many?",
            ],
            "solution": ["<answer> 3 </answer>", "<answer> 145° </answer>", "<answer> 4 </answer>"],
        },
        features=features,
    )
    path = tmp_path / "train.parquet"
    ds.to_parquet(str(path))
    return path


def test_hub_schema_parquet_loads_as_samples(hub_parquet: Path) -> None:
    task = get_task("vc")
    samples = task.load(split="train", source="local", data=hub_parquet)
    assert [s.gold for s in samples] == ["3", "145°", "4"]
    assert samples[0].question == "How many items are there in the image?"
    assert samples[0].solution == "<answer> 3 </answer>"
    assert samples[0].image.load().getpixel((0, 0)) == (255, 0, 0)
    with pytest.raises(ImageError, match="cannot decode"):
        samples[2].image.load()  # corrupt bytes fail one sample, not the load
    assert len(task.load(split="train", source="local", data=hub_parquet, limit=2)) == 2


def test_saved_dataset_folder_loads(tmp_path: Path, hub_parquet: Path) -> None:
    ds = datasets.load_dataset("parquet", data_files=str(hub_parquet), split="train")
    ds.save_to_disk(str(tmp_path / "saved"))
    samples = get_task("gr").load(split="train", source="local", data=tmp_path / "saved")
    assert samples[1].gold == "145°"


@pytest.fixture()
def jsonl_test(tmp_path: Path) -> Path:
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(_png("green"))
    (tmp_path / "images" / "bad.png").write_bytes(b"\x89PNG garbage")
    rows = [
        {
            "image_path": "images/a.png",
            "question": "How many items are there in the image?",
            "ground_truth": 7,
        },
        {"image_path": "images/bad.png", "question": "How many?", "ground_truth": 3},
        {"image_path": "images/missing.png", "question": "How many?", "ground_truth": 4},
    ]
    path = tmp_path / "superclevr_test200_counting_problems.jsonl"
    lines = [json.dumps(r) for r in rows]
    lines.insert(2, "{this is not json")
    lines.insert(3, json.dumps({"question": "no image"}))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_jsonl_layout_resolves_images_and_keeps_bad_rows(jsonl_test: Path) -> None:
    samples = get_task("vc").load(data=jsonl_test)
    assert len(samples) == 5
    good = samples[0]
    assert good.gold == "7" and good.image.load().size == (32, 24)
    with pytest.raises(ImageError, match="cannot decode"):
        samples[1].image.load()
    assert "malformed row" in samples[2].meta["error"]
    assert "image_path" in samples[3].meta["error"]
    with pytest.raises(ImageError, match="not found"):
        samples[4].image.load()
    # ids are stable across loads (paired comparisons rely on that)
    assert [s.id for s in get_task("vc").load(data=jsonl_test)] == [s.id for s in samples]


def test_image_root_overrides_the_files_folder(jsonl_test: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "images"
    other.mkdir(parents=True)
    (other / "a.png").write_bytes(_png("white", (8, 8)))
    samples = get_task("vc").load(data=jsonl_test, image_root=tmp_path / "elsewhere")
    assert samples[0].image.load().size == (8, 8)


def test_geoqa_string_ground_truths_are_kept_verbatim(tmp_path: Path) -> None:
    path = tmp_path / "geoqa_test_prompts.jsonl"
    path.write_text(
        json.dumps(
            {"image_path": "x.png", "question": "q", "ground_truth": "8√{3}"}, ensure_ascii=False
        )
        + "\n"
    )
    (sample,) = get_task("gr").load(data=path)
    assert sample.gold == "8√{3}"
    assert get_task("gr").score(sample.gold and "<answer>8\\sqrt{3}</answer>", sample).correct


def test_missing_test_data_explains_where_it_comes_from() -> None:
    with pytest.raises(DataSourceError, match="SuperCLEVR-200.*--data"):
        get_task("vc").load(split="test")
    with pytest.raises(DataSourceError, match="GeoQA.*gr-synth"):
        get_task("gr").load(split="test")


def test_unreachable_hub_names_offline_alternatives() -> None:
    # conftest forces HF_HUB_OFFLINE=1, so the real loader fails fast without the network.
    with pytest.raises(DataSourceError, match="cannot load .*hub.*vc-synth"):
        get_task("vc").load(split="train", source="hub", limit=2)
    with pytest.raises(DataSourceError, match="only a training split"):
        get_task("gr").load(split="test", source="hub")


def test_unknown_source_is_refused() -> None:
    with pytest.raises(DataSourceError, match="no 'synthetic' source"):
        get_task("vc").load(source="synthetic")


# -- bad sources are errors; bad rows are per-sample records ----------------------------------


def _cli_run(data: Path, tmp_path: Path, task: str = "vc") -> tuple[int, str]:
    """``othink-bench run`` on ``data`` with a scripted model; (exit code, stderr)."""
    import contextlib
    import io as _io

    from othink_bench.cli import main

    script = tmp_path / "script.json"
    script.write_text(json.dumps({"outputs": {}, "default": "<answer>3</answer>"}))
    err = _io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(_io.StringIO()):
        code = main(
            [
                "run",
                "--backend",
                "scripted",
                "--model",
                str(script),
                "--tasks",
                task,
                "--data",
                str(data),
                "--out",
                str(tmp_path / "runs"),
                "--no-progress",
            ]
        )
    return code, err.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", b"{not json\n[1, 2]\n{\"question\": \"q\"}\n",
         r"none of the 3 selected rows can be scored.*bad\.jsonl:1: malformed row"),
        ("empty.jsonl", b"", r"empty\.jsonl: the file has no rows; expected JSON lines"),
        ("blank.jsonl", b"\n  \n", r"blank\.jsonl: the file has no rows"),
        ("rows.csv", b"image_path,question,ground_truth\na.png,How many?,3\n",
         r"rows\.csv: a CSV file cannot be read.*JSON-lines"),
        ("array.json", b'[\n  {"image_path": "a.png", "question": "q", "ground_truth": 3}\n]\n',
         r"array\.json:1: the file is a JSON array, not JSON lines"),
        ("array1.jsonl", b'[{"image_path": "a.png", "question": "q", "ground_truth": 3}]\n',
         r"array1\.jsonl:1: the file is a JSON array"),
    ],
)  # fmt: skip
def test_a_source_without_a_scorable_sample_is_an_error_naming_file_and_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    # Before: "complete", n=0, exit 0 (or "Parquet magic bytes not found" for the CSV).
    path = tmp_path / name
    path.write_bytes(content)
    code, err = _cli_run(path, tmp_path)
    assert code == 2 and "Traceback" not in err
    assert re.search(message, err), err
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_zero_row_parquet_and_non_parquet_files_are_clear_errors(tmp_path: Path) -> None:
    features = datasets.Features(
        {"image": datasets.Image(), "problem": datasets.Value("string"),
         "solution": datasets.Value("string")}
    )  # fmt: skip
    empty = tmp_path / "empty.parquet"
    datasets.Dataset.from_dict({"image": [], "problem": [], "solution": []}, features=features
                               ).to_parquet(str(empty))  # fmt: skip
    with pytest.raises(DataSourceError, match=r"empty\.parquet: the parquet data has no rows"):
        get_task("vc").load(split="train", source="local", data=empty)
    fake = tmp_path / "fake.parquet"
    fake.write_text("image,problem\n")
    with pytest.raises(DataSourceError, match=r"fake\.parquet: not a parquet file"):
        get_task("vc").load(split="train", source="local", data=fake)
    code, err = _cli_run(empty, tmp_path)
    assert code == 2 and "DatasetGenerationError" not in err and "no rows" in err


def test_upper_case_extensions_are_read_by_their_type(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(_png("red"))
    path = tmp_path / "TEST.JSONL"
    path.write_text(json.dumps({"image_path": "a.png", "question": "q", "ground_truth": 2}) + "\n")
    (sample,) = get_task("vc").load(data=path)  # was "Parquet magic bytes not found"
    assert sample.gold == "2"
    csv = tmp_path / "TEST.CSV"
    csv.write_text("image_path,question\n")
    with pytest.raises(DataSourceError, match="CSV file cannot be read"):
        get_task("vc").load(data=csv)


def test_bad_encoding_spoils_its_own_row_only_and_a_bom_is_skipped(tmp_path: Path) -> None:
    # Before: one lone surrogate or bad byte stopped the whole load before any run folder
    # existed, naming neither file nor line; a BOM made row 1 a malformed row.
    (tmp_path / "a.png").write_bytes(_png("red"))
    good = json.dumps({"image_path": "a.png", "question": "How many?", "ground_truth": 3})
    surrogate = '{"image_path": "a.png", "question": "How \\ud800 many?", "ground_truth": 4}'
    bad_byte = b'{"image_path": "a.png", "question": "How \xff many?", "ground_truth": 5}'
    path = tmp_path / "test.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + good.encode() + b"\n" + surrogate.encode() + b"\n" + bad_byte + b"\n"
        + good.replace("3", "6").encode() + b"\n"
    )  # fmt: skip
    samples = get_task("vc").load(data=path)
    assert [s.meta.get("error_kind") for s in samples] == [None, "encoding", "encoding", None]
    assert samples[0].gold == "3" and samples[3].gold == "6"
    assert f"{path}:2: field(s) question hold a lone UTF-16 surrogate" in samples[1].meta["error"]
    assert f"{path}:3: not valid UTF-8 (byte 0xff at column 42)" in samples[2].meta["error"]
    # through the harness: one record per row, the cause in error_kind, the run goes on
    from othink_bench.backends import ScriptedBackend
    from othink_bench.harness import evaluate, load_run_records

    (s,) = evaluate(
        "m", "vc", backend=ScriptedBackend({}, default="<think>.</think><answer>3</answer>"),
        data=str(path), out=tmp_path / "runs", progress=False,
    )  # fmt: skip
    recs = sorted(load_run_records(s.run_dir), key=lambda r: r.index)
    assert [r.error_kind for r in recs] == [None, "encoding", "encoding", None]
    assert s.status == "complete" and recs[0].correct
