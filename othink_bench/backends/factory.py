"""Build a backend by name: the one module that knows every backend (base knows none)."""

from __future__ import annotations

import inspect
from typing import Any

from othink_bench.backends.base import Backend

BACKENDS = ("hf", "vllm", "openai", "scripted")


def make_backend(name: str, model: str, **opts: Any) -> Backend:
    """Build a backend by name. Options a backend does not take are dropped (the CLI passes one
    flat set of options to every backend); options set to ``None`` mean "backend default"."""
    name = name.lower()
    if name == "hf":
        from othink_bench.backends.hf import HFBackend as cls
    elif name == "vllm":
        from othink_bench.backends.vllm import VLLMBackend as cls  # type: ignore[assignment]
    elif name == "openai":
        from othink_bench.backends.openai import OpenAIBackend as cls  # type: ignore[assignment]
    elif name == "scripted":
        from othink_bench.backends.scripted import ScriptedBackend

        return ScriptedBackend.from_spec(model, **_accepted(ScriptedBackend.from_spec, opts))
    else:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return cls(model, **_accepted(cls.__init__, opts))


def _accepted(fn: Any, opts: dict[str, Any]) -> dict[str, Any]:
    params = inspect.signature(fn).parameters
    return {k: v for k, v in opts.items() if v is not None and k in params}
