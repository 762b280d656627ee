"""Loaders on local fixtures with the hub's exact schema and the reference JSON-lines layout."""

from __future__ import annotations

import io
import json
from pathlib import Path

import datasets
import pytest
from PIL import Image

from othink_bench.data import DataSourceError
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
