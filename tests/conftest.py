"""Shared fixtures. Tests never touch the network: the hub is forced offline here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


import pytest  # noqa: E402


@pytest.fixture(scope="module")
def one_torch_thread():  # type: ignore[no-untyped-def]
    """One intra-op thread: on a shared 2-core machine, two threads per op oversubscribe the
    CPU and make tiny training steps 10x slower; results do not depend on it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A random tiny Qwen2-VL checkpoint built offline (seed 0), one per test module."""
    from othink_bench.models.tiny import build_tiny

    return str(build_tiny(tmp_path_factory.mktemp("tiny-model"), seed=0))


@pytest.fixture
def toys():  # type: ignore[no-untyped-def]
    """Two scripted counting tasks (``toy-count`` v1 and ``toy-count-v2`` v2, 40 samples each),
    registered for one test (tests/test_compare.py, tests/test_verify_records.py)."""
    from harness_fixtures import ToyCount, install

    from othink_bench.registry import unregister

    install(ToyCount(n=40))
    install(ToyCount("toy-count-v2", n=40, version="2"))
    yield
    unregister("toy-count")
    unregister("toy-count-v2")
