"""Perceptual image hashes (dHash, pHash) and their Hamming distances, with PIL and numpy only.

Both hashes are bits of a grey, shrunken image, so they survive re-encoding (PNG to JPEG) and
resizing, which change bytes but not the picture:

* dHash (difference hash, 64 bits): the image at 9x8 grey pixels; bit ``(r, c)`` says whether
  pixel ``c`` of row ``r`` is brighter than pixel ``c + 1`` (the gradient's sign).
* pHash (DCT hash, 256 bits): the image at 64x64 grey pixels, its 2-D DCT-II; the 16x16 lowest
  frequencies, the DC term left out of the median; bit ``i`` says whether coefficient ``i``
  exceeds that median.

These are the usual definitions (N. Krawetz's "Looks like it" and "Kind of like that" notes,
as the ``imagehash`` package implements them, at hash sizes 8 and 16); the code here is our
own. Distances between many hashes are computed in chunks of rows against all columns
(``O(rows x cols x bytes)`` table lookups, memory ``O(chunk x cols x bytes)``).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from PIL import Image

#: Bits of a pHash (16 x 16 DCT coefficients) and of a dHash (8 x 8 gradients).
PHASH_BITS = 256
DHASH_BITS = 64
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _grey(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """``image`` as grey floats at ``size`` (width, height); transparency over white."""
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(canvas, rgba)
    grey = image.convert("L").resize(size, Image.Resampling.LANCZOS)
    return np.asarray(grey, dtype=np.float64)


def _pack(bits: np.ndarray) -> bytes:
    return np.packbits(bits.astype(np.uint8).ravel()).tobytes()


def dhash(image: Image.Image) -> bytes:
    """The 64-bit difference hash of ``image`` (8 bytes)."""
    pixels = _grey(image, (9, 8))
    return _pack(pixels[:, 1:] > pixels[:, :-1])


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


_DCT64 = _dct_matrix(64)


def phash(image: Image.Image) -> bytes:
    """The 256-bit DCT hash of ``image`` (32 bytes): the 16 x 16 lowest frequencies of the
    image at 64 x 64 grey pixels, each against their median (the DC term left out of it).

    256 bits rather than the usual 64: the procedural tasks' small, sparse scenes (112 x 112,
    a few objects on a plain ground) put unrelated images within 4 bits of each other at 64
    bits, while at 256 bits copies stay within 6 bits and unrelated scenes 60 or more apart
    (tests/test_overlap.py)."""
    pixels = _grey(image, (64, 64))
    low = (_DCT64 @ pixels @ _DCT64.T)[:16, :16].ravel()
    median = np.median(low[1:])
    return _pack(low > median)


def as_array(hashes: list[bytes]) -> np.ndarray:
    """Hashes of one kind as a ``(n, bytes)`` ``uint8`` array (for :func:`hamming_chunks`)."""
    if not hashes:
        return np.zeros((0, 0), dtype=np.uint8)
    return np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(len(hashes), -1)


def hamming(a: bytes, b: bytes) -> int:
    """Bits that differ between two hashes of one kind."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def hamming_chunks(
    rows: np.ndarray, cols: np.ndarray, chunk: int = 64
) -> Iterator[tuple[int, np.ndarray]]:
    """``(first row, distances)`` for each chunk of ``rows``: a ``(chunk, len(cols))`` array
    of Hamming distances (``uint16``), so memory stays at ``chunk x len(cols) x bytes``."""
    words = rows.shape[1] % 8 == 0 and hasattr(np, "bitwise_count")  # numpy >= 2: popcount
    if words:
        rows = np.ascontiguousarray(rows).view(np.uint64)
        cols = np.ascontiguousarray(cols).view(np.uint64)
    for start in range(0, len(rows), chunk):
        part = rows[start : start + chunk]
        xor = np.bitwise_xor(part[:, None, :], cols[None, :, :])
        bits = np.bitwise_count(xor) if words else _POPCOUNT[xor]
        yield start, bits.sum(axis=2, dtype=np.uint16)
