"""Verifier 1.2 (ANSWERS.md "Policy 1.2", rules 15-19): choices, the free-form reading, non-answers.

Each known defect of the benchmarks' own scorers has a case here that must not repeat it:
MathVista's maps "N/A" and empty responses to the nearest option and truncates decimals; MATH-V's
misses option text with units or ``$``, letters glued to option text, and compares fractions
after rounding to 2 decimals.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from othink_bench.answers import count_value
from othink_bench.answers.choices import letter, match_choice
from othink_bench.answers.compare import GoldError
from othink_bench.answers.freeform import (
    NON_ANSWER_CLASSES,
    answer_span,
    cut_continuation,
    is_non_answer,
    read_number,
    rounds_equal,
    yes_no,
)
from othink_bench.answers.profiles import (
    PROFILES,
    ProfileVerdict,
    get_profile,
    register_profile,
)
from othink_bench.answers.typed import AnswerSpec, read_typed, typed_equal
from othink_bench.task import ImageRef, Sample

OPTS = ["3 cm", "6 cm", "9 cm", "12 cm"]


# rule 15 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["10**10**10", "10**10", "10⁵", "7⁹", "2\\^{7}", "10^{10}"])
def test_powers_in_any_spelling_are_not_counts(text: str) -> None:
    assert count_value(text) is None


@pytest.mark.parametrize("text,n", [("**7**", 7), ("There are **10** cubes", 10), ("10", 10)])
def test_markdown_bold_is_still_a_wrapper(text: str, n: int) -> None:
    assert count_value(text) == n


# rule 16 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "pred",
    ["B", "(B)", "B.", "B)", "B:", "[B]", "\\textbf{(B)}", "**B**", "option B", "Option (B)",
     "choice b", "6 cm", "6cm", "$6$", "6", "6\\,\\text{cm}", "B. 6 cm", "B.6cm", "(B)6 cm",
     "(B) $6\\text{ cm}$", "The answer is B", "Answer: (B)", "  b) 6 cm ".replace("b", "B")],
)
def test_every_letter_and_text_form_names_option_b(pred: str) -> None:
    assert match_choice(pred, OPTS) == 1


@pytest.mark.parametrize(
    "pred",
    ["E", "(F)", "Z.", "option E", "A or B", "A. 3 cm B. 6 cm", "B. 7", "N/A", "7", "", "   ",
     "none", "b", "a", "the answer", "B and C", "(B) or (C)"],
)
def test_no_option_is_named(pred: str) -> None:
    assert match_choice(pred, OPTS) is None, pred


def test_exact_text_wins_over_a_different_letter() -> None:
    assert match_choice("B. 9 cm", OPTS) == 2
    assert match_choice("E. 12 cm", OPTS) == 3  # out-of-range letter, exact text: the text wins


def test_never_nearest_by_edit_distance() -> None:
    # MathVista's scorer maps these to the nearest option; here they name none
    assert match_choice("12 cn", OPTS) is None
    assert match_choice("larger", ["larger than", "smaller than"]) is None
    assert match_choice("6 cm or 9 cm", OPTS) is None


def test_options_by_value_and_duplicates() -> None:
    assert match_choice("0.5", ["\\frac{1}{3}", "\\frac{1}{2}"]) == 1
    assert match_choice("1/300", ["1/900", "1/300"]) == 1  # MATH-V rounds both to 0.00
    assert match_choice("5.00", ["5", "5.0"]) is None  # two different options state the value
    assert match_choice("18", ["9", "12", "18", "18"]) == 2  # a repeated option is one answer
    assert typed_equal("D", "18", AnswerSpec("choice", ("9", "12", "18", "18")))
    assert match_choice("A", ["B", "A"]) == 1  # an option whose text is a letter: text first
    assert match_choice("0", ["$X=0, Y=0$", "$X=1, Y=0$"]) is None  # two statements, not 0


def test_letter_names() -> None:
    assert [letter(i) for i in range(5)] == list("ABCDE")
    with pytest.raises(ValueError, match="no letter"):
        letter(26)


# rule 17 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,span,how",
    [
        ("<think>x</think><answer>7</answer>", "7", "tag"),
        ("We get \\boxed{\\frac{3}{4}} in the end.", "\\frac{3}{4}", "boxed"),
        ("Step 1 gives 4. So the answer is 12. Done", "12", "phrase"),
        ("**Final Answer:** 3.5 m", "3.5 m", "phrase"),
        ("The correct option is (C). Other text.", "(C)", "phrase"),
        ("Reasoning.\nThe answer is:\n\n42\n", "42", "phrase"),
        ("First 3 then 4.\nThe total is 7.", "The total is 7", "sentence"),
        ("It is 5.\nQuestion: what is 2+2? The answer is 4.", "It is 5", "sentence"),
        ("It is 5.\nHuman: and now? Answer: 9", "It is 5", "sentence"),
        ("It must be \\boxed{0} here. The answer is (C).", "(C)", "phrase"),  # the later one
        ("So the final answer is: $\\boxed{12}$", "12", "boxed"),
        ("所以答案为B", "B", "phrase"),
        ("The sum is 24.\n\nI hope this helps! Let me know if you have questions.", "The sum is 24",
         "sentence"),
    ],
)
def test_answer_span(text: str, span: str, how: str) -> None:
    assert answer_span(text) == (span, how)


def test_continuation_at_the_start_is_an_echo_not_cut() -> None:
    assert cut_continuation("Question: what?") == "Question: what?"


@pytest.mark.parametrize(
    "span,how,question,value",
    [
        ("x = 18", "phrase", None, Fraction(18)),
        ("1,200 people", "phrase", None, Fraction(1200)),
        ("25%", "phrase", None, Fraction(25)),
        ("seven", "phrase", None, Fraction(7)),
        ("twenty-one apples", "phrase", None, Fraction(21)),
        ("\\frac{1}{300}", "phrase", None, Fraction(1, 300)),
        ("3/4 of it", "phrase", None, Fraction(3, 4)),
        ("AB is 12, so x is 5", "sentence", "If AB = 12, find x.", Fraction(5)),
        ("AB = 12 units", "sentence", "If AB = 12, find x.", None),  # only echoes the question
        ("AB = 12 units", "phrase", "If AB = 12, find x.", Fraction(12)),  # stated as the answer
        ("an integer between 40 and 60", "phrase", None, None),  # a range is no answer
        ("no number here", "phrase", None, None),
    ],
)
def test_read_number(span: str, how: str, question: str | None, value: Fraction | None) -> None:
    assert read_number(span, how, question) == value


def test_rounding_is_half_up_never_truncation() -> None:
    assert rounds_equal(Fraction("1.25"), Fraction("1.3"), 1)
    assert not rounds_equal(Fraction("1.29"), Fraction("1.2"), 1)  # truncation would say equal
    assert rounds_equal(Fraction("2.996"), Fraction(3), 2)
    assert not rounds_equal(Fraction(1, 300), Fraction(1, 900), None)
    assert rounds_equal(1.4142135623, 1.41, 2)


# rule 18 -------------------------------------------------------------------------------------
Q = "What is the length of AB?"
NON_ANSWERS = {
    "empty": ["", "   \n", "<think></think><answer></answer>", "..."],
    "refusal": ["I'm sorry, but I can't help with identifying that.", "I cannot answer this.",
                "As an AI, I am unable to see images."],
    "undetermined": ["The length cannot be determined from the figure.", "N/A", "Answer: unknown",
                     "There is not enough information to answer.", "\\boxed{N/A}",
                     "Therefore, it's impossible to provide a correct answer."],
    "echo_question": [Q, "Question: What is the length of AB?", "What is the length of AB?\n"],
    "echo_options": ["(A) 3 cm (B) 6 cm (C) 9 cm (D) 12 cm", "A. 3 cm\nB. 6 cm",
                     "Which is the length: (a) 3 cm, (b) 6 cm, (c) 9 cm, or (d) 12 cm?",
                     "The answer is: A. 3 cm B. 6 cm C. 9 cm", "Choices: 3 cm, 6 cm"],
}


@pytest.mark.parametrize(
    "cls,text", [(c, t) for c, ts in NON_ANSWERS.items() for t in ts], ids=lambda x: str(x)[:30]
)
def test_non_answer_classes(cls: str, text: str) -> None:
    assert cls in NON_ANSWER_CLASSES
    assert is_non_answer(text, Q, OPTS) == cls


@pytest.mark.parametrize(
    "text",
    ["The answer is B.", "6 cm", "I cannot see it clearly, but the answer is B.",
     "(A) is wrong and (B) is wrong, so the answer is C.", "None of the above"],
)
def test_answers_are_not_non_answers(text: str) -> None:
    assert is_non_answer(text, Q, [*OPTS, "None of the above"]) is None


# rule 19 -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,question,want",
    [
        ("Yes, the bar is taller.", None, True),
        ("No. It is not.", None, False),
        ("Looking closely: yes.\nNo other bars.", None, True),
        ("The statement is not correct.", None, False),
        ("The statement is correct.", None, True),
        ("They are equal.", "Is A more than B?", False),
        ("They are equal.", "Is A equal to B?", None),
        ("Yes and no.", None, None),
        ("The bar is blue.", None, None),
        ("The answer is: No", None, False),
    ],
)
def test_yes_no(text: str, question: str | None, want: bool | None) -> None:
    assert yes_no(text, question) is want


# typed verdicts --------------------------------------------------------------------------------
def test_typed_verdicts() -> None:
    choice = AnswerSpec("choice", tuple(OPTS))
    assert typed_equal("B", "6 cm", choice) and typed_equal("B", "B", choice)
    assert not typed_equal("C", "6 cm", choice) and not typed_equal(None, "B", choice)
    integer = AnswerSpec("integer")
    assert typed_equal("7", "7", integer) and not typed_equal("7.5", "7", integer)
    assert not typed_equal("7.9", "7", integer)  # never truncated
    fl = AnswerSpec("float", precision=1)
    assert typed_equal("1.25", "1.3", fl) and not typed_equal("1.29", "1.2", fl)
    lst = AnswerSpec("list", precision=1)
    assert typed_equal("[1.0, 2.5]", "[1, 2.5]", lst) and not typed_equal("[2.5, 1]", "[1, 2.5]", lst)
    yn = AnswerSpec("yes_no")
    assert typed_equal("yes", "Yes", yn) and not typed_equal("no", "Yes", yn)
    text = AnswerSpec("text")
    assert typed_equal("Dog ", "dog", text) and not typed_equal("cat", "dog", text)


def test_bad_golds_and_declarations_are_errors() -> None:
    with pytest.raises(GoldError, match="names none of the options"):
        typed_equal("A", "E", AnswerSpec("choice", tuple(OPTS)))
    with pytest.raises(GoldError, match="not an integer"):
        typed_equal("3", "3.5", AnswerSpec("integer"))
    with pytest.raises(GoldError, match="not yes or no"):
        typed_equal("yes", "maybe", AnswerSpec("yes_no"))
    with pytest.raises(ValueError, match="'answer_type'"):
        AnswerSpec.from_meta({"answer_type": "number"})
    with pytest.raises(ValueError, match="'options' is empty"):
        AnswerSpec.from_meta({"answer_type": "choice", "options": []})
    with pytest.raises(ValueError, match="'precision'"):
        AnswerSpec.from_meta({"answer_type": "float", "precision": "2"})
    assert AnswerSpec.from_meta({}) is None


def test_read_typed_from_a_concluding_sentence() -> None:
    choice = AnswerSpec("choice", tuple(OPTS))
    assert read_typed("So the right one is B.", choice, "sentence") == "B"
    assert read_typed("So I would say A is wrong.", choice, "sentence") is None


# profiles -------------------------------------------------------------------------------------
def _choice_sample(gold: str = "6 cm") -> Sample:
    return Sample(
        id="toy/1", question=Q, gold=gold, image=ImageRef(),
        meta={"answer_type": "choice", "options": list(OPTS), "precision": None, "unit": None},
    )


class _ToyTask:
    """Stands in for a Task: profiles only call score, extract, verify and check_gold."""

    def __init__(self) -> None:
        from othink_bench.task import Task

        class Toy(Task):
            id = "toy"
            version = "1"

            def load(self, *a, **k):  # type: ignore[no-untyped-def]
                return []

            def verify(self, answer: str | None, gold: str) -> bool:
                return answer is not None and answer.strip() == gold

        self.task = Toy()


def test_profile_registry() -> None:
    assert set(PROFILES) >= {"strict", "free-form"}
    assert get_profile("free-form").name == "free-form"
    with pytest.raises(ValueError, match="known profiles: .*free-form.*strict"):
        get_profile("lenient")
    with pytest.raises(ValueError, match="already registered"):
        register_profile(get_profile("strict"))


def test_profiles_on_a_choice_sample() -> None:
    task = _ToyTask().task
    strict, free = get_profile("strict"), get_profile("free-form")
    s = _choice_sample()
    assert strict.score(task, s, "<think>.</think><answer>(B) 6 cm</answer>").correct
    assert not strict.score(task, s, "The answer is B.").correct  # no block: strict says no
    assert free.score(task, s, "The answer is B.") == ProfileVerdict("B", True)
    assert free.score(task, s, "Thinking... \\boxed{6\\text{ cm}}") == ProfileVerdict("B", True)
    assert free.score(task, s, "The answer is C.") == ProfileVerdict("C", False)
    assert free.score(task, s, "The answer is F.") == ProfileVerdict(None, False)
    for cls, texts in NON_ANSWERS.items():
        for text in texts:
            v = free.score(task, s, text)
            assert not v.correct and v.non_answer == cls, (cls, text, v)
            w = strict.score(task, s, f"<answer>{text}</answer>")
            assert not w.correct, (cls, text)
    assert strict.score(task, s, "<answer>N/A</answer>").non_answer == "undetermined"


def test_prose_readings_found_on_real_outputs() -> None:
    """Cases of MATH-V's and MathVista's published outputs the official scorers got wrong."""
    letters = AnswerSpec("choice", tuple("ABCDE"))
    assert read_typed("(d)", letters, "boxed") == "D"  # a bracketed lower-case letter
    surds = AnswerSpec("choice", ("$\\sqrt{3} \\mathrm{~cm}$", "$2 \\mathrm{~cm}$", "$3 \\mathrm{~cm}$",
                                  "$2 \\sqrt{3} \\mathrm{~cm}$", "$5 \\sqrt{3} \\mathrm{~cm}$"))
    # numbers inside an expression are not the answer; "= D" names a letter
    assert read_typed("$\\sqrt{75}=5 \\sqrt{3}=D$", surds, "sentence") == "D"
    fractions = AnswerSpec("choice", ("$\\frac{1}{100}$", "$\\frac{1}{300}$", "$\\frac{1}{900}$"))
    assert not typed_equal(read_typed("\\frac{1}{300}", fractions, "boxed"), "C", fractions)
