"""What every generation backend agrees on: requests in, results out, and an identity.

The harness never talks to transformers, vLLM or an HTTP endpoint directly. It builds
:class:`GenRequest` objects (chat messages from the task's prompt, decoded images, generation
settings), hands a window of them to a backend, and writes a record for every
:class:`GenResult` the backend yields. Backends yield results in groups as they finish (a batch
for ``hf``, one call's worth for ``vllm``, single requests for ``openai``) so the harness can
append and flush records per group; a killed run then loses at most the group in flight.

A backend's :meth:`Backend.identity` says what about it determines outputs (the model's
fingerprint, dtype, endpoint); the harness hashes it into the run id. Constructing a backend
must be cheap: models load on the first :meth:`Backend.generate`, so a finished run is
recognised, and skipped, without loading any weights.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from PIL import Image

# (request index within the generate call, its result); a backend yields lists of these.
Completed = list[tuple[int, "GenResult"]]


@dataclass(frozen=True)
class GenRequest:
    """One generation: a prompt (chat messages + images) and how to decode it.

    ``messages`` use the multimodal chat format (``{"type": "image"}`` placeholders, then text);
    ``images`` hold the decoded images, in the order their placeholders appear.
    """

    sample_id: str
    messages: list[dict[str, Any]]
    images: list[Image.Image] = field(default_factory=list, repr=False)
    k: int = 0
    max_new_tokens: int = 256
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None

    @property
    def key(self) -> str:
        return f"{self.sample_id}#{self.k}"

    @property
    def do_sample(self) -> bool:
        return self.temperature > 0

    def sampling(self) -> dict[str, Any]:
        """The decoding settings as a hashable-ordered dict (used to group requests)."""
        return {
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
        }


@dataclass
class GenResult:
    """A backend's answer to one request: text, or the reason there is none."""

    text: str | None = None
    tokens: int | None = None
    latency_s: float | None = None
    error: str | None = None
    #: The server field a leading ``<think>`` block was rebuilt from (``reasoning_content`` or
    #: ``reasoning``, openai backend), or ``None`` when ``text`` is the output as received.
    think_from: str | None = None
    #: The record's ``error_kind`` for an error (``None``: ``generation``), e.g.
    #: ``response_too_large`` for an answer over the openai backend's size cap.
    error_kind: str | None = None
    #: Whether generation stopped at ``max_new_tokens`` before a stop token (``hf``: no stop
    #: token among the new tokens; ``vllm``/``openai``: ``finish_reason == "length"``);
    #: ``None`` when the backend cannot tell.
    truncated: bool | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None


@runtime_checkable
class Backend(Protocol):
    """A generation backend as the harness uses it."""

    name: str
    #: How many requests the harness hands over per :meth:`generate` call; ``None`` means all of
    #: a task's pending requests at once (vLLM schedules them best itself).
    window: int | None

    def identity(self) -> dict[str, Any]:
        """What about this backend determines its outputs (model fingerprint, dtype, endpoint).

        JSON-serialisable and free of secrets; hashed into the run id. Must not load a model.
        """
        ...

    def describe(self) -> dict[str, Any]:
        """Everything worth recording in the manifest (identity plus runtime facts)."""
        ...

    def load(self) -> None:
        """Load the model (or open the engine) now; idempotent. The harness calls it once there
        is work, so a checkpoint that cannot be loaded stops the run with its own error instead
        of failing every request."""
        ...

    def generate(self, requests: Sequence[GenRequest]) -> Iterator[Completed]:
        """Generate for every request; yield ``(index, result)`` groups as they finish.

        Every index is yielded exactly once. A failure of one request is a :class:`GenResult`
        with ``error`` set, never an exception that loses the others.
        """
        ...

    def close(self) -> None:
        """Release the model, threads or connections."""
        ...


def generate_all(backend: Backend, requests: Sequence[GenRequest]) -> list[GenResult]:
    """Convenience for callers that want every result at once, in request order."""
    out: list[GenResult | None] = [None] * len(requests)
    for group in backend.generate(requests):
        for i, result in group:
            out[i] = result
    missing = [requests[i].key for i, r in enumerate(out) if r is None]
    if missing:
        raise RuntimeError(f"backend {backend.name} yielded no result for {missing[:5]}")
    return [r for r in out if r is not None]


def finish_truncated(reason: object) -> bool | None:
    """``truncated`` from a finish reason: ``"length"`` is the budget, another string is a stop
    (EOS, a stop string, a content filter), anything else is unknown."""
    if not isinstance(reason, str) or not reason:
        return None
    return reason == "length"


def request_seed(seed: int, sample_id: str, k: int) -> int:
    """A per-request sampling seed that depends only on (seed, sample, k), not on batching."""
    digest = hashlib.sha256(f"{seed}\x1f{sample_id}\x1f{k}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def bounded_token_count(count: Callable[[str], int], text: str, cap: int) -> int:
    """Tokens in ``text``: exact when at most ``cap`` (plus a small margin), otherwise a number
    known to exceed ``cap``, found by counting growing prefixes cut at whitespace - so a
    megabyte question costs about as much as tokenizing a little more than ``cap`` tokens.

    Backends use it for ``prompt_tokens(request, cap)``, which the harness calls (with
    ``context_length()``) to turn prompts the context cannot hold into per-sample errors.
    """
    margin = 16  # a prefix cut may split its last word into a few more tokens than the whole
    size = max(4096, 8 * cap)
    while size < len(text):
        cut = text.rfind(" ", size // 2, size)
        n = count(text[: cut if cut > 0 else size])
        if n > cap + margin:
            return n
        size *= 4
    return count(text)


def short_error(exc: BaseException, limit: int = 500) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# Model identity: what makes two evaluations of "the same model" the same.

_CONFIG_FILES = (
    "config.json",
    "generation_config.json",
    "preprocessor_config.json",
    "processor_config.json",
    "tokenizer_config.json",
    "chat_template.json",
    "chat_template.jinja",
    "model.safetensors.index.json",
    "pytorch_model.bin.index.json",
)
_WEIGHT_PREFIXES = ("model", "pytorch_model", "adapter_model", "consolidated")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth")
_PROBES = 16  # evenly spaced reads per weight file, plus its head and tail
_PROBE_BYTES = 64 << 10


def fingerprint_model_dir(path: str | Path) -> str:
    """A content hash of a checkpoint folder that is cheap for multi-GB weights.

    Config, tokenizer and index files are hashed whole. Each weight file contributes its name,
    its size and 18 reads of 64 KiB spread evenly over it: two checkpoints of one architecture
    share names and sizes, but training changes nearly every tensor, so evenly spread probes tell
    them apart even when some parts (a frozen vision tower) are unchanged, while a 15 GB model
    is fingerprinted by reading about 1 MiB per shard. Trainer state (optimizer, RNG) is not
    part of the model and is left out.
    """
    root = Path(path)
    h = hashlib.sha256()
    for name in _CONFIG_FILES:
        f = root / name
        if f.is_file():
            h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    weights = sorted(
        p
        for p in root.iterdir()
        if p.is_file() and p.suffix in _WEIGHT_SUFFIXES and p.name.startswith(_WEIGHT_PREFIXES)
    )
    for f in weights:
        size = f.stat().st_size
        h.update(f"{f.name}\0{size}\0".encode())
        last = max(0, size - _PROBE_BYTES)
        offsets = sorted({0, last, *(last * (i + 1) // (_PROBES + 1) for i in range(_PROBES))})
        with f.open("rb") as fh:
            for offset in offsets:
                fh.seek(offset)
                h.update(fh.read(_PROBE_BYTES))
    return h.hexdigest()[:16]


def resolve_model_path(model: str) -> Path | None:
    """The local folder a model spec names, or ``None`` for a hub id; never downloads.

    ``tiny`` goes through :func:`othink_bench.models.tiny.resolve_model` (which builds the
    random tiny into its cache the first time).
    """
    if model == "tiny":
        from othink_bench.models.tiny import resolve_model

        model = resolve_model(model)
    p = Path(model).expanduser()
    if p.is_dir():
        return p.resolve()
    return None


def check_model_spec(model: str) -> Path | None:
    """The local folder a model spec names, ``None`` for a hub id, and ``FileNotFoundError``
    for a spec that can be neither (a file, a missing folder): cheap, so ``othink-bench run``
    checks ``--model`` with it before torch loads."""
    path = resolve_model_path(model)
    if path is not None:
        return path
    if Path(model).expanduser().exists():
        raise FileNotFoundError(f"model {model!r} is a file; pass the checkpoint folder")
    if model.count("/") != 1 or model.startswith((".", "/", "~")):
        raise FileNotFoundError(
            f"model {model!r} is neither a checkpoint folder, a hub id (owner/name), nor "
            "'tiny'; check the path (no such folder)"
        )
    return None


def model_identity(model: str, revision: str | None = None) -> dict[str, Any]:
    """The part of a run id that names the weights.

    A local folder (``tiny`` included) is identified by its content fingerprint, not its path,
    so a moved checkpoint still resumes its runs and a retrained one at the same path does not.
    A hub id is identified by id and revision (``main`` unless pinned); the commit actually
    used is recorded in the manifest by :func:`hub_snapshot_commit`.
    """
    path = check_model_spec(model)
    if path is not None:
        return {"fingerprint": fingerprint_model_dir(path)}
    return {"hub_id": model, "revision": revision or "main"}


def hub_snapshot_commit(model: str, revision: str | None = None) -> str | None:
    """The commit of a hub model's cached snapshot, if it is cached (for the manifest)."""
    try:
        from huggingface_hub import snapshot_download

        snap = snapshot_download(model, revision=revision, local_files_only=True)
    except Exception:  # not cached, or no hub client: the manifest just lacks the commit
        return None
    return Path(snap).name


def digest(obj: Any, length: int = 10) -> str:
    """A short stable hash of a JSON-serialisable object."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def distributed_env() -> tuple[int, int, int]:
    """(rank, world size, local rank) from the launcher's environment (accelerate, torchrun)."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    rank = int(os.environ.get("RANK", "0") or 0)
    local = int(os.environ.get("LOCAL_RANK", str(rank)) or rank)
    return rank, world, local
