"""The base of the battery tasks that read any copy of their benchmark (:mod:`.rows`):
``hub`` (``datasets``), and ``local`` (a parquet file or folder, a saved dataset, or the
benchmark's release file). With ``--data`` and no ``--source`` the harness picks ``local``, so
``train-and-eval --eval-data TASK=FILE`` takes any of these copies.

Samples declare typed answers (``meta["answer_type"]``, ``["options"]``, ...; see
:class:`othink_bench.task.Sample`), so both scoring profiles judge them by ANSWERS.md policy 1.2.
A malformed row, or a gold its declared type cannot verify, becomes one sample carrying
``meta["error"]`` that names the file, the row and the field (the harness records it as a data
error); the load goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from othink_bench.answers.typed import AnswerSpec, check_gold_typed
from othink_bench.data_sources import DataSourceError
from othink_bench.task import PROMPT_SUFFIX, ImageRef, PromptVariant, Sample, SourceName, Split
from tasks.battery.common import BatteryTask, PromptBuilder, paper_prompt, typed_meta
from tasks.battery.rows import cell_image, error_sample, read_hub_rows, read_local_rows

__all__ = ["BenchmarkTask", "typed_meta"]


class BenchmarkTask(BatteryTask):
    """A battery task read from the hub, a parquet / saved-dataset copy or its release file."""

    hub_config: str | None = None
    rows: int = 0  # the benchmark's size, as its card gives it

    def __init__(self, prompt_variant: str = "paper") -> None:
        super().__init__(prompt_variant)
        self.knobs = {**self.knobs, "hub": self.hub_id, "rows": self.rows,
                      "prompt_variants": sorted(self.prompt_variants())}

    # ---- prompts

    def prompt_variants(self) -> dict[str, PromptVariant]:
        """``paper`` (the question, its options, the paper's suffix; read strictly) and the
        benchmark's own queries, which ask for no tags and are read by the free-form profile."""
        variants = {"paper": PromptVariant(
            "paper", "1", "{question}\n(options)\n" + PROMPT_SUFFIX, builder=self.paper_prompt,
            origin="the question, its options, the paper's suffix",
        )}
        for name, build in self.official_prompts().items():
            variants[name] = PromptVariant(
                name, "1", f"{self.id}'s {name} query", builder=build, scored_by="free-form",
                origin=f"{self.id}'s own query ({name})",
            )
        return variants

    def paper_prompt(self, sample: Sample) -> str:
        return paper_prompt(sample)

    def official_prompts(self) -> dict[str, PromptBuilder]:
        """The benchmark's own query builders, by name."""
        return {}

    # ---- data

    @property
    def offline_hint(self) -> str:
        return (
            f"Offline, pass a local copy with --data PATH: a parquet file or saved dataset of "
            f"{self.hub_id} ({self.hub_split}) with its columns"
            f"{'; or ' + self.release_hint if self.release_hint else ''} "
            "(README: The generalisation battery)."
        )

    def select(self, row: Mapping[str, Any]) -> bool:
        """Whether a row belongs to this task (a preset keeps a subset)."""
        return True

    def row_sample(self, row: dict[str, Any], index: int, where: str,
                   root: Path | None) -> Sample:
        raise NotImplementedError

    def prepare(self, rows: list[dict[str, Any]]) -> None:
        """A hook to look at all the rows read before they become samples."""

    def load(
        self,
        split: Split = "test",
        source: SourceName | None = None,
        data: str | Path | None = None,
        image_root: str | Path | None = None,
        limit: int | None = None,
        seed: int = 0,
    ) -> Sequence[Sample]:
        if split != "test":
            raise DataSourceError(
                f"task {self.id} is an evaluation benchmark: it has a test split only "
                f"({self.hub_id} {self.hub_split}); train on vc/gr or their synthetic tasks")
        source = source or ("local" if data is not None else self.default_source)
        # A preset that keeps a subset reads every row, then keeps its own limit.
        read_limit = limit if type(self).select is BenchmarkTask.select else None
        if source == "hub" and data is None:
            rows = read_hub_rows(self.hub_id, self.hub_config, self.hub_split, read_limit,
                                 self.offline_hint)
            where, root = f"{self.hub_id}:{self.hub_split}", None
        elif source in ("hub", "local"):
            if data is None:
                raise DataSourceError(f"task {self.id}: the local source needs --data PATH. "
                                      f"{self.offline_hint}")
            rows, root = read_local_rows(data, self.hub_split, read_limit)
            where = str(data)
        else:
            raise DataSourceError(f"task {self.id} has no {source!r} source; use hub or local")
        if image_root is not None:
            root = Path(image_root)
        return self.samples_from_rows(rows, where, root, limit)

    def samples_from_rows(self, rows: Iterable[dict[str, Any]], where: str, root: Path | None,
                          limit: int | None) -> list[Sample]:
        rows = list(rows)
        self.prepare(rows)
        out: list[Sample] = []
        for i, row in enumerate(rows):
            if limit is not None and len(out) >= limit:
                break
            at = f"{where}: row {i}"
            if "_bad" in row:
                out.append(error_sample(f"{self.id}-row{i:05d}", f"{at}: {row['_bad']}"))
                continue
            try:
                if not self.select(row):
                    continue
                sample = self.row_sample(row, i, at, root)
                spec = AnswerSpec.from_meta(sample.meta)
                if spec is None:
                    raise ValueError(f"{at}: the sample declares no answer_type")
                check_gold_typed(sample.gold, spec)
            except ValueError as exc:  # GoldError is one
                msg = str(exc) if str(exc).startswith(at) else f"{at}: {exc}"
                out.append(error_sample(f"{self.id}-row{i:05d}", msg))
                continue
            out.append(sample)
        if not out:
            raise DataSourceError(f"{where}: no rows of task {self.id}")
        return out

    def require_image(self, value: Any, where: str, name: str, root: Path | None) -> ImageRef:
        ref = cell_image(value, root)
        if ref is None:
            raise ValueError(f"{where}: field {name!r} holds no image")
        return ref

