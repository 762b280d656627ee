"""Records checked against their run before anything counts them.

Boards (``othink-bench leaderboard``), ``othink-bench compare`` and ``othink-bench view`` read
a run's records through :func:`check_run`, the one place that decides whether a run's
``records.jsonl`` can be trusted. A run fails the check when

* a record is for another task or task version than the manifest names;
* a record lies outside the manifest's selection (an index past the samples the run was asked
  for, a draw ``k`` past its ``samples``, a sample id that names another position, more samples
  than the selection holds);
* one (sample, draw) has two records, unless every earlier one is an error a rerun redoes;
* a stored verdict differs from the task's verifier applied to the stored output (checked when
  the installed task has the manifest's version; otherwise a note says it was not), and, for a
  prompt variant that boards count by another scoring profile (``direct``: ``free-form``),
  that profile's stored verdict differs from the profile applied to the stored output and the
  question read back from the stored prompt;
* a record's ``think_open`` differs from its output's (it is read from the text), or a record
  cut off at the budget (``truncated``) holds another new-token count than the manifest's
  ``max_new_tokens``, or one that stopped on its own holds more (records written before these
  fields carry neither and pass);
* the run says it finished but its file ends in a partial line or holds fewer records than
  the run requested.

A run that fails is *refused*, the same way everywhere: a board lists it among the runs that
fill no cell, with the reason; ``compare`` and ``view`` stop with the reason. Each problem names
the file, the line and the fix. Every record is rescored: the whole check adds about 40 us per
record (0.95 s for the published board's 122 runs and 24,400 records, on 2 CPU cores).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from othink_bench.backends.base import digest
from othink_bench.harness.store import RETRYABLE_ERRORS
from othink_bench.records import (
    RECORDS_FILE,
    Manifest,
    RunRecord,
    read_manifest,
    read_record_lines,
)
from othink_bench.truncation import think_left_open

#: Manifest statuses of a run that ran to its end.
FINISHED = frozenset({"complete", "finished"})
#: Problems shown in one message (the rest are counted).
SHOWN = 3


class UnverifiedRun(ValueError):
    """A run's records do not match its manifest or its task's verifier; the message names
    the file, the line and the fix."""


@dataclass
class RunCheck:
    """One run's records, one per (sample, draw), and what the check found."""

    run_dir: Path
    manifest: Manifest
    records: list[RunRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def reason(self) -> str:
        """The problems in one line: the first few and how many more."""
        shown = "; ".join(self.problems[:SHOWN])
        more = len(self.problems) - SHOWN
        return shown + (f"; and {more} more problem(s)" if more > 0 else "")

    def require(self) -> RunCheck:
        """This check, or :class:`UnverifiedRun` when it found a problem."""
        if self.problems:
            raise UnverifiedRun(
                f"{self.run_dir}: records do not verify, the run is refused: {self.reason()}"
            )
        return self


def _rescore_fix(run_dir: Path) -> str:
    return (
        f"`othink-bench rescore {run_dir} --output rescored.jsonl` lists the verifier's "
        "verdicts; rerun the evaluation into a fresh folder to rewrite the records"
    )


def check_run(run_dir: str | Path, manifest: Manifest | None = None) -> RunCheck:
    """Read a run's records (``records.jsonl`` and unmerged shard files) and check them
    against its manifest and its task's verifier. Never raises for bad records: they are
    :attr:`RunCheck.problems` (a damaged manifest is a :class:`~othink_bench.records.ManifestError`)."""
    run_dir = Path(run_dir)
    m = manifest if manifest is not None else read_manifest(run_dir)
    check = RunCheck(run_dir, m)
    rerun = f"rerun the same command to redo it, or delete {run_dir} and rerun"
    files = [run_dir / RECORDS_FILE, *sorted(run_dir.glob("records.rank*.jsonl"))]
    lines: list[tuple[str, RunRecord]] = []
    for f in files:
        try:
            got, partial = read_record_lines(f)
        except ValueError as exc:
            check.problems.append(str(exc))
            continue
        lines.extend((f"{f}:{no}", r) for no, r in got)
        if partial is not None:
            text = f"{f}:{partial}: a partial last line (not valid JSON; a writer killed mid-line)"
            if m.status in FINISHED:
                check.problems.append(f"{text}, yet the manifest says {m.status!r}; {rerun}")
            else:
                check.notes.append(f"{text} is left out; {rerun}")
    by_key: dict[tuple[str, int], tuple[str, RunRecord]] = {}
    for where, r in lines:
        if (r.task, r.task_version) != (m.task, m.task_version):
            check.problems.append(
                f"{where}: record {r.sample_id!r} is for task {r.task} {r.task_version}, but "
                f"the manifest says {m.task} {m.task_version}; a run holds one task version - "
                f"remove the line or {rerun}"
            )
        earlier = by_key.get(r.key)
        if earlier is not None and earlier[1].error_kind not in RETRYABLE_ERRORS:
            check.problems.append(
                f"{where}: a second record for sample {r.sample_id!r} draw k={r.k} (the first is "
                f"{earlier[0]}); a run holds one record per sample and draw, and which one is "
                f"right cannot be told - delete {run_dir} and rerun"
            )
        by_key[r.key] = (where, r)
    _check_selection(check, list(by_key.values()), rerun)
    _check_verdicts(check, list(by_key.values()))
    _check_truncation(check, list(by_key.values()))
    check.records = [r for _, r in by_key.values()]
    requested = _selection(m).get("requested")
    if m.status in FINISHED and isinstance(requested, int) and len(by_key) < requested:
        check.problems.append(
            f"{run_dir / RECORDS_FILE}: the manifest says {m.status!r} with {requested} requested "
            f"samples, but the file holds {len(by_key)}; lines were removed - {rerun}"
        )
    return check


def _selection(m: Manifest) -> dict[str, Any]:
    """The manifest's ``selection`` block (offset, limit, requested, sample ids); {} if none."""
    got = (m.model_extra or {}).get("selection")
    return got if isinstance(got, dict) else {}


def _check_selection(check: RunCheck, keyed: list[tuple[str, RunRecord]], rerun: str) -> None:
    m = check.manifest
    selection = _selection(m)
    draws = m.generation.get("samples", 1)
    draws = draws if isinstance(draws, int) and draws >= 1 else 1
    offset = selection.get("offset", 0) if isinstance(selection.get("offset", 0), int) else 0
    by_id = "sample_ids" in selection
    bound = offset + m.n_samples if m.n_samples is not None and not by_id else None
    named = re.compile(rf"{re.escape(m.task)}/{re.escape(m.split)}/-?\d+/(\d+)")
    index_of: dict[str, tuple[str, int]] = {}
    id_at: dict[int, str] = {}
    fix = f"remove the line or {rerun}"
    for where, r in keyed:
        out = None
        if not 0 <= r.k < draws:
            out = f"draw k={r.k}, but the run draws {draws} sample(s) per prompt (k < {draws})"
        elif r.index < 0 or (bound is not None and r.index >= bound):
            out = f"index {r.index}, outside the run's {m.n_samples} selected samples"
        elif (hit := named.fullmatch(r.sample_id)) is not None and int(hit.group(1)) != r.index:
            out = f"sample id {r.sample_id!r} names position {hit.group(1)}, not {r.index}"
        elif index_of.setdefault(r.sample_id, (where, r.index))[1] != r.index:
            out = f"sample {r.sample_id!r} at index {r.index}, but at {index_of[r.sample_id][1]} "
            out += f"in {index_of[r.sample_id][0]}"
        elif id_at.setdefault(r.index, r.sample_id) != r.sample_id:
            out = f"index {r.index} holds sample {r.sample_id!r} and {id_at[r.index]!r}"
        if out is not None:
            check.problems.append(f"{where}: record outside the manifest's selection: {out}; {fix}")
    ids = sorted(index_of)
    if m.n_samples is not None and len(ids) > m.n_samples:
        check.problems.append(
            f"{check.run_dir / RECORDS_FILE}: records for {len(ids)} samples, but the manifest "
            f"selects {m.n_samples}; {fix}"
        )
    want = selection.get("sample_ids_digest")
    if by_id and len(ids) == selection.get("sample_ids") and digest(ids, 12) != want:
        check.problems.append(
            f"{check.run_dir / RECORDS_FILE}: the records' sample ids are not the ones the run's "
            f"--sample-ids selection names; {rerun}"
        )


def _check_verdicts(check: RunCheck, keyed: list[tuple[str, RunRecord]]) -> None:
    """Each stored verdict against the task's verifier applied to the stored output."""
    from othink_bench.registry import UnknownTaskError, get_task

    m = check.manifest
    try:
        task = get_task(m.task)
    except UnknownTaskError:
        check.notes.append(f"verdicts not rechecked: task {m.task} is not installed")
        return
    if task.version != m.task_version:
        check.notes.append(
            f"verdicts not rechecked: the installed task {m.task} is version {task.version}, "
            f"the run's is {m.task_version}"
        )
        return
    recheck = not task.typed_answers
    if not recheck:
        check.notes.append(
            f"verdicts not rechecked: task {m.task} scores by each sample's declared answer "
            "type (options, precision), which records do not hold; error records still checked"
        )
    if recheck:
        _check_board_profile(check, keyed, task)
    for where, r in keyed:
        if r.error is not None:
            if r.correct or r.lenient_correct:
                check.problems.append(
                    f"{where}: record {r.sample_id!r} is an error ({r.error_kind}) yet stored as "
                    f"correct; {_rescore_fix(check.run_dir)}"
                )
            continue
        if not recheck:
            continue
        if r.repaired and "output" in r.repaired:  # scored before its text was repaired
            check.notes.append(f"{where}: verdict not rechecked: {r.repaired}")
            continue
        score = task.score_gold(r.output or "", r.gold)
        stored = (r.correct, r.lenient_correct, r.format_ok)
        if score.error is not None or stored != (
            score.correct, score.lenient_correct, score.format_ok
        ):
            check.problems.append(
                f"{where}: stored verdict of {r.sample_id!r} (correct={r.correct}, lenient="
                f"{r.lenient_correct}, format_ok={r.format_ok}) differs from the {m.task} "
                f"verifier's on the stored output (correct={score.correct}, lenient="
                f"{score.lenient_correct}, format_ok={score.format_ok}"
                f"{', error: ' + score.error if score.error else ''}); "
                f"{_rescore_fix(check.run_dir)}"
            )


def _check_truncation(check: RunCheck, keyed: list[tuple[str, RunRecord]]) -> None:
    """``think_open`` against the output it is read from; ``truncated`` against the budget."""
    budget = check.manifest.generation.get("max_new_tokens")
    budget = budget if isinstance(budget, int) and not isinstance(budget, bool) else None
    fix = f"remove the line or rerun the evaluation into a fresh folder ({check.run_dir})"
    for where, r in keyed:
        if r.think_open is not None and r.think_open != think_left_open(r.output):
            check.problems.append(
                f"{where}: record {r.sample_id!r} says think_open={r.think_open}, but its output "
                f"{'is missing' if r.output is None else 'says otherwise'}; {fix}"
            )
        if r.truncated is None or r.tokens is None or budget is None:
            continue
        if r.truncated and r.tokens != budget:
            check.problems.append(
                f"{where}: record {r.sample_id!r} says it was cut off at the budget, but holds "
                f"{r.tokens} new tokens where the manifest's max_new_tokens is {budget}; {fix}"
            )
        elif not r.truncated and r.tokens > budget:
            check.problems.append(
                f"{where}: record {r.sample_id!r} holds {r.tokens} new tokens, more than the "
                f"manifest's max_new_tokens {budget}, yet says it was not cut off; {fix}"
            )


def _prompt_questions(run_dir: Path, template: str) -> dict[str, str]:
    """The question inside each stored prompt (``prompts.jsonl``), by prompt hash: the text
    between the variant template's parts before and after ``{question}``."""
    import json

    from othink_bench.runstate import PROMPTS_FILE

    head, _, tail = template.partition("{question}")
    out: dict[str, str] = {}
    path = run_dir / PROMPTS_FILE
    if not path.is_file():
        return out
    for raw in path.read_bytes().split(b"\n"):
        try:
            entry = json.loads(raw)
            text = entry["messages"][0]["content"][-1]["text"]
        except (ValueError, KeyError, IndexError, TypeError):
            continue
        if isinstance(text, str) and text.startswith(head) and text.endswith(tail):
            out[str(entry.get("hash"))] = text[len(head):len(text) - len(tail)]
    return out


def _check_board_profile(check: RunCheck, keyed: list[tuple[str, RunRecord]], task: Any) -> None:
    """A prompt variant read by a profile other than strict (``direct``: ``free-form``) is
    counted by that profile's recorded verdicts on boards: recheck them too, with each
    sample's question read back from the run's stored prompts."""
    info = (check.manifest.model_extra or {}).get("prompt")
    if not isinstance(info, dict) or info.get("scored_by") in (None, "strict"):
        return
    name = str(info["scored_by"])
    variants = task.prompt_variants()
    variant = variants.get(str(info.get("name")))
    if variant is None or variant.version != str(info.get("version")):
        check.notes.append(f"{name} verdicts not rechecked: the installed task {task.id} has no "
                           f"prompt {info.get('name')}@{info.get('version')}")
        return
    from othink_bench.answers.peers import resolve_profile
    from othink_bench.task import ImageRef, Sample

    profile = resolve_profile(name)
    questions = _prompt_questions(check.run_dir, variant.template)
    for where, r in keyed:
        if r.error is not None or (r.repaired and "output" in r.repaired):
            continue
        got = (r.profiles or {}).get(name)
        question = questions.get(r.prompt_hash or "")
        if got is None or question is None:
            check.problems.append(
                f"{where}: record {r.sample_id!r} has no {name} verdict or no stored prompt, "
                f"but the run's prompt {variant.tag} is counted by it; "
                f"{_rescore_fix(check.run_dir)}"
            )
            continue
        sample = Sample(id=r.sample_id, question=question, gold=r.gold, image=ImageRef())
        try:
            v = profile.score(task, sample, r.output or "")
            want = (v.extracted, bool(v.correct))
        except Exception as exc:  # the run recorded the failure as the profile's error
            if got.error is None:
                check.problems.append(f"{where}: {name} fails on record {r.sample_id!r} "
                                      f"({exc}) yet a verdict is stored")
            continue
        if got.error is not None or (got.extracted, got.correct) != want:
            check.problems.append(
                f"{where}: stored {name} verdict of {r.sample_id!r} (extracted={got.extracted!r}, "
                f"correct={got.correct}) differs from the profile's on the stored output "
                f"(extracted={want[0]!r}, correct={want[1]}); {_rescore_fix(check.run_dir)}"
            )


def verified_records(run_dir: str | Path, manifest: Manifest | None = None) -> list[RunRecord]:
    """A run's records, one per (sample, draw), or :class:`UnverifiedRun` (see :func:`check_run`)."""
    return check_run(run_dir, manifest).require().records
