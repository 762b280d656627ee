"""A backend for any OpenAI-compatible chat endpoint (vLLM serve, SGLang, TGI, hosted APIs).

It uses only the standard library (``urllib``), so evaluating a served model needs no extra
package. Images travel inline as base64 PNG data URLs in ``image_url`` content parts, the
format every compatible server accepts. Requests run on ``concurrency`` worker threads; 429,
5xx, timeouts and dropped connections are retried with exponential backoff (honouring
``Retry-After``), other HTTP errors fail that one request with the server's message. The API
key comes from ``api_key`` or ``OPENAI_API_KEY`` and is never written to a manifest.

Deadlines hold (:mod:`othink_bench.backends.deadline_http`): ``timeout`` is the whole of one
attempt (connect, headers, body), not one socket read; all attempts of a sample, with their
backoff, share a budget of ``timeout x (max_retries + 1)`` seconds. When the run is stopped
(SIGINT, SIGTERM) the requests in flight are cut and the queued ones dropped, so the harness
marks the run ``interrupted`` and releases its lock within a second or so. An answer larger than
``64 x max_tokens + 1 MiB`` bytes (:func:`response_cap`) is cut off and that sample recorded
with error kind ``response_too_large``; a malformed answer fails only its own sample.

Servers that parse reasoning (vLLM with ``--reasoning-parser``, transformers serve for Qwen
models) move the ``<think>`` text out of ``content`` into ``message.reasoning_content`` (newer
vLLM: ``message.reasoning``); the format reward would then see no ``<think>`` block. So by default
the backend puts it back, ``<think>{reasoning}</think>{content}``, and says so in the result
(``think_from``, kept in the record); ``merge_reasoning=False`` (``--no-merge-reasoning``) keeps
``content`` as received. The run id holds what the server reports about the served model (see
:mod:`othink_bench.backends.endpoint_identity`).
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import queue
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

from othink_bench.backends.base import (
    Completed,
    GenRequest,
    GenResult,
    finish_truncated,
    short_error,
)
from othink_bench.backends.chat_format import (
    REASONING_FIELDS,
    image_data_url,
    reply_text,
    to_openai_messages,
)
from othink_bench.backends.deadline_http import (
    Cancelled,
    HTTPStatus,
    ResponseTooLarge,
    Watchdog,
)
from othink_bench.backends.deadline_http import request as deadline_request
from othink_bench.backends.endpoint_identity import (
    fetch_json,
    served_identity,
    weak_identity_message,
)

log = logging.getLogger(__name__)

__all__ = [
    "REASONING_FIELDS",
    "OpenAIBackend",
    "image_data_url",
    "reply_text",
    "response_cap",
    "to_openai_messages",
]

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
#: Bytes an answer may hold per requested token, and on top of that (the JSON envelope): a
#: token is a few bytes of text, six per character at worst once JSON-escaped, and a server may
#: return the reasoning twice; a server that ignores ``max_tokens`` passes this by far.
RESPONSE_BYTES_PER_TOKEN = 64
RESPONSE_SLACK_BYTES = 1 << 20


def response_cap(max_tokens: int) -> int:
    """The largest answer (bytes) accepted for a request of ``max_tokens`` tokens."""
    return RESPONSE_BYTES_PER_TOKEN * max(1, max_tokens) + RESPONSE_SLACK_BYTES


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
        #: All attempts of one sample, with their backoff, end within this many seconds.
        self.sample_budget_s = self.timeout * (max_retries + 1)
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
            "sample_budget_s": self.sample_budget_s,
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

    def _post(self, body: bytes, deadline: float, cap: int, watchdog: Watchdog) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", **self._headers()}
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            raw, _ = deadline_request(req, deadline=deadline, max_bytes=cap, watchdog=watchdog)
        except HTTPStatus as exc:
            message = f"HTTP {exc.code} from {_public_url(self.url)}: {exc.detail}"
            if exc.code in RETRY_STATUS:
                raise _Retryable(message, _seconds(exc.retry_after)) from exc
            raise RuntimeError(message) from exc
        except (
            urllib.error.URLError,
            TimeoutError,  # DeadlineExceeded included
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

    def _one(self, request: GenRequest, watchdog: Watchdog) -> GenResult:
        start = time.monotonic()
        budget_end = start + self.sample_budget_s
        try:
            body = json.dumps(self.payload(request)).encode("utf-8")
        except ValueError as exc:
            return GenResult(error=short_error(exc))
        cap = response_cap(request.max_new_tokens)
        attempt = 0
        while True:
            deadline = min(time.monotonic() + self.timeout, budget_end)
            try:
                data = self._post(body, deadline, cap, watchdog)
                break
            except Cancelled:
                return GenResult(error="cancelled: the run was stopped")
            except ResponseTooLarge as exc:
                return GenResult(
                    error=f"answer too large ({exc}; max_tokens={request.max_new_tokens}): "
                    "the server ignores max_tokens",
                    error_kind="response_too_large",
                    latency_s=time.monotonic() - start,
                )
            except _Retryable as exc:
                delay = min(self.max_backoff_s, self.backoff_s * 2**attempt)
                delay = delay * (0.5 + random.random() / 2)
                if exc.retry_after is not None:
                    delay = min(self.max_backoff_s, max(delay, exc.retry_after))
                over_budget = time.monotonic() + delay >= budget_end
                if attempt >= self.max_retries or over_budget:
                    why = (
                        f" (the per-sample budget of {self.sample_budget_s:.3g} s is spent)"
                        if over_budget and attempt < self.max_retries
                        else ""
                    )
                    return GenResult(
                        error=f"gave up after {attempt + 1} attempts{why}: {exc}",
                        latency_s=time.monotonic() - start,
                    )
                attempt += 1
                with self._lock:
                    self.retries += 1
                if watchdog.sleep(delay):
                    return GenResult(error="cancelled: the run was stopped")
            except Exception as exc:
                return GenResult(error=short_error(exc), latency_s=time.monotonic() - start)
        return self._result(data, time.monotonic() - start)

    def _result(self, data: dict[str, Any], latency: float) -> GenResult:
        """A completion's text; a malformed answer is this sample's error, nothing more."""
        try:
            message = data["choices"][0]["message"]
            if not isinstance(message, dict):
                raise TypeError(f"'message' is a {type(message).__name__}, not an object")
            text, think_from = reply_text(message, merge=self.merge_reasoning)
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            return GenResult(
                error=f"malformed chat completion ({short_error(exc)}): {str(data)[:200]}",
                latency_s=latency,
            )
        usage = data.get("usage")
        tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
        if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int)):
            _warn_once(
                f"the endpoint reports usage.completion_tokens={tokens!r}, not a count; token "
                "counts of such answers are left empty"
            )
            tokens = None
        self._note(data.get("system_fingerprint"), think_from)
        # The OpenAI API reference's choice.finish_reason: "length" when the request's max
        # tokens were reached, "stop" at a natural stop or stop sequence (also
        # "content_filter", "tool_calls"); a server that leaves it out says nothing.
        reason = data["choices"][0].get("finish_reason")
        return GenResult(
            text=text,
            tokens=tokens,
            latency_s=latency,
            think_from=think_from,
            truncated=finish_truncated(reason),
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
        """Results in groups as they finish. Workers are daemon threads: when the caller stops
        (an interrupt, a closed generator) the queued requests are dropped and those in flight
        cut, and nothing keeps the process from exiting."""
        if not requests:
            return
        watchdog = Watchdog()
        todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        results: queue.SimpleQueue[tuple[int, GenResult]] = queue.SimpleQueue()
        for i in range(len(requests)):
            todo.put(i)

        def work() -> None:
            while not watchdog.cancelled:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    result = self._one(requests[i], watchdog)
                except Exception as exc:  # a bug here fails this sample only
                    result = GenResult(error=short_error(exc))
                results.put((i, result))

        for n in range(min(self.concurrency, len(requests))):
            threading.Thread(target=work, name=f"othink-openai-{n}", daemon=True).start()
        left = len(requests)
        try:
            while left:
                try:
                    group = [results.get(timeout=0.2)]
                except queue.Empty:
                    continue
                while True:
                    try:
                        group.append(results.get_nowait())
                    except queue.Empty:
                        break
                left -= len(group)
                yield group
        finally:
            if left:
                watchdog.cancel()
            else:
                watchdog.close()

    def load(self) -> None:
        """Nothing to load (the server holds the model); a hosted API without a key is an error
        here rather than one 401 per request."""
        if not self._api_key and urllib.parse.urlsplit(self.url).hostname == "api.openai.com":
            raise ValueError(
                "the OpenAI API needs a key: pass --api-key or set OPENAI_API_KEY (or point "
                "--base-url at your own OpenAI-compatible server)"
            )

    def close(self) -> None:
        """Workers end with each generate call (or are cut when it is abandoned)."""


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning("%s", message)


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
