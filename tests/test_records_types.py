"""Records and manifests are type-checked when read: nothing is coerced, errors name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from othink_bench.records import (
    Manifest,
    ManifestError,
    ModelInfo,
    RunRecord,
    append_records,
    read_manifest,
    read_records,
    write_manifest,
)


def _record(**fields: object) -> str:
    base: dict[str, object] = {"sample_id": "s0", "index": 0, "task": "vc-synth",
                               "task_version": "1.0", "gold": "3"}  # fmt: skip
    return json.dumps({**base, **fields})


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({"correct": "yes"}, "correct"),
        ({"correct": 1}, "correct"),
        ({"format_ok": "false"}, "format_ok"),
        ({"index": 1.5}, "index"),
        ({"gold": 3}, "gold"),
        ({"k": "0"}, "k"),
    ],
)
def test_a_record_of_the_wrong_type_is_an_error_naming_file_and_line(
    tmp_path: Path, fields: dict[str, object], where: str
) -> None:
    path = tmp_path / "records.jsonl"
    path.write_text(_record() + "\n" + _record(sample_id="s1", **fields) + "\n")
    with pytest.raises(ValueError, match=rf"records.jsonl:2: malformed record line \({where}: "):
        read_records(path)


def test_records_written_by_the_writer_read_back(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    rec = RunRecord(sample_id="s0", index=0, task="t", task_version="1", gold="3", correct=True,
                    latency_s=1.0, tokens=4)  # fmt: skip
    append_records(path, [rec])
    assert read_records(path) == [rec]


def _manifest(run: Path) -> Path:
    run.mkdir()
    write_manifest(run, Manifest(run_id="r", model=ModelInfo(name="tiny"), task="vc-synth",
                                 task_version="1.0", source="synthetic", split="test"))  # fmt: skip
    return run / "manifest.json"


def test_a_truncated_manifest_names_the_file_and_the_fix(tmp_path: Path) -> None:
    path = _manifest(tmp_path / "run")
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(ManifestError) as info:
        read_manifest(tmp_path / "run")
    message = str(info.value)
    assert str(path) in message and "delete the run folder" in message
    assert "pydantic" not in message


def test_a_manifest_field_of_the_wrong_type_is_an_error(tmp_path: Path) -> None:
    path = _manifest(tmp_path / "run")
    data = json.loads(path.read_text())
    data["seed"] = "3"
    path.write_text(json.dumps(data))
    with pytest.raises(ManifestError, match=r"seed: Input should be a valid integer"):
        read_manifest(tmp_path / "run")
