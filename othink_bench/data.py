"""Task bases by kind of data, and the procedural (``synthetic``) splits.

* :class:`PaperDataTask`: the paper's data, from the hub (training) or local files (tests).
* :class:`SyntheticTask`: procedural generators (see :class:`SyntheticSamples`), or a generated
  copy read back from a local file.

The readers of files and of the hub (and :class:`DataSourceError`) live in
:mod:`othink_bench.data_sources`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import overload

from othink_bench.data_sources import DataSourceError, load_hub, load_local
from othink_bench.task import Sample, SourceName, Split, Task


class SyntheticSamples(Sequence[Sample]):
    """A lazily generated split: item ``i`` is a pure function of (seed, i)."""

    def __init__(self, n: int, make: Callable[[int], Sample]) -> None:
        if n < 0:
            raise ValueError(f"split size must be >= 0, got {n}")
        self._n = n
        self._make = make

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> Sample: ...
    @overload
    def __getitem__(self, i: slice) -> list[Sample]: ...
    def __getitem__(self, i: int | slice) -> Sample | list[Sample]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return self._make(i)

    def __iter__(self) -> Iterator[Sample]:
        for i in range(self._n):
            yield self._make(i)


SPLIT_CODES = {"test": 0, "train": 1}


def split_seed(split: str, seed: int) -> int:
    """Seeds of different splits never coincide: test uses even, train odd stream seeds."""
    if split not in SPLIT_CODES:
        raise ValueError(f"unknown split {split!r}; use one of {sorted(SPLIT_CODES)}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return 2 * seed + SPLIT_CODES[split]



class PaperDataTask(Task):
    """A task on the paper's data: the hub training set, or local files (the test sets)."""

    hub_id: str = ""
    test_hint: str = ""
    #: Rows of the hub training split, for plans made without downloading it (None: unknown).
    hub_train_rows: int | None = None

    def load(
        self,
        split: Split = "test",
        source: SourceName | None = None,
        data: str | Path | None = None,
        image_root: str | Path | None = None,
        limit: int | None = None,
        seed: int = 0,
    ) -> Sequence[Sample]:
        source = source or ("hub" if split == "train" and data is None else "local")
        if source == "hub":
            if split != "train":
                raise DataSourceError(
                    f"task {self.id} has only a training split on the hub ({self.hub_id}). "
                    f"{self.test_hint}"
                )
            return load_hub(self.hub_id, split="train", limit=limit)
        if source == "local":
            return load_local(
                data, split=split, image_root=image_root, limit=limit,
                missing_hint=self.test_hint,
            )
        raise DataSourceError(f"task {self.id} has no {source!r} source; use hub or local")


class SyntheticTask(Task):
    """A procedural task: generated on the fly, or a generated copy read back (``local``)."""

    sources: tuple[SourceName, ...] = ("synthetic", "local")
    default_source: SourceName = "synthetic"
    sizes: dict[str, int] = {"test": 200, "train": 100_000}

    @abstractmethod
    def make_sample(self, split: str, seed: int, index: int) -> Sample:
        """Item ``index`` of a split: a pure function of (split, seed, index)."""

    def load(
        self,
        split: Split = "test",
        source: SourceName | None = None,
        data: str | Path | None = None,
        image_root: str | Path | None = None,
        limit: int | None = None,
        seed: int = 0,
    ) -> Sequence[Sample]:
        source = source or ("local" if data is not None else "synthetic")
        if source == "local":
            return load_local(
                data, split=split, image_root=image_root, limit=limit,
                missing_hint=f"write one with `othink-bench generate --task {self.id}`.",
            )
        if source != "synthetic":
            raise DataSourceError(
                f"task {self.id} has no {source!r} source; use synthetic or local"
            )
        split_seed(split, seed)  # validates split and seed
        n = self.sizes[split] if limit is None else min(limit, self.sizes[split])
        return SyntheticSamples(n, lambda i: self.make_sample(split, seed, i))
