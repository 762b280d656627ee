"""Reading task data from files and the hub into :class:`Sample` objects.

* ``hub``: the paper's training sets through ``datasets.load_dataset`` (columns ``image``,
  ``problem``, ``solution``). Images are kept encoded so one corrupt image fails one sample.
* ``local``: a JSON-lines test file in the reference evaluation layout (``image_path``,
  ``question``, ``ground_truth``), or a parquet file / saved dataset folder with the hub columns.

The third kind of source, ``synthetic`` (procedural generators), and the task bases that pick a
source live in :mod:`othink_bench.data`.

Malformed rows do not stop a load: they become samples carrying ``meta["error"]`` (and
``meta["error_kind"]``: ``data`` for a malformed row, ``encoding`` for invalid UTF-8 or a lone
surrogate), which the harness records as per-sample errors. A file that is not a data file at
all (empty, a JSON array, CSV, a parquet file without rows) is a :class:`DataSourceError`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from othink_bench.answers import extract_answer
from othink_bench.task import ImageRef, Sample


class DataSourceError(RuntimeError):
    """A data source cannot be used as asked; the message says what to do instead."""


OFFLINE_HINT = (
    "Offline alternatives: train on a procedural task (`--task` / `--train-tasks` vc-synth, "
    "gr-synth or their -tiny presets; no download needed), or on a local copy through the "
    "recipe overrides `source=local data=PATH` (a parquet file or saved dataset folder with the "
    "hub's columns image, problem, solution, copied from a machine that has them)."
)


def _stable_id(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:10]


JSONL_FIELDS = ("image_path", "question", "ground_truth")
JSONL_HINT = (
    "expected JSON lines: one object per line with image_path, question, ground_truth "
    "(the reference evaluation layout)"
)


def _error_sample(
    sample_id: str, message: str, kind: str = "data", line: int | None = None
) -> Sample:
    meta: dict[str, Any] = {"error": message, "error_kind": kind}
    if line is not None:
        meta["line"] = line
    return Sample(id=sample_id, question="", gold="", image=ImageRef(), meta=meta)


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds an unpaired UTF-16 surrogate (JSON ``"\\ud800"``): unwritable."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _surrogate_fields(row: dict[str, Any]) -> list[str]:
    return [
        str(k)
        for k, v in row.items()
        if (isinstance(v, str) and has_lone_surrogate(v)) or has_lone_surrogate(str(k))
    ]


def load_jsonl(
    path: str | Path,
    *,
    image_root: str | Path | None = None,
    limit: int | None = None,
    gold_to_str: Callable[[Any], str] = str,
) -> list[Sample]:
    """Read a reference-layout JSON-lines test file; relative image paths resolve against
    ``image_root`` when given, else against the file's folder.

    Lines are decoded one by one, so an invalid UTF-8 byte or a lone surrogate spoils its own
    row only; a UTF-8 byte-order mark before the first row is skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise DataSourceError(f"no such data file: {path}")
    root = Path(image_root) if image_root is not None else path.parent
    samples: list[Sample] = []
    seen_row = False
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if limit is not None and len(samples) >= limit:
                break
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            fallback_id = f"line{lineno:05d}"
            where = f"{path}:{lineno}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                samples.append(
                    _error_sample(
                        fallback_id,
                        f"{where}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column "
                        f"{exc.start + 1}); re-save the file as UTF-8",
                        "encoding",
                        lineno,
                    )
                )
                seen_row = True
                continue
            if not seen_row and line.lstrip().startswith("["):
                raise DataSourceError(
                    f"{where}: the file is a JSON array, not JSON lines; {JSONL_HINT}. "
                    "Convert it, e.g. `jq -c '.[]' FILE > FILE.jsonl`"
                )
            seen_row = True
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("row is not a JSON object")
                missing = [k for k in JSONL_FIELDS if k not in row]
                if missing:
                    raise ValueError(f"missing field(s) {', '.join(missing)}")
            except ValueError as exc:
                samples.append(
                    _error_sample(fallback_id, f"{where}: malformed row: {exc}", "data", lineno)
                )
                continue
            bad = _surrogate_fields(row)
            if bad:
                samples.append(
                    _error_sample(
                        fallback_id,
                        f"{where}: field(s) {', '.join(bad)} hold a lone UTF-16 surrogate (an "
                        "escaped \\ud800-\\udfff without its pair); fix the text of this row",
                        "encoding",
                        lineno,
                    )
                )
                continue
            image_path = Path(str(row["image_path"]))
            if not image_path.is_absolute():
                image_path = root / image_path
            question = str(row["question"])
            sid = str(row.get("id") or f"{image_path.stem}-{_stable_id(question)}")
            samples.append(
                Sample(
                    id=sid,
                    question=question,
                    gold=gold_to_str(row["ground_truth"]),
                    image=ImageRef(path=str(image_path)),
                    meta={"line": lineno},
                )
            )
    if not seen_row:
        raise DataSourceError(f"{path}: the file has no rows; {JSONL_HINT}")
    return samples


def _hub_rows_to_samples(
    rows: Any, prefix: str, limit: int | None, where: str | None = None
) -> list[Sample]:
    """Convert rows with the hub's columns (image, problem, solution[, id]) to samples."""
    missing = [c for c in ("image", "problem", "solution") if c not in rows.column_names]
    if missing:
        raise DataSourceError(
            f"dataset lacks column(s) {', '.join(missing)}; expected the hub schema "
            "image / problem / solution (as written by `othink-bench generate`)"
        )
    from datasets import Image as ImageFeature

    rows = rows.cast_column("image", ImageFeature(decode=False))
    n = len(rows) if limit is None else min(limit, len(rows))
    samples: list[Sample] = []
    for i in range(n):
        row = rows[i]
        sid = str(row.get("id") or f"{prefix}-{i:06d}")
        solution = row.get("solution")
        problem = row.get("problem")
        if not isinstance(problem, str) or not isinstance(solution, str):
            samples.append(
                _error_sample(sid, f"{where or prefix}: row {i}: problem/solution is not a string")
            )
            continue
        gold = extract_answer(solution)
        if gold is None:
            gold = solution.strip()
        img = row.get("image") or {}
        ref = ImageRef(data=img.get("bytes"), path=img.get("path") if not img.get("bytes") else None)
        samples.append(Sample(id=sid, question=problem, gold=gold, image=ref, solution=solution))
    return samples


TABLE_HINT = (
    "expected a parquet file (or a folder of them, or a `save_to_disk` folder) with the hub "
    "columns image, problem, solution, as `othink-bench generate` writes"
)


def _parquet_rows(files: list[str]) -> int:
    """Rows in parquet files (from their footers); a non-parquet file is a clear error."""
    import pyarrow.parquet as pq

    total = 0
    for f in files:
        with open(f, "rb") as fh:
            if fh.read(4) != b"PAR1":
                raise DataSourceError(f"{f}: not a parquet file; {TABLE_HINT}")
        try:
            total += pq.ParquetFile(f).metadata.num_rows
        except Exception as exc:  # a truncated or damaged footer
            raise DataSourceError(
                f"{f}: cannot read the parquet file ({type(exc).__name__}: {exc})"
            ) from None
    return total


def load_table(path: str | Path, *, limit: int | None = None, split: str = "train") -> list[Sample]:
    """Read a parquet file, a folder of parquet files, or a ``save_to_disk`` dataset folder."""
    import datasets

    path = Path(path)
    if not path.exists():
        raise DataSourceError(f"no such data path: {path}")
    if path.is_dir() and (path / "dataset_info.json").exists():
        loaded: Any = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split not in loaded:
                raise DataSourceError(f"{path} has splits {list(loaded)}, not {split!r}")
            loaded = loaded[split]
    else:
        if path.is_dir():
            files = sorted(str(p) for p in path.glob(f"{split}*.parquet")) or sorted(
                str(p) for p in path.glob("*.parquet")
            )
            if not files:
                raise DataSourceError(f"no parquet files in {path}; {TABLE_HINT}")
        else:
            files = [str(path)]
        if _parquet_rows(files) == 0:
            raise DataSourceError(f"{path}: the parquet data has no rows; {TABLE_HINT}")
        loaded = datasets.load_dataset("parquet", data_files=files, split="train")
    if len(loaded) == 0:
        raise DataSourceError(f"{path}: the dataset has no rows; {TABLE_HINT}")
    return _hub_rows_to_samples(loaded, path.stem, limit, where=str(path))


def load_local(
    data: str | Path | None,
    *,
    split: str,
    image_root: str | Path | None,
    limit: int | None,
    missing_hint: str,
    gold_to_str: Callable[[Any], str] = str,
) -> list[Sample]:
    """Dispatch a ``local`` source on the file type; ``missing_hint`` explains where data lives."""
    if data is None:
        raise DataSourceError(f"this source needs --data PATH. {missing_hint}")
    p = Path(data)
    suffix = p.suffix.lower()
    if p.is_file() and suffix in (".jsonl", ".json", ".ndjson"):
        return load_jsonl(p, image_root=image_root, limit=limit, gold_to_str=gold_to_str)
    if p.is_file() and suffix != ".parquet":
        with p.open("rb") as fh:
            magic = fh.read(4)
        if magic != b"PAR1":
            kind = "a CSV file" if suffix in (".csv", ".tsv") else f"a {suffix or 'extension-less'} file"
            raise DataSourceError(
                f"{p}: {kind} cannot be read as task data; use a JSON-lines file (.jsonl: one "
                "object per line with image_path, question, ground_truth) or a parquet file "
                "with image, problem, solution"
            )
    return load_table(p, limit=limit, split=split)


def load_hub(dataset_id: str, *, split: str = "train", limit: int | None = None) -> list[Sample]:
    """The paper's training data from the hub; a clear error when it cannot be reached."""
    import datasets

    try:
        rows = datasets.load_dataset(dataset_id, split=split)
    except Exception as exc:  # offline, missing, or blocked: all end the same way for the user
        raise DataSourceError(
            f"cannot load {dataset_id!r} from the Hugging Face hub ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}). {OFFLINE_HINT}"
        ) from exc
    return _hub_rows_to_samples(rows, dataset_id.split("/")[-1], limit)
