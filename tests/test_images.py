"""Images under a memory bound, with errors that name the real cause (issue 28, items 1 and 6).

A 20 KB PNG can claim 13000x13000 pixels; decoded it costs about 1.2 GB. These tests never
decode one: the "bomb" is a synthetic PNG header (a few dozen bytes whose IHDR claims the size),
and decoding is made to fail loudly, so a test passes only if the size was refused from the
header. The peak-RSS figures for real bombs come from ``benchmarks/image_memory.py``.
"""

from __future__ import annotations

import io
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness_fixtures import ToyCount, install, pattern_output
from PIL import Image, ImageFile

from othink_bench.backends import GenRequest, ScriptedBackend
from othink_bench.harness import evaluate
from othink_bench.harness.settings import RunSettings
from othink_bench.images import (
    DEFAULT_MAX_IMAGE_PIXELS,
    MAX_ASPECT_RATIO,
    load_image,
    reduction,
)
from othink_bench.records import RECORDS_FILE, read_records
from othink_bench.registry import unregister
from othink_bench.task import ImageError, ImageRef, Sample

# PIL's own warning for images over 89 megapixels (othink_bench.images silences it outside
# pytest, which resets warning filters per test)
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def png_header(width: int, height: int, bit_depth: int = 1, color_type: int = 0) -> bytes:
    """A PNG with a valid IHDR for ``width`` x ``height`` and no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF
        )

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any pixel decode fails the test (``Image.open`` itself reads only the header)."""

    def refuse(self: Any, *a: Any, **kw: Any) -> Any:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(Image.Image, "load", refuse)


def png_bytes(im: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return buf.getvalue()


# -- the header check -------------------------------------------------------------------------


def test_a_13000_square_header_is_refused_without_decoding(no_decoding: None) -> None:
    bomb = png_header(13000, 13000)
    assert len(bomb) < 100
    with pytest.raises(ImageError) as err:
        load_image(data=bomb)
    message = str(err.value)
    assert "13000x13000" in message and "169.0 megapixels" in message
    assert f"{DEFAULT_MAX_IMAGE_PIXELS} pixels" in message and "--max-image-pixels" in message
    assert "pixels were decoded" not in message


def test_the_cap_is_a_setting_not_a_constant(no_decoding: None, tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    path.write_bytes(png_header(400, 300))
    with pytest.raises(ImageError, match="400x300 .* over the limit of 100000 pixels"):
        ImageRef(path=str(path)).load(max_image_pixels=100_000)
    # Under the cap the header passes and decoding is attempted (here: refused by the fixture).
    with pytest.raises(ImageError, match="pixels were decoded"):
        ImageRef(path=str(path)).load(max_image_pixels=120_000)


def test_an_in_memory_image_gets_the_same_checks() -> None:
    im = Image.new("L", (600, 2))
    with pytest.raises(ImageError, match="aspect ratio 300:1"):
        ImageRef(pil=im).load()
    with pytest.raises(ImageError, match="over the limit"):
        ImageRef(pil=Image.new("RGB", (40, 40))).load(max_image_pixels=1000)


def test_an_extreme_aspect_ratio_is_an_image_error_not_a_generation_error() -> None:
    data = png_bytes(Image.new("L", (170000, 1)))  # 170 KB of pixels: cheap
    with pytest.raises(ImageError, match=r"170000x1: its aspect ratio 170000:1 is over 200:1"):
        load_image(data=data)
    # The limit itself is allowed, in both orientations.
    for size in ((MAX_ASPECT_RATIO, 1), (1, MAX_ASPECT_RATIO)):
        assert load_image(data=png_bytes(Image.new("L", size))).size == size


# -- paths that are not image files -----------------------------------------------------------


def load_in_thread(path: Path) -> str:
    """The error of loading ``path``, from a thread that must finish in 10 s (a FIFO opened
    for reading would block forever)."""
    out: list[str] = []

    def go() -> None:
        try:
            ImageRef(path=str(path)).load()
            out.append("loaded")
        except ImageError as exc:
            out.append(str(exc))

    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), f"loading {path} hung"
    return out[0]


def test_a_fifo_is_named_and_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "img.png"
    os.mkfifo(fifo)
    message = load_in_thread(fifo)
    assert message == f"image path {fifo} is a FIFO (named pipe), not a regular file"


def test_a_directory_is_named(tmp_path: Path) -> None:
    (tmp_path / "dir.png").mkdir()
    assert "is a directory, not a regular file" in load_in_thread(tmp_path / "dir.png")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_named_not_read() -> None:
    assert load_in_thread(Path("/dev/zero")) == (
        "image path /dev/zero is a character device, not a regular file"
    )


def test_a_symlink_loop_and_a_broken_link_are_named(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.symlink_to(b)
    b.symlink_to(a)
    assert "is a symlink loop" in load_in_thread(a)
    dangling = tmp_path / "dangling.png"
    dangling.symlink_to(tmp_path / "gone.png")
    assert f"is a broken symlink (to {tmp_path / 'gone.png'})" in load_in_thread(dangling)
    assert load_in_thread(tmp_path / "missing.png").startswith("image file not found")


def test_a_link_to_a_good_image_still_loads(tmp_path: Path) -> None:
    (tmp_path / "real.png").write_bytes(png_bytes(Image.new("RGB", (20, 10), (1, 2, 3))))
    (tmp_path / "link.png").symlink_to(tmp_path / "real.png")
    im = ImageRef(path=str(tmp_path / "link.png")).load()
    assert im.mode == "RGB" and im.size == (20, 10) and im.getpixel((0, 0)) == (1, 2, 3)


# -- reduction towards the model's budget -----------------------------------------------------


def test_reduction_keeps_at_least_the_budget() -> None:
    assert reduction((100, 100), None) == 1
    assert reduction((100, 100), 10_000) == 1
    assert reduction((100, 100), 2_500) == 2
    assert reduction((100, 100), 2_400) == 2
    assert reduction((13000, 13000), 12_544) == 116
    for w, h, budget in ((640, 480, 10_000), (4000, 3000, 401_408), (999, 17, 50)):
        f = reduction((w, h), budget)
        assert (w // f) * (h // f) >= budget * 0.95 and (w * h) / f**2 < 4 * budget


def test_an_image_within_the_budget_decodes_exactly_as_before() -> None:
    im = Image.effect_noise((64, 48), 40).convert("P")
    data = png_bytes(im)
    with Image.open(io.BytesIO(data)) as ref:
        expected = ref.convert("RGB").tobytes()
    assert load_image(data=data, max_pixels=64 * 48).tobytes() == expected


@pytest.mark.parametrize("fmt,mode", [("PNG", "1"), ("PNG", "P"), ("PNG", "RGBA"), ("JPEG", "RGB")])
def test_a_large_image_is_reduced_as_it_decodes(fmt: str, mode: str) -> None:
    im = Image.effect_noise((800, 600), 60).convert(mode)
    out = load_image(data=png_bytes(im, fmt), max_pixels=10_000)
    assert out.mode == "RGB"
    area = out.size[0] * out.size[1]
    assert 10_000 * 0.95 <= area < 4 * 10_000, out.size
    assert abs(out.size[0] / out.size[1] - 800 / 600) < 0.1


# -- through the harness and training ---------------------------------------------------------


class BombToy(ToyCount):
    """Toy counting samples; those in ``bombs`` carry a 13000x13000 PNG header."""

    def __init__(self, bombs: set[int]) -> None:
        super().__init__("bomb-toy", n=6)
        self.bombs = bombs

    def sample(self, i: int) -> Sample:
        s = super().sample(i)
        if i in self.bombs:
            s = Sample(id=s.id, question=s.question, gold=s.gold,
                       image=ImageRef(data=png_header(13000, 13000)))
        return s


@pytest.fixture
def bomb_toy() -> Iterator[BombToy]:
    task = install(BombToy({1, 4}))
    yield task
    unregister(task.id)


def answer(request: GenRequest) -> str:
    i = int(request.sample_id.rsplit("-", 1)[1])
    return pattern_output(i, str(3 + i % 5))


def test_a_bomb_in_a_run_is_a_per_sample_image_error(
    bomb_toy: BombToy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int]] = []

    def generate(request: GenRequest) -> str:
        seen.extend(im.size for im in request.images)
        return answer(request)

    (s,) = evaluate("scripted", "bomb-toy", backend=ScriptedBackend(generate, batch_size=4),
                    out=tmp_path, progress=False)
    records = read_records(s.run_dir / RECORDS_FILE)
    bad = sorted((r.index, r.error_kind) for r in records if r.error)
    assert bad == [(1, "image"), (4, "image")]
    assert all("13000x13000" in (r.error or "") for r in records if r.error)
    assert s.status == "complete" and (s.metrics.scored, s.metrics.errors) == (4, 2)
    assert len(seen) == 4 and max(w * h for w, h in seen) < 2000


def test_the_run_settings_carry_the_cap_and_the_budget(tmp_path: Path) -> None:
    task = install(ToyCount("cap-toy", n=6))
    try:
        (s,) = evaluate("scripted", "cap-toy", backend=ScriptedBackend(answer, batch_size=4),
                        out=tmp_path, progress=False, max_image_pixels=1100)
    finally:
        unregister(task.id)
    kinds = {r.index: r.error_kind for r in read_records(s.run_dir / RECORDS_FILE)}
    # toy images are (32 + 8 * (i % 3)) x 32: 1024, 1280, 1536 pixels
    assert kinds == {0: None, 1: "image", 2: "image", 3: None, 4: "image", 5: "image"}
    assert RunSettings(backend_options={"max_pixels": 4096}).decode_pixels == 4096
    with pytest.raises(ValueError, match="max image pixels must be a whole number"):
        RunSettings(max_image_pixels=0).validate()


def test_the_training_dataset_keeps_reduced_encoded_images() -> None:
    from trainers.data import DataReport, build_dataset

    class Big(ToyCount):
        def sample(self, i: int) -> Sample:
            s = super().sample(i)
            data = png_header(13000, 13000) if i == 2 else png_bytes(
                Image.effect_noise((400, 300), 50).convert("RGB"))
            return Sample(id=s.id, question=s.question, gold=s.gold, image=ImageRef(data=data))

    task = Big("big-toy", n=4)
    report = DataReport()
    ds = build_dataset(task, task.load(), report=report, max_pixels=10_000)
    assert report.used == 3 and report.dropped == {"image error": 1}
    assert ds.features["image"].__class__.__name__ == "Image"
    stored = ds.with_format(None).cast_column("image", type(ds.features["image"])(decode=False))
    for row in stored:
        assert row["image"]["bytes"] and row["image"]["path"] is None
    sizes = {im.size for im in ds["image"]}
    assert sizes == {(134, 100)}, sizes  # 400x300 reduced by 3 (edges rounded up)


@pytest.mark.timeout(120)  # a FIFO opened blocking would hang the run
def test_cli_local_data_names_each_bad_image_by_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from harness_fixtures import cli

    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "good.png").write_bytes(png_bytes(Image.new("RGB", (40, 30), (9, 9, 9))))
    (folder / "bomb.png").write_bytes(png_header(13000, 13000))
    os.mkfifo(folder / "pipe.png")
    (folder / "dir.png").mkdir()
    names = ["good.png", "bomb.png", "pipe.png", "dir.png"]
    data = folder / "test.jsonl"
    data.write_text("".join(json.dumps({"image_path": n, "question": f"How many? {i}",
                                        "ground_truth": 3}) + "\n" for i, n in enumerate(names)))
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"outputs": {}, "default": "<answer>3</answer>"}))
    base = ["run", "--backend", "scripted", "--model", str(script), "--tasks", "vc", "--data",
            str(data), "--out", str(tmp_path / "runs"), "--no-progress", "--max-errors", "1"]
    assert cli([*base, "--max-image-pixels", "0"]) == 2
    assert "max image pixels must be a whole number of pixels >= 1, got 0" in (
        capsys.readouterr().err)
    assert cli(base) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    errors = {r.index: r.error for r in read_records(run_dir / RECORDS_FILE)}
    assert errors[0] is None
    assert errors[1] is not None and errors[1].startswith(f"{data}:2: image {folder}/bomb.png "
                                                          "is 13000x13000")
    assert errors[2] == f"{data}:3: image path {folder}/pipe.png is a FIFO (named pipe), not a " \
        "regular file"
    assert errors[3] == f"{data}:4: image path {folder}/dir.png is a directory, not a regular file"

