"""Decoding one sample's image within a memory bound, with errors that name the real cause.

Why a module of its own: a 20 KB PNG can claim 13000x13000 pixels, and decoding it in full
costs about 1.2 GB (PIL keeps a 1-bit image at a byte a pixel, RGB at four). The harness
decodes a window of images ahead (vLLM's window is the whole task) and training keeps every
sample's image, so one such file - or a data file of them - could take the machine down.
Here an image is checked from its header before any pixel is decoded:

* its area must be at most ``max_image_pixels`` (``--max-image-pixels``, default
  :data:`DEFAULT_MAX_IMAGE_PIXELS`, far above real benchmarks' images), and its aspect ratio
  at most :data:`MAX_ASPECT_RATIO` (Qwen2-VL's processors refuse more, which used to surface
  as a generation error for the whole batch);
* it is then reduced towards ``max_pixels`` (the model's image-area budget) while it is
  decoded - JPEG through ``Image.draft`` (the decoder scales by 1/2, 1/4 or 1/8), other formats
  by an integer box reduction - never below ``max_pixels``, so the model's own processor still
  makes the final resize and an image within the budget is decoded exactly as before.

A path is opened only once ``stat`` says it is a regular file, without blocking: a FIFO, a
device such as ``/dev/zero``, a directory, a broken link or a symlink loop each get their own
message instead of "file not found" or a hang.
"""

from __future__ import annotations

import errno
import io
import math
import os
import stat
import warnings
from typing import BinaryIO

from PIL import Image

#: Largest image area decoded at all (pixels); bigger images are per-sample ``image`` errors.
DEFAULT_MAX_IMAGE_PIXELS = 50_000_000
#: Area images are reduced towards when the model's budget is not given: Qwen2-VL/2.5-VL
#: processors' own default ``max_pixels`` (3584 x 3584), so no common model sees less.
DEFAULT_DECODE_PIXELS = 12_845_056
#: Longest side over shortest side above which an image is refused (Qwen2-VL's limit).
MAX_ASPECT_RATIO = 200
#: Modes reduced as they are; others are converted first (as ``convert("RGB")`` would).
_REDUCIBLE = frozenset({"L", "RGB"})

# PIL warns on opening an image over its own limit (89 megapixels); the header check here
# refuses (or, with a raised cap, knowingly reduces) such images, so the warning says nothing.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


class ImageError(RuntimeError):
    """A sample's image is missing, unreadable, too large or cannot be decoded (recorded per
    sample, never fatal)."""


def check_limit(name: str, value: int | None) -> None:
    """A pixel setting must be a positive whole number (``None``: not set)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of pixels >= 1, got {value!r}")


def open_regular(path: str) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file; otherwise an :class:`ImageError`
    that says what it is. Never blocks (a FIFO is opened non-blocking, then refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ImageError(_open_failure(path, exc)) from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ImageError(f"image path {path} is {_kind(mode)}, not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_failure(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return f"image path {path} is a symlink loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            return f"image path {path} is a broken symlink (to {os.readlink(path)})"
        return f"image file not found: {path}"
    if exc.errno == errno.EACCES:
        return f"image file {path} is not readable (permission denied)"
    if exc.errno == errno.ENOTDIR:
        return f"image file not found: {path} (a parent of it is not a folder)"
    return f"cannot open image {path}: {exc.strerror or exc}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def check_header(im: Image.Image, where: str, max_image_pixels: int) -> None:
    """Refuse an image whose header claims too many pixels or an extreme aspect ratio; reads
    only ``im.size`` (``Image.open`` has not decoded any pixel yet)."""
    w, h = im.size
    if w < 1 or h < 1:
        raise ImageError(f"image {where} is {w}x{h}: it has no pixels")
    if w * h > max_image_pixels:
        raise ImageError(
            f"image {where} is {w}x{h} ({w * h / 1e6:.1f} megapixels), over the limit of "
            f"{max_image_pixels} pixels; it was not decoded. Shrink the image, or raise the "
            "limit with `othink-bench run --max-image-pixels N`"
        )
    ratio = max(w, h) / min(w, h)
    if ratio > MAX_ASPECT_RATIO:
        raise ImageError(
            f"image {where} is {w}x{h}: its aspect ratio {ratio:.0f}:1 is over "
            f"{MAX_ASPECT_RATIO}:1, which vision-language processors refuse; crop or pad it"
        )


def reduction(size: tuple[int, int], max_pixels: int | None) -> int:
    """The largest integer factor that keeps ``size``'s area at least ``max_pixels`` (1: keep)."""
    w, h = size
    if not max_pixels or w * h <= max_pixels:
        return 1
    return max(1, min(math.isqrt(w * h // max_pixels), w, h))


def decode(im: Image.Image, max_pixels: int | None) -> Image.Image:
    """``im`` (header checked) as RGB, reduced towards ``max_pixels`` as it decodes: a JPEG
    file through the decoder's own scaling, then an integer box reduction where still needed."""
    w, h = im.size
    if reduction((w, h), max_pixels) > 1 and im.format == "JPEG" and max_pixels:
        scale = math.sqrt(max_pixels / (w * h))
        im.draft("RGB", (math.ceil(w * scale), math.ceil(h * scale)))  # size >= requested
    factor = reduction(im.size, max_pixels)
    if factor == 1:
        return im.convert("RGB")
    if im.mode not in _REDUCIBLE:
        im = im.convert("L" if im.mode == "1" else "RGB")  # "1" is stored a byte a pixel too
    return im.reduce(factor).convert("RGB")


def load_image(
    *,
    path: str | None = None,
    data: bytes | None = None,
    max_pixels: int | None = None,
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS,
) -> Image.Image:
    """Decode an image file or encoded bytes to RGB within the bounds above; every failure is
    an :class:`ImageError` naming the file (or ``<embedded bytes>``) and the cause."""
    where = path if data is None and path is not None else "<embedded bytes>"
    if data is None and path is None:
        raise ImageError("sample has no image (no path, bytes or in-memory image)")
    try:
        with (io.BytesIO(data) if data is not None else open_regular(str(path))) as fh:
            with Image.open(fh) as im:
                check_header(im, where, max_image_pixels)
                return decode(im, max_pixels)
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError(f"image {where} is too large to decode: {exc}") from exc
    except Exception as exc:  # PIL raises many types for truncated or foreign files
        raise ImageError(f"cannot decode image {where}: {type(exc).__name__}: {exc}") from exc
