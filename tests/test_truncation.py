"""Outputs cut off at the token budget and open <think> blocks (issue 27, item 3).

Every record says whether generation stopped at max_new_tokens and whether it left a <think>
open; results.json, the run table and the board show both rates, and a warning names runs with
more than 5% cut off, with the budget that held 95% of the outputs that stopped on their own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness_fixtures import gold_of

from leaderboard.collect import collect
from leaderboard.provenance import runs_blocks
from othink_bench.backends import GenRequest, ScriptedBackend
from othink_bench.backends.base import finish_truncated
from othink_bench.harness import evaluate
from othink_bench.harness.present import format_summary
from othink_bench.records import RunRecord, read_records
from othink_bench.results import read_results
from othink_bench.truncation import (
    nearest_rank,
    think_left_open,
    truncation_stats,
    truncation_warning,
)
from othink_bench.verify_records import check_run

BUDGET = 16  # ToyCount.max_new_tokens


def test_think_left_open_reads_the_last_think() -> None:
    assert think_left_open(None) is None
    assert think_left_open("<answer>3</answer>") is False
    assert think_left_open("<think>a</think><answer>3</answer>") is False
    assert think_left_open("<think>counting the cubes, one, two") is True
    assert think_left_open("<think>a</think> <think>again") is True
    assert think_left_open("</think><think>") is True  # the close comes before the open
    assert think_left_open("<THINK>upper case is not the tag") is False


def test_nearest_rank_is_the_budget_that_holds_95_percent() -> None:
    assert nearest_rank([]) is None
    assert nearest_rank([7]) == 7
    values = list(range(1, 101))  # 1..100: 95 of them are <= 95
    assert nearest_rank(values) == 95
    assert nearest_rank(list(range(1, 21))) == 19  # ceil(0.95 * 20) = 19th
    assert sum(v <= nearest_rank(values) for v in values) >= 95  # type: ignore[operator]


def test_finish_reasons() -> None:
    assert finish_truncated("length") is True
    assert finish_truncated("stop") is False
    assert finish_truncated("content_filter") is False
    assert finish_truncated(None) is None
    assert finish_truncated("") is None


def record(i: int, output: str | None, tokens: int | None, truncated: bool | None) -> RunRecord:
    return RunRecord(sample_id=f"s{i}", index=i, task="t", task_version="1", gold="3",
                     output=output, tokens=tokens, truncated=truncated)  # fmt: skip


def test_stats_and_warning_counts_only_what_records_say() -> None:
    recs = [record(i, "<think>long", 16, True) for i in range(2)]
    recs += [record(10 + i, "<think>a</think><answer>3</answer>", 1 + i, False) for i in range(18)]
    recs += [record(40, "old record, field absent", 5, None), record(41, None, None, None)]
    stats = truncation_stats(recs, 16)
    assert (stats.outputs, stats.known, stats.truncated) == (21, 20, 2)
    assert (stats.with_text, stats.think_open) == (21, 2)
    assert stats.budget_p95 == 18  # tokens 1..18, the 18th of 18 (ceil(0.95 * 18) = 18)
    assert stats.warn  # 2 of 20 = 10% > 5%
    warning = truncation_warning("vc", stats)
    assert warning is not None
    assert "2 of 20 outputs (10.0%) were cut off at max_new_tokens 16" in warning
    assert "18 new tokens held 95% of the 18 outputs that stopped on their own" in warning
    one = truncation_stats(recs[1:], 16)  # 1 of 19 = 5.3%: still named
    assert one.warn
    at_five = truncation_stats(recs[1:] + [record(60 + i, "x", 2, False) for i in range(1)], 16)
    assert at_five.truncated_share == pytest.approx(0.05) and not at_five.warn  # 1 of 20
    assert truncation_warning("vc", at_five) is None
    none_known = truncation_stats([record(0, "x", 3, None)], 16)
    assert none_known.truncated_share is None and not none_known.warn


def cut_script(cut: set[int]) -> ScriptedBackend:
    """Right answers, except samples in ``cut``: an open <think> cut off at the budget."""

    def script(request: GenRequest) -> object:
        i = int(request.sample_id.rsplit("-", 1)[1])
        if i in cut:
            return {"text": "<think>one, two, three", "tokens": BUDGET, "truncated": True}
        return {"text": f"<think>.</think><answer>{gold_of(i)}</answer>", "tokens": 4 + i % 5,
                "truncated": False}  # fmt: skip

    script.__qualname__ = f"cut_{sorted(cut)}"
    return ScriptedBackend(script)


def test_records_results_table_and_board_show_both_rates(toys: None, tmp_path: Path) -> None:
    (s,) = evaluate("m", "toy-count", backend=cut_script({0, 5, 9}), out=tmp_path, limit=20,
                    progress=False)  # fmt: skip
    recs = read_records(s.run_dir / "records.jsonl")
    by_index = {r.index: r for r in recs}
    assert by_index[5].truncated is True and by_index[5].think_open is True
    assert by_index[5].tokens == BUDGET and by_index[5].correct is False
    assert by_index[1].truncated is False and by_index[1].think_open is False
    raw = json.loads((s.run_dir / "records.jsonl").read_text().splitlines()[0])
    assert "truncated" in raw and "think_open" in raw
    assert check_run(s.run_dir).ok

    results = read_results(s.run_dir)
    assert results.truncated is not None and (results.truncated.k, results.truncated.n) == (3, 20)
    assert results.think_open is not None and results.think_open.k == 3
    assert results.truncation_warning is True
    assert results.budget_p95 == 8  # tokens 4..8 over the 17 that stopped

    table = format_summary([s])
    assert "cut off %" in table and "think open %" in table
    assert "15.0" in table  # 3 of 20, in both columns
    assert "warning: toy-count: 3 of 20 outputs (15.0%) were cut off at max_new_tokens 16" in table

    board = runs_blocks(collect([tmp_path]))
    text = json.dumps([getattr(b, "text", None) for b in board])
    assert "more than 5% of their outputs cut off" in text and "3 of 20 outputs" in text
    table_block = board[2]
    header = table_block.table.header  # type: ignore[attr-defined]
    row = table_block.table.rows[0]  # type: ignore[attr-defined]
    assert row[header.index("cut off")].plain == "15.0"
    assert row[header.index("think open")].plain == "15.0"
    from leaderboard import build_board

    (data,) = build_board([tmp_path], plots=False).data["runs"]  # board.json / board.csv rows
    assert data["truncated_rate"] == pytest.approx(0.15) and data["budget_p95"] == 8
    assert data["think_open_rate"] == pytest.approx(0.15)


def test_a_run_under_five_percent_is_not_named(toys: None, tmp_path: Path) -> None:
    (s,) = evaluate("m", "toy-count", backend=cut_script({3}), out=tmp_path, limit=20,
                    progress=False)  # fmt: skip
    assert read_results(s.run_dir).truncation_warning is False  # 1 of 20 = 5%: not more
    assert "were cut off" not in format_summary([s])


def rows(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "records.jsonl").read_text().splitlines()]


def write(run: Path, data: list[dict]) -> None:
    (run / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in data))


def test_old_records_without_the_fields_load_and_verify(toys: None, tmp_path: Path) -> None:
    (s,) = evaluate("m", "toy-count", backend=cut_script({0}), out=tmp_path, limit=20,
                    progress=False)  # fmt: skip
    data = rows(s.run_dir)
    for r in data:
        r.pop("truncated")
        r.pop("think_open")
    write(s.run_dir, data)
    check = check_run(s.run_dir)
    assert check.ok, check.problems
    stats = truncation_stats(check.records, BUDGET)
    assert stats.known == 0 and stats.think_open == 1  # read from the text of the old record


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("think_open", False, "says think_open=False"),
        ("tokens", 9, "holds 9 new tokens where the manifest's max_new_tokens is 16"),
        ("truncated", False, None),  # 16 tokens that stopped on their own: possible, passes
    ],
)
def test_tampered_cut_off_fields_are_refused(
    toys: None, tmp_path: Path, field: str, value: object, needle: str | None
) -> None:
    (s,) = evaluate("m", "toy-count", backend=cut_script({0}), out=tmp_path, limit=20,
                    progress=False)  # fmt: skip
    data = rows(s.run_dir)
    (first,) = [r for r in data if r["index"] == 0]
    first[field] = value
    write(s.run_dir, data)
    check = check_run(s.run_dir)
    if needle is None:
        assert check.ok, check.problems
    else:
        assert not check.ok and needle in check.reason()


def test_more_tokens_than_the_budget_is_refused(toys: None, tmp_path: Path) -> None:
    (s,) = evaluate("m", "toy-count", backend=cut_script(set()), out=tmp_path, limit=20,
                    progress=False)  # fmt: skip
    data = rows(s.run_dir)
    data[3]["tokens"] = 40
    write(s.run_dir, data)
    check = check_run(s.run_dir)
    assert not check.ok and "more than the manifest's max_new_tokens 16" in check.reason()


def test_hf_backend_marks_outputs_cut_at_the_budget(one_torch_thread: None) -> None:
    """The real transformers path: a budget of 2 new tokens cuts every answer of the tiny model
    (it writes a <think> block first); a budget of 256 lets them stop (the bundled tiny model
    answers in about 20 tokens)."""
    from othink_bench.backends.hf import HFBackend
    from othink_bench.models.tiny import resolve_model

    image = __import__("PIL.Image", fromlist=["Image"]).new("RGB", (56, 56), (200, 30, 30))
    messages = [{"role": "user", "content": [{"type": "image"},
                                             {"type": "text", "text": "How many objects?"}]}]

    def requests(budget: int) -> list[GenRequest]:
        return [GenRequest(sample_id=f"s{i}", messages=messages, images=[image],
                           max_new_tokens=budget) for i in range(3)]  # fmt: skip

    backend = HFBackend(resolve_model("tiny"), batch_size=3)
    try:
        from othink_bench.backends.base import generate_all

        short = generate_all(backend, requests(2))
        assert all(r.truncated is True and r.tokens == 2 for r in short)
        long = generate_all(backend, requests(256))
        assert all(r.truncated is False and r.tokens is not None and r.tokens < 256 for r in long)
    finally:
        backend.close()


def test_vllm_backend_reads_finish_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """The vllm path without vLLM: an engine stand-in answering with vLLM's documented output
    shape (RequestOutput.outputs[0] with text, token_ids, finish_reason)."""
    import sys
    from types import SimpleNamespace

    from othink_bench.backends.vllm import VLLMBackend

    monkeypatch.setitem(sys.modules, "vllm", SimpleNamespace(SamplingParams=dict))
    reasons = ["stop", "length", None]

    class Engine:
        def generate(self, inputs: list, sampling_params: list, use_tqdm: bool) -> list:
            return [SimpleNamespace(outputs=[SimpleNamespace(
                text="<think>x" if r == "length" else "<answer>3</answer>",
                token_ids=[1] * (p["max_tokens"] if r == "length" else 3), finish_reason=r)])
                for r, p in zip(reasons, sampling_params, strict=True)]  # fmt: skip

    class Processor:
        def apply_chat_template(self, messages: list, **kw: object) -> str:
            return "prompt"

    be = VLLMBackend("owner/model")
    be._llm, be._processor = Engine(), Processor()
    reqs = [GenRequest(sample_id=f"s{i}", messages=[{"role": "user", "content": "q"}],
                       max_new_tokens=8) for i in range(3)]  # fmt: skip
    from othink_bench.backends.base import generate_all

    out = generate_all(be, reqs)
    assert [r.truncated for r in out] == [False, True, None]
    assert out[1].tokens == 8
