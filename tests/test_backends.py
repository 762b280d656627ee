"""Backends: the scripted one, model identity, the hf backend on a tiny real Qwen2-VL (batched
left-padded generation equals one-at-a-time, length sorting, OOM halving, failure isolation),
and how the vllm backend builds its requests (runs without vLLM; the engine test needs a GPU)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from harness_fixtures import ToyCount

from othink_bench.backends import GenRequest, ScriptedBackend, generate_all, make_backend
from othink_bench.backends.base import (
    fingerprint_model_dir,
    model_identity,
    request_seed,
)

TOY = ToyCount(n=12, question_len=[0, 6, 2, 11])
Pair = tuple[Any, Any]  # (model, processor)


def requests(n: int = 12, **kw: object) -> list[GenRequest]:
    return [
        GenRequest(sample_id=s.id, messages=TOY.prompt(s), images=[s.image.load()], **kw)
        for s in TOY.load(limit=n)
    ]


# -- scripted ---------------------------------------------------------------------------------


def test_scripted_mapping_default_k_keys_and_errors() -> None:
    reqs = [
        GenRequest(sample_id="a", messages=[]),
        GenRequest(sample_id="a", messages=[], k=1),
        GenRequest(sample_id="b", messages=[]),
        GenRequest(sample_id="c", messages=[]),
        GenRequest(sample_id="d", messages=[]),
    ]
    be = ScriptedBackend(
        {"a": "A0", "a#1": "A1", "b": {"error": "server fell over"}, "c": "C"},
        batch_size=2,
    )
    out = generate_all(be, reqs)
    assert [r.text for r in out] == ["A0", "A1", None, "C", None]
    assert out[2].error == "server fell over"
    assert out[4].error is not None and "no output for d#0" in out[4].error
    assert be.calls == [["a#0", "a#1"], ["b#0", "c#0"], ["d#0"]]
    be2 = ScriptedBackend({}, default="<answer>1</answer>")
    assert generate_all(be2, reqs[:1])[0].text == "<answer>1</answer>"


def test_scripted_callable_failure_is_one_result_not_an_exception() -> None:
    def script(r: GenRequest) -> str:
        if r.sample_id == "bad":
            raise RuntimeError("no")
        return r.sample_id.upper()

    out = generate_all(
        ScriptedBackend(script), [GenRequest(sample_id=s, messages=[]) for s in ("x", "bad", "y")]
    )
    assert [r.text for r in out] == ["X", None, "Y"]
    assert out[1].error == "RuntimeError: no"


def test_make_backend_dispatches_and_drops_foreign_options(tmp_path: Path) -> None:
    spec = tmp_path / "script.json"
    spec.write_text(json.dumps({"outputs": {"s": "hi"}, "default": "d", "delay_s": 0}))
    be = make_backend("scripted", str(spec), batch_size=3, base_url="http://ignored", dtype="fp32")
    assert isinstance(be, ScriptedBackend) and be.batch_size == 3
    assert generate_all(be, [GenRequest(sample_id="s", messages=[])])[0].text == "hi"
    # the identity covers the script's content, not its delay
    spec2 = tmp_path / "script2.json"
    spec2.write_text(json.dumps({"outputs": {"s": "hi"}, "default": "d", "delay_s": 5}))
    assert make_backend("scripted", str(spec2)).identity() == be.identity()
    hf = make_backend("hf", "owner/model", batch_size=5, base_url="x", api_key="k")
    assert hf.name == "hf" and hf.window == 5 * 16  # built lazily: nothing was loaded
    with pytest.raises(ValueError, match="unknown backend"):
        make_backend("tgi", "m")
    with pytest.raises(FileNotFoundError, match="scripted backend takes --model FILE.json"):
        make_backend("scripted", str(tmp_path / "missing.json"))


def test_request_seed_depends_only_on_seed_sample_and_draw() -> None:
    assert request_seed(0, "s1", 0) == request_seed(0, "s1", 0)
    seeds = {
        request_seed(0, "s1", 0),
        request_seed(0, "s1", 1),
        request_seed(1, "s1", 0),
        request_seed(0, "s2", 0),
    }
    assert len(seeds) == 4 and all(0 <= s < 2**31 for s in seeds)


# -- model identity ---------------------------------------------------------------------------


def fake_checkpoint(root: Path, weights: bytes) -> Path:
    root.mkdir(parents=True)
    (root / "config.json").write_text('{"model_type": "qwen2_vl"}')
    (root / "model.safetensors").write_bytes(weights)
    return root


def test_fingerprint_follows_content_not_path(tmp_path: Path) -> None:
    blob = bytes(range(256)) * 40_000  # ~10 MB: probes, not a full read
    a = fake_checkpoint(tmp_path / "a" / "checkpoint-100", blob)
    fa = fingerprint_model_dir(a)
    moved = tmp_path / "elsewhere"
    shutil.copytree(a, moved)
    assert fingerprint_model_dir(moved) == fa
    (moved / "optimizer.pt").write_bytes(b"trainer state is not the model")
    assert fingerprint_model_dir(moved) == fa
    # training changes (nearly) every tensor; a frozen head of the file must not hide it
    trained = blob[:2_000_000] + bytes((x + 1) % 256 for x in blob[2_000_000:])
    b = fake_checkpoint(tmp_path / "b" / "checkpoint-100", trained)
    assert fingerprint_model_dir(b) != fa
    (a / "config.json").write_text('{"model_type": "qwen2_vl", "hidden_size": 8}')
    assert fingerprint_model_dir(a) != fa


def test_model_identity_kinds(tmp_path: Path) -> None:
    ckpt = fake_checkpoint(tmp_path / "ckpt", b"w" * 100)
    assert model_identity(str(ckpt)) == {"fingerprint": fingerprint_model_dir(ckpt)}
    assert model_identity("Qwen/Qwen2-VL-2B-Instruct") == {
        "hub_id": "Qwen/Qwen2-VL-2B-Instruct",
        "revision": "main",
    }
    assert model_identity("Qwen/Qwen2-VL-2B-Instruct", "abc")["revision"] == "abc"
    with pytest.raises(FileNotFoundError, match="neither a checkpoint folder"):
        model_identity(str(tmp_path / "no" / "such" / "dir"))
    with pytest.raises(FileNotFoundError, match="is a file"):
        model_identity(str(ckpt / "config.json"))


# -- hf on the tiny Qwen2-VL --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory):
    import torch

    from othink_bench.models.tiny import build_tiny

    # One intra-op thread: the tiny is too small to gain from more, and on a shared 2-core
    # machine OpenMP spin-waiting makes a busy pool 30x slower.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield build_tiny(tmp_path_factory.mktemp("tiny") / "ckpt", seed=0)
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def lively_tiny(tiny_dir: Path):
    """The tiny with larger random weights, so greedy outputs differ from prompt to prompt
    (the stock random init answers every prompt with the same token)."""
    import torch

    from othink_bench.models.processor import load_model

    model, processor = load_model(str(tiny_dir), dtype="fp32", device="cpu")
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    return model, processor


def test_hf_batched_left_padded_equals_one_at_a_time(tiny_dir: Path, lively_tiny: Pair) -> None:
    from othink_bench.backends.hf import HFBackend

    reqs = requests(8, max_new_tokens=6)
    single = generate_all(HFBackend(str(tiny_dir), batch_size=1, loaded=lively_tiny), reqs)
    batched_be = HFBackend(str(tiny_dir), batch_size=3, loaded=lively_tiny)
    batched = generate_all(batched_be, reqs)
    texts = [r.text for r in single]
    assert len(set(texts)) >= 6, "the lively tiny should answer prompts differently"
    assert [r.text for r in batched] == texts
    assert all(r.ok and r.tokens is not None and 1 <= r.tokens <= 6 for r in batched)
    assert all(r.latency_s is not None and r.latency_s > 0 for r in batched)


def test_hf_batches_are_sorted_by_prompt_length(
    tiny_dir: Path, lively_tiny: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    from othink_bench.backends.hf import HFBackend

    be = HFBackend(str(tiny_dir), batch_size=3, loaded=lively_tiny)
    reqs = requests(12, max_new_tokens=2)
    seen: list[list[str]] = []
    real = be._generate_now

    def spy(batch, texts, *prepared):
        seen.append([r.sample_id for r in batch])
        return real(batch, texts, *prepared)

    monkeypatch.setattr(be, "_generate_now", spy)
    groups = list(be.generate(reqs))
    assert [len(g) for g in groups] == [3, 3, 3, 3]
    qlen = {r.sample_id: len(r.messages[0]["content"][1]["text"]) for r in reqs}
    flat = [qlen[s] for batch in seen for s in batch]
    assert flat == sorted(flat)  # question lengths 0/6/2/11 repeats: batches by length
    assert {i for g in groups for i, _ in g} == set(range(12))


def test_hf_reuses_the_prompt_lengths_it_counted_for_the_context_check(
    tiny_dir: Path, lively_tiny: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prompt_tokens() counts each kept prompt exactly; prepare() sorts by those same numbers
    instead of tokenizing the window again, and the plan is the one counted from scratch."""
    import othink_bench.backends.hf_prompts as hf_prompts
    from othink_bench.backends.hf import HFBackend

    reqs = requests(12, max_new_tokens=2)
    fresh = HFBackend(str(tiny_dir), batch_size=3, loaded=lively_tiny)
    scratch = fresh._length_keys(reqs, fresh._texts(reqs)[0], fresh._processor)
    be = HFBackend(str(tiny_dir), batch_size=3, loaded=lively_tiny)
    assert [be.prompt_tokens(r, 10_000) for r in reqs] == scratch
    counted: list[int] = []
    real = hf_prompts.text_tokens
    monkeypatch.setattr(
        hf_prompts, "text_tokens", lambda p, texts: counted.append(len(texts)) or real(p, texts)
    )
    plan = be.prepare(reqs).plan
    assert counted == []  # no prompt tokenized twice
    assert plan.order == fresh._order(reqs, fresh._texts(reqs)[0], fresh._processor)
    assert sum(len(b) for b in plan.inputs) == len(reqs)


def test_hf_templates_and_counts_each_distinct_prompt_once(
    tiny_dir: Path, lively_tiny: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """12 requests asking 4 distinct questions: the chat template is rendered and the text
    tokenized 4 times, and every length and text is what rendering each one gives."""
    import othink_bench.backends.hf_prompts as hf_prompts
    from othink_bench.backends.hf import HFBackend

    reqs = requests(12, max_new_tokens=2)
    fresh = HFBackend(str(tiny_dir), batch_size=3, loaded=lively_tiny)
    processor = fresh._processor
    texts = [hf_prompts.render_prompt(processor, r) for r in reqs]
    images = [hf_prompts.image_tokens(processor, r) for r in reqs]
    exact = [
        hf_prompts.bounded_prompt_tokens(processor, t, n, 10_000)
        for t, n in zip(texts, images, strict=True)
    ]
    rendered: list[str] = []
    counted: list[str] = []
    real_render, real_count = hf_prompts.render_prompt, hf_prompts.bounded_prompt_tokens
    monkeypatch.setattr(hf_prompts, "render_prompt",
                        lambda p, r: rendered.append(r.sample_id) or real_render(p, r))  # fmt: skip
    monkeypatch.setattr(hf_prompts, "bounded_prompt_tokens",
                        lambda p, t, n, cap: counted.append(t) or real_count(p, t, n, cap))  # fmt: skip
    be = HFBackend(str(tiny_dir), batch_size=3, loaded=lively_tiny)
    assert [be.prompt_tokens(r, 10_000) for r in reqs] == exact
    assert len(rendered) == 4 and len(counted) == 4
    assert be._texts(reqs)[0] == texts

    # A prompt past the budget: the same bound as counting it afresh, for each budget asked.
    memo = hf_prompts.PromptMemo()
    long = GenRequest(sample_id="long", messages=TOY.prompt(TOY.load(limit=1)[0]))
    long.messages[0]["content"][1]["text"] = "seven " * 3000
    text = memo.text(processor, long)
    for cap in (50, 10_000, 50):
        assert memo.bounded_tokens(processor, text, 7, cap) == real_count(processor, text, 7, cap)
    assert memo.bounded_tokens(processor, text, 7, 50) > 50


def test_hf_halves_the_batch_on_cuda_oom(
    tiny_dir: Path, lively_tiny: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    from othink_bench.backends.hf import HFBackend

    be = HFBackend(str(tiny_dir), batch_size=8, loaded=lively_tiny)
    real = be._generate_now
    sizes: list[int] = []

    def tight_memory(batch, texts, *prepared):
        sizes.append(len(batch))
        if len(batch) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(batch, texts, *prepared)

    monkeypatch.setattr(be, "_generate_now", tight_memory)
    out = generate_all(be, requests(8, max_new_tokens=2))
    assert all(r.ok for r in out)
    assert be.batch_size == 2 and sizes[:3] == [8, 4, 2]
    # The rest of a failed batch goes at the reduced size, never again at one that just failed.
    assert sizes == [8, 4, 2, 2, 2, 2]
    assert be.describe()["batch_size_after_oom"] == 2

    def no_memory(batch, texts, *prepared):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(be, "_generate_now", no_memory)
    out = generate_all(be, requests(3, max_new_tokens=2))
    assert all(not r.ok and "out of memory at batch size 1" in (r.error or "") for r in out)


def test_hf_processes_the_next_batch_ahead_and_falls_back_after_an_oom(
    tiny_dir: Path, lively_tiny: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import torch

    from othink_bench.backends.hf import HFBackend

    reqs = requests(12, max_new_tokens=3)
    plain = [r.text for r in generate_all(HFBackend(str(tiny_dir), batch_size=4,
                                                    loaded=lively_tiny), reqs)]  # fmt: skip
    be = HFBackend(str(tiny_dir), batch_size=4, loaded=lively_tiny)
    real_inputs, real_now = be._inputs, be._generate_now
    where: list[str] = []

    def inputs(processor, batch, texts):
        where.append(threading.current_thread().name)
        return real_inputs(processor, batch, texts)

    monkeypatch.setattr(be, "_inputs", inputs)
    assert [r.text for r in generate_all(be, reqs)] == plain  # same batches, same outputs
    # batch 1 is processed inline, batches 2 and 3 ahead while the one before generates
    names = sorted(w.split("_")[0] for w in where)
    assert names == ["MainThread", "othink-hf-ahead", "othink-hf-ahead"]
    # ... and batch 1 is done before the look-ahead starts, not processed alongside it
    events: list[tuple[str, str]] = []

    def timed(processor, batch, texts):
        name = threading.current_thread().name.split("_")[0]
        events.append(("start", name))
        out = real_inputs(processor, batch, texts)
        events.append(("end", name))
        return out

    monkeypatch.setattr(be, "_inputs", timed)
    generate_all(be, reqs)
    assert events[:3] == [("start", "MainThread"), ("end", "MainThread"),
                          ("start", "othink-hf-ahead")]  # fmt: skip

    def tight(batch, texts, *prepared):  # the second batch of 4 runs out of memory
        if len(batch) > 2 and any(r.sample_id.endswith(("0004", "0005")) for r in batch):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return real_now(batch, texts, *prepared)

    monkeypatch.setattr(be, "_generate_now", tight)
    out = generate_all(be, reqs)
    assert all(r.ok for r in out) and be.batch_size == 2  # guesses of size 4 were not used


def test_hf_isolates_a_failing_request(
    tiny_dir: Path, lively_tiny: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    from othink_bench.backends.hf import HFBackend

    be = HFBackend(str(tiny_dir), batch_size=4, loaded=lively_tiny)
    real = be._generate_now

    def flaky(batch, texts, *prepared):
        if any(r.sample_id.endswith("0005") for r in batch):
            raise ValueError("cannot process this image")
        return real(batch, texts, *prepared)

    monkeypatch.setattr(be, "_generate_now", flaky)
    reqs = requests(6, max_new_tokens=2)
    out = generate_all(be, reqs)
    bad = [r.sample_id for r, o in zip(reqs, out, strict=True) if not o.ok]
    assert bad == ["toy-count-0005"]
    assert "cannot process this image" in (out[5].error or "")


def test_hf_a_batch_whose_processing_fails_is_not_processed_again_ahead_of_its_turn(
    tiny_dir: Path, lively_tiny: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look-ahead fails on batch 2: it is processed once more inline (where the failure is
    handled, request by request), not again before that; the other requests are answered."""
    from othink_bench.backends.hf import HFBackend

    be = HFBackend(str(tiny_dir), batch_size=4, loaded=lively_tiny)
    reqs = requests(12, max_new_tokens=2)
    order = be._order(reqs, be._texts(reqs)[0], be._processor)
    bad = reqs[order[5]].sample_id  # in the second batch, which the look-ahead processes
    real = be._inputs
    tries: list[int] = []

    def failing(processor, batch, texts):
        if any(r.sample_id == bad for r in batch):
            tries.append(len(batch))
            raise ValueError("cannot process this image")
        return real(processor, batch, texts)

    monkeypatch.setattr(be, "_inputs", failing)
    out = generate_all(be, reqs)
    assert [r.sample_id for r, o in zip(reqs, out, strict=True) if not o.ok] == [bad]
    assert tries == [4, 4, 1]  # ahead, inline in its turn, then alone


def test_hf_loads_lazily_and_records_identity(tiny_dir: Path) -> None:
    from othink_bench.backends.hf import HFBackend

    be = HFBackend(str(tiny_dir), dtype="fp32", device="cpu")
    ident = be.identity()
    assert be._model is None  # identity never loads weights
    assert ident == {
        "backend": "hf",
        "model": {"fingerprint": fingerprint_model_dir(tiny_dir)},
        "dtype": "float32",
    }
    out = generate_all(be, requests(2, max_new_tokens=4))
    assert all(r.ok for r in out)
    info = be.describe()
    assert info["device"] == "cpu" and info["model_class"] == "Qwen2VLForConditionalGeneration"
    assert info["parameters"] > 0


def test_hf_seeded_sampling_is_reproducible(tiny_dir: Path, lively_tiny: Pair) -> None:
    from othink_bench.backends.hf import HFBackend

    def draw(seed: int) -> list[str | None]:
        reqs = [
            GenRequest(
                sample_id=r.sample_id,
                messages=r.messages,
                images=r.images,
                max_new_tokens=8,
                temperature=1.0,
                seed=request_seed(seed, r.sample_id, 0),
            )
            for r in requests(4)
        ]
        be = HFBackend(str(tiny_dir), batch_size=2, loaded=lively_tiny)
        return [r.text for r in generate_all(be, reqs)]

    import torch

    state = torch.random.get_rng_state()
    assert draw(0) == draw(0)
    assert draw(0) != draw(1)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's RNG is untouched


# -- vllm ---------------------------------------------------------------------------------------


def test_vllm_requests_use_the_chat_template_and_multi_modal_data(tiny_dir: Path) -> None:
    from othink_bench.backends.vllm import build_inputs, sampling_kwargs
    from othink_bench.models.processor import load_processor

    processor = load_processor(str(tiny_dir))
    reqs = requests(2, max_new_tokens=64)
    inputs = build_inputs(processor, reqs)
    assert len(inputs) == 2
    prompt = inputs[0]["prompt"]
    assert prompt.count("<|vision_start|><|image_pad|><|vision_end|>") == 1
    assert "How many objects are there?" in prompt
    assert "<answer> </answer> tags." in prompt
    assert prompt.endswith("<|im_start|>assistant\n")
    assert inputs[0]["multi_modal_data"]["image"] is reqs[0].images[0]
    text_only = build_inputs(
        processor,
        [
            GenRequest(
                sample_id="t",
                messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            )
        ],
    )
    assert "multi_modal_data" not in text_only[0]
    assert sampling_kwargs(reqs[0]) == {"max_tokens": 64, "temperature": 0.0, "n": 1}
    sampled = GenRequest(sample_id="s", messages=[], temperature=0.7, top_p=0.9, seed=11)
    assert sampling_kwargs(sampled) == {
        "max_tokens": 256,
        "temperature": 0.7,
        "n": 1,
        "top_p": 0.9,
        "seed": 11,
    }


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed")
def test_vllm_backend_without_vllm_names_the_install(tiny_dir: Path) -> None:
    from othink_bench.backends.vllm import VLLMBackend

    be = VLLMBackend(str(tiny_dir))
    assert be.identity()["model"] == {"fingerprint": fingerprint_model_dir(tiny_dir)}
    with pytest.raises(ImportError, match=r"pip install 'othink-bench\[vllm\]'"):
        list(be.generate(requests(1)))


def _has_cuda() -> bool:
    try:
        import torch

        return bool(torch.cuda.is_available())
    except ImportError:
        return False


@pytest.mark.gpu
@pytest.mark.skipif(
    importlib.util.find_spec("vllm") is None or not _has_cuda(), reason="needs vLLM and a CUDA GPU"
)
def test_vllm_generates_like_hf_on_the_tiny(tiny_dir: Path) -> None:
    from othink_bench.backends.hf import HFBackend
    from othink_bench.backends.vllm import VLLMBackend

    reqs = requests(6, max_new_tokens=8)
    vl = VLLMBackend(str(tiny_dir), dtype="fp32", gpu_memory_utilization=0.3, max_model_len=1024)
    out = generate_all(vl, reqs)
    assert all(r.ok for r in out)
    hf = generate_all(HFBackend(str(tiny_dir), dtype="fp32", device="cuda"), reqs)
    assert sum(a.text == b.text for a, b in zip(out, hf, strict=True)) >= 4
