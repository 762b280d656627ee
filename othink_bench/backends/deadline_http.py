"""HTTP requests that hold a real deadline, a size cap and can be cancelled (remote backends).

``urlopen(timeout=)`` bounds each socket operation, not a request: a server that trickles one
byte a second holds a request, and the run with it, for as long as it likes, and a signal does
not reach a pool thread blocked in ``recv``. Here every request has a monotonic *deadline*
(connect, headers and the whole body); a :class:`Watchdog` thread shuts the request's socket down
when the deadline passes or when the caller cancels (SIGINT/SIGTERM), so a blocked read returns
at once and the request fails with :class:`DeadlineExceeded` or :class:`Cancelled`. The body is
read in chunks and refused with :class:`ResponseTooLarge` once it passes ``max_bytes`` (a server
that ignores ``max_tokens`` cannot fill the memory or the records).

Requests still go through ``urllib``'s opener (proxies from the environment, HTTPS contexts);
only the connection objects are noted so the watchdog can reach their sockets.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

#: How often the watchdog looks at the clock (the precision of every deadline).
POLL_S = 0.05
CHUNK = 1 << 16


class Cancelled(Exception):
    """The caller cancelled the request (the run is being interrupted)."""


class DeadlineExceeded(TimeoutError):
    """No complete answer before the request's deadline."""


class ResponseTooLarge(Exception):
    """The answer is larger than the request's size cap."""


class HTTPStatus(Exception):
    """A non-2xx answer: its code, the first bytes of its body and its ``Retry-After``."""

    def __init__(self, code: int, detail: str, retry_after: str | None) -> None:
        super().__init__(f"HTTP {code}: {detail}")
        self.code = code
        self.detail = detail
        self.retry_after = retry_after


@dataclass(eq=False)
class _Watch:
    deadline: float
    conns: list[Any] = field(default_factory=list)
    #: Sockets as connected (``urllib`` drops ``conn.sock`` once the headers are in, while the
    #: response still reads the body from it).
    socks: list[socket.socket] = field(default_factory=list)
    reason: str | None = None  # "deadline" or "cancel" once the watchdog cut it


def _abort(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Watchdog:
    """Cuts requests at their deadline, and all of them on :meth:`cancel` (one thread)."""

    def __init__(self, poll_s: float = POLL_S) -> None:
        self._lock = threading.Lock()
        self._live: set[_Watch] = set()
        self._cancel = threading.Event()
        self._closed = threading.Event()
        self._poll = poll_s
        self._thread = threading.Thread(target=self._run, name="othink-deadlines", daemon=True)
        self._thread.start()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; ``True`` when cancelled meanwhile."""
        return self._cancel.wait(max(0.0, seconds))

    def cancel(self) -> None:
        """Cut every request in flight now; later requests fail at once."""
        self._cancel.set()
        with self._lock:
            live = list(self._live)
        for watch in live:
            self._cut(watch, "cancel")
        self.close()

    def close(self) -> None:
        self._closed.set()

    def _cut(self, watch: _Watch, reason: str) -> None:
        with self._lock:
            watch.reason = watch.reason or reason
            socks = list(watch.socks)
        for sock in socks:
            _abort(sock)

    def _add(self, watch: _Watch) -> None:
        with self._lock:
            self._live.add(watch)

    def _note(self, watch: _Watch, conn: Any) -> None:
        """Note ``conn`` and, once it connects, its socket (cut at once if already late)."""
        connect = conn.connect

        def noted_connect() -> None:
            connect()
            with self._lock:
                watch.socks.append(conn.sock)
                cut = watch.reason is not None
            if cut:
                _abort(conn.sock)

        conn.connect = noted_connect
        with self._lock:
            watch.conns.append(conn)

    def _remove(self, watch: _Watch) -> None:
        with self._lock:
            self._live.discard(watch)

    def _run(self) -> None:
        while not self._closed.wait(self._poll):
            now = time.monotonic()
            with self._lock:
                late = [w for w in self._live if w.reason is None and w.deadline <= now]
            for watch in late:
                self._cut(watch, "deadline")


def _noting(watch: _Watch, dog: Watchdog) -> list[urllib.request.BaseHandler]:
    """HTTP and HTTPS handlers whose connections are noted on ``watch``."""

    def wrap(http_class: Any) -> Any:
        def make(*args: Any, **kwargs: Any) -> Any:
            conn = http_class(*args, **kwargs)
            dog._note(watch, conn)
            return conn

        return make

    class _HTTP(urllib.request.HTTPHandler):
        def http_open(self, req: Any) -> Any:
            return self.do_open(wrap(http.client.HTTPConnection), req)

    class _HTTPS(urllib.request.HTTPSHandler):
        def do_open(self, http_class: Any, req: Any, **kw: Any) -> Any:
            return super().do_open(wrap(http_class), req, **kw)

    return [_HTTP(), _HTTPS()]


def request(
    req: urllib.request.Request,
    *,
    deadline: float,
    max_bytes: int,
    watchdog: Watchdog,
) -> tuple[bytes, Message]:
    """The body and headers of ``req``'s answer, read by ``deadline`` (``time.monotonic()``).

    Raises :class:`HTTPStatus` for a non-2xx answer, :class:`ResponseTooLarge`,
    :class:`DeadlineExceeded`, :class:`Cancelled`, or what ``urllib`` raises for a connection
    that fails on its own (``URLError``, ``ConnectionError``, ``http.client.HTTPException``).
    """
    if watchdog.cancelled:
        raise Cancelled("cancelled")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeadlineExceeded("no time left for another attempt")
    watch = _Watch(deadline)
    watchdog._add(watch)
    opener = urllib.request.build_opener(*_noting(watch, watchdog))
    try:
        try:
            with opener.open(req, timeout=remaining) as resp:
                return _read(resp, max_bytes, watch), resp.headers
        except urllib.error.HTTPError as exc:
            detail = exc.read(300).decode("utf-8", "replace")
            retry_after = exc.headers.get("Retry-After") if exc.headers else None
            raise HTTPStatus(exc.code, detail, retry_after) from None
    except (HTTPStatus, ResponseTooLarge):
        raise
    except Exception as exc:
        if watch.reason == "cancel" or watchdog.cancelled:
            raise Cancelled("cancelled") from None
        if watch.reason == "deadline" or time.monotonic() >= deadline:
            raise DeadlineExceeded(
                f"no complete answer within {remaining:.3g} s ({type(exc).__name__})"
            ) from None
        raise
    finally:
        watchdog._remove(watch)
        for conn in watch.conns:
            conn.close()


def _read(resp: Any, max_bytes: int, watch: _Watch) -> bytes:
    length = resp.headers.get("Content-Length")
    if length is not None and length.strip().isdigit() and int(length) > max_bytes:
        raise ResponseTooLarge(
            f"the answer announces {int(length)} bytes, over the cap of {max_bytes}"
        )
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = resp.read1(CHUNK)
        if not chunk:
            break
        if watch.reason is not None or time.monotonic() > watch.deadline:
            raise DeadlineExceeded("the body was still arriving at the deadline")
        total += len(chunk)
        if total > max_bytes:
            raise ResponseTooLarge(f"the answer passed the cap of {max_bytes} bytes")
        chunks.append(chunk)
    if watch.reason is not None:  # a close-delimited body cut short by the watchdog
        raise DeadlineExceeded("cut at the deadline")
    return b"".join(chunks)
