"""The ``math-verify-whole`` scoring profile: math_verify on the whole output, no tags needed.

R1-V's GeoQA script scores this way (``parse`` of the whole output, ``verify`` against the
parsed gold; github.com/Deep-Agent/R1-V ``src/eval/test_qwen2vl_geoqa.py``), so a number it
matters for can be compared with its scorer: a number anywhere in the reasoning may be taken,
and an output with no ``</answer>`` can still be credited. The calls run in a worker process
under a deadline (:mod:`othink_bench.answers.mathverify_worker`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from othink_bench.answers.mathverify_worker import shared_worker
from othink_bench.answers.profiles import ProfileVerdict

if TYPE_CHECKING:
    from othink_bench.task import Sample, Task


def math_verify_whole(output: str, gold: str) -> ProfileVerdict:
    """math_verify's parse of the whole output against its parse of the gold, as R1-V calls
    them (:meth:`~othink_bench.answers.mathverify_worker.MathVerifyWorker.check`)."""
    extracted, correct = shared_worker().check(output, gold)
    return ProfileVerdict(extracted, correct)


class MathVerifyWholeProfile:
    #: whose verdicts this reproduces: a peer's scorer, exempt from the project's answer policy
    #: (it credits what the peer credits, non-answers included)
    peer = "math_verify on the whole output, as R1-V's GeoQA script"
    name = "math-verify-whole"
    description = "math_verify on the whole output (no tags needed), as R1-V's GeoQA script"

    def score(self, task: Task, sample: Sample, output: str) -> ProfileVerdict:
        return math_verify_whole(output or "", sample.gold)
