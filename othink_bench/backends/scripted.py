"""A deterministic backend that answers from a script, for tests, examples and dry runs.

Every harness behaviour that does not depend on a real model - records, resume, sharding,
metrics, error handling - is tested with known outputs: when the script says sample 3 answers
``<answer>7</answer>`` and its gold is 7, the expected accuracy is exact, not a tolerance.

A script is a mapping from ``sample_id`` (or ``"sample_id#k"`` for one of K samples) to the
output text, or a callable of the :class:`GenRequest`. A callable that raises, or a mapping value
``{"error": "..."}``, is a generation failure for that one request; a value
``{"text": ..., "tokens": N, "truncated": true}`` imitates an output cut off at the budget. From the command line the
model spec is a JSON file: ``{"outputs": {...}, "default": "...", "delay_s": 0.0}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from othink_bench.backends.base import Completed, GenRequest, GenResult, digest, short_error

Script = Mapping[str, Any] | Callable[[GenRequest], str]


class ScriptedBackend:
    """Outputs from a mapping or a callable; optional per-request delay to imitate a model."""

    name = "scripted"

    def __init__(
        self,
        outputs: Script,
        *,
        default: str | None = None,
        delay_s: float = 0.0,
        batch_size: int = 8,
        identity: str | None = None,
        context_length: int | None = None,
    ) -> None:
        """``context_length`` imitates a model's context: prompts are then counted in
        whitespace-separated words of their text (:meth:`prompt_tokens`)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.outputs = outputs
        self.default = default
        self.delay_s = float(delay_s)
        self.batch_size = batch_size
        self.window: int | None = batch_size
        self.calls: list[list[str]] = []  # request keys per generate call, for tests
        self._context = context_length
        if identity is None:
            if callable(outputs):
                identity = getattr(outputs, "__qualname__", type(outputs).__name__)
            else:
                identity = digest({"outputs": dict(outputs), "default": default})
        self._identity = identity

    @classmethod
    def from_spec(
        cls, spec: str, *, batch_size: int = 8, delay_s: float | None = None
    ) -> ScriptedBackend:
        """Load a script from a JSON file: a plain mapping, or ``{"outputs": ..., ...}``."""
        path = Path(spec)
        if not path.is_file():
            raise FileNotFoundError(
                f"the scripted backend takes --model FILE.json (a mapping from sample id to "
                f"output text); {spec!r} is not a file"
            )
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{spec}: expected a JSON object")
        wrapped = "outputs" in data
        outputs = data["outputs"] if wrapped else data
        default = data.get("default") if wrapped else None
        if delay_s is None:
            delay_s = float(data.get("delay_s", 0.0)) if wrapped else 0.0
        return cls(outputs, default=default, delay_s=delay_s, batch_size=batch_size)

    def identity(self) -> dict[str, Any]:
        return {"backend": self.name, "script": self._identity}

    def describe(self) -> dict[str, Any]:
        return {**self.identity(), "batch_size": self.batch_size, "delay_s": self.delay_s}

    def _answer(self, request: GenRequest) -> GenResult:
        start = time.perf_counter()
        try:
            if callable(self.outputs):
                text: Any = self.outputs(request)
            elif request.key in self.outputs:
                text = self.outputs[request.key]
            elif request.sample_id in self.outputs:
                text = self.outputs[request.sample_id]
            elif self.default is not None:
                text = self.default
            else:
                raise KeyError(f"script has no output for {request.key}")
        except Exception as exc:
            return GenResult(error=short_error(exc), latency_s=time.perf_counter() - start)
        if isinstance(text, dict) and "error" in text:
            return GenResult(error=str(text["error"]), latency_s=time.perf_counter() - start)
        if isinstance(text, dict) and "text" in text:  # {"text", "tokens"?, "truncated"?}
            body = str(text["text"])
            tokens = text.get("tokens", len(body.split()))
            cut = text.get("truncated")
            return GenResult(
                text=body,
                tokens=int(tokens) if tokens is not None else None,
                latency_s=time.perf_counter() - start,
                truncated=None if cut is None else bool(cut),
            )
        text = str(text)
        # "tokens" are whitespace-separated words: a stand-in for a tokenizer
        return GenResult(text=text, tokens=len(text.split()), latency_s=time.perf_counter() - start)

    def context_length(self) -> int | None:
        return self._context

    def prompt_tokens(self, request: GenRequest, cap: int) -> int:
        words = 0
        for m in request.messages:
            content = m.get("content")
            parts = content if isinstance(content, list) else [{"text": content}]
            for part in parts:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    words += len(part["text"].split())
        return words

    def generate(self, requests: Sequence[GenRequest]) -> Iterator[Completed]:
        for start in range(0, len(requests), self.batch_size):
            chunk = list(range(start, min(start + self.batch_size, len(requests))))
            self.calls.append([requests[i].key for i in chunk])
            if self.delay_s:
                time.sleep(self.delay_s * len(chunk))
            yield [(i, self._answer(requests[i])) for i in chunk]

    def load(self) -> None:
        """Nothing to load."""

    def close(self) -> None:
        """Nothing to release."""
