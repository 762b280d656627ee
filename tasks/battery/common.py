"""What the battery's benchmark tasks share: reading rows (hub, saved datasets, parquet, the
benchmarks' own release files), images as the data stores them, choice golds, prompt variants.

Row reading. Every benchmark is read as rows of its hub columns, whatever the source:

* ``hub``: ``datasets.load_dataset(hub_id, split=...)``;
* ``local``: a parquet file (or a folder of them, or a ``save_to_disk`` folder) with the hub's
  columns, or the benchmark's release file (JSON array, ``{id: row}`` object or JSON lines) with
  the same columns where the image column holds a path relative to the file's folder (or to
  ``--image-root``).

Rows are taken from Arrow without decoding (``with_format("arrow")``), so an image stays the
``{"bytes", "path"}`` struct the dataset stores and a corrupt image fails its own sample when it
is loaded, not the whole load. A malformed row becomes a sample carrying ``meta["error"]`` that
names the file, the row and the field, which the harness records as a data error.

Choice golds. The gold of a multiple-choice sample is self-contained, so that every verdict can be
recomputed from a record alone (:mod:`othink_bench.verify_records` rescored with
``Task.score_gold(output, gold)``): the JSON object ``{"answer": "B", "options": [...]}`` (the
letter and the option texts in letter order), or the bare letter when the benchmark shows its
options only inside the image (MathVerse's Vision Only problems).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from othink_bench.answers import count_equal, extract_answer, has_format, lenient_answer
from othink_bench.answers.normalise import normalise
from othink_bench.data_sources import DataSourceError
from othink_bench.task import ImageRef, Sample, ScoreRecord, SourceName, Split, Task

#: The paper's think/answer suffix with the answer's kind named (the paper's own says "number").
SUFFIX = (
    "Output the thinking process in <think> </think> and final answer ({kind}) in "
    "<answer> </answer> tags."
)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

PromptBuilder = Callable[[Sample], str]


def letter(i: int) -> str:
    """The letter of option ``i`` (0 -> A)."""
    return LETTERS[i]


# --------------------------------------------------------------------------------------------
# Rows


def error_sample(sample_id: str, message: str, kind: str = "data") -> Sample:
    """A sample that records why its row cannot be used (the harness keeps it as an error)."""
    return Sample(id=sample_id, question="", gold="", image=ImageRef(),
                  meta={"error": message, "error_kind": kind})


def image_ref(value: Any, root: Path | None) -> ImageRef | None:
    """An image as a dataset stores it: an Arrow ``{"bytes", "path"}`` struct, a list of them
    (the first is used), a PIL image, or a path (relative paths start at ``root``)."""
    if isinstance(value, list):
        return image_ref(value[0], root) if value else None
    if isinstance(value, dict):
        if value.get("bytes"):
            return ImageRef(data=bytes(value["bytes"]))
        value = value.get("path")
    if isinstance(value, str) and value.strip():
        path = Path(value)
        if not path.is_absolute() and root is not None:
            path = root / path
        return ImageRef(path=str(path))
    if value is not None and hasattr(value, "convert"):  # a PIL image
        return ImageRef(pil=value)
    return None


def _json_rows(path: Path) -> list[dict[str, Any]]:
    """A release file's rows: a JSON array, a ``{id: row}`` object (the row gets ``_key``), or
    JSON lines."""
    text = path.read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    if path.suffix.lower() == ".json" and stripped[:1] in "[{":
        try:
            data = json.loads(text)
        except ValueError as exc:
            if stripped.startswith("["):
                raise DataSourceError(f"{path}: not valid JSON ({exc}); fix or re-download "
                                      "the release file") from None
            data = None  # one object per line: JSON lines after all
        if isinstance(data, list):
            return [r if isinstance(r, dict) else {"_bad": r} for r in data]
        if isinstance(data, dict) and data and all(isinstance(v, dict) for v in data.values()):
            return [{"_key": k, **v} for k, v in data.items()]
    rows: list[dict[str, Any]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            row = {"_bad": f"line {lineno}: not JSON ({exc})"}
        rows.append(row if isinstance(row, dict) else {"_bad": f"line {lineno}: not an object"})
    if not rows:
        raise DataSourceError(f"{path}: the file has no rows")
    return rows


def _dataset_rows(loaded: Any, limit: int | None) -> list[dict[str, Any]]:
    n = len(loaded) if limit is None else min(limit, len(loaded))
    table = loaded.with_format("arrow")[0:n]
    return list(table.to_pylist())


def read_local_rows(
    data: str | Path, split_name: str, limit: int | None
) -> tuple[list[dict[str, Any]], Path | None]:
    """Rows of a local copy and the folder relative image paths start at (None: images are
    stored in the rows)."""
    import datasets

    path = Path(data)
    if not path.exists():
        raise DataSourceError(f"no such data path: {path}")
    if path.is_file() and path.suffix.lower() in (".json", ".jsonl", ".ndjson"):
        rows = _json_rows(path)
        return (rows if limit is None else rows[:limit]), path.parent
    if path.is_dir() and (path / "dataset_info.json").exists() or (
        path.is_dir() and (path / "dataset_dict.json").exists()
    ):
        loaded: Any = datasets.load_from_disk(str(path))
        if isinstance(loaded, datasets.DatasetDict):
            if split_name not in loaded:
                raise DataSourceError(f"{path} has splits {list(loaded)}, not {split_name!r}")
            loaded = loaded[split_name]
        return _dataset_rows(loaded, limit), None
    if path.is_dir():
        files = sorted(str(p) for p in path.glob(f"{split_name}*.parquet")) or sorted(
            str(p) for p in path.glob("**/*.parquet"))
        if not files:
            raise DataSourceError(f"no parquet files in {path}")
    else:
        with path.open("rb") as fh:
            if fh.read(4) != b"PAR1":
                raise DataSourceError(
                    f"{path}: not a parquet file, a saved dataset or a release JSON file")
        files = [str(path)]
    loaded = datasets.load_dataset("parquet", data_files=files, split="train")
    return _dataset_rows(loaded, limit), None


def read_hub_rows(hub_id: str, config: str | None, split: str, limit: int | None,
                  offline_hint: str) -> list[dict[str, Any]]:
    import datasets

    try:
        loaded = datasets.load_dataset(hub_id, config, split=split)
    except Exception as exc:  # offline, missing or blocked: the user's fix is the same
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise DataSourceError(
            f"cannot load {hub_id!r} (split {split}) from the Hugging Face hub "
            f"({type(exc).__name__}: {first}). {offline_hint}"
        ) from exc
    return _dataset_rows(loaded, limit)


def field(row: dict[str, Any], name: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    """A row's field, checked: a missing or mistyped field names the row, the field and the fix."""
    if name not in row:
        raise ValueError(f"{where}: missing field {name!r}; expected the benchmark's columns")
    value = row[name]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        want = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise ValueError(f"{where}: field {name!r} is {type(value).__name__} "
                         f"({str(value)[:40]!r}), expected {want}")
    return value


# --------------------------------------------------------------------------------------------
# Choices


def choice_gold(answer: str, options: Sequence[str]) -> str:
    """The self-contained gold of a choice sample (the letter alone when options are unknown)."""
    if not options:
        return answer
    return json.dumps({"answer": answer, "options": list(options)}, ensure_ascii=False)


def parse_choice_gold(gold: str) -> tuple[str, list[str]]:
    """(letter, options) of a choice gold; ``ValueError`` for a malformed one."""
    g = gold.strip()
    if g.startswith("{"):
        try:
            obj = json.loads(g)
        except ValueError as exc:
            raise ValueError(f"choice gold is not valid JSON: {exc}") from None
        answer, options = obj.get("answer"), obj.get("options")
        if not isinstance(answer, str) or not isinstance(options, list) or not all(
                isinstance(o, str) for o in options):
            raise ValueError("choice gold needs 'answer' (a letter) and 'options' (texts)")
    else:
        answer, options = g, []
    if len(answer) != 1 or answer not in LETTERS:
        raise ValueError(f"choice gold {answer!r} is not an option letter")
    if options and LETTERS.index(answer) >= len(options):
        raise ValueError(f"choice gold {answer!r} is beyond the {len(options)} options")
    return answer, options


_LETTER_FORM = re.compile(
    r"\s*(?:the\s+)?(?:(?:correct\s+)?(?:option|choice|answer)\s*(?:is\s*)?:?\s*)?"
    r"(?:\\textbf\{\s*)?[(\[]?([A-Z])[)\]]?\}?(?:\s*[.:)]|\s+|$)(.*)",
    re.DOTALL | re.IGNORECASE,
)


def _norm_option(text: str) -> str:
    t = text.replace("$", "").replace("\\(", "").replace("\\)", "")
    t = normalise(t)
    return re.sub(r"[\s{}]+", "", t).rstrip(".").lower()


def _text_matches(text: str, options: Sequence[str]) -> list[int]:
    """Options whose text equals ``text`` after normalisation (units, degrees, braces, spaces,
    ``$``), or, for numeric options, whose value equals it exactly."""
    from othink_bench.answers import math_equal

    want = _norm_option(text)
    if not want:
        return []
    hits = [i for i, o in enumerate(options) if _norm_option(o) == want]
    if hits:
        return hits
    out = []
    for i, o in enumerate(options):
        try:
            if math_equal(text, o):
                out.append(i)
        except ValueError:  # an option that is not a number: only text equality applies
            continue
    return out


def resolve_choice(answer: str | None, n_options: int, options: Sequence[str] = ()) -> int | None:
    """The option an extracted answer names, or ``None`` (no answer).

    ANSWERS.md rule 16: a letter (``B``, ``(B)``, ``B.``, ``B)``, ``\\textbf{(B)}``, "option B"),
    the option's text, or both. A letter beyond the options is no answer; a letter and a text
    naming different options are no answer unless the text matches an option exactly (then the
    text wins). Never the nearest option. ``n_options`` is 0 when the options are unknown (shown
    only in the image): then the letter decides.
    """
    if answer is None or not answer.strip():
        return None
    a = answer.strip()
    by_text = _text_matches(a, options) if options else []
    if len(by_text) == 1:
        return by_text[0]
    m = _LETTER_FORM.fullmatch(a)
    if m is None:
        return None
    idx = LETTERS.index(m.group(1).upper())
    if n_options and idx >= n_options:
        return None
    rest = m.group(2).strip()
    if not rest or not options:
        return idx
    named = _text_matches(rest, options)
    if idx in named:
        return idx
    return named[0] if len(named) == 1 else None


# --------------------------------------------------------------------------------------------
# Yes / no

_YES = re.compile(r"\s*(yes|no)\b", re.IGNORECASE)


def yes_no_value(text: str | None) -> bool | None:
    """``True`` for an answer that starts with yes, ``False`` for no, else ``None``."""
    if text is None:
        return None
    m = _YES.match(text.strip().strip("*").strip())
    if m is None:
        return None
    return m.group(1).lower() == "yes"


# --------------------------------------------------------------------------------------------
# The task base


class BenchmarkTask(Task):
    """A published benchmark: read from the hub or a local copy, scored by the strict rule.

    Subclasses set the hub location, ``answer_kind`` (the suffix's word), and implement
    :meth:`row_sample` (one row to one sample) and :meth:`verify`.
    """

    family = ""  # eval only (no train split); a benchmark close to a paper task names its family
    sources: tuple[SourceName, ...] = ("hub", "local")
    default_source: SourceName = "hub"
    hub_id: str = ""
    hub_config: str | None = None
    hub_split: str = "test"
    rows: int = 0  # the benchmark's size, as its card gives it
    answer_kind: str = "number"
    release_hint: str = ""
    max_new_tokens = 1024
    #: named prompt builders; "paper" is the default (question + the paper's suffix)
    prompt_variants: dict[str, PromptBuilder]
    prompt_variant: str = "paper"

    def __init__(self) -> None:
        self.prompt_variants = {"paper": self.paper_prompt, **self.official_prompts()}
        self.knobs = {"hub": self.hub_id, "hub_split": self.hub_split, "rows": self.rows,
                      "prompt_variants": sorted(self.prompt_variants)}

    # ---- prompts

    def suffix(self) -> str:
        return SUFFIX.format(kind=self.answer_kind)

    def paper_prompt(self, sample: Sample) -> str:
        return f"{sample.question.strip()} {self.suffix()}"

    def official_prompts(self) -> dict[str, PromptBuilder]:
        """The benchmark's own query builders, by name."""
        return {}

    def prompt_text(self, sample: Sample) -> str:
        return self.prompt_variants[self.prompt_variant](sample)

    # ---- data

    @property
    def offline_hint(self) -> str:
        return (
            f"Offline, pass a local copy with --data PATH: a parquet file or saved dataset of "
            f"{self.hub_id} ({self.hub_split} split) with its columns"
            f"{'; or ' + self.release_hint if self.release_hint else ''} "
            "(README: The generalisation battery)."
        )

    def select(self, row: dict[str, Any]) -> bool:
        """Whether a row belongs to this task (presets keep a subset)."""
        return True

    def row_sample(self, row: dict[str, Any], index: int, where: str,
                   root: Path | None) -> Sample:
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
                f"task {self.id} is an evaluation benchmark: it has only a test split "
                f"({self.hub_id} {self.hub_split}); train on another task")
        source = source or ("local" if data is not None else self.default_source)
        # A preset that keeps a subset reads every row, then keeps the limit of its own.
        read_limit = limit if type(self).select is BenchmarkTask.select else None
        if source == "hub":
            rows = read_hub_rows(self.hub_id, self.hub_config, self.hub_split, read_limit,
                                 self.offline_hint)
            where, root = f"{self.hub_id}:{self.hub_split}", None
        elif source == "local":
            if data is None:
                raise DataSourceError(f"task {self.id}: the local source needs --data PATH. "
                                      f"{self.offline_hint}")
            rows, root = read_local_rows(data, self.hub_split, read_limit)
            where = str(data)
            if image_root is not None:
                root = Path(image_root)
        else:
            raise DataSourceError(f"task {self.id} has no {source!r} source; use hub or local")
        return self.samples_from_rows(rows, where, root, limit)

    def samples_from_rows(self, rows: Iterable[dict[str, Any]], where: str, root: Path | None,
                          limit: int | None) -> list[Sample]:
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
                out.append(self.row_sample(row, i, at, root))
            except ValueError as exc:
                out.append(error_sample(f"{self.id}-row{i:05d}", str(exc)))
        if not out:
            raise DataSourceError(f"{where}: no rows of task {self.id}")
        return out

    def require_image(self, value: Any, where: str, name: str, root: Path | None) -> ImageRef:
        ref = image_ref(value, root)
        if ref is None:
            raise ValueError(f"{where}: field {name!r} holds no image")
        return ref

    # ---- scoring

    def answer_text(self, sample: Sample) -> str:
        """The gold as a model should write it inside ``<answer>`` (the letter of a choice)."""
        return sample.gold

    def score(self, text: str, sample: Sample) -> ScoreRecord:
        return self.score_gold(text, sample.gold)


class ChoiceTask(BenchmarkTask):
    """A multiple-choice benchmark: the gold is a letter (with its options, see the module)."""

    answer_kind = "the option's letter"

    def verify(self, answer: str | None, gold: str) -> bool:
        letter_, options = parse_choice_gold(gold)
        return resolve_choice(answer, len(options), options) == LETTERS.index(letter_)

    def check_gold(self, gold: str) -> None:
        parse_choice_gold(gold)

    def answer_text(self, sample: Sample) -> str:
        return parse_choice_gold(sample.gold)[0]


class YesNoTask(BenchmarkTask):
    answer_kind = "yes or no"
    max_new_tokens = 512

    def verify(self, answer: str | None, gold: str) -> bool:
        want = yes_no_value(gold)
        if want is None:
            raise ValueError(f"yes/no gold {gold!r} is neither yes nor no")
        return yes_no_value(answer) is want

    def check_gold(self, gold: str) -> None:
        if yes_no_value(gold) is None:
            raise ValueError(f"yes/no gold {gold!r} is neither yes nor no")


class CountTask(BenchmarkTask):
    answer_kind = "number"
    max_new_tokens = 256

    def verify(self, answer: str | None, gold: str) -> bool:
        return count_equal(answer, gold)


def strict_record(task: Task, text: str, gold: str) -> ScoreRecord:
    """The strict score (last ``<answer>`` block) with the lenient one beside it."""
    text = text or ""
    extracted = extract_answer(text)
    lenient = lenient_answer(text)
    return ScoreRecord(
        extracted=extracted,
        correct=extracted is not None and task.verify(extracted, gold),
        lenient_extracted=lenient,
        lenient_correct=lenient is not None and task.verify(lenient, gold),
        format_ok=has_format(text),
    )
