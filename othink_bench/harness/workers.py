"""The two helper threads of the pipeline: one that prepares windows ahead of generation, and
one that scores and writes records behind it.

Both are bounded (the preparer is at most ``depth`` windows ahead; the writer holds at most one
batch of records that is not yet on disk), both hand any exception they raise to the main
thread, which raises it as if it had run the work itself, and neither can make the main thread
wait forever: every wait also watches for the other side having stopped. Signals (SIGINT,
SIGTERM) reach the main thread only; it stops the helpers on its way out.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: How long a stopping helper is waited for (it finishes the item in hand, then exits).
JOIN_TIMEOUT_S = 60.0
_POLL_S = 0.05


class Prefetch(Generic[T]):
    """Runs ``produce(stopped)`` on a thread and yields what it yields, at most ``depth`` ahead.

    ``produce`` should call ``stopped()`` between items and return when it says so. An exception
    in ``produce`` is raised by the iteration, in the consumer's thread, after the items produced
    before it.
    """

    def __init__(
        self, produce: Callable[[Callable[[], bool]], Iterator[T]], depth: int = 1, name: str = ""
    ) -> None:
        self._produce = produce
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name=name or "prefetch", daemon=True)

    def stopped(self) -> bool:
        return self._stop.is_set()

    def _put(self, item: tuple[str, Any]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _main(self) -> None:
        try:
            for item in self._produce(self.stopped):
                if not self._put(("item", item)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(("error", exc))

    def __enter__(self) -> Prefetch[T]:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[T]:
        while True:
            try:
                kind, value = self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    raise RuntimeError("the preparation thread stopped without a word") from None
                continue
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value

    def close(self) -> None:
        self._stop.set()
        while True:  # unblock a producer waiting to put
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(JOIN_TIMEOUT_S)


class Writer(Generic[T]):
    """Runs ``write(item)`` for each :meth:`put` item on a thread, in order.

    At most one item is outstanding: :meth:`put` first waits until the previous item is done,
    so the consumer is never more than one item ahead of the disk. After ``write`` raises, later
    items are dropped and the next :meth:`put` or :meth:`finish` raises that exception.
    """

    def __init__(self, write: Callable[[T], None], name: str = "") -> None:
        self._write = write
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=name or "writer", daemon=True)

    def _main(self) -> None:
        while True:
            kind, item = self._queue.get()
            if kind == "stop":
                self._idle.set()
                return
            if self._error is None:
                try:
                    self._write(item)
                except BaseException as exc:  # handed to the producer, raised there
                    self._error = exc
            self._idle.set()

    def __enter__(self) -> Writer[T]:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait(self) -> None:
        """Block until the outstanding item is written; raise the writer's error, if any."""
        while not self._idle.wait(_POLL_S):
            if not self._thread.is_alive():
                raise RuntimeError("the record writer thread stopped without a word")
        if self._error is not None:  # kept: every later put raises it too
            raise self._error

    def put(self, item: T) -> None:
        self.wait()
        self._idle.clear()
        self._queue.put(("item", item))

    def finish(self) -> None:
        """Wait for everything put so far to be written (raising the writer's error)."""
        self.wait()

    def close(self) -> None:
        """Let the item in hand finish, then stop the thread (nothing more is written)."""
        if not self._thread.is_alive():
            return
        self._queue.put(("stop", None))
        if self._thread is not threading.current_thread():
            self._thread.join(JOIN_TIMEOUT_S)
