"""Run records: the source of truth for every metric and board.

A run directory holds ``manifest.json`` (what produced the run) and ``records.jsonl`` (one line
per scored sample). Lines are appended and flushed per batch; a process killed mid-write leaves
at most one partial final line, which :func:`read_records` ignores and :func:`repair_tail`
removes before the next append, so a resumed run never trips on it.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from othink_bench import strict_json

RECORDS_FILE = "records.jsonl"
MANIFEST_FILE = "manifest.json"
SCHEMA_VERSION = 1


class ProfileScore(BaseModel):
    """One scoring profile's verdict on a record's output (``run --profile``), recorded beside
    the strict verdict and never instead of it."""

    model_config = ConfigDict(extra="ignore")

    extracted: str | None = None
    correct: bool = False
    non_answer: str | None = Field(default=None, exclude_if=lambda v: v is None)
    error: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="why the profile gave no verdict (then correct is false)",
    )


class RunRecord(BaseModel):
    """One sample's generation and score."""

    model_config = ConfigDict(extra="ignore")

    sample_id: str
    index: int = Field(description="position of the sample in the loaded split")
    task: str
    task_version: str
    k: int = Field(0, description="which of the K samples drawn for this prompt (0 for greedy)")
    gold: str
    breakdown: str = ""
    output: str | None = None
    extracted: str | None = None
    correct: bool = False
    lenient_extracted: str | None = None
    lenient_correct: bool = False
    format_ok: bool = False
    error: str | None = Field(None, description="why this sample has no valid score, if so")
    error_kind: str | None = Field(
        None,
        description="image | image_path | generation | gold | data | encoding | "
        "prompt_too_long | score | serialization | response_too_large",
    )
    tokens: int | None = None
    latency_s: float | None = None
    # Newer fields are written only when set, so records of older runs read unchanged and
    # records of valid inputs differ from older ones only by these keys.
    prompt_hash: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="key of the rendered prompt in the run's prompts.jsonl",
    )
    repaired: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="what was changed to make the record writable (e.g. lone surrogates)",
    )
    think_from: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="the endpoint's message field the output's <think> block was rebuilt from "
        "(reasoning_content or reasoning); None when the output is the text as received",
    )
    truncated: bool | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="generation stopped at the token budget (max_new_tokens) before a stop "
        "token; None: not known (a record written before the field, or a backend that cannot "
        "tell)",
    )
    think_open: bool | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="the output opens a <think> that it never closes; None: no output, or a "
        "record written before the field",
    )
    prompt: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="the prompt variant (name@version) the output answers; None: the paper "
        "prompt",
    )
    profiles: dict[str, ProfileScore] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="verdicts of the scoring profiles the run was asked for (run --profile, "
        "and the prompt variant's own), by profile name; the strict verdict is `correct`",
    )

    @property
    def key(self) -> tuple[str, int]:
        return (self.sample_id, self.k)


class ModelInfo(BaseModel):
    """What was evaluated: a checkpoint and, for trained ones, how it was made."""

    name: str = Field(description="what the user passed (path, hub id or 'tiny')")
    path: str | None = None
    revision: str | None = Field(None, description="hub revision or a hash of the weights' index")
    base_model: str | None = None
    method: str | None = Field(None, description="base | sft | grpo | grpod | ...")
    train_task: str | None = None
    step: int | None = None
    label: str | None = Field(None, description="display name on boards")
    train_seed: int | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="training seed of a trained checkpoint (train-and-eval --seeds); None: "
        "not recorded (one training per cell, or the base model)",
    )
    sweep: dict[str, Any] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="the swept settings of a trained checkpoint (train-and-eval --sweep), "
        "e.g. {'beta': 0.05}; None: not part of a sweep",
    )


class Manifest(BaseModel):
    """What determined a run's results, and where and when it ran."""

    model_config = ConfigDict(extra="allow")

    schema_version: int = SCHEMA_VERSION
    run_id: str
    model: ModelInfo
    task: str
    task_version: str
    source: str
    split: str
    data: str | None = None
    limit: int | None = None
    generation: dict[str, Any] = Field(default_factory=dict)
    seed: int = Field(0, description="the sampling seed")
    data_seed: int | None = Field(
        None,
        description="seed of a procedural test set; None (runs before it existed): "
        "the same as seed",
    )
    backend: str = "hf"
    packages: dict[str, str] = Field(default_factory=dict)
    git_revision: str | None = None
    hardware: dict[str, Any] = Field(default_factory=dict)
    started: str | None = None
    finished: str | None = None
    n_samples: int | None = None
    status: str = "running"


def repair_tail(path: Path) -> None:
    """Cut a partial final line (left by a killed writer) so the next append starts clean."""
    if not path.exists():
        return
    with path.open("rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        # Walk back to the last newline and truncate after it.
        pos = size - 1
        chunk = 4096
        while pos > 0:
            start = max(0, pos - chunk)
            fh.seek(start)
            buf = fh.read(pos - start)
            nl = buf.rfind(b"\n")
            if nl >= 0:
                fh.truncate(start + nl + 1)
                return
            pos = start
        fh.truncate(0)


def append_bytes(path: Path, data: bytes) -> None:
    """Append ``data`` with ``O_APPEND`` writes and fsync it (a short write is continued)."""
    if not data:
        return
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def append_records(path: Path, records: Iterable[RunRecord]) -> None:
    """Append records as JSON lines and flush them to disk."""
    append_bytes(path, "".join(r.model_dump_json() + "\n" for r in records).encode("utf-8"))


def validation_detail(exc: ValidationError) -> str:
    """The first problem of a validation error, in words: ``correct: Input should be ...``."""
    errors = exc.errors(include_url=False)
    if not errors:
        return str(exc)
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    shown = "" if first.get("type") == "json_invalid" else f" (got {first.get('input')!r:.60})"
    more = f"; {len(errors) - 1} more problem(s)" if len(errors) > 1 else ""
    return f"{where + ': ' if where else ''}{first.get('msg', 'invalid')}{shown}{more}"


def read_record_lines(path: Path) -> tuple[list[tuple[int, RunRecord]], int | None]:
    """A records file's records with their line numbers, and the number of a partial final
    line (no newline: a writer killed mid-line), or ``None``.

    A malformed line elsewhere means the file was edited or damaged: that is an error that
    names the line, not something to skip silently. Types are checked, not coerced: a
    ``"correct": "yes"`` or an ``"index": 1.5`` is an error, not ``True`` or ``1``.
    """
    if not path.exists():
        return [], None
    lines = path.read_bytes().split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    out: list[tuple[int, RunRecord]] = []
    for no, line in enumerate(complete, 1):
        if not line.strip():
            continue
        try:
            out.append((no, RunRecord.model_validate_json(line, strict=True)))
        except ValidationError as exc:
            raise ValueError(
                f"{path}:{no}: malformed record line ({validation_detail(exc)}); "
                "remove the line or the run directory to redo those samples"
            ) from None
    return out, (len(lines) if tail.strip() else None)


def read_records(path: Path) -> list[RunRecord]:
    """Read a records file; a partial final line (killed writer) is ignored (see
    :func:`read_record_lines`, which says where it is)."""
    return [r for _, r in read_record_lines(path)[0]]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON through a temporary file and a rename; no ``.tmp`` is left on failure.

    On a full disk (``ENOSPC``) the file is rewritten in place when the new text fits in the
    blocks the old file already holds - so a run that stops on a full disk can still say so.
    """
    text = (strict_json.dumps(data, where=str(path), indent=2, sort_keys=True,
                              ensure_ascii=False) + "\n").encode("utf-8")
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            _write_all(fd, text)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:  # an interrupt, too, must not leave the .tmp behind
        tmp.unlink(missing_ok=True)
        if not isinstance(exc, OSError) or exc.errno != errno.ENOSPC or not path.exists():
            raise
        if len(text) > os.stat(path).st_blocks * 512:
            raise
        fd = os.open(path, os.O_WRONLY)
        try:
            _write_all(fd, text)
            os.ftruncate(fd, len(text))
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write a derived file (a page, a board, ``matrix.md``) through ``NAME.<pid>.tmp`` in the
    same folder and a rename: a reader, or a kill mid-write, sees the old file or the new one,
    never half of one. The temp file is removed on failure; one a SIGKILL left behind is removed
    by :func:`remove_stale_temps` when the folder is next written."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        with open(tmp, "wb") as fh:
            fh.write(raw)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: Temp files of derived files (pages, boards, matrix files): nothing else is touched.
_TEMP = re.compile(r"^.+\.(?:html|md|json|csv|png|txt)\.(\d{1,9})\.tmp$")


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete the ``NAME.<pid>.tmp`` files in ``folder`` whose writer is gone (killed mid-write);
    a live writer's temp file is left alone. Returns what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        m = _TEMP.match(entry.name)
        if m is None or not entry.is_file() or _alive(int(m.group(1))):
            continue
        entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes none now: a leftover of an earlier one with our pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def write_manifest(run_dir: Path, manifest: Manifest) -> None:
    write_json_atomic(run_dir / MANIFEST_FILE, manifest.model_dump(mode="json"))


class ManifestError(ValueError):
    """A run's manifest.json cannot be read; the message names the file and the fix."""


def read_manifest(run_dir: Path) -> Manifest:
    """A run's manifest, type-checked; a damaged one is a :class:`ManifestError`."""
    path = Path(run_dir) / MANIFEST_FILE
    if not path.exists():
        raise FileNotFoundError(f"{run_dir} is not a run directory (no {MANIFEST_FILE})")
    fix = (
        f"the file is damaged or truncated: delete the run folder {run_dir} and rerun the "
        "command that made it (or restore the file from a copy)"
    )
    try:
        return Manifest.model_validate_json(path.read_bytes(), strict=True)
    except ValidationError as exc:
        raise ManifestError(f"{path}: not a valid manifest ({validation_detail(exc)}); {fix}") from None
    except OSError as exc:
        raise ManifestError(f"{path}: cannot be read ({exc}); {fix}") from None


def find_run_dirs(roots: Iterable[str | Path]) -> list[Path]:
    """Run directories under the given paths (a run dir itself, or any folder containing them)."""
    found: set[Path] = set()
    for root in roots:
        root = Path(root)
        if (root / MANIFEST_FILE).exists():
            found.add(root)
            continue
        if not root.exists():
            raise FileNotFoundError(f"no such run directory or runs root: {root}")
        for manifest in root.rglob(MANIFEST_FILE):
            found.add(manifest.parent)
    return sorted(found)
