"""What an OpenAI-compatible endpoint says about the model it serves, for the run id.

A served model's name alone does not identify its weights: a retrained checkpoint served under
the same ``--served-model-name`` would resume the old run and mix its records. So the run id of
an endpoint run also holds what the server reports in ``GET {base_url}/models`` for that name
(``id``, ``owned_by``, ``root`` and ``parent`` as vLLM gives them, any ``revision`` or fingerprint
field, and ``created`` when it is a stable date), plus a revision the user names
(``--model-revision``). When nothing but the name is known the identity is *weak*, and the
backend says so once, naming the fix.

Only stable fields count. vLLM stamps ``created`` with the time of the request, and transformers
serve lists a ``status`` (loaded or not) and ``created: 0``; a field that changes between two
reads, or says nothing, would split one run into many, so it is left out.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from othink_bench.backends.deadline_http import HTTPStatus, ResponseTooLarge, Watchdog, request

log = logging.getLogger(__name__)

#: Fields of a ``/models`` entry that identify the weights (a name alone does not).
WEIGHT_FIELDS = ("root", "parent", "revision", "fingerprint", "system_fingerprint", "sha")
#: Fields kept in the identity besides those (they do not tell checkpoints apart on their own).
NAME_FIELDS = ("id", "owned_by")
#: ``created`` this close (seconds) to the server's clock is read twice to tell a request stamp
#: (vLLM) from a checkpoint date (the OpenAI API).
_FRESH_S = 5.0
#: A ``/models`` answer larger than this is not a listing.
MAX_LISTING_BYTES = 16 << 20

Fetch = Callable[[str], tuple[Any, float | None]]


class ListingUnavailable(Exception):
    """The endpoint answered ``/models`` with an error that means it has no listing."""


def fetch_json(url: str, headers: dict[str, str], timeout: float) -> tuple[Any, float | None]:
    """GET ``url`` as JSON within ``timeout`` seconds in all (a listing over
    :data:`MAX_LISTING_BYTES` counts as none); returns (data, the server's clock from its
    ``Date`` header)."""
    req = urllib.request.Request(url, headers=headers, method="GET")
    watchdog = Watchdog()
    try:
        raw, answer = request(
            req,
            deadline=time.monotonic() + timeout,
            max_bytes=MAX_LISTING_BYTES,
            watchdog=watchdog,
        )
        date = answer.get("Date")
    except HTTPStatus as exc:
        if exc.code in (408, 429, 500, 502, 503, 504):
            # a busy or restarting server: the caller retries these
            raise urllib.error.URLError(f"HTTP {exc.code}: {exc.detail[:80]}") from None
        # 404, 405, 501 ...: a server without a listing (many OpenAI-compatible ones)
        raise ListingUnavailable(f"HTTP {exc.code}") from exc
    except ResponseTooLarge as exc:
        raise ListingUnavailable(str(exc)) from exc
    finally:
        watchdog.close()
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ListingUnavailable(f"non-JSON answer {raw[:80]!r}") from exc
    server_time = None
    if date:
        try:
            server_time = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            server_time = None
    return data, server_time


def _entries(data: Any) -> list[dict[str, Any]]:
    items = data.get("data") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ListingUnavailable("no 'data' list in the answer")
    return [e for e in items if isinstance(e, dict)]


def _find(entries: list[dict[str, Any]], model: str) -> dict[str, Any] | None:
    for entry in entries:
        if entry.get("id") == model:
            return entry
    return None


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool) and value != ""


def served_identity(
    model: str, revision: str | None, fetch: Fetch, sleep: Callable[[float], None] = time.sleep
) -> tuple[dict[str, Any], str | None]:
    """``(identity, weakness)``: the stable facts about ``model`` and, when they name nothing
    but the model, why (for the one warning); ``weakness`` is ``None`` for a strong identity.

    ``fetch(path)`` reads the endpoint (``/models``); connection failures propagate.
    """
    identity: dict[str, Any] = {"name": model}
    if revision:
        identity["revision"] = revision
    try:
        data, server_time = fetch("/models")
        entry = _find(_entries(data), model)
        listed = [str(e.get("id")) for e in _entries(data)]
    except ListingUnavailable as exc:
        return identity, None if revision else f"its /models listing is unavailable ({exc})"
    if entry is None:
        names = ", ".join(listed[:8]) or "none"
        why = f"it does not list {model!r} among its models ({names})"
        return identity, None if revision else why
    served: dict[str, Any] = {
        k: entry[k] for k in (*NAME_FIELDS, *WEIGHT_FIELDS) if _scalar(entry.get(k))
    }
    created = _created(entry.get("created"), model)
    if created:
        now = server_time if server_time is not None else time.time()
        stable = True
        if abs(float(created) - now) <= _FRESH_S:
            sleep(1.1)  # a request stamp moves with the clock; a checkpoint date does not
            try:
                again = _find(_entries(fetch("/models")[0]), model) or {}
            except ListingUnavailable:
                again = {}
            stable = again.get("created") == created
        if stable:
            served["created"] = created
    identity["served"] = served
    strong = bool(revision) or any(k in served for k in (*WEIGHT_FIELDS, "created"))
    if strong:
        return identity, None
    shown = ", ".join(f"{k}={v!r}" for k, v in served.items())
    return identity, f"it reports nothing that identifies the weights ({shown})"


def _created(value: Any, model: str) -> Any:
    """``created`` when it is a Unix time (a number, or a numeric string), else ``None``
    (absent, or not a time: warned, and left out of the identity)."""
    if value is None or value == "":
        return None
    try:
        ok = not isinstance(value, bool) and math.isfinite(float(value))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        log.warning(
            "the endpoint's /models entry for %r has created=%.60r, not a Unix time; it is "
            "left out of the run identity",
            model,
            value,
        )
        return None
    return value


def weak_identity_message(model: str, url: str, why: str) -> str:
    return (
        f"weak run identity for model {model!r} at {url}: {why}. The run id holds only the "
        "model's name and the URL, so a different checkpoint served under the same name would "
        "resume this run and mix its records; pass --model-revision (a commit, a training step, "
        "a checkpoint hash) to tell checkpoints apart"
    )
