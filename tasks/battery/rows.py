"""Reading a benchmark's rows from any copy of it: the hub, a parquet file or folder, a
``save_to_disk`` folder, or the benchmark's release file (JSON array, ``{id: row}`` object or
JSON lines), into plain dicts with the hub's columns.

Rows are taken from Arrow without decoding (``with_format("arrow")``), so an image stays the
``{"bytes", "path"}`` struct the dataset stores and a corrupt image fails its own sample when it
is loaded, not the whole load. In a release file the image column holds a path, relative to the
file's folder (or to ``--image-root``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from othink_bench.data_sources import DataSourceError
from othink_bench.task import ImageRef, Sample

RELEASE_SUFFIXES = (".json", ".jsonl", ".ndjson")


def error_sample(sample_id: str, message: str, kind: str = "data") -> Sample:
    """A sample that records why its row cannot be used (the harness keeps it as an error)."""
    return Sample(id=sample_id, question="", gold="", image=ImageRef(),
                  meta={"error": message, "error_kind": kind})


def cell_image(value: Any, root: Path | None) -> ImageRef | None:
    """An image as a dataset stores it: an Arrow ``{"bytes", "path"}`` struct, a list of them
    (the first is used), a PIL image, or a path (relative paths start at ``root``)."""
    if isinstance(value, list):
        return cell_image(value[0], root) if value else None
    if isinstance(value, dict):
        if value.get("bytes"):
            return ImageRef(data=bytes(value["bytes"]))
        value = value.get("path")
    if isinstance(value, str) and value.strip():
        path = Path(value)
        if not path.is_absolute() and root is not None:
            path = root / path
        return ImageRef(path=str(path))
    if value is not None and hasattr(value, "convert"):  # a PIL image
        return ImageRef(pil=value)
    return None


def field(row: dict[str, Any], name: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    """A row's field, checked: a missing or mistyped field names the row, the field and the fix."""
    if name not in row:
        raise ValueError(f"{where}: missing field {name!r}; expected the benchmark's columns")
    value = row[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        want = "/".join(k.__name__ for k in kinds)
        raise ValueError(f"{where}: field {name!r} is {type(value).__name__} "
                         f"({str(value)[:40]!r}), expected {want}")
    return value


def _json_rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" and stripped[:1] in ("[", "{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            if stripped.startswith("["):
                raise DataSourceError(f"{path}: not valid JSON ({exc}); fix or re-download "
                                      "the release file") from None
            data = None  # one object per line: JSON lines after all
        if isinstance(data, list):
            return [r if isinstance(r, dict) else {"_bad": f"item {i} is not an object"}
                    for i, r in enumerate(data)]
        if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
            return [{"_key": k, **v} for k, v in data.items()]
    rows: list[dict[str, Any]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            row = {"_bad": f"line {lineno}: not JSON ({exc})"}
        rows.append(row if isinstance(row, dict) else {"_bad": f"line {lineno}: not an object"})
    if not rows:
        raise DataSourceError(f"{path}: the file has no rows")
    return rows


def _dataset_rows(loaded: Any, limit: int | None) -> list[dict[str, Any]]:
    n = len(loaded) if limit is None else min(limit, len(loaded))
    return list(loaded.with_format("arrow")[0:n].to_pylist())


def read_local_rows(
    data: str | Path, split_name: str, limit: int | None
) -> tuple[list[dict[str, Any]], Path | None]:
    """Rows of a local copy, and the folder relative image paths start at (``None``: the
    images are stored in the rows)."""
    import datasets

    path = Path(data)
    if not path.exists():
        raise DataSourceError(f"no such data path: {path}")
    if path.is_file() and path.suffix.lower() in RELEASE_SUFFIXES:
        rows = _json_rows(path)
        return (rows if limit is None else rows[:limit]), path.parent
    if path.is_dir() and any((path / f).exists() for f in ("dataset_info.json",
                                                            "dataset_dict.json")):
        loaded: Any = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split_name not in loaded:
                raise DataSourceError(f"{path} has splits {list(loaded)}, not {split_name!r}")
            loaded = loaded[split_name]
        return _dataset_rows(loaded, limit), None
    if path.is_dir():
        files = sorted(str(p) for p in path.glob(f"{split_name}*.parquet")) or sorted(
            str(p) for p in path.glob("**/*.parquet"))
        if not files:
            raise DataSourceError(f"no parquet files in {path}")
    else:
        with path.open("rb") as fh:
            if fh.read(4) != b"PAR1":
                raise DataSourceError(
                    f"{path}: not a parquet file, a saved dataset or a release JSON file")
        files = [str(path)]
    loaded = datasets.load_dataset("parquet", data_files=files, split="train")
    return _dataset_rows(loaded, limit), None


def read_hub_rows(hub_id: str, config: str | None, split: str, limit: int | None,
                  offline_hint: str) -> list[dict[str, Any]]:
    """A benchmark's rows from the hub; a clear error naming the offline copies otherwise."""
    import datasets

    try:
        loaded = datasets.load_dataset(hub_id, config, split=split)
    except Exception as exc:  # offline, missing or blocked: the user's fix is the same
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise DataSourceError(
            f"cannot load {hub_id!r} (split {split}) from the Hugging Face hub "
            f"({type(exc).__name__}: {first}). {offline_hint}"
        ) from exc
    return _dataset_rows(loaded, limit)
