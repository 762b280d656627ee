"""gr-synth-tiny 1.2: the arithmetic-scratchpad SFT target and the question that names the angle
relation.

Why: a 2.3M-parameter model learns geometry from short equations built from the reasoning's
own arithmetic (``180-40-70=70``), not from the long reasoning chain, so the target must be
exactly right; and in the parallel-lines family the question text alone must decide whether ∠2
equals or supplements ∠1 (before 1.2 only the diagram did), while ``gr-synth`` keeps its text.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

import pytest

from othink_bench.data import split_seed
from othink_bench.registry import get_task
from tasks.geo import GeoConfig, make_problem
from tasks.geo.scratchpad import arithmetic_scratchpad

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[-+*/()]")


def _value(expr: str) -> Fraction:
    """A tiny recursive-descent reader for the scratchpad's own +-*/() arithmetic."""
    tokens = _TOKEN.findall(expr)
    assert "".join(tokens) == expr, f"unexpected characters in {expr!r}"
    pos = 0

    def atom() -> Fraction:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            v = sum_()
            assert tokens[pos] == ")"
            pos += 1
            return v
        return Fraction(tok)

    def product() -> Fraction:
        nonlocal pos
        v = atom()
        while pos < len(tokens) and tokens[pos] in "*/":
            op = tokens[pos]
            pos += 1
            v = v * atom() if op == "*" else v / atom()
        return v

    def sum_() -> Fraction:
        nonlocal pos
        v = product()
        while pos < len(tokens) and tokens[pos] in "+-":
            op = tokens[pos]
            pos += 1
            v = v + product() if op == "+" else v - product()
        return v

    out = sum_()
    assert pos == len(tokens)
    return out


def test_reader_reads_precedence_and_parentheses() -> None:
    assert _value("180-2*45") == 90
    assert _value("(180-130)/2") == 25
    assert _value("78/2") == 39


@pytest.mark.parametrize(
    ("reasoning", "scratch"),
    [
        ("∠A = 180° - ∠B - ∠C = 180° - 40° - 70° = 70°", "180-40-70=70"),
        ("AB ∥ CD, so ∠2 = ∠1 = 65° (corresponding angles are equal)", "65"),
        ("AB = AC, so ∠B = ∠C; ∠B = (180° - ∠A) ÷ 2 = (180° - 130°) ÷ 2 = 25°", "(180-130)/2=25"),
        ("AB = AC, so ∠B = ∠C = 45°; ∠A = 180° - 2×45° = 90°", "180-2*45=90"),
        ("∠ACD = ∠A + ∠B = 50° + 28° = 78°; CE bisects ∠ACD, so ∠ECD = ½∠ACD = 39°",
         "50+28=78; 78/2=39"),
    ],
)
def test_scratchpad_examples(reasoning: str, scratch: str) -> None:
    assert arithmetic_scratchpad(reasoning) == scratch


def test_tiny_targets_are_true_equations_ending_in_the_gold() -> None:
    task = get_task("gr-synth-tiny")
    assert task.version == "1.2"
    for split in ("train", "test"):
        for s in task.load(split=split, limit=150, seed=0):
            m = re.fullmatch(r"<think>(.+)</think><answer>(.+)</answer>", s.solution or "")
            assert m, s.solution
            think, answer = m.groups()
            assert answer == s.gold
            gold = Fraction(s.gold.removesuffix("°"))
            for eq in think.split("; "):
                if "=" in eq:
                    lhs, rhs = eq.split("=")
                    assert _value(lhs) == Fraction(rhs), (s.id, think)
            assert Fraction(think.split("; ")[-1].split("=")[-1]) == gold, (s.id, think)


def test_tiny_question_names_the_parallel_line_relation() -> None:
    cfg = get_task("gr-synth-tiny").problem_config
    assert cfg.relation_in_text
    equal = ("corresponding", "alternate interior", "alternate exterior")
    seen: dict[str, set[bool]] = {}
    for i in range(400):
        p = make_problem(cfg, split_seed("train", 0), i)
        if p.family != "parallel_transversal":
            continue
        given = int(float(re.search(r"∠1 = ([\d.]+)", p.question).group(1)))  # type: ignore[union-attr]
        said = re.search(r"∠1 and ∠2 are ([a-z -]+) angles|∠2 is adjacent to the angle "
                         r"corresponding to ∠1", p.question)
        assert said, p.question
        relation = said.group(1) or "adjacent"
        same = p.answer == f"{given}°"
        assert same == (relation in equal), p.question
        assert same or p.answer == f"{180 - given}°"
        seen.setdefault(relation, set()).add(same)
    assert len(seen) == 6  # every relation occurs


def test_relation_words_change_no_problem_and_stay_out_of_gr_synth() -> None:
    base = GeoConfig(families=("parallel_transversal",), max_steps=2)
    named = replace(base, relation_in_text=True)
    for i in range(30):
        a, b = make_problem(base, 7, i), make_problem(named, 7, i)
        assert (a.answer, a.reasoning, a.points) == (b.answer, b.reasoning, b.points)
        assert a.image.tobytes() == b.image.tobytes()
        assert "angles, " not in a.question and "adjacent" not in a.question
    full = get_task("gr-synth")
    assert not full.problem_config.relation_in_text and full.version == "1.1"
    s = full.load(split="train", limit=5, seed=0)[0]
    assert "<think>" in (s.solution or "") and "°" in (s.solution or "").split("</think>")[0]
    with pytest.raises(ValueError, match="relation_in_text"):
        GeoConfig(relation_in_text="yes")  # type: ignore[arg-type]
