"""benchmarks/gpu_check.py: the 2B shape it builds, and its whole CPU dry run (``--scale tiny``).

The GPU run itself needs a CUDA machine; here every section runs at the tiny shape (the OOM one
with a simulated CUDA out-of-memory) and the results file is checked for what it must hold.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from benchmarks.gpu_check import main  # noqa: E402
from benchmarks.gpu_report import read_raw  # noqa: E402
from benchmarks.gpu_shape import (  # noqa: E402
    QWEN2_VL_2B,
    SHAPES,
    build_qwen2_tokenizer,
    model_config,
    special_ids,
)
from trainers.schedules import BetaSchedule  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("build", "hf_eval", "reference_eval", "oom", "grpod")

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_2b_shape_is_the_public_config() -> None:
    from transformers import Qwen2VLForConditionalGeneration

    tokenizer = build_qwen2_tokenizer()
    assert len(tokenizer) == 151657  # Qwen2's 151643 regular tokens + 14 special ones
    ids = special_ids(tokenizer)
    assert ids["<|endoftext|>"] == 151643 and ids["<|im_end|>"] == 151645
    text = "As shown in the figure, ∠1 = 50°, AB = 8√{3} <think> x </think><answer>40</answer>"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text
    cfg = model_config(SHAPES["2b"], ids)
    t, v = cfg.text_config, cfg.vision_config
    assert (t.hidden_size, t.num_hidden_layers, t.num_attention_heads, t.num_key_value_heads,
            t.intermediate_size, t.vocab_size) == (1536, 28, 12, 2, 8960, 151936)
    assert (v.depth, v.embed_dim, v.num_heads, v.patch_size, v.spatial_merge_size,
            v.temporal_patch_size, v.mlp_ratio, v.hidden_size) == (32, 1280, 16, 14, 2, 2, 4, 1536)
    for key in ("image_token_id", "video_token_id", "vision_start_token_id",
                "vision_end_token_id"):
        assert getattr(cfg, key) == QWEN2_VL_2B[key], key
    assert (t.bos_token_id, t.eos_token_id) == (151643, 151645)
    assert t.rope_parameters["mrope_section"] == [16, 24, 24]
    assert t.rope_parameters["rope_theta"] == QWEN2_VL_2B["rope_theta"]
    assert t.rms_norm_eps == 1e-6 and cfg.tie_word_embeddings is True
    with torch.device("meta"):
        model = Qwen2VLForConditionalGeneration._from_config(cfg, dtype=torch.bfloat16)
    assert sum(p.numel() for p in model.parameters()) == 2_208_985_600  # the public 2.209B


def test_docstring_one_liner_is_the_wrapper() -> None:
    """The command written at the top of gpu_check.py is the one gpu_check.sh runs."""
    import benchmarks.gpu_check as gc

    doc = gc.__doc__ or ""
    one_liner = next(line.strip() for line in doc.splitlines() if "pip install" in line)
    script = (ROOT / "benchmarks" / "gpu_check.sh").read_text().replace("\\\n", " ")
    pip = " ".join(next(line for line in script.splitlines() if "pip install" in line).split())
    assert " ".join(one_liner.split(" && ")[0].split()) in pip.replace(" || exit 1", "")
    assert "--target /tmp/site .whl/*.whl" in one_liner and "--scale 2b" in one_liner
    assert "export PYTHONPATH=/tmp/site" in one_liner and "export PYTHONPATH=/tmp/site" in script


def test_time_budget_skips_and_fails(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    rc = main(["--scale", "tiny", "--out", str(out), "--prompts", "2", "--budget-s", "0",
               "--skip", "hf_eval,reference_eval,oom,grpod"])
    assert rc == 1
    raw = read_raw(out)
    assert raw["sections"]["build"]["status"] == "SKIPPED"
    assert "overall | FAILED" in out.read_text()


@pytest.mark.slow
def test_dry_run_records_every_section(tmp_path: Path) -> None:
    out = tmp_path / "gpu_check_tiny.md"
    rc = main(["--scale", "tiny", "--out", str(out), "--workdir", str(tmp_path / "work"),
               "--prompts", "12"])
    text = out.read_text(encoding="utf-8")
    raw = read_raw(out)
    sections = raw["sections"]
    assert rc == 0, {k: s["status"] for k, s in sections.items()}
    assert list(sections) == list(SECTIONS)
    assert all(s["status"] == "ok" for s in sections.values())
    header = raw["header"]
    assert header["scale"] == "tiny" and header["versions"]["trl"] != "absent"
    assert "CPU dry run" in text and "--scale tiny" in text and header["date"] in text
    assert isinstance(header["lock_differences"], dict)
    assert "Not the lock's version (constraints.txt): " in text

    build = sections["build"]["data"]
    assert build["parameters"] > 0 and build["tokenizer_size"] == 1914
    assert build["processor_class"] == "ImageOnlyQwen2VLProcessor"  # no torchvision here

    hf, ref = sections["hf_eval"]["data"], sections["reference_eval"]["data"]
    for data in (hf, ref):
        assert data["prompts"] == 12 and data["full_length"] == 12
        assert data["samples_per_s"] > 0 and data["tokens_per_s"] > 0
        assert "peak_rss_gib" in data and data["peak_rss_gib"] > 0
    assert hf["errors"] == 0 and ref["batch_size"] == 10
    rates = re.findall(r"^\| samples/s \| ([0-9.]+) \|$", text, flags=re.M)
    assert len(rates) == 2 and all(float(r) > 0 for r in rates)

    oom = sections["oom"]["data"]
    assert oom["simulated"] is True and oom["halvings"] >= 1
    assert oom["batch_size_after"] <= oom["simulated_limit"] < oom["batch_size_requested"]
    assert oom["errors"] == 0 and oom["full_length"] == oom["requests"]
    assert "simulated (CPU dry run" in text
    calls = oom["calls"]  # every generate call the backend made, in order
    assert calls[0]["batch"] == oom["requests"] and calls[0]["oom"] is True
    assert all(c.get("oom") for c in calls if c["batch"] > oom["simulated_limit"])
    assert not any(c.get("oom") for c in calls if c["batch"] <= oom["simulated_limit"])
    assert sum(c["batch"] for c in calls if not c.get("oom")) == oom["requests"]
    assert oom["oom_attempts"] >= oom["halvings"]
    assert isinstance(oom["retry_holds_failed_attempt"], bool)

    grpod = sections["grpod"]["data"]
    schedule = BetaSchedule(name="grpod", beta_min=0.0, beta_max=0.02, ratio=0.3)
    expected = [schedule(s, 3) for s in range(3)]
    assert grpod["betas"] == pytest.approx(expected) and grpod["betas_match_schedule"]
    assert [s["step"] for s in grpod["steps"]] == [0, 1, 2]
    assert all(s["time_s"] > 0 and s["peak_rss_gib"] > 0 for s in grpod["steps"])
    assert grpod["ref_model"] and grpod["gradient_checkpointing"] and grpod["num_generations"] == 8
    assert grpod["completion_mean_lengths"] == pytest.approx([8.0, 8.0, 8.0])  # forced length
    rows = re.findall(r"^\| step (\d): time \(s\) / peak memory \(GiB\) / beta \| "
                      r"([0-9.]+) / ([0-9.]+) / ([0-9.e-]+) \|$", text, flags=re.M)
    assert [int(r[0]) for r in rows] == [0, 1, 2]
    assert [float(r[3]) for r in rows] == pytest.approx(expected, rel=1e-5)
    assert all(float(r[1]) > 0 and float(r[2]) > 0 for r in rows)


# --- what benchmarks/gpu_wheels.sh carries: the lock's versions (benchmarks/gpu_pins.py) --------


def test_carried_pins_are_the_locks_lines() -> None:
    from benchmarks.gpu_pins import ON_MACHINE, carried_pins, read_lock

    lock = ROOT / "constraints.txt"
    pins = carried_pins(lock)
    lines = {line.strip() for line in lock.read_text(encoding="utf-8").splitlines()}
    assert pins and all(p in lines for p in pins), [p for p in pins if p not in lines]
    names = {p.split("==")[0] for p in pins}
    locked = read_lock(lock)
    # what the machine lacks, and what transformers 5.25 needs beyond the machine's 5.17
    for name in ("trl", "datasets", "transformers", "huggingface-hub", "httpx2", "kernels",
                 "pydantic", "pydantic-core", "typing-extensions"):
        assert f"{name}=={locked[name]}" in pins, name
    assert not names & ON_MACHINE and "othink-bench" not in names
    assert "torch" not in names and "numpy" not in names


def test_a_lock_without_a_needed_pin_is_an_error_naming_it(tmp_path: Path) -> None:
    from benchmarks.gpu_pins import LockError, carried_pins, main

    lock = tmp_path / "constraints.txt"
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    lock.write_text("\n".join(ln for ln in text.splitlines() if not ln.startswith("trl==")))
    with pytest.raises(LockError, match=r"no pin for trl\b.*scripts/lockfile.py"):
        carried_pins(lock)
    lock.write_text("# a comment\ntorch>=2\n")
    assert main(["--lock", str(lock)]) == 2


def test_what_is_left_to_the_machine_is_what_its_transformers_already_needs() -> None:
    """Left out as the machine's transformers 5.17 asks for them: valid only while the locked
    transformers asks for each with the same specifier (else carry it: gpu_pins.py)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.utils import canonicalize_name

    from benchmarks.gpu_pins import WITH_TRANSFORMERS_5_17

    wanted = {}
    for text in metadata.requires("transformers") or []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            wanted[canonicalize_name(req.name)] = req.specifier
    for name, spec in WITH_TRANSFORMERS_5_17.items():
        assert wanted.get(name) == SpecifierSet(spec), (name, wanted.get(name), spec)


def test_metadata_only_wheel_keeps_the_entry_points(tmp_path: Path) -> None:
    import zipfile

    from benchmarks.gpu_pins import metadata_only

    wheel = tmp_path / "othink_bench-0.1.0-py3-none-any.whl"
    info = "othink_bench-0.1.0.dist-info"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("othink_bench/models/tiny_ckpt/model.safetensors", b"\0" * 4096)
        z.writestr("tasks/__init__.py", "")
        z.writestr(f"{info}/METADATA", "Name: othink-bench\nVersion: 0.1.0\n")
        z.writestr(f"{info}/entry_points.txt", "[othink_bench.tasks]\nbuiltin = tasks:register_all\n")
        z.writestr(f"{info}/RECORD", "tasks/__init__.py,,\n")
    metadata_only(wheel)
    with zipfile.ZipFile(wheel) as z:
        names = sorted(z.namelist())
        record = z.read(f"{info}/RECORD").decode()
        entry = z.read(f"{info}/entry_points.txt").decode()
    assert names == [f"{info}/{n}" for n in ("METADATA", "RECORD", "entry_points.txt")]
    assert sorted(record.split()) == [f"{n},," for n in names]
    assert "builtin = tasks:register_all" in entry


def test_lock_differences_ignore_build_labels(tmp_path: Path) -> None:
    from benchmarks.gpu_report import lock_differences

    lock = tmp_path / "constraints.txt"
    lock.write_text("torch==2.13.0\ntransformers==5.25.0\n")
    found = {"python": "3.12.3", "torch": "2.13.0+cu128", "transformers": "5.17.0",
             "othink-bench": "0.1.0"}
    assert lock_differences(found, lock) == {"transformers": "5.17.0 (lock: 5.25.0)"}
    assert "not found" in lock_differences(found, tmp_path / "missing.txt")["(lock)"]
