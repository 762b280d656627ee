"""Train/test overlap: near-duplicate questions and images between two sets of samples.

Test sets leak into training sets: GeoQA's train and test splits hold questions that differ only
in their numbers and share diagrams (R1-V issue #154), and MathVista's testmini takes items from
GeoQA+, Geometry3K, UniGeo and Super-CLEVR. :func:`find_overlap` looks for such pairs with three
signals, each computed once per sample:

* **exact text**: the question after :func:`normal_text` (Unicode NFKC, zero-width characters
  dropped, lower case, whitespace collapsed) is the same;
* **masked text**: the same after :func:`masked_text` also replaces every number by ``#``
  (``AB=6cm`` and ``AB=8cm`` agree), i.e. a renumbered copy;
* **image**: the 256-bit perceptual hashes (pHash, :mod:`othink_bench.imagehash`) of the two
  images differ in at most ``phash_max`` bits: a re-encoded or resized copy of the same
  picture. (The 64-bit dHash distance of each listed pair is shown beside it, for the reader.)

A test item **overlaps** the training set when some training item shares its image (whatever the
question: the same diagram or scene asked again), or shares its exact question where that
question is no template (a text that at least ``template_min`` training items share, such as
"How many items are there?", says nothing by itself). The kinds are reported apart:
``duplicate`` (image and masked text), ``image`` only, ``text`` only.

Cost, for ``n`` training and ``m`` test items: hashing reads each image once (``O(n + m)``
decodes, the bulk of the time); texts are matched through dictionaries keyed by the normalised
texts (``O(n + m)``); images are compared all against all as 64-bit XOR and popcount in chunks of
64 test rows (``O(n x m)`` distances of 32 bytes each, memory ``O(64 x n x 32)`` bytes): 10k x
1k is 10M distances, 0.5 s of CPU time and 140 MB at peak; only the nearest image and the
nearest image with the same masked question are kept per test item, so a diagram shared by
thousands of training items costs no more memory.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from othink_bench.imagehash import PHASH_BITS, as_array, dhash, hamming, hamming_chunks, phash
from othink_bench.task import Sample

#: Default threshold, in bits of the 256-bit pHash. Copies of the procedural tasks' images
#: re-encoded as JPEG and resized (x0.5 to x1.5) stay within 6 bits; unrelated scenes are 60 or
#: more bits apart (measured on vc-synth-tiny and vc-synth; tests/test_overlap.py checks both).
PHASH_MAX = 24
#: An exact question shared by at least this many training items is a template, not evidence.
TEMPLATE_MIN = 3
#: Pairs listed in a report (the closest first).
SHOW_PAIRS = 20

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACE = re.compile(r"\s+")
# A number: digits with an optional decimal part (3, 3.5, .5, 1,000 are each one number).
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*|\.\d+")


def normal_text(text: str) -> str:
    """A question as it is compared: NFKC, zero-width characters dropped, lower case,
    whitespace collapsed."""
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text))
    return _SPACE.sub(" ", text).strip().lower()


def masked_text(text: str) -> str:
    """:func:`normal_text` with every number replaced by ``#``."""
    return _NUMBER.sub("#", normal_text(text))


@dataclass
class Item:
    """What the audit keeps of one sample: its texts and image hashes (``None``: no image)."""

    id: str
    question: str
    gold: str
    exact: str
    masked: str
    phash: bytes | None
    dhash: bytes | None
    image_error: str | None = None


def describe(sample: Sample, max_pixels: int | None = 1 << 20) -> Item:
    """Hash one sample (its image decoded once, reduced towards ``max_pixels`` as it decodes)."""
    ph = dh = None
    error = None
    try:
        image = sample.image.load(max_pixels=max_pixels)
        ph, dh = phash(image), dhash(image)
    except Exception as exc:  # a missing or corrupt image: the text still counts
        error = f"{type(exc).__name__}: {exc}"
    return Item(
        id=sample.id,
        question=sample.question,
        gold=sample.gold,
        exact=normal_text(sample.question),
        masked=masked_text(sample.question),
        phash=ph,
        dhash=dh,
        image_error=error,
    )


@dataclass
class Pair:
    """A test item and its closest training item."""

    test: Item
    train: Item
    kind: str  # duplicate | image | text | none
    text: str  # exact | masked | none
    phash_distance: int | None
    dhash_distance: int | None
    overlaps: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "test_id": self.test.id,
            "train_id": self.train.id,
            "kind": self.kind,
            "overlaps": self.overlaps,
            "text": self.text,
            "phash_distance": self.phash_distance,
            "dhash_distance": self.dhash_distance,
            "test_question": self.test.question,
            "train_question": self.train.question,
            "test_gold": self.test.gold,
            "train_gold": self.train.gold,
        }


@dataclass
class OverlapReport:
    """Counts over the test items, the thresholds, and the closest pairs."""

    train: dict[str, Any]
    test: dict[str, Any]
    thresholds: dict[str, Any]
    counts: dict[str, int]
    overlapping: list[str] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "othink-bench overlap report",
            "train": self.train,
            "test": self.test,
            "thresholds": self.thresholds,
            "counts": self.counts,
            "overlapping_test_ids": self.overlapping,
            "pairs": [p.as_dict() for p in self.pairs],
        }


def find_overlap(
    train: Sequence[Item],
    test: Sequence[Item],
    *,
    phash_max: int = PHASH_MAX,
    template_min: int = TEMPLATE_MIN,
    show: int = SHOW_PAIRS,
    train_info: dict[str, Any] | None = None,
    test_info: dict[str, Any] | None = None,
) -> OverlapReport:
    """Compare every test item with the training set (see the module docstring)."""
    by_exact: dict[str, list[int]] = defaultdict(list)
    by_masked: dict[str, list[int]] = defaultdict(list)
    for j, t in enumerate(train):
        by_exact[t.exact].append(j)
        by_masked[t.masked].append(j)
    templates = {text for text, js in by_exact.items() if len(js) >= template_min}

    hashed_train = [j for j, t in enumerate(train) if t.phash is not None]
    hashed_test = [i for i, t in enumerate(test) if t.phash is not None]
    # Per test item, at most two training items are kept: its nearest image with the same
    # masked question (a duplicate) and its nearest image overall, each as (j, pHash, dHash);
    # so memory stays O(m) however many training items share an image.
    nearest_dup: dict[int, tuple[int, int, int]] = {}
    nearest: dict[int, tuple[int, int, int]] = {}
    if hashed_train and hashed_test:
        key_id: dict[str, int] = {}
        train_key = np.array([key_id.setdefault(train[j].masked, len(key_id))
                              for j in hashed_train])  # fmt: skip
        test_key = np.array([key_id.get(test[i].masked, -1) for i in hashed_test])
        ptrain = as_array([train[j].phash for j in hashed_train])  # type: ignore[misc]
        dtrain = as_array([train[j].dhash for j in hashed_train])  # type: ignore[misc]
        ptest = as_array([test[i].phash for i in hashed_test])  # type: ignore[misc]
        dtest = as_array([test[i].dhash for i in hashed_test])  # type: ignore[misc]
        chunks = zip(hamming_chunks(ptest, ptrain), hamming_chunks(dtest, dtrain), strict=True)
        for (start, pdist), (_, ddist) in chunks:
            # order by pHash, then dHash: one number per pair (dHash distances are <= 64)
            rank = pdist.astype(np.int32) * 65 + ddist
            same = train_key[None, :] == test_key[start : start + len(pdist), None]
            best = rank.argmin(axis=1)
            best_dup = np.where(same, rank, np.iinfo(np.int32).max).argmin(axis=1)
            for r in range(len(pdist)):
                i = hashed_test[start + r]
                for store, c in ((nearest, int(best[r])), (nearest_dup, int(best_dup[r]))):
                    if store is nearest or same[r, c]:
                        store[i] = (hashed_train[c], int(pdist[r, c]), int(ddist[r, c]))

    counts: Counter[str] = Counter(
        {k: 0 for k in ("overlap_duplicate", "overlap_image", "overlap_text")}
    )
    overlapping: list[str] = []
    pairs: list[Pair] = []
    for i, t in enumerate(test):
        exact = by_exact.get(t.exact, [])
        masked = by_masked.get(t.masked, [])
        counts["exact_text"] += bool(exact)
        counts["masked_text"] += bool(masked)
        counts["template_text"] += t.exact in templates
        counts["no_image"] += t.phash is None
        near = nearest.get(i)
        image = near if near is not None and near[1] <= phash_max else None
        dup = nearest_dup.get(i)
        dup = dup if dup is not None and dup[1] <= phash_max else None
        counts["image"] += image is not None
        pair: Pair | None = None
        if dup is not None:
            j, dp, dd = dup
            pair = _pair(t, train[j], "duplicate", dp, dd, True)
        elif image is not None:
            j, dp, dd = image
            pair = _pair(t, train[j], "image", dp, dd, True)
        elif exact and t.exact not in templates:
            pair = _pair(t, train[exact[0]], "text", None, None, True)
        elif masked or exact:
            pair = _pair(t, train[(exact or masked)[0]], "text", None, None, False)
        elif near is not None:
            j, dp, dd = near
            pair = _pair(t, train[j], "none", dp, dd, False)
        if pair is None:
            continue
        other = pair.train
        if pair.phash_distance is None and t.phash is not None and other.phash is not None:
            pair.phash_distance = hamming(t.phash, other.phash)
            pair.dhash_distance = hamming(t.dhash or b"", other.dhash or b"")
        if pair.overlaps:
            overlapping.append(t.id)
            counts[f"overlap_{pair.kind}"] += 1
        pairs.append(pair)
    counts["overlapping"] = len(overlapping)
    counts["test_items"] = len(test)
    counts["train_items"] = len(train)
    counts["train_no_image"] = len(train) - len(hashed_train)
    pairs.sort(key=_closeness)
    return OverlapReport(
        train=train_info or {},
        test=test_info or {},
        thresholds={
            "phash_max_bits": phash_max,
            "hash_bits": PHASH_BITS,
            "template_min": template_min,
            "text": "exact: equal after NFKC, zero-width removal, lower case and whitespace "
            "collapse; masked: equal after that with every number replaced by #",
            "image": f"pHash distance <= {phash_max} of {PHASH_BITS} bits",
        },
        counts=dict(sorted(counts.items())),
        overlapping=overlapping,
        pairs=pairs[:show],
    )


_KIND_ORDER = {"duplicate": 0, "image": 1, "text": 2, "none": 3}


def _closeness(p: Pair) -> tuple[Any, ...]:
    text = {"exact": 0, "masked": 1, "none": 2}[p.text]
    dist = p.phash_distance if p.phash_distance is not None else 65
    return (not p.overlaps, _KIND_ORDER[p.kind], dist, text, p.test.id)


def _pair(test: Item, train: Item, kind: str, dp: int | None, dd: int | None,
          overlaps: bool) -> Pair:  # fmt: skip
    text = "exact" if test.exact == train.exact else "masked" if test.masked == train.masked else "none"
    return Pair(test, train, kind, text, dp, dd, overlaps)


def hash_samples(
    samples: Sequence[Sample], progress: Callable[[int], None] | None = None
) -> list[Item]:
    """:func:`describe` each sample, in order (``progress(i)`` after each, if given)."""
    out = []
    for i, s in enumerate(samples):
        out.append(describe(s))
        if progress is not None:
            progress(i)
    return out
