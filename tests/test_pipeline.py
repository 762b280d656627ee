"""The pipelined harness: preparation ahead on one thread, scoring and writing behind on another.

What must not change with the threads: the records (and their order), the per-sample error
records, and the run's outcome when something fails - on the preparation thread (a render that
raises), on the writer thread (a full disk), or on the main thread (SIGTERM). Nothing may hang,
and no helper thread may outlive the run.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import test_run_integrity
from harness_fixtures import ToyCount, gold_of, install, pattern_output

from othink_bench.backends import GenRequest, ScriptedBackend
from othink_bench.harness import HarnessError, RunSummary, evaluate
from othink_bench.harness.workers import Prefetch, Writer
from othink_bench.records import MANIFEST_FILE, RECORDS_FILE, read_records
from othink_bench.registry import unregister
from othink_bench.runstate import Terminated
from othink_bench.task import ImageRef, Sample

HELPERS = ("othink-prepare", "othink-writer")


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A hang fails the test (with every thread's stack) instead of stalling the suite."""
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
    assert not [t.name for t in threading.enumerate() if t.name in HELPERS]


def pattern(request: GenRequest) -> str:
    i = int(request.sample_id.rsplit("-", 1)[1])
    return pattern_output(i, str(gold_of(i)))


class Lazy(Sequence[Sample]):
    """A lazily generated split, like the synthetic tasks': item ``i`` is rendered on access,
    and the thread that rendered it is noted."""

    def __init__(self, task: LazyToy, n: int) -> None:
        self.task, self.n = task, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self.n))]
        self.task.render_threads.add(threading.current_thread().name)
        if i in self.task.render_fails:
            raise RuntimeError(f"cannot render scene {i}")
        return self.task.sample(i)


class LazyToy(ToyCount):
    def __init__(self, *, render_fails: Sequence[int] = (), **kw: Any) -> None:
        super().__init__("lazy-toy", **kw)
        self.render_fails = set(render_fails)
        self.render_threads: set[str] = set()

    def load(self, split="test", source=None, data=None, image_root=None, limit=None, seed=0):
        return Lazy(self, self.n if limit is None else min(limit, self.n))


class BrokenImage(ImageRef):
    """An image whose rendering fails when it is loaded (on the preparation thread)."""

    def load(self, **budget: Any) -> Any:
        from othink_bench.task import ImageError

        raise ImageError(f"rendering failed on {threading.current_thread().name}")


@pytest.fixture
def lazy() -> Iterator[LazyToy]:
    task = install(LazyToy(n=40))
    yield task
    unregister(task.id)


def run(out: Path, backend: Any = None, **kw: Any) -> RunSummary:
    be = backend if backend is not None else ScriptedBackend(pattern, batch_size=4)
    kw.setdefault("progress", False)
    (summary,) = evaluate("scripted-model", "lazy-toy", backend=be, out=out, **kw)
    return summary


def test_samples_are_rendered_and_images_decoded_on_the_preparation_thread(
    lazy: LazyToy, tmp_path: Path
) -> None:
    lazy.corrupt_image = {7}
    s = run(tmp_path)
    assert s.status == "complete" and s.n_new == 40
    assert lazy.render_threads == {"othink-prepare"}
    records = read_records(s.run_dir / RECORDS_FILE)
    # The order of the sequential loop: per window of 4, the early (error) records first.
    assert [r.index for r in records] == [0, 1, 2, 3, 7, 4, 5, 6, *range(8, 40)]
    bad = [r for r in records if r.error]
    assert [(r.index, r.error_kind) for r in bad] == [(7, "image")]
    assert bad[0].error is not None and bad[0].error.startswith("cannot decode image")


def test_an_image_that_fails_to_render_on_the_prep_thread_is_a_per_sample_record(
    lazy: LazyToy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = lazy.sample

    def sample(i: int) -> Sample:
        s = real(i)
        return Sample(s.id, s.question, s.gold, BrokenImage()) if i == 13 else s

    monkeypatch.setattr(lazy, "sample", sample)
    s = run(tmp_path)
    assert s.status == "complete"
    by_index = {r.index: r for r in read_records(s.run_dir / RECORDS_FILE)}
    assert len(by_index) == 40
    r = by_index[13]
    assert r.error_kind == "image" and r.error == "rendering failed on othink-prepare"
    assert r.output is None and r.prompt_hash is not None  # as the sequential loop wrote it
    assert by_index[12].correct and by_index[14].error is None


def test_a_render_that_raises_stops_the_run_like_before_without_hanging(
    lazy: LazyToy, tmp_path: Path
) -> None:
    lazy.render_fails = {25}
    with pytest.raises(RuntimeError, match="cannot render scene 25"):
        run(tmp_path)
    (run_dir,) = tmp_path.iterdir()
    m = json.loads((run_dir / MANIFEST_FILE).read_text())
    assert m["status"] == "failed" and "cannot render scene 25" in m["error"]
    # Windows of 4: the window holding 25 never started; everything before it is on disk.
    assert [r.index for r in read_records(run_dir / RECORDS_FILE)] == list(range(24))


class FullDisk(test_run_integrity.FullDisk):
    """A full disk (as in the run-integrity tests) that notes which threads wrote to it."""

    def __init__(self, free: int) -> None:
        super().__init__(free)
        self.threads: set[str] = set()

    def __call__(self, fd: int, data: Any) -> int:
        self.threads.add(threading.current_thread().name)
        return super().__call__(fd, data)


def test_a_full_disk_on_the_writer_thread_fails_the_run(
    lazy: LazyToy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(tmp_path, limit=4)
    (run_dir,) = tmp_path.iterdir()
    disk = FullDisk(free=600)
    monkeypatch.setattr("othink_bench.records.os.write", disk)
    with pytest.raises(HarnessError, match=r"disk full \(ENOSPC\)"):
        run(tmp_path, limit=40)
    assert "othink-writer" in disk.threads
    m = json.loads((run_dir / MANIFEST_FILE).read_text())
    assert m["status"] == "failed" and "ENOSPC" in m["error"]
    monkeypatch.undo()
    s = run(tmp_path, limit=40)
    assert s.status == "complete" and len(read_records(run_dir / RECORDS_FILE)) == 40


def test_sigterm_mid_run_leaves_interrupted(lazy: LazyToy, tmp_path: Path) -> None:
    def stopped_at_12(request: GenRequest) -> str:
        if request.sample_id.endswith("-0012"):
            os.kill(os.getpid(), signal.SIGTERM)  # the handler raises on the main thread
        return pattern(request)

    with pytest.raises(Terminated):
        run(tmp_path, ScriptedBackend(stopped_at_12, batch_size=2, identity="same"))
    (run_dir,) = tmp_path.iterdir()
    m = json.loads((run_dir / MANIFEST_FILE).read_text())
    assert m["status"] == "interrupted" and "SIGTERM" in m["error"]
    # Every group generated before the signal is on disk (the writer finishes its hand).
    assert [r.index for r in read_records(run_dir / RECORDS_FILE)] == list(range(12))
    s = run(tmp_path, ScriptedBackend(pattern, batch_size=2, identity="same"))  # resumes
    assert s.status == "complete" and s.n_resumed == 12


def test_the_error_guard_stops_at_the_same_record(lazy: LazyToy, tmp_path: Path) -> None:
    def failing(request: GenRequest) -> str:
        if int(request.sample_id.rsplit("-", 1)[1]) >= 10:
            raise RuntimeError("endpoint down")
        return pattern(request)

    with pytest.raises(Exception, match="stopping task lazy-toy"):
        run(tmp_path, ScriptedBackend(failing, batch_size=4))
    (run_dir,) = tmp_path.iterdir()
    # The guard looks after 20 samples: 10 of 20 failed, so nothing past sample 19 is written
    # (the generation already done for the next group is dropped, as the loop never did it).
    assert [r.index for r in read_records(run_dir / RECORDS_FILE)] == list(range(20))
    prompts = (run_dir / "prompts.jsonl").read_text().splitlines()
    assert len(prompts) == 20  # prompts of windows that never ran are not stored


# -- the helpers on their own -----------------------------------------------------------------


def test_prefetch_is_bounded_and_raises_after_the_items_before_the_error() -> None:
    made: list[int] = []

    def produce(stopped: Any) -> Iterator[int]:
        for i in range(10):
            if i == 6:
                raise ValueError("six")
            made.append(i)
            yield i

    got = []
    with Prefetch(produce, depth=1, name="othink-prepare") as items:
        it = iter(items)
        got.append(next(it))
        time.sleep(0.2)
        assert len(made) <= 3  # one consumed, one queued, one in the producer's hand
        with pytest.raises(ValueError, match="six"):
            for x in it:
                got.append(x)
    assert got == [0, 1, 2, 3, 4, 5]


def test_prefetch_stops_a_producer_when_the_consumer_leaves() -> None:
    def produce(stopped: Any) -> Iterator[int]:
        i = 0
        while not stopped():
            yield i
            i += 1

    with Prefetch(produce, depth=2, name="othink-prepare") as items:
        for x in items:
            if x == 3:
                break


def test_writer_keeps_order_holds_one_item_and_raises_its_error_on_the_next_put() -> None:
    written: list[int] = []
    active: list[int] = []

    def write(x: int) -> None:
        active.append(x)
        assert len(active) == 1  # one item at a time
        time.sleep(0.01)
        active.remove(x)
        if x == 5:
            raise OSError(28, "No space left on device")
        written.append(x)

    with Writer(write, name="othink-writer") as w:
        for i in range(6):
            w.put(i)
            assert written == list(range(i))  # put waits until the previous item is on disk
        with pytest.raises(OSError, match="No space"):
            w.put(6)
        with pytest.raises(OSError):
            w.finish()
    assert written == [0, 1, 2, 3, 4]


def test_hf_prepares_windows_ahead_with_the_same_records(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    import torch

    from othink_bench.backends.hf import HFBackend
    from othink_bench.models.processor import load_model
    from othink_bench.models.tiny import resolve_model

    torch.set_num_threads(1)
    task = install(ToyCount("toy-hf", n=40))
    try:
        path = resolve_model("tiny")
        loaded = load_model(path, dtype="fp32", device="cpu")
        calls: list[str] = []
        real = HFBackend.prepare

        def spy(self: HFBackend, requests: Any) -> Any:
            calls.append(threading.current_thread().name)
            return real(self, requests)

        def records(out: Path, ahead: bool) -> bytes:
            be = HFBackend(path, batch_size=2, loaded=loaded)  # windows of 32
            if not ahead:
                be.prepare = None  # type: ignore[assignment,method-assign]
            else:
                be.prepare = spy.__get__(be)  # type: ignore[method-assign]
            (s,) = evaluate(path, task.id, backend=be, out=out, max_new_tokens=6, progress=False)
            lines = (s.run_dir / RECORDS_FILE).read_text().splitlines()
            return "\n".join(
                json.dumps({k: v for k, v in json.loads(x).items() if k != "latency_s"})
                for x in lines
            ).encode()

        inline = records(tmp_path / "inline", ahead=False)
        ahead = records(tmp_path / "ahead", ahead=True)
        assert calls == ["othink-prepare"]  # the second window, while the first generated
        assert ahead == inline
    finally:
        unregister(task.id)
