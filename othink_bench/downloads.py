"""HTTP downloads that survive interruptions and never leave a corrupt file behind.

Used by ``othink-bench data fetch`` (see :mod:`othink_bench.testsets`). Standard library only
(``urllib``), so fetching data needs nothing beyond the core install:

* :func:`download` writes to ``NAME.part``, continues a partial file with an HTTP ``Range``
  request (or restarts it when the server ignores ranges), retries a connection that drops
  mid-file, refuses more than a size cap, checks the expected size and sha256, and only then
  renames the file into place.
* :class:`HttpRangeFile` is a seekable, read-only view of a remote file through ``Range``
  requests, so :mod:`zipfile` can read a few members of a large archive without downloading it.

A server that cannot be reached at all raises :class:`Unreachable` (the caller then says what
to copy where); anything else that goes wrong raises :class:`DownloadError` naming the URL.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

USER_AGENT = "othink-bench-data-fetch"
CHUNK = 1 << 20
RETRIES = 3


class DownloadError(RuntimeError):
    """A download failed or its bytes are not the expected ones; the message says the fix."""


class Unreachable(DownloadError):
    """The server could not be reached at all (offline, DNS, refused, timed out)."""


@dataclass(frozen=True)
class Downloaded:
    """A finished download: where, how big, its sha256, and how many bytes this call moved."""

    path: Path
    size: int
    sha256: str
    transferred: int


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _open(url: str, timeout: float, start: int | None = None, end: int | None = None):  # type: ignore[no-untyped-def]
    headers = {"User-Agent": USER_AGENT}
    if start is not None:
        headers["Range"] = f"bytes={start}-" if end is None else f"bytes={start}-{end}"
    request = urllib.request.Request(url, headers=headers)
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # http(s) only: _check_scheme
    except urllib.error.HTTPError as exc:
        if exc.code == 416:
            return exc  # the caller treats "range not satisfiable" as "start over"
        raise DownloadError(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"{url}: cannot connect ({reason})") from exc


def _check_scheme(url: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise DownloadError(f"{url}: only http:// and https:// URLs are fetched")


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


def _total_from(response, offset: int) -> int | None:  # type: ignore[no-untyped-def]
    """The whole file's size from a 200's Content-Length or a 206's Content-Range."""
    if response.status == 206:
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        if not match or int(match.group(1)) != offset:
            return None
        return int(match.group(3)) if match.group(3) != "*" else None
    length = response.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None


def download(
    url: str,
    dest: Path,
    *,
    size: int | None = None,
    sha256: str | None = None,
    max_bytes: int,
    timeout: float = 30.0,
    progress: Callable[[int, int | None], None] | None = None,
) -> Downloaded:
    """Download ``url`` to ``dest`` through ``dest.part``, resuming a partial file.

    ``size``/``sha256``, when given, must match or the partial file is deleted and
    :class:`DownloadError` names the file and the fix; ``dest`` is only ever a verified file.
    """
    _check_scheme(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    transferred = 0
    for attempt in range(RETRIES + 1):
        have = part.stat().st_size if part.exists() else 0
        if size is not None and have > size:
            part.unlink()
            have = 0
        if size is not None and have == size:
            break
        response = _open(url, timeout, start=have if have else None)
        if response.status == 416:  # the partial file is not a prefix the server knows
            response.close()
            part.unlink(missing_ok=True)
            continue
        with response:
            offset = have if response.status == 206 else 0
            total = _total_from(response, offset)
            if response.status == 206 and total is None:
                raise DownloadError(f"{url}: the server sent a range this client did not ask for")
            if total is not None and total > max_bytes:
                raise DownloadError(
                    f"{url}: the file is {total} bytes, over the cap of {max_bytes} bytes for "
                    f"{dest.name}; if the source really grew, raise the cap with --max-gb"
                )
            if size is not None and total is not None and total != size:
                raise DownloadError(
                    f"{url}: the server offers {total} bytes but {dest.name} must be {size} "
                    "bytes; the source changed or the mirror serves another file (check "
                    "--mirror / OTHINK_BENCH_DATA_URL)"
                )
            mode = "ab" if offset else "wb"
            try:
                with part.open(mode) as fh:
                    written = offset
                    while block := response.read(CHUNK):
                        written += len(block)
                        if written > max_bytes:
                            raise DownloadError(
                                f"{url}: more than the cap of {max_bytes} bytes for {dest.name}; "
                                "the download was stopped"
                            )
                        fh.write(block)
                        transferred += len(block)
                        if progress is not None:
                            progress(written, total)
            except (HTTPException, ConnectionError, TimeoutError) as exc:
                if attempt == RETRIES:
                    raise DownloadError(
                        f"{url}: the connection dropped {RETRIES + 1} times ({exc}); the "
                        f"partial file {part} is kept and a rerun continues it"
                    ) from exc
                continue
        got = part.stat().st_size
        if total is None or got == total:
            break
    else:
        raise DownloadError(f"{url}: could not complete {dest.name}; rerun to continue")
    return _finish(url, part, dest, size, sha256, transferred)


def _finish(
    url: str, part: Path, dest: Path, size: int | None, sha256: str | None, transferred: int
) -> Downloaded:
    got = part.stat().st_size
    digest = sha256_file(part)
    problem = None
    if size is not None and got != size:
        problem = f"is {got} bytes, expected {size}"
    elif sha256 is not None and digest != sha256:
        problem = f"has sha256 {digest}, expected {sha256}"
    if problem:
        part.unlink()
        raise DownloadError(
            f"{dest.name} (from {url}) {problem}; the bad download was deleted. Rerun to "
            "download it again; if it fails the same way, the source changed: check the URL "
            "(--mirror / OTHINK_BENCH_DATA_URL) and report it"
        )
    os.replace(part, dest)
    return Downloaded(dest, got, digest, transferred)


class HttpRangeFile(io.RawIOBase):
    """A remote file read through HTTP ``Range`` requests, in cached blocks.

    :meth:`open` returns None when the server does not serve ranges (the caller then downloads
    the whole file).
    """

    BLOCK = 1 << 20
    CACHED_BLOCKS = 16

    def __init__(self, url: str, size: int, timeout: float) -> None:
        super().__init__()
        self.url, self.size, self.timeout = url, size, timeout
        self._pos = 0
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self.transferred = 0

    @classmethod
    def open(cls, url: str, timeout: float = 30.0) -> HttpRangeFile | None:
        _check_scheme(url)
        response = _open(url, timeout, start=0, end=0)
        with response:
            if response.status != 206:
                return None
            total = _total_from(response, 0)
        return None if total is None else cls(url, total, timeout)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def _block(self, index: int) -> bytes:
        if index in self._blocks:
            self._blocks.move_to_end(index)
            return self._blocks[index]
        start = index * self.BLOCK
        end = min(self.size, start + self.BLOCK) - 1
        for attempt in range(RETRIES + 1):
            try:
                with _open(self.url, self.timeout, start=start, end=end) as response:
                    if response.status != 206:
                        raise DownloadError(f"{self.url}: the server stopped serving ranges")
                    data = response.read()
                if len(data) == end - start + 1:
                    break
            except (HTTPException, ConnectionError, TimeoutError) as exc:
                if attempt == RETRIES:
                    raise DownloadError(
                        f"{self.url}: reading bytes {start}-{end} failed: {exc}; rerun"
                    ) from exc
        else:
            raise DownloadError(f"{self.url}: short reads at bytes {start}-{end}; rerun")
        self.transferred += len(data)
        self._blocks[index] = data
        if len(self._blocks) > self.CACHED_BLOCKS:
            self._blocks.popitem(last=False)
        return data

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def,override]
        want = min(len(buffer), self.size - self._pos)
        done = 0
        while done < want:
            index, within = divmod(self._pos, self.BLOCK)
            block = self._block(index)[within : within + want - done]
            buffer[done : done + len(block)] = block
            done += len(block)
            self._pos += len(block)
        return done
