"""The openai backend against a real HTTP server on 127.0.0.1 speaking the chat format.

The server "looks" at the image: the toy images encode their sample index in a pixel colour, so
it can only answer correctly if the base64 PNG data URL arrived intact. It can also fail on
purpose (500 once, 429 with Retry-After, 400, a stall past the client's timeout) to exercise
retries, backoff and per-request failures; it tracks how many requests are in flight at once.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from harness_fixtures import ToyCount, gold_of, install
from PIL import Image

from othink_bench.backends import GenRequest, generate_all
from othink_bench.backends.openai import OpenAIBackend, reply_text, to_openai_messages
from othink_bench.harness import evaluate
from othink_bench.records import read_manifest, read_records
from othink_bench.registry import unregister

TOY = ToyCount(n=12)


class ChatServer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.attempts: Counter[int] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        # sample index -> list of behaviours for successive attempts ("500", "429", "400",
        # "stall"; "trickle": a byte every 0.2 s; "never": no answer until closed; "huge": 50 MB;
        # "message_str" / "bad_usage": one malformed field); then the server answers normally
        self.script: dict[int, list[str]] = {}
        self.closing = threading.Event()
        self.delay_s = 0.0
        # how the server answers: "content" (the whole text), or the reasoning split off into
        # this message field, as vLLM's reasoning parsers and transformers serve do
        self.split_field: str | None = None
        self.fingerprint: str | None = None
        # GET /models: the listing (None answers 404), and whether `created` is a request stamp
        self.models: list[dict[str, Any]] | None = [
            {"id": "served-model", "object": "model", "owned_by": "vllm", "root": "/ckpt/a"}
        ]
        self.stamp_created = False
        self.trickle_models = False  # GET /models answers a byte every 0.2 s
        self.model_reads = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep pytest output clean
                return

            def do_POST(self) -> None:
                server.handle(self)

            def do_GET(self) -> None:
                server.list_models(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self._respond(h)
        finally:
            with self.lock:
                self.in_flight -= 1

    def list_models(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.model_reads += 1
        if self.trickle_models:
            return self._trickle(h)
        if h.path != "/v1/models" or self.models is None:
            return self._send(h, 404, {"error": {"message": f"no route {h.path}"}})
        entries = [dict(m) for m in self.models]
        if self.stamp_created:  # vLLM: `created` is the time of this request
            for e in entries:
                e["created"] = int(time.time())
        return self._send(h, 200, {"object": "list", "data": entries})

    def _respond(self, h: BaseHTTPRequestHandler) -> None:
        if h.path != "/v1/chat/completions":
            return self._send(h, 404, {"error": {"message": f"no route {h.path}"}})
        body = json.loads(h.rfile.read(int(h.headers["Content-Length"])))
        image = self._image(body)
        index = image.getpixel((0, 0))[2]  # toy_image: blue = 200 - i % 50
        index = 200 - index
        with self.lock:
            self.bodies.append(body)
            self.headers.append(dict(h.headers))
            attempt = self.attempts[index]
            self.attempts[index] += 1
        plan = self.script.get(index, [])
        action = plan[attempt] if attempt < len(plan) else "ok"
        if self.delay_s:
            time.sleep(self.delay_s)
        if action == "500":
            return self._send(h, 500, {"error": {"message": "internal error"}})
        if action == "429":
            return self._send(h, 429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
        if action == "400":
            return self._send(h, 400, {"error": {"message": "image too large"}})
        if action == "stall":
            time.sleep(1.0)
        if action == "never":
            self.closing.wait(120)
            return None
        if action == "trickle":
            return self._trickle(h)
        g = gold_of(index)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": f"<think>I see {g}.</think><answer>{g}</answer>",
        }
        if self.split_field is not None:
            message.update(content=f"<answer>{g}</answer>", **{self.split_field: f"I see {g}."})
        answer: dict[str, Any] = {
            "id": f"chatcmpl-{index}",
            "object": "chat.completion",
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 9, "total_tokens": 39},
        }
        if self.fingerprint is not None:
            answer["system_fingerprint"] = self.fingerprint
        if action == "huge":  # a server that ignores max_tokens
            message["content"] = "x" * (50 << 20)
        if action == "message_str":
            answer["choices"][0]["message"] = "just a string"
        if action == "bad_usage":
            answer["usage"]["completion_tokens"] = "n/a"
        if action == "length":  # cut off at max_tokens
            answer["choices"][0]["finish_reason"] = "length"
            message["content"] = "<think>I see"
        if action == "no_reason":
            del answer["choices"][0]["finish_reason"]
        return self._send(h, 200, answer)

    @staticmethod
    def _image(body: dict[str, Any]) -> Image.Image:
        (part,) = [p for p in body["messages"][0]["content"] if p["type"] == "image_url"]
        url = part["image_url"]["url"]
        assert url.startswith("data:image/png;base64,")
        return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")

    def _trickle(self, h: BaseHTTPRequestHandler) -> None:
        """A valid-looking answer sent one byte at a time, each well within a socket timeout."""
        try:
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            for _ in range(600):
                if self.closing.wait(0.2):
                    return
                h.wfile.write(b" ")
                h.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client cut it: as it should
            return

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler,
        code: int,
        data: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        raw = json.dumps(data).encode()
        try:
            h.send_response(code)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            return


@pytest.fixture
def server() -> Iterator[ChatServer]:
    s = ChatServer()
    yield s
    s.close()


def requests(n: int) -> list[GenRequest]:
    return [
        GenRequest(
            sample_id=s.id, messages=TOY.prompt(s), images=[s.image.load()], max_new_tokens=64
        )
        for s in TOY.load(limit=n)
    ]


def backend(server: ChatServer, **kw: Any) -> OpenAIBackend:
    kw.setdefault("backoff_s", 0.01)
    return OpenAIBackend("served-model", base_url=server.url, api_key="sk-test", **kw)


def test_messages_carry_images_as_png_data_urls() -> None:
    (req,) = requests(1)
    msgs = to_openai_messages(req.messages, req.images)
    parts = msgs[0]["content"]
    assert [p["type"] for p in parts] == ["image_url", "text"]
    assert parts[1]["text"].startswith("How many objects are there?")
    with pytest.raises(ValueError, match="more image placeholders"):
        to_openai_messages(req.messages, [])


def test_answers_retries_a_500_and_sends_the_image(server: ChatServer) -> None:
    server.script = {2: ["500"], 5: ["429", "500"]}
    be = backend(server)
    reqs = requests(8)
    out = generate_all(be, reqs)
    assert all(r.ok for r in out), [r.error for r in out]
    assert [r.text for r in out] == [
        f"<think>I see {gold_of(i)}.</think><answer>{gold_of(i)}</answer>" for i in range(8)
    ]
    assert all(r.tokens == 9 and r.latency_s is not None for r in out)
    assert server.attempts[2] == 2 and server.attempts[5] == 3 and be.retries == 3
    assert all(h["Authorization"] == "Bearer sk-test" for h in server.headers)
    sizes = {}
    for body in server.bodies:
        assert body["model"] == "served-model" and body["max_tokens"] == 64
        assert body["temperature"] == 0.0 and "seed" not in body
        sent = ChatServer._image(body)
        sizes[200 - sent.getpixel((0, 0))[2]] = sent.size
    # the PNGs arrived whole: each sample's image at its own size
    assert sizes == {i: r.images[0].size for i, r in enumerate(reqs)}


def test_client_errors_fail_one_request_without_retry(server: ChatServer) -> None:
    server.script = {1: ["400"]}
    out = generate_all(backend(server), requests(3))
    assert out[0].ok and out[2].ok
    assert (
        not out[1].ok
        and "HTTP 400" in (out[1].error or "")
        and "image too large" in (out[1].error or "")
    )
    assert server.attempts[1] == 1


def test_finish_reason_length_is_a_truncated_output(server: ChatServer) -> None:
    """Issue 27, item 3: `finish_reason == "length"` marks the answer as cut off at the budget;
    a server that sends no finish_reason leaves it unknown."""
    server.script = {1: ["length"], 2: ["no_reason"]}
    out = generate_all(backend(server), requests(3))
    assert [r.truncated for r in out] == [False, True, None]
    assert out[1].text == "<think>I see"


def test_timeouts_are_retried_and_retries_are_bounded(server: ChatServer) -> None:
    server.script = {0: ["stall"], 1: ["500", "500", "500", "500"]}
    out = generate_all(backend(server, timeout=0.3, max_retries=2), requests(2))
    assert out[0].ok and server.attempts[0] == 2
    assert not out[1].ok and "gave up after 3 attempts" in (out[1].error or "")
    assert "HTTP 500" in (out[1].error or "") and server.attempts[1] == 3


def test_concurrency_is_bounded(server: ChatServer) -> None:
    server.delay_s = 0.05
    be = backend(server, concurrency=3)
    groups = list(be.generate(requests(12)))
    assert sorted(i for g in groups for i, _ in g) == list(range(12))
    assert 1 < server.max_in_flight <= 3


def test_unreachable_endpoint_is_a_generation_error() -> None:
    be = OpenAIBackend(
        "m", base_url="http://127.0.0.1:9/v1", max_retries=1, backoff_s=0.01, timeout=1
    )
    (out,) = generate_all(be, requests(1))
    assert not out.ok and "gave up after 2 attempts" in (out.error or "")


def test_evaluate_through_the_endpoint(
    server: ChatServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(ToyCount(n=12))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    server.script = {3: ["500"]}
    (s,) = evaluate(
        "served-model",
        "toy-count",
        backend="openai",
        out=tmp_path,
        progress=False,
        backend_options={"base_url": server.url + "/", "concurrency": 4, "backoff_s": 0.01},
    )
    assert s.metrics.n == 12 and s.metrics.accuracy.k == 12 and s.metrics.format_rate.k == 12
    assert all(h["Authorization"] == "Bearer sk-from-env" for h in server.headers)
    manifest = (s.run_dir / "manifest.json").read_text()
    assert "sk-from-env" not in manifest
    m = read_manifest(s.run_dir)
    assert m.backend == "openai" and m.model.name == "served-model"
    key = json.loads(manifest)["run_key"]["backend"]
    assert key == {
        "backend": "openai",
        "model": {
            "name": "served-model",
            "served": {"id": "served-model", "owned_by": "vllm", "root": "/ckpt/a"},
        },
        "base_url": server.url,
        "merge_reasoning": True,
    }
    unregister("toy-count")


def test_hosted_api_without_a_key_fails_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    be = OpenAIBackend("gpt-4o")
    assert be.base_url == "https://api.openai.com/v1"
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        be.load()
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        be.identity()  # the run id is asked for first: no request goes out without a key
    OpenAIBackend("m", base_url="http://127.0.0.1:1/v1").load()  # a local server needs no key
    with pytest.raises(ValueError, match="http:// or https://"):
        OpenAIBackend("m", base_url="localhost:8000")


# -- servers that split the reasoning off -----------------------------------------------------


def _evaluate(server: ChatServer, out: Path, **options: Any) -> Any:
    (s,) = evaluate(
        "served-model",
        "toy-count",
        backend="openai",
        out=out,
        progress=False,
        backend_options={"base_url": server.url, "backoff_s": 0.01, **options},
    )
    return s


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_split_reasoning_is_rebuilt_and_recorded(
    server: ChatServer, tmp_path: Path, field: str
) -> None:
    install(ToyCount(n=6))
    server.split_field = field
    s = _evaluate(server, tmp_path)
    assert s.metrics.format_rate.k == 6 and s.metrics.accuracy.k == 6
    records = read_records(s.run_dir / "records.jsonl")
    assert [r.output for r in records] == [
        f"<think>I see {gold_of(r.index)}.</think><answer>{gold_of(r.index)}</answer>"
        for r in records
    ]
    assert {r.think_from for r in records} == {field}
    info = json.loads((s.run_dir / "manifest.json").read_text())["backend_info"]
    assert info["reasoning_merged"] == 6 and info["merge_reasoning"] is True
    unregister("toy-count")


def test_no_merge_reasoning_keeps_the_content_and_is_another_run(
    server: ChatServer, tmp_path: Path
) -> None:
    install(ToyCount(n=6))
    server.split_field = "reasoning_content"
    merged = _evaluate(server, tmp_path)
    raw = _evaluate(server, tmp_path, merge_reasoning=False)
    assert raw.run_id != merged.run_id
    assert raw.metrics.format_rate.k == 0 and raw.metrics.accuracy.k == 6
    records = read_records(raw.run_dir / "records.jsonl")
    assert all(r.think_from is None and r.output.startswith("<answer>") for r in records)
    unregister("toy-count")


def test_reply_text_rules() -> None:
    assert reply_text({"content": "<answer>3</answer>", "reasoning": "r"}) == (
        "<think>r</think><answer>3</answer>",
        "reasoning",
    )
    # both fields (vLLM transition versions): reasoning_content is read first
    both = {"content": "c", "reasoning_content": "a", "reasoning": "b"}
    assert reply_text(both) == ("<think>a</think>c", "reasoning_content")
    # content None with all text in the reasoning (cut off while thinking)
    assert reply_text({"content": None, "reasoning": "r"}) == ("<think>r</think>", "reasoning")
    # nothing to rebuild: empty reasoning, or the think block already in the content
    assert reply_text({"content": "x", "reasoning_content": ""}) == ("x", None)
    assert reply_text({"content": "<think>t</think>x", "reasoning": "t"}) == (
        "<think>t</think>x",
        None,
    )
    assert reply_text({"content": "x", "reasoning": "r"}, merge=False) == ("x", None)


# -- endpoint identity --------------------------------------------------------------------------


def test_another_checkpoint_under_the_same_name_is_another_run(
    server: ChatServer, tmp_path: Path
) -> None:
    install(ToyCount(n=4))
    first = _evaluate(server, tmp_path)
    again = _evaluate(server, tmp_path)
    assert again.run_id == first.run_id and again.n_resumed == 4 and again.n_new == 0
    server.models = [{"id": "served-model", "owned_by": "vllm", "root": "/ckpt/b"}]
    other = _evaluate(server, tmp_path)
    assert other.run_id != first.run_id and other.n_new == 4
    pinned = _evaluate(server, tmp_path, revision="step-200")
    assert pinned.run_id != other.run_id and pinned.model.revision == "step-200"
    unregister("toy-count")


def test_request_stamped_created_is_left_out_and_a_date_is_kept(server: ChatServer) -> None:
    server.stamp_created = True  # vLLM: created = now, at every request
    first = backend(server).identity()
    second = backend(server).identity()
    assert first == second and "created" not in first["model"]["served"]
    assert server.model_reads == 4  # a fresh `created` is read twice to see whether it moves
    server.stamp_created = False
    server.models = [{"id": "served-model", "owned_by": "openai", "created": 1715367049}]
    be = backend(server)
    assert be.identity()["model"]["served"]["created"] == 1715367049
    assert be.weak_identity is None


def test_weak_identity_warns_once_and_names_the_fix(
    server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    # transformers serve's listing: the name, owned_by "local", created 0, a changing status
    server.models = [
        {"id": "served-model", "object": "model", "owned_by": "local", "created": 0,
         "status": {"value": "loaded"}}
    ]
    be = backend(server)
    with caplog.at_level("WARNING"):
        ident = be.identity()
        be.identity()
        backend(server).identity()
    warnings = [r.getMessage() for r in caplog.records if "weak run identity" in r.getMessage()]
    assert len(warnings) == 1 and "--model-revision" in warnings[0]
    assert ident["model"] == {
        "name": "served-model",
        "served": {"id": "served-model", "owned_by": "local"},
    }
    assert be.describe()["identity_weak"]
    caplog.clear()
    with caplog.at_level("WARNING"):
        strong = backend(server, revision="sha-abc").identity()
    assert strong["model"]["revision"] == "sha-abc" and not caplog.records


def test_identity_without_a_listing_or_a_server(server: ChatServer) -> None:
    server.models = None  # /models answers 404
    be = backend(server)
    assert be.identity()["model"] == {"name": "served-model"}
    assert "listing is unavailable (HTTP 404)" in (be.weak_identity or "")
    server.models = [{"id": "other-model", "owned_by": "vllm", "root": "/x"}]
    be = backend(server)
    assert be.identity()["model"] == {"name": "served-model"}
    assert "does not list 'served-model'" in (be.weak_identity or "")
    dead = OpenAIBackend(
        "m", base_url="http://127.0.0.1:9/v1", max_retries=1, backoff_s=0.01, timeout=1
    )
    with pytest.raises(ValueError, match="cannot reach the endpoint"):
        dead.identity()


def test_a_changing_system_fingerprint_is_recorded_and_warned(
    server: ChatServer, caplog: pytest.LogCaptureFixture
) -> None:
    be = backend(server, concurrency=1)
    server.fingerprint = "fp-1"
    generate_all(be, requests(2))
    server.fingerprint = "fp-2"
    with caplog.at_level("WARNING"):
        generate_all(be, requests(1))
    assert be.describe()["system_fingerprints"] == ["fp-1", "fp-2"]
    assert any("system_fingerprint changed" in r.getMessage() for r in caplog.records)


def test_cli_flags_reach_the_backend() -> None:
    import argparse

    from othink_bench.commands.run import _backend_options, configure_run

    parser = argparse.ArgumentParser()
    configure_run(parser)
    args = parser.parse_args(
        ["--model", "m", "--tasks", "vc", "--backend", "openai", "--no-merge-reasoning",
         "--model-revision", "step-5"]
    )
    opts = _backend_options(args)
    assert opts["merge_reasoning"] is False and opts["revision"] == "step-5"
    be = OpenAIBackend("m", base_url="http://127.0.0.1:9/v1", **{
        k: v for k, v in opts.items() if k in ("merge_reasoning", "revision")
    })
    assert be.merge_reasoning is False and be.revision == "step-5"
    default = _backend_options(parser.parse_args(["--model", "m", "--tasks", "vc"]))
    assert "merge_reasoning" not in default
