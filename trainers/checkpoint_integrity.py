"""Whether a checkpoint's files are whole, checked cheaply before a training resumes from it.

Why: a checkpoint gets its metadata only once every process finished saving it
(:mod:`trainers.checkpoints`), so a save cut by a kill is never resumed from. Files damaged
after that - a disk that filled, a copy cut short, a file deleted by hand - were found only by
transformers, with a raw traceback deep inside ``train()`` and no way on. Here each file a
resume reads is checked without loading it: a safetensors file's header must parse and its
tensors must end exactly at the end of the file; ``torch.save`` files (optimizer, scheduler,
RNG state) are zip archives whose central directory, at the very end, must be readable and
whose members must lie inside the file; ``trainer_state.json`` must be a JSON object. Reading
a few kilobytes per file, this costs milliseconds even for multi-gigabyte checkpoints.
"""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

#: ``torch.save`` files a transformers checkpoint's resume state may hold (each optional).
TORCH_FILES = ("optimizer.pt", "scheduler.pt", "scaler.pt", "rng_state.pth")
TRAINER_STATE = "trainer_state.json"
#: Largest safetensors header read (the format's own limit is 100 MB).
_MAX_HEADER = 100_000_000


def safetensors_damage(path: Path) -> str | None:
    """Why a safetensors file is not whole (``None``: its header parses and its tensors end
    exactly at the end of the file)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            return f"{path.name} is {size} bytes, too short for a safetensors header"
        (n,) = struct.unpack("<Q", head)
        if n > min(_MAX_HEADER, size - 8):
            return f"{path.name} is truncated: its header claims {n} bytes, the file has {size}"
        try:
            header = json.loads(fh.read(n))
        except ValueError as exc:
            return f"{path.name} has an unreadable header ({exc})"
    if not isinstance(header, dict):
        return f"{path.name} has an unreadable header (not a JSON object)"
    ends = [
        int(v["data_offsets"][1]) for k, v in header.items()
        if k != "__metadata__" and isinstance(v, dict) and "data_offsets" in v
    ]
    expected = 8 + n + max(ends, default=0)
    if size != expected:
        what = "truncated" if size < expected else "longer than its header says"
        return f"{path.name} is {what}: {size} bytes, its header says {expected}"
    return None


def torch_file_damage(path: Path) -> str | None:
    """Why a ``torch.save`` file (a zip archive) is not whole, from its central directory."""
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return f"{path.name} is truncated or not a torch file ({size} bytes: {exc})"
    past = [i.filename for i in infos if i.header_offset + i.compress_size > size]
    if not infos or past:
        return f"{path.name} is damaged: {'no entries' if not infos else past[0] + ' runs past its end'}"
    return None


def _weights_damage(folder: Path) -> str | None:
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return f"{index.name} is unreadable ({exc})"
        for shard in shards:
            if not (folder / shard).is_file():
                return f"{shard} (listed in {index.name}) is missing"
            problem = safetensors_damage(folder / shard)
            if problem:
                return problem
        return None
    for name in ("model.safetensors", "adapter_model.safetensors"):
        if (folder / name).is_file():
            return safetensors_damage(folder / name)
    if (folder / "pytorch_model.bin").is_file():
        return torch_file_damage(folder / "pytorch_model.bin")
    if any(folder.glob("global_step*")):
        return None  # DeepSpeed keeps the weights in its own shards
    return "no model weights (model.safetensors) in it"


def checkpoint_damage(folder: str | Path) -> str | None:
    """What is wrong with a resumable checkpoint's files, or ``None`` when each one a resume
    reads is whole (see the module doc)."""
    folder = Path(folder)
    state = folder / TRAINER_STATE
    if not state.is_file():
        return f"{TRAINER_STATE} is missing"
    try:
        loaded = json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"{TRAINER_STATE} is unreadable ({exc})"
    if not isinstance(loaded, dict) or "global_step" not in loaded:
        return f"{TRAINER_STATE} has no global_step"
    problem = _weights_damage(folder)
    if problem:
        return problem
    names = [*TORCH_FILES, *sorted(p.name for p in folder.glob("rng_state_*.pth"))]
    for name in names:
        if (folder / name).is_file():
            problem = torch_file_damage(folder / name)
            if problem:
                return problem
    return None
