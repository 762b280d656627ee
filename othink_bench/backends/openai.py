"""A backend for any OpenAI-compatible chat endpoint (vLLM serve, SGLang, TGI, hosted APIs).

It uses only the standard library (``urllib``), so evaluating a served model needs no extra
package. Images travel inline as base64 PNG data URLs in ``image_url`` content parts, the
format every compatible server accepts. Requests run on a bounded thread pool; 429, 5xx,
timeouts and dropped connections are retried with exponential backoff (honouring
``Retry-After``), other HTTP errors fail that one request with the server's message. The API
key comes from ``api_key`` or ``OPENAI_API_KEY`` and is never written to a manifest.

Servers that parse reasoning (vLLM with ``--reasoning-parser``, transformers serve for Qwen
models) move the ``<think>`` text out of ``content`` into ``message.reasoning_content`` (newer
vLLM: ``message.reasoning``); the format reward would then see no ``<think>`` block. So by default
the backend puts it back, ``<think>{reasoning}</think>{content}``, and says so in the result
(``think_from``, kept in the record); ``merge_reasoning=False`` (``--no-merge-reasoning``) keeps
``content`` as received. The run id holds what the server reports about the served model (see
:mod:`othink_bench.backends.endpoint_identity`).
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import logging
import os
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from PIL import Image

from othink_bench.backends.base import Completed, GenRequest, GenResult, short_error
from othink_bench.backends.endpoint_identity import (
    fetch_json,
    served_identity,
    weak_identity_message,
)

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def image_data_url(image: Image.Image) -> str:
    """An image as a ``data:image/png;base64,...`` URL."""
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def to_openai_messages(
    messages: list[dict[str, Any]], images: Sequence[Image.Image]
) -> list[dict[str, Any]]:
    """Replace ``{"type": "image"}`` placeholders with ``image_url`` parts, in order."""
    pending = list(images)
    out: list[dict[str, Any]] = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            out.append({"role": message["role"], "content": content})
            continue
        parts: list[dict[str, Any]] = []
        for part in content:
            kind = part.get("type")
            if kind == "image":
                if not pending:
                    raise ValueError("prompt has more image placeholders than images")
                parts.append(
                    {"type": "image_url", "image_url": {"url": image_data_url(pending.pop(0))}}
                )
            elif kind == "text":
                parts.append({"type": "text", "text": part.get("text", "")})
            else:
                parts.append(dict(part))
        out.append({"role": message["role"], "content": parts})
    if pending:
        raise ValueError(f"{len(pending)} image(s) have no placeholder in the prompt")
    return out


def _public_url(url: str) -> str:
    """The endpoint without credentials or query (safe to record and hash)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


class OpenAIBackend:
    """Chat completions over HTTP with bounded concurrency, retries and timeouts."""

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        concurrency: int = 8,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        merge_reasoning: bool = True,
        revision: str | None = None,
    ) -> None:
        """``merge_reasoning``: rebuild ``<think>`` blocks from a split-off reasoning field;
        ``revision``: what the user knows about the served checkpoint (a commit, a step), part
        of the run id (``--model-revision``)."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.model = model
        base = base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"--base-url must start with http:// or https://, got {base!r}")
        self.base_url = base.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self._api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.concurrency = concurrency
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.window: int | None = max(64, 4 * concurrency)
        self.retries = 0  # total retried attempts, for the manifest and tests
        self.merge_reasoning = merge_reasoning
        self.revision = revision
        self.merged = 0  # outputs whose <think> block was rebuilt
        self.fingerprints: list[str] = []  # distinct system_fingerprint values seen
        self._lock = threading.Lock()  # requests finish on pool threads
        self._identity: dict[str, Any] | None = None
        self.weak_identity: str | None = None

    def identity(self) -> dict[str, Any]:
        """Backend, endpoint, and what the server says about the model (read once, cached).

        Raises ``ValueError`` when the endpoint cannot be reached (nothing could be generated).
        """
        if self._identity is None:
            self.load()  # a hosted API without a key fails here, before any request
            try:
                model, weak = served_identity(self.model, self.revision, self._get_json)
            except _Retryable as exc:
                raise ValueError(
                    f"cannot reach the endpoint {_public_url(self.base_url)} to identify the "
                    f"served model ({exc}); is the server up, and is --base-url right?"
                ) from exc
            self.weak_identity = weak
            if weak is not None:
                _warn_once(weak_identity_message(self.model, _public_url(self.base_url), weak))
            self._identity = {
                "backend": self.name,
                "model": model,
                "base_url": _public_url(self.base_url),
                "merge_reasoning": self.merge_reasoning,
            }
        return self._identity

    def describe(self) -> dict[str, Any]:
        return {
            **self.identity(),
            "identity_weak": self.weak_identity,
            "concurrency": self.concurrency,
            "timeout_s": self.timeout,
            "max_retries": self.max_retries,
            "retries": self.retries,
            "reasoning_merged": self.merged,
            "system_fingerprints": self.fingerprints,
        }

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _get_json(self, path: str) -> tuple[Any, float | None]:
        """GET ``base_url + path`` with the request retry policy."""
        attempt = 0
        while True:
            try:
                return fetch_json(self.base_url + path, self._headers(), self.timeout)
            except (
                urllib.error.URLError,  # HTTPError 408/429/5xx included
                TimeoutError,
                ConnectionError,
                http.client.HTTPException,
            ) as exc:
                if attempt >= self.max_retries:
                    raise _Retryable(f"gave up after {attempt + 1} attempts: {exc}") from exc
                time.sleep(min(self.max_backoff_s, self.backoff_s * 2**attempt))
                attempt += 1

    def payload(self, request: GenRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(request.messages, request.images),
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "n": 1,
        }
        if request.top_p != 1.0:
            body["top_p"] = request.top_p
        if request.seed is not None:
            body["seed"] = request.seed
        return body

    def _post(self, body: bytes) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", **self._headers()}
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode("utf-8", "replace")
            message = f"HTTP {exc.code} from {_public_url(self.url)}: {detail}"
            if exc.code in RETRY_STATUS:
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                raise _Retryable(message, _seconds(retry_after)) from exc
            raise RuntimeError(message) from exc
        except (
            urllib.error.URLError,
            TimeoutError,
            ConnectionError,
            http.client.HTTPException,
        ) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise RuntimeError(f"endpoint answered non-JSON: {raw[:200]!r}") from exc
        if not isinstance(data, dict):
            raise RuntimeError(f"endpoint answered {type(data).__name__}, not an object")
        return data

    def _one(self, request: GenRequest) -> GenResult:
        start = time.perf_counter()
        try:
            body = json.dumps(self.payload(request)).encode("utf-8")
        except ValueError as exc:
            return GenResult(error=short_error(exc))
        attempt = 0
        while True:
            try:
                data = self._post(body)
                break
            except _Retryable as exc:
                if attempt >= self.max_retries:
                    return GenResult(
                        error=f"gave up after {attempt + 1} attempts: {exc}",
                        latency_s=time.perf_counter() - start,
                    )
                delay = min(self.max_backoff_s, self.backoff_s * 2**attempt)
                delay = delay * (0.5 + random.random() / 2)
                if exc.retry_after is not None:
                    delay = min(self.max_backoff_s, max(delay, exc.retry_after))
                attempt += 1
                self.retries += 1
                time.sleep(delay)
            except Exception as exc:
                return GenResult(error=short_error(exc), latency_s=time.perf_counter() - start)
        latency = time.perf_counter() - start
        try:
            message = data["choices"][0]["message"]
            text, think_from = reply_text(message, merge=self.merge_reasoning)
        except (KeyError, IndexError, TypeError) as exc:
            return GenResult(
                error=f"malformed chat completion ({short_error(exc)}): {str(data)[:200]}",
                latency_s=latency,
            )
        usage = data.get("usage") or {}
        tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
        self._note(data.get("system_fingerprint"), think_from)
        return GenResult(
            text=text,
            tokens=int(tokens) if tokens is not None else None,
            latency_s=latency,
            think_from=think_from,
        )

    def _note(self, fingerprint: Any, think_from: str | None) -> None:
        """Count rebuilt outputs; remember system fingerprints (a change is worth a warning)."""
        with self._lock:
            if think_from is not None:
                self.merged += 1
            if not isinstance(fingerprint, str) or not fingerprint:
                return
            if fingerprint in self.fingerprints:
                return
            self.fingerprints.append(fingerprint)
            changed = len(self.fingerprints) == 2
        if changed:
            log.warning(
                "the endpoint's system_fingerprint changed during the run (%s -> %s): the "
                "server's configuration changed under this run",
                *self.fingerprints[:2],
            )

    def generate(self, requests: Sequence[GenRequest]) -> Iterator[Completed]:
        if not requests:
            return
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures: dict[Future[GenResult], int] = {
                pool.submit(self._one, r): i for i, r in enumerate(requests)
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield [(futures[f], f.result()) for f in done]

    def load(self) -> None:
        """Nothing to load (the server holds the model); a hosted API without a key is an error
        here rather than one 401 per request."""
        if not self._api_key and urllib.parse.urlsplit(self.url).hostname == "api.openai.com":
            raise ValueError(
                "the OpenAI API needs a key: pass --api-key or set OPENAI_API_KEY (or point "
                "--base-url at your own OpenAI-compatible server)"
            )

    def close(self) -> None:
        """Threads end with each generate call; nothing is held."""


#: Message fields servers move the reasoning into, in the order they are read.
REASONING_FIELDS = ("reasoning_content", "reasoning")


def reply_text(message: dict[str, Any], *, merge: bool = True) -> tuple[str, str | None]:
    """A chat message's text and, when its reasoning was split off and is put back, the field
    it came from: ``<think>{reasoning}</think>{content}``.

    Nothing is rebuilt when ``merge`` is off, when no reasoning field holds text, or when
    ``content`` already opens with ``<think>`` (a server that returns it in both places).
    """
    content = _content_text(message.get("content"))
    if not merge or content.lstrip().startswith("<think>"):
        return content, None
    for name in REASONING_FIELDS:
        reasoning = message.get(name)
        if isinstance(reasoning, str) and reasoning:
            return f"<think>{reasoning}</think>{content}", name
    return content, None


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning("%s", message)


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # some servers answer with content parts
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content)


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
