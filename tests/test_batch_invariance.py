"""Batch invariance check (issue 27, item 5): the counts of changed outputs and verdicts."""

from __future__ import annotations

from harness_fixtures import ToyCount, gold_of

from othink_bench.backends import GenRequest, ScriptedBackend
from othink_bench.batch_invariance import check, padded_requests, requests_for


def test_padded_requests_follow_the_length_sorted_batches() -> None:
    assert padded_requests([5, 5, 5, 5], 2) == 0
    assert padded_requests([3, 9, 4, 9], 1) == 0
    assert padded_requests([3, 9, 4, 9], 2) == 1  # (3, 4): 3 padded; (9, 9): none
    assert padded_requests([3, 9, 4, 9], 4) == 2
    assert padded_requests([], 8) == 0


def test_changes_are_counted_against_batch_one() -> None:
    """A backend that answers wrongly for every third sample once batches exceed 1, and
    rightly for sample 1 only at batch 8: one change each way at 8, the first kind at 4."""
    task = ToyCount(n=12)
    samples = list(task.load(limit=12))
    state = {"batch": 1}

    def script(request: GenRequest) -> str:
        i = int(request.sample_id.rsplit("-", 1)[1])
        g = gold_of(i)
        wrong = state["batch"] > 1 and i % 3 == 0
        if i == 1:
            wrong = state["batch"] != 8
        return f"<think>.</think><answer>{g + 1 if wrong else g}</answer>"

    backend = ScriptedBackend(script)

    def set_batch(b: int) -> None:
        state["batch"] = b
        backend.batch_size = b

    requests = requests_for(task, samples, 16)
    lengths = [10 + i % 4 for i in range(12)]
    r1, r4, r8 = check(backend, set_batch, task, requests, samples, [1, 4, 8], lengths)
    assert (r1.changed_outputs, r1.padded, r1.accuracy) == (0, 0, 11 / 12)
    assert (r4.changed_outputs, r4.became_wrong, r4.became_right) == (4, 4, 0)
    assert (r8.changed_outputs, r8.became_wrong, r8.became_right) == (5, 4, 1)
    assert r4.padded == padded_requests(lengths, 4) > 0
    assert r8.as_dict()["changed_verdicts"] == 5 and len(r8.examples) == 3


def test_the_tiny_model_runs_through_the_check(one_torch_thread: None) -> None:
    """The hf backend at batch 1 and 4 on 6 samples: the figures are measured, not assumed
    (the README reports the full run of benchmarks/batch_invariance.py)."""
    from othink_bench.backends.hf import HFBackend
    from othink_bench.models.tiny import resolve_model
    from othink_bench.registry import get_task

    task = get_task("gr-synth-tiny")
    samples = list(task.load(split="test", source="synthetic", limit=6))
    backend = HFBackend(resolve_model("tiny"), batch_size=1)
    try:
        requests = requests_for(task, samples, task.max_new_tokens)
        lengths = [backend.prompt_tokens(r, 1 << 20) for r in requests]

        def set_batch(b: int) -> None:
            backend.batch_size = backend.requested_batch_size = b

        r1, r4 = check(backend, set_batch, task, requests, samples, [1, 4], lengths)
    finally:
        backend.close()
    assert len(r1.outputs) == len(r4.outputs) == 6 and all(o for o in r1.outputs)
    assert r4.padded == padded_requests(lengths, 4)
    assert 0 <= r4.became_right + r4.became_wrong <= r4.changed_outputs <= 6
