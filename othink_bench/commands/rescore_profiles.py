"""Scoring profiles in ``othink-bench rescore``: ``--profile NAME`` and ``--compare-profiles A,B``.

``--profile`` scores every row under a named profile besides the strict verifier (never
instead of it) and, where the file records its own verdicts (R1-V's ``is_correct``, or the
verdict its counting logs imply), says how many agree, sample by sample, with the first
disagreements. That is how ``rescore --profile r1v-legacy`` shows it reproduces R1-V's logs.
``--compare-profiles A,B`` counts the verdicts that change between two profiles, each way,
with the first examples of each kind. ``strict`` names the task's own verifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from othink_bench.commands.rescore_input import Prediction
from othink_bench.records import ProfileScore
from othink_bench.task import ImageRef, Sample, Task

#: Examples shown per kind of disagreement or change.
EXAMPLES = 3
#: Characters of an output shown in an example (its end: where the answer is).
SNIPPET = 160


def snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else "..." + text[-SNIPPET:]


def profile_score(task: Task, name: str, row: Prediction) -> ProfileScore:
    """Profile ``name``'s verdict on one row; a failure is an ``error``, never a verdict."""
    from othink_bench.answers.peers import resolve_profile

    assert row.gold is not None
    sample = Sample(id=row.sample_id or row.where, question=row.question, gold=row.gold,
                    image=ImageRef())
    if name == "strict":
        s = task.score_gold(row.output, row.gold)
        return ProfileScore(extracted=s.extracted, correct=s.correct, error=s.error)
    try:
        v = resolve_profile(name).score(task, sample, row.output)
    except Exception as exc:
        return ProfileScore(error=f"{type(exc).__name__}: {exc}")
    return ProfileScore(extracted=v.extracted, correct=bool(v.correct), non_answer=v.non_answer)


@dataclass
class ProfileTally:
    """One profile over a file: accuracy, errors, and agreement with the file's verdicts."""

    name: str
    n: int = 0
    correct: int = 0
    errors: int = 0
    n_with_verdicts: int = 0
    agree: int = 0
    n_with_extracted: int = 0
    agree_extracted: int = 0
    n_none_extracted: int = 0  # rows whose extraction the file gives as null
    agree_none: int = 0  # ... where the profile read nothing either
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    first_error: str | None = None

    def add(self, row: Prediction, score: ProfileScore) -> None:
        if score.error is not None:
            self.errors += 1
            self.first_error = self.first_error or f"{row.where}: {score.error}"
            return
        self.n += 1
        self.correct += score.correct
        if row.their_correct is not None:
            self.n_with_verdicts += 1
            if row.their_correct == score.correct:
                self.agree += 1
            elif len(self.disagreements) < EXAMPLES:
                self.disagreements.append({
                    "where": row.where, "gold": row.gold, "theirs": row.their_correct,
                    "ours": score.correct, "their_extracted": row.their_extracted,
                    "extracted": score.extracted, "output": snippet(row.output),
                })
        if row.their_extracted is not None:
            self.n_with_extracted += 1
            self.agree_extracted += row.their_extracted.strip() == (score.extracted or "")
        elif row.extracted_given:  # the file read nothing: did we?
            self.n_none_extracted += 1
            self.agree_none += score.extracted is None

    def summary(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": self.correct / self.n if self.n else None,
            "correct": self.correct,
            "errors": self.errors,
            "first_error": self.first_error,
            "agreement": {
                "n_with_verdicts": self.n_with_verdicts,
                "agree": self.agree,
                "correct": self.agree / self.n_with_verdicts if self.n_with_verdicts else None,
                "n_with_extracted": self.n_with_extracted,
                "agree_extracted": self.agree_extracted,
                "extracted_answer": (self.agree_extracted / self.n_with_extracted
                                     if self.n_with_extracted else None),
                "n_none_extracted": self.n_none_extracted,
                "agree_none": self.agree_none,
                "first_disagreements": self.disagreements,
            },
        }


@dataclass
class Comparison:
    """Two profiles' verdicts on the same rows: who credits what the other does not."""

    a: str
    b: str
    n: int = 0
    correct_a: int = 0
    correct_b: int = 0
    only_a: int = 0  # right under A, wrong under B
    only_b: int = 0
    examples_a: list[dict[str, Any]] = field(default_factory=list)
    examples_b: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0

    def add(self, row: Prediction, sa: ProfileScore, sb: ProfileScore) -> None:
        if sa.error is not None or sb.error is not None:
            self.errors += 1
            return
        self.n += 1
        self.correct_a += sa.correct
        self.correct_b += sb.correct
        if sa.correct == sb.correct:
            return
        example = {"where": row.where, "gold": row.gold, f"extracted ({self.a})": sa.extracted,
                   f"extracted ({self.b})": sb.extracted, "output": snippet(row.output)}
        if sa.correct:
            self.only_a += 1
            if len(self.examples_a) < EXAMPLES:
                self.examples_a.append(example)
        else:
            self.only_b += 1
            if len(self.examples_b) < EXAMPLES:
                self.examples_b.append(example)

    def summary(self) -> dict[str, Any]:
        return {
            "profiles": [self.a, self.b],
            "n": self.n,
            "errors": self.errors,
            "accuracy": {self.a: self.correct_a / self.n if self.n else None,
                         self.b: self.correct_b / self.n if self.n else None},
            "right_only_under": {self.a: self.only_a, self.b: self.only_b},
            "examples": {self.a: self.examples_a, self.b: self.examples_b},
        }

    def text(self) -> str:
        from tabulate import tabulate

        def pct(k: int) -> str:
            return f"{100 * k / self.n:.1f}" if self.n else "-"

        rows = [
            ["n", self.n],
            [f"accuracy % ({self.a})", pct(self.correct_a)],
            [f"accuracy % ({self.b})", pct(self.correct_b)],
            [f"right under {self.a} only (wrong under {self.b})", self.only_a],
            [f"right under {self.b} only (wrong under {self.a})", self.only_b],
        ]
        if self.errors:
            rows.append(["rows either profile could not score", self.errors])
        lines = [f"profiles {self.a} vs {self.b}",
                 tabulate(rows, tablefmt="plain", disable_numparse=True)]
        for who, other, examples in ((self.a, self.b, self.examples_a),
                                     (self.b, self.a, self.examples_b)):
            if examples:
                lines.append(f"first examples right under {who}, wrong under {other}:")
                for e in examples:
                    lines.append(
                        f"  {e['where']}: gold {e['gold']!r}; {self.a} read "
                        f"{e[f'extracted ({self.a})']!r}, {self.b} read "
                        f"{e[f'extracted ({self.b})']!r}; output ...{e['output'][-100:]!r}"
                    )
        return "\n".join(lines)


def parse_pair(text: str) -> tuple[str, str]:
    """``A,B`` of ``--compare-profiles``, both checked against the registry (``strict``
    included); a ``ValueError`` names the problem."""
    from othink_bench.answers.peers import resolve_profile

    names = [t.strip() for t in text.split(",") if t.strip()]
    if len(names) != 2 or names[0] == names[1]:
        raise ValueError(
            f"--compare-profiles takes two different profile names, A,B (e.g. "
            f"strict,r1v-legacy); got {text!r}"
        )
    for name in names:
        resolve_profile(name)
    return names[0], names[1]


def profile_lines(summary: dict[str, Any]) -> list[str]:
    """The ``--profile`` part of rescore's table, one block per profile."""
    lines = []
    for name, s in summary.items():
        acc = "-" if s["accuracy"] is None else f"{100 * s['accuracy']:.1f}"
        lines.append(f"profile {name}: n {s['n']}, accuracy {acc}%"
                     + (f", {s['errors']} not scored (first: {s['first_error']})"
                        if s["errors"] else ""))
        ag = s["agreement"]
        if ag["n_with_verdicts"]:
            lines.append(f"  agrees with the file's verdicts on {ag['agree']} of "
                         f"{ag['n_with_verdicts']} samples")
            for d in ag["first_disagreements"]:
                lines.append(f"  differs at {d['where']}: file {d['theirs']}, {name} "
                             f"{d['ours']} (gold {d['gold']!r}; file read "
                             f"{d['their_extracted']!r}, {name} read {d['extracted']!r})")
        if ag["n_with_extracted"]:
            lines.append(f"  same extracted answer as the file on {ag['agree_extracted']} of "
                         f"{ag['n_with_extracted']} samples")
        if ag["n_none_extracted"]:
            lines.append(f"  no answer read, as the file says, on {ag['agree_none']} of "
                         f"{ag['n_none_extracted']} samples")
    return lines
