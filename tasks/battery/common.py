"""What the battery's tasks share: loading the hub copy or the official release files, prompt
variants, and scoring by the sample's declared answer type (ANSWERS.md policy 1.2).

Sources
    * ``hub``: the benchmark's dataset on the Hugging Face hub through ``datasets``; with
      ``--data PATH`` a local copy of it (a parquet file, a folder of them, or a
      ``save_to_disk`` folder) with the hub's exact columns.
    * ``local``: the official release files (``--data`` the annotation file; images are looked
      up under ``--image-root``, by default the folder above the annotation file's folder, as
      the releases lay them out: ``data/testmini.json`` beside ``images/``).

Prompt variants: each task maps names to variants built from the whole sample
(:meth:`BatteryTask.prompt_variants`; ``run --prompt NAME`` chooses one);
``paper`` (the default) is the question, its options, and the paper's think/answer suffix;
``official`` is the benchmark's own query. The variant is a knob, so the run's manifest says
which one was used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from othink_bench.answers.choices import letter
from othink_bench.answers.compare import GoldError
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
from tasks.battery.rows import cell_image

PromptBuilder = Callable[[Sample], str]


def options_block(options: Sequence[str]) -> str:
    """Options as the benchmarks list them: ``(A) text`` one per line."""
    return "\n".join(f"({letter(i)}) {o}" for i, o in enumerate(options))


def paper_prompt(sample: Sample) -> str:
    """The question, its options, and the paper's think/answer suffix."""
    opts = sample.meta.get("options") or []
    body = sample.question.strip()
    if opts:
        body = f"{body}\nChoices:\n{options_block(opts)}"
    return f"{body}\n{PROMPT_SUFFIX}"


def image_ref(value: Any, root: Path | None, where: str) -> ImageRef:
    """An image from a hub cell (``{"bytes", "path"}``) or a release path under ``root``
    (:func:`tasks.battery.rows.cell_image`); none is a data error naming the row."""
    ref = cell_image(value, root)
    if ref is None:
        raise DataSourceError(f"{where}: no image (expected a path string or an image cell)")
    return ref


def typed_meta(answer_type: str, options: Sequence[str] = (), precision: int | None = None,
               unit: str | None = None, **extra: Any) -> dict[str, Any]:
    """The typed-answer metadata of a sample (the contract of :class:`Sample`)."""
    return {"answer_type": answer_type, "options": list(options), "precision": precision,
            "unit": unit, **extra}


class BatteryTask(Task):
    """A benchmark of the battery: test data only, typed answers, prompt variants."""

    # the paper's settings family (token budget, betas) closest to multi-step visual math;
    # the battery is evaluation-only, so only the generation settings follow from it
    family = "geometry"
    typed_answers = True
    sources: tuple[SourceName, ...] = ("hub", "local")
    default_source: SourceName = "hub"
    max_new_tokens = 1024
    hub_id: str = ""
    hub_split: str = "testmini"
    release_hint: str = ""

    def __init__(self, prompt_variant: str = "paper") -> None:
        if prompt_variant not in self.prompt_variants():
            raise ValueError(
                f"task {self.id}: unknown prompt variant {prompt_variant!r}; known: "
                f"{', '.join(self.prompt_variants())}"
            )
        self.prompt_variant = prompt_variant
        self.knobs = {"prompt": prompt_variant, "hub_split": self.hub_split}

    def prompt_variants(self) -> dict[str, PromptVariant]:
        # the core's variant records (run --prompt NAME; name@version in the run id but for
        # paper), built from the whole sample (options, the benchmark's own query)
        return {
            "paper": PromptVariant(
                "paper", "1", "{question}\nChoices: ...\n" + PROMPT_SUFFIX,
                builder=paper_prompt, origin="the question, its options, the paper's suffix",
            ),
            "official": PromptVariant(
                "official", "1", "the benchmark's own query", builder=self.official_prompt,
                scored_by="free-form", origin=f"{self.id}'s official prompt (asks for prose)",
            ),
        }

    def official_prompt(self, sample: Sample) -> str:
        raise NotImplementedError

    # --- data -------------------------------------------------------------------------------
    def row_to_sample(self, row: Mapping[str, Any], where: str, root: Path | None) -> Sample:
        raise NotImplementedError

    def read_release(self, path: Path) -> list[dict[str, Any]]:
        raise NotImplementedError

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
                f"({self.hub_id} {self.hub_split}); train on vc/gr or their synthetic tasks"
            )
        source = source or self.default_source
        root = Path(image_root) if image_root is not None else None
        if source == "local":
            if data is None:
                raise DataSourceError(f"task {self.id}: the local source needs --data FILE. {self.release_hint}")
            path = Path(data)
            if not path.is_file():
                raise DataSourceError(f"no such file: {path}. {self.release_hint}")
            rows = self.read_release(path)
            root = root if root is not None else path.resolve().parent.parent
            where = str(path)
        elif source == "hub":
            rows = self._hub_rows(data)
            where = str(data) if data is not None else f"{self.hub_id} ({self.hub_split})"
        else:
            raise DataSourceError(f"task {self.id} has no {source!r} source; use hub or local")
        out = []
        for i, row in enumerate(rows):
            if limit is not None and len(out) >= limit:
                break
            out.append(self.row_to_sample(row, f"{where}: row {i + 1}", root))
        return out

    def _hub_rows(self, data: str | Path | None) -> list[dict[str, Any]]:
        import datasets

        try:
            if data is None:
                ds: Any = datasets.load_dataset(self.hub_id, split=self.hub_split)
            else:
                p = Path(data)
                if p.is_dir() and (p / "dataset_info.json").exists():
                    ds = datasets.load_from_disk(str(p))
                    if isinstance(ds, datasets.DatasetDict):
                        ds = ds[self.hub_split]
                else:
                    files = sorted(str(f) for f in p.glob(f"{self.hub_split}*.parquet")) if p.is_dir() else [str(p)]
                    if not files:
                        raise DataSourceError(f"no {self.hub_split}*.parquet files in {p}")
                    ds = datasets.load_dataset("parquet", data_files=files, split="train")
        except DataSourceError:
            raise
        except Exception as exc:
            raise DataSourceError(
                f"task {self.id}: cannot load {data or self.hub_id!r} ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}). {self.release_hint}"
            ) from exc
        if "decoded_image" in ds.column_names:
            ds = ds.cast_column("decoded_image", datasets.Image(decode=False))
        return [dict(r) for r in ds]

    # --- scoring ----------------------------------------------------------------------------
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


def typed_sample(
    *, sid: str, question: str, gold: str, image: ImageRef, answer_type: str,
    options: Sequence[str] = (), precision: int | None = None, unit: str | None = None,
    where: str, **meta: Any,
) -> Sample:
    """A sample with the typed-answer metadata; a gold that cannot be verified is a data error
    naming the row."""
    sample = Sample(id=sid, question=question, gold=gold, image=image,
                    meta=typed_meta(answer_type, options, precision, unit, **meta))
    spec = AnswerSpec.from_meta(sample.meta)
    assert spec is not None
    try:
        check_gold_typed(gold, spec)
    except GoldError as exc:
        raise DataSourceError(f"{where}: {exc}") from None
    return sample
