"""`othink-bench data fetch`: against a local fake of each source, never the network.

A thread on 127.0.0.1 serves the mirror layout (``/<folder>/<file name>``) with fakes that have
the real sources' names and structure (R1-V's JSON-lines rows, a zip holding ``images/...``) but
tiny synthetic images. It can refuse byte ranges (whole-archive path) and drop the connection
half-way through a file (resume path); it logs every request with its Range header.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from othink_bench.cli import main
from othink_bench.registry import get_task
from othink_bench.testsets import MANIFEST, PublishedSet


def png(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (12, 10), color).save(buf, format="PNG")
    return buf.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


VC_ROWS = [
    {"image_path": f"./images/superCLEVR_new_0250{i:02d}.png",
     "question": "How many different items are there in the image?", "ground_truth": 2 + i}
    for i in range(3)
]
GR_ROWS = [
    {"image_path": f"./Geo170K/images/test/{i}.png",
     "question": "As shown in the figure, angle A = 40.0, then angle B is ()",
     "ground_truth": f"{50 + i}°"}
    for i in range(2)
]
VC_IMAGES = {f"images/superCLEVR_new_0250{i:02d}.png": png((10 * i, 80, 120)) for i in range(3)}
GR_IMAGES = {f"images/test/{i}.png": png((200, 10 * i, 30)) for i in range(2)}


def jsonl(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


FILES = {
    "/superclevr/superclevr_test200_counting_problems.jsonl": jsonl(VC_ROWS),
    # other renders too, as in the real archive
    "/superclevr/images.zip": zip_of(
        {**VC_IMAGES, "images/superCLEVR_new_000007.png": png((1, 2, 3))}),
    "/geoqa/geoqa_test_prompts.jsonl": jsonl(GR_ROWS),
    # geo3k/ holds a 0.png too: only images/test/0.png may be taken for ./Geo170K/images/test/0.png
    "/geoqa/images.zip": zip_of({**GR_IMAGES, "images/geo3k/0.png": png((0, 0, 0))}),
}


class FakeSource(ThreadingHTTPServer):
    ranges = True
    drop_ranges = False  # also drop a ranged request (by default only a full GET is dropped)
    drop_after: dict[str, int]  # path -> bytes to send before closing, on its first full GET
    log: list[tuple[str, str | None]]


class Handler(BaseHTTPRequestHandler):
    server: FakeSource

    def log_message(self, *args: object) -> None:
        pass

    def _cut(self, rng: str | None) -> int | None:
        """Bytes to send before dropping this response, or None. Decided before any header goes
        out: once the client has the headers it may change ``drop_after`` for its next request."""
        drop = not rng or self.server.drop_ranges
        return self.server.drop_after.pop(self.path, None) if drop else None

    def do_GET(self) -> None:
        rng = self.headers.get("Range")
        self.server.log.append((self.path, rng))
        body = FILES.get(self.path)
        if body is None:
            self.send_error(404)
            return
        if rng and self.server.ranges:
            start_s, _, end_s = rng.removeprefix("bytes=").partition("-")
            start, end = int(start_s), int(end_s) if end_s else len(body) - 1
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.end_headers()
                return
            end = min(end, len(body) - 1)
            cut = self._cut(rng)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
            part = body[start : end + 1]
        else:
            cut = self._cut(rng)
            self.send_response(200)
            part = body
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        self.wfile.write(part if cut is None else part[:cut])
        if cut is not None:
            self.close_connection = True


@pytest.fixture
def source() -> Iterator[FakeSource]:
    server = FakeSource(("127.0.0.1", 0), Handler)
    server.drop_after, server.log = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: FakeSource) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def fake_spec(task: str, rows: int, prompts: bytes, **prompt_pins: object) -> PublishedSet:
    real = get_task(task).test_set
    assert real is not None
    pins: dict[str, object] = {"size": len(prompts), "sha256": hashlib.sha256(prompts).hexdigest()}
    pins.update(prompt_pins)
    return dataclasses.replace(real, rows=rows, prompts=dataclasses.replace(real.prompts, **pins))


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pin the fakes' prompt files in place of the real ones (same names, URLs, layout)."""
    for task, rows, key in [("vc", 3, "/superclevr/superclevr_test200_counting_problems.jsonl"),
                            ("gr", 2, "/geoqa/geoqa_test_prompts.jsonl")]:
        monkeypatch.setattr(type(get_task(task)), "test_set", fake_spec(task, rows, FILES[key]))


def fetch(*argv: str) -> int:
    return main(["data", "fetch", *argv])


def test_real_table_pins_r1v_prompt_files_and_sources() -> None:
    vc, gr = get_task("vc").test_set, get_task("gr").test_set
    assert vc is not None and gr is not None
    assert (vc.folder, vc.rows, vc.prompts.size) == ("superclevr", 200, 27228)
    assert (gr.folder, gr.rows, gr.prompts.size) == ("geoqa", 754, 205697)
    for spec in (vc, gr):
        assert spec.prompts.url.startswith("https://raw.githubusercontent.com/Deep-Agent/R1-V/")
        assert spec.prompts.url.endswith("/src/eval/prompts/" + spec.prompts.name)
        assert spec.prompts.sha256 and len(spec.prompts.sha256) == 64
    assert "Luckyjhg/Geo170K" in gr.images.url and gr.member_parts == 3


def test_fetch_lays_out_both_sets_then_a_rerun_downloads_nothing(
    source: FakeSource, fakes: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    assert fetch("vc", "gr", "--out", str(out), "--mirror", url(source)) == 0
    printed = capsys.readouterr().out
    vc_file = out / "superclevr" / "superclevr_test200_counting_problems.jsonl"
    assert vc_file.read_bytes() == FILES["/superclevr/superclevr_test200_counting_problems.jsonl"]
    for name, data in VC_IMAGES.items():
        assert (out / "superclevr" / name).read_bytes() == data
    assert not (out / "superclevr" / "images" / "superCLEVR_new_000007.png").exists()
    for i in range(2):  # the test image, not geo3k's image of the same name
        got = (out / "geoqa" / "Geo170K" / "images" / "test" / f"{i}.png").read_bytes()
        assert got == GR_IMAGES[f"images/test/{i}.png"]
    assert f"--tasks vc --data {vc_file} --image-root {out / 'superclevr'}" in printed
    assert f"--eval-data gr={out / 'geoqa' / 'geoqa_test_prompts.jsonl'}" in printed
    manifest = json.loads((out / "superclevr" / MANIFEST).read_text())
    assert manifest["files"]["images/superCLEVR_new_025001.png"] == hashlib.sha256(
        VC_IMAGES["images/superCLEVR_new_025001.png"]).hexdigest()
    assert manifest["archive"]["read"].startswith("byte ranges")
    assert not any(p.name.endswith((".part", ".tmp")) for p in out.rglob("*"))
    # the archives were read by ranges only: no request for a whole archive
    assert all(rng for path, rng in source.log if path.endswith(".zip"))

    before = len(source.log)
    assert fetch("vc", "gr", "--out", str(out), "--mirror", url(source)) == 0
    assert len(source.log) == before
    assert "0 images unpacked, 3 already there; 0.0 MB downloaded" in capsys.readouterr().out


def test_a_changed_or_deleted_image_is_fetched_again(
    source: FakeSource, fakes: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    assert fetch("vc", "--out", str(out), "--mirror", url(source)) == 0
    (out / "superclevr" / "images" / "superCLEVR_new_025000.png").write_bytes(b"edited")
    (out / "superclevr" / "images" / "superCLEVR_new_025002.png").unlink()
    capsys.readouterr()
    assert fetch("vc", "--out", str(out), "--mirror", url(source)) == 0
    assert "2 images unpacked, 1 already there" in capsys.readouterr().out
    for name, data in VC_IMAGES.items():
        assert (out / "superclevr" / name).read_bytes() == data


def test_without_byte_ranges_the_whole_archive_is_downloaded_then_deleted(
    source: FakeSource, fakes: None, tmp_path: Path
) -> None:
    source.ranges = False
    out = tmp_path / "data"
    assert fetch("gr", "--out", str(out), "--mirror", url(source)) == 0
    manifest = json.loads((out / "geoqa" / MANIFEST).read_text())
    assert manifest["archive"]["sha256"] == hashlib.sha256(FILES["/geoqa/images.zip"]).hexdigest()
    assert not (out / "geoqa" / ".downloads").exists()  # unpacked, the archive is deleted
    assert (out / "geoqa" / "Geo170K" / "images" / "test" / "1.png").read_bytes() == GR_IMAGES[
        "images/test/1.png"]


def test_a_dropped_connection_resumes_with_a_range_request(
    source: FakeSource, fakes: None, tmp_path: Path
) -> None:
    source.ranges = True
    jsonl_path = "/geoqa/geoqa_test_prompts.jsonl"
    source.drop_after[jsonl_path] = 100
    out = tmp_path / "data"
    assert fetch("gr", "--out", str(out), "--mirror", url(source)) == 0
    assert (jsonl_path, "bytes=100-") in source.log
    assert (out / "geoqa" / "geoqa_test_prompts.jsonl").read_bytes() == FILES[jsonl_path]



def test_a_partial_file_from_an_earlier_run_is_continued(tmp_path: Path, source: FakeSource) -> None:
    from othink_bench.downloads import download

    body = FILES["/geoqa/images.zip"]
    dest = tmp_path / "images.zip"
    dest.with_name("images.zip.part").write_bytes(body[:300])
    got = download(url(source) + "/geoqa/images.zip", dest, size=len(body),
                   sha256=hashlib.sha256(body).hexdigest(), max_bytes=1 << 20)
    assert dest.read_bytes() == body and got.transferred == len(body) - 300
    assert ("/geoqa/images.zip", "bytes=300-") in source.log


def test_a_ranged_read_that_drops_is_retried(source: FakeSource) -> None:
    from othink_bench.downloads import HttpRangeFile

    body = FILES["/superclevr/images.zip"]
    remote = HttpRangeFile.open(url(source) + "/superclevr/images.zip")
    assert remote is not None and remote.size == len(body)
    source.drop_ranges, source.drop_after["/superclevr/images.zip"] = True, 50
    remote.seek(-200, 2)
    assert remote.read() == body[-200:]
    ranged = [rng for path, rng in source.log if path == "/superclevr/images.zip"]
    assert ranged == ["bytes=0-0", f"bytes=0-{len(body) - 1}", f"bytes=0-{len(body) - 1}"]
    with zipfile.ZipFile(remote) as zf:
        assert zf.read("images/superCLEVR_new_025001.png") == VC_IMAGES[
            "images/superCLEVR_new_025001.png"]


def test_a_server_without_ranges_restarts_a_partial_file(tmp_path: Path, source: FakeSource) -> None:
    from othink_bench.downloads import download

    source.ranges = False
    body = FILES["/geoqa/images.zip"]
    dest = tmp_path / "images.zip"
    dest.with_name("images.zip.part").write_bytes(b"x" * 300)  # not even a prefix of the file
    got = download(url(source) + "/geoqa/images.zip", dest, size=len(body), max_bytes=1 << 20)
    assert dest.read_bytes() == body and got.transferred == len(body)


def test_size_cap_stops_a_download(tmp_path: Path, source: FakeSource) -> None:
    from othink_bench.downloads import DownloadError, download

    with pytest.raises(DownloadError, match="over the cap of 100 bytes"):
        download(url(source) + "/geoqa/images.zip", tmp_path / "x.zip", max_bytes=100)
    assert not (tmp_path / "x.zip").exists()


def test_checksum_mismatch_names_the_file_and_leaves_no_file(
    source: FakeSource, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = FILES["/superclevr/superclevr_test200_counting_problems.jsonl"]
    monkeypatch.setattr(type(get_task("vc")), "test_set", fake_spec("vc", 3, body, sha256="0" * 64))
    out = tmp_path / "data"
    assert fetch("vc", "--out", str(out), "--mirror", url(source)) == 1
    err = capsys.readouterr().err
    assert "superclevr_test200_counting_problems.jsonl" in err and f"expected {'0' * 64}" in err
    assert "Rerun to download it again" in err
    assert list((out / "superclevr").iterdir()) == []  # neither the file nor a .part


def test_an_archive_without_a_named_image_is_an_error(
    source: FakeSource, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [*VC_ROWS, {"image_path": "./images/superCLEVR_new_025199.png", "question": "q",
                       "ground_truth": 1}]
    body = jsonl(rows)
    monkeypatch.setitem(FILES, "/superclevr/superclevr_test200_counting_problems.jsonl", body)
    monkeypatch.setattr(type(get_task("vc")), "test_set", fake_spec("vc", 4, body))
    assert fetch("vc", "--out", str(tmp_path), "--mirror", url(source)) == 1
    err = capsys.readouterr().err
    assert "lacks 1 of the 4 images" in err and "superCLEVR_new_025199.png" in err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_source_says_what_to_copy_where_and_a_copy_works(
    fakes: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    dead = f"http://127.0.0.1:{_closed_port()}"
    assert fetch("vc", "--out", str(out), "--mirror", dead, "--timeout", "2") == 3
    err = capsys.readouterr().err
    folder = out / "superclevr"
    assert f"copy it to {folder / 'superclevr_test200_counting_problems.jsonl'}" in err
    assert f"copy it to {folder / '.downloads' / 'images.zip'}" in err
    assert "raw.githubusercontent.com/Deep-Agent/R1-V/" in err  # the upstream source to use

    # doing exactly that makes the same command work with the source still unreachable
    (folder / ".downloads").mkdir(parents=True, exist_ok=True)
    (folder / "superclevr_test200_counting_problems.jsonl").write_bytes(
        FILES["/superclevr/superclevr_test200_counting_problems.jsonl"])
    (folder / ".downloads" / "images.zip").write_bytes(FILES["/superclevr/images.zip"])
    assert fetch("vc", "--out", str(out), "--mirror", dead, "--timeout", "2") == 0
    assert (folder / "images" / "superCLEVR_new_025002.png").read_bytes() == VC_IMAGES[
        "images/superCLEVR_new_025002.png"]


def test_mirror_comes_from_the_environment(
    source: FakeSource, fakes: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTHINK_BENCH_DATA_URL", url(source))
    assert fetch("gr", "--out", str(tmp_path)) == 0
    assert source.log and source.log[0][0] == "/geoqa/geoqa_test_prompts.jsonl"


def test_help_and_bad_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        fetch("--help")
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "--mirror" in text and "--out" in text and "SuperCLEVR-200" in text
    assert fetch("vcc") == 2
    assert "unknown task 'vcc'. Did you mean 'vc'" in capsys.readouterr().err
    assert fetch("vc-synth") == 2
    assert "has no published test set to fetch; tasks that have one: gr, vc" in (
        capsys.readouterr().err)


def test_run_works_on_the_fetched_layout(
    source: FakeSource, fakes: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "data"
    assert fetch("vc", "--out", str(out), "--mirror", url(source)) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "othink-bench run" in x)
    flags = line.split("--tasks vc ", 1)[1].split()
    runs = tmp_path / "runs"
    assert main(["run", "--model", "tiny", "--tasks", "vc", *flags, "--limit", "2",
                 "--out", str(runs), "--no-progress"]) == 0
    records = [json.loads(x) for p in runs.rglob("records*.jsonl")
               for x in p.read_text().splitlines()]
    assert len(records) == 2 and not any(r.get("error") for r in records)
