"""The base of the battery's tasks: test data only, typed answers, prompt variants, and one
way to read any copy of a benchmark (:mod:`.rows`): ``hub`` (``datasets``), and ``local`` (a
parquet file or folder, a saved dataset, or the benchmark's release file). With ``--data`` and
no ``--source`` the harness picks ``local``, so ``train-and-eval --eval-data TASK=FILE`` takes
any of these copies. A release file's image paths start at its folder, or at the folder
:meth:`BenchmarkTask.read_local` names for a release laid out otherwise, or at
``--image-root``.

Samples declare typed answers (``meta["answer_type"]``, ``["options"]``, ...; see
:class:`othink_bench.task.Sample`), so both scoring profiles judge them by ANSWERS.md policy 1.2.
A malformed row, or a gold its declared type cannot verify, becomes one sample carrying
``meta["error"]`` that names the file, the row and the field (the harness records it as a data
error); the load goes on.

Prompt variants (``run --prompt NAME``): ``paper`` (the default: the question, its options, the
paper's think/answer suffix) and the benchmark's own queries (:meth:`official_prompts`), which
ask for prose and are read by the free-form profile. The variant is a knob, so the run's
manifest says which one was used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from othink_bench.answers.typed import AnswerSpec, check_gold_typed, typed_equal
from othink_bench.data_sources import DataSourceError
from othink_bench.task import (
    PROMPT_SUFFIX,
    ImageRef,
    PromptVariant,
    Sample,
    SourceName,
    Split,
    Task,
)
from tasks.battery.common import PromptBuilder, paper_prompt, typed_meta
from tasks.battery.rows import cell_image, error_sample, read_hub_rows, read_local_rows

__all__ = ["BenchmarkTask", "typed_meta"]


class BenchmarkTask(Task):
    """A battery task read from the hub, a parquet / saved-dataset copy or its release file."""

    # the paper's settings family (token budget, betas) closest to multi-step visual math;
    # the battery is evaluation-only, so only the generation settings follow from it
    family = "geometry"
    typed_answers = True
    sources: tuple[SourceName, ...] = ("hub", "local")
    default_source: SourceName = "hub"
    max_new_tokens = 1024
    hub_id: str = ""
    hub_config: str | None = None
    hub_split: str = "testmini"
    rows: int = 0  # the benchmark's size, as its card gives it
    release_hint: str = ""

    def __init__(self, prompt_variant: str = "paper") -> None:
        if prompt_variant not in self.prompt_variants():
            raise ValueError(
                f"task {self.id}: unknown prompt variant {prompt_variant!r}; known: "
                f"{', '.join(self.prompt_variants())}"
            )
        self.prompt_variant = prompt_variant
        self.knobs = {"prompt": prompt_variant, "hub_split": self.hub_split, "hub": self.hub_id,
                      "rows": self.rows, "prompt_variants": sorted(self.prompt_variants())}

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

    def read_local(self, path: Path, limit: int | None) -> tuple[list[dict[str, Any]], Path | None]:
        """Rows of a local copy, and the folder relative image paths start at
        (:func:`.rows.read_local_rows`: a release file's own folder). A benchmark whose release
        lays its files out otherwise (MathVista, MATH-V: ``data/`` beside ``images/``) overrides
        this."""
        return read_local_rows(path, self.hub_split, limit)

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
            rows, root = self.read_local(Path(data), read_limit)
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


    # ---- scoring

    def verify(self, answer: str | None, gold: str) -> bool:
        """Without the sample: a text or number comparison. Scoring goes through
        :meth:`Task.score`, which reads the sample's declared answer type."""
        return typed_equal(answer, gold, AnswerSpec("text"))

    def check_sample(self, sample: Sample) -> None:
        """Raise ``ValueError`` when a sample's gold cannot be verified against."""
        spec = AnswerSpec.from_meta(sample.meta)
        if spec is None:
            raise ValueError(f"sample {sample.id} declares no answer_type")
        check_gold_typed(sample.gold, spec)

    def breakdown(self, sample: Sample) -> str:
        return str(sample.meta.get("breakdown", ""))
