"""`othink-bench view`: the static sample pages, read back as HTML (no browser needed).

The browser checks (filters clicked, images decoded, think folded) are in
``test_viewer_browser.py``; here the pages' content is parsed with the standard library.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image
from viewer_fixtures import HOSTILE, SYNTH, N, kind_a, local_run, synthetic_runs

from leaderboard import build_board, render_html, render_markdown
from leaderboard.viewer.build import build_viewer
from leaderboard.viewer.links import add_viewer_section
from leaderboard.viewer.pages import split_think
from leaderboard.viewer.template import INDEX_FILE, compare_name, page_name
from othink_bench.cli import main
from othink_bench.harness import load_run_records
from othink_bench.registry import get_task


class Rows(HTMLParser):
    """The ``tr.sample`` rows of a page: their classes, sample ids, images and cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, object]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self._row: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag == "tr" and "sample" in (a.get("class") or "").split():
            self._row = {
                "classes": set((a.get("class") or "").split()),
                "sample": a.get("data-sample"),
                "imgs": [],
                "text": "",
                "details": 0,
            }
            self.rows.append(self._row)
        elif self._row is not None and tag == "img":
            self._row["imgs"].append(a.get("src"))  # type: ignore[union-attr]
        elif self._row is not None and tag == "details":
            assert "open" not in a, "a <think> part is unfolded"
            self._row["details"] += 1  # type: ignore[operator]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        elif self._row is not None:
            self._row["text"] += data  # type: ignore[operator]


def parse(path: Path) -> Rows:
    p = Rows()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("viewer-runs")
    a, b = synthetic_runs(root / "runs")
    local = local_run(root / "runs", root / "data")
    return {"a": a, "b": b, "local": local, "root": root}


@pytest.fixture(scope="module")
def viewer(runs: dict[str, Path]) -> Path:
    out = runs["root"] / "view"
    build_viewer([runs["a"], runs["b"], runs["local"]], out, compare=[(runs["a"], runs["b"])])
    return out


def test_split_think() -> None:
    assert split_think("<think>a</think>b") == ("", "a", "b")
    assert split_think("x<think>a") == ("x", "a", "")  # cut off at the token limit
    assert split_think("no tags") == ("no tags", None, "")
    assert split_think("<think>a</think>b</think>c") == ("", "a", "b</think>c")


def test_run_page_has_every_record_with_its_verdict_classes(
    runs: dict[str, Path], viewer: Path
) -> None:
    records = {r.sample_id: r for r in load_run_records(runs["a"])}
    page = parse(viewer / page_name(runs["a"].name))
    assert len(page.rows) == N == len(records)
    expected = {
        "right": {"is-correct"},
        "wrong": {"is-wrong"},
        "noformat": {"is-wrong", "is-format"},
        "error": {"is-error"},
        "hostile": {"is-wrong", "is-format"},
    }
    for row in page.rows:
        sid = str(row["sample"])
        index = int(sid.rsplit("/", 1)[1])
        assert row["classes"] - {"sample"} == expected[kind_a(index)], sid
        r = records[sid]
        text = str(row["text"])
        assert f"gold: {r.gold}" in text
        if r.error is not None:
            assert "server said 500" in text and "error (generation)" in text
        else:
            assert row["details"] == (0 if kind_a(index) == "noformat" else 1)
            assert f"extracted: {r.extracted if r.extracted is not None else 'none'}" in text


def test_images_and_questions_are_the_samples_the_run_saw(
    runs: dict[str, Path], viewer: Path
) -> None:
    task = get_task(SYNTH)
    page = parse(viewer / page_name(runs["a"].name))
    for row in page.rows:
        sid = str(row["sample"])
        index = int(sid.rsplit("/", 1)[1])
        sample = task.make_sample("test", 0, index)  # type: ignore[attr-defined]
        assert sample.question in str(row["text"])
        (src,) = row["imgs"]  # type: ignore[misc]
        with Image.open(viewer / str(src)) as im:
            assert im.size == sample.image.load().size  # 112x112: under the 448 cap, kept as is
            assert im.convert("RGB").tobytes() == sample.image.load().tobytes()


def test_local_data_images_come_from_image_path(runs: dict[str, Path], viewer: Path) -> None:
    page = parse(viewer / page_name(runs["local"].name))
    assert len(page.rows) == 3
    for i, row in enumerate(page.rows):
        (src,) = row["imgs"]  # type: ignore[misc]
        with Image.open(viewer / str(src)) as im, Image.open(
            runs["root"] / "data" / "images" / f"im{i}.png"
        ) as original:
            assert im.size == original.size
            assert im.convert("RGB").tobytes() == original.convert("RGB").tobytes()
        assert f"How many things? ({i})" in str(row["text"])


def test_model_output_is_escaped(runs: dict[str, Path], viewer: Path) -> None:
    text = (viewer / page_name(runs["a"].name)).read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in text
    assert 'onerror="window' not in text
    assert html.escape('<img src="x" onerror="window.__pwned = 2">') in text
    page = parse(viewer / page_name(runs["a"].name))
    assert len(page.scripts) == 1 and "__pwned" not in page.scripts[0]
    # the hostile row shows the text as text
    row = next(r for r in page.rows if kind_a(int(str(r["sample"]).rsplit("/", 1)[1])) == "hostile")
    assert "<script>window.__pwned = 1</script>" in str(row["text"])
    assert HOSTILE.split("</think>", 1)[1].split("<answer>")[0] in str(row["text"])


def test_csp_allows_only_the_pages_own_script(runs: dict[str, Path], viewer: Path) -> None:
    import base64
    import hashlib

    text = (viewer / page_name(runs["a"].name)).read_text(encoding="utf-8")
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)[1])  # type: ignore[index]
    (script,) = parse(viewer / page_name(runs["a"].name)).scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1]


def test_compare_page_pairs_the_shared_samples(runs: dict[str, Path], viewer: Path) -> None:
    page = parse(viewer / compare_name(runs["a"].name, runs["b"].name))
    assert len(page.rows) == N
    # B is wrong exactly where A is right and right elsewhere: all disagree
    right_a = sum(kind_a(i) == "right" for i in range(N))
    assert all("is-disagree" in r["classes"] for r in page.rows)  # type: ignore[operator]
    assert sum("is-a-only" in r["classes"] for r in page.rows) == right_a  # type: ignore[operator]
    assert sum("is-b-only" in r["classes"] for r in page.rows) == N - right_a  # type: ignore[operator]
    # each row shows both outputs: A's and B's think parts
    assert all(r["details"] >= 1 for r in page.rows)  # type: ignore[operator]


def test_compare_page_orders_agreeing_rows_last(runs: dict[str, Path], tmp_path: Path) -> None:
    # A against a copy of A with one answer made wrong (its verdict rescored, so the copy's
    # records verify): that one row comes first.
    copy = tmp_path / "runs" / runs["a"].name.replace("model-a", "model-c")
    shutil.copytree(runs["a"], copy)
    manifest = (copy / "manifest.json").read_text()
    (copy / "manifest.json").write_text(manifest.replace(runs["a"].name, copy.name))
    lines = (copy / "records.jsonl").read_text().splitlines()
    (at,) = [i for i, line in enumerate(lines) if f'"{SYNTH}/test/0/4"' in line]
    assert kind_a(4) == "right"
    record = json.loads(lines[at])
    wrong = f"<think>.</think><answer>{int(record['gold']) + 1}</answer>"
    score = get_task(SYNTH).score_gold(wrong, record["gold"])
    record.update(output=wrong, extracted=score.extracted, correct=score.correct,
                  lenient_extracted=score.lenient_extracted,
                  lenient_correct=score.lenient_correct, format_ok=score.format_ok)  # fmt: skip
    assert not record["correct"]
    lines[at] = json.dumps(record)
    (copy / "records.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "view"
    build_viewer([runs["a"], copy], out)  # exactly two runs: compared by default
    page = parse(out / compare_name(runs["a"].name, copy.name))
    assert [r["classes"] - {"sample"} for r in page.rows][0] == {"is-disagree", "is-a-only"}
    assert str(page.rows[0]["sample"]).endswith("/4")
    assert all("is-disagree" not in r["classes"] for r in page.rows[1:])  # type: ignore[operator]


def test_unrecoverable_data_still_shows_records(runs: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / "local-run"
    shutil.copytree(runs["local"], run)
    data = tmp_path / "gone.jsonl"
    manifest = (run / "manifest.json").read_text()
    old = str((runs["root"] / "data" / "test.jsonl").resolve())
    assert old in manifest
    (run / "manifest.json").write_text(manifest.replace(old, str(data)))
    out = tmp_path / "view"
    build_viewer([run], out)
    text = (out / page_name(runs["local"].name)).read_text(encoding="utf-8")
    page = parse(out / page_name(runs["local"].name))
    assert len(page.rows) == 3 and all(not r["imgs"] for r in page.rows)
    assert "the run&#x27;s data cannot be loaded here" in text and "gone.jsonl" in text


def test_same_runs_same_bytes(runs: dict[str, Path], tmp_path: Path) -> None:
    a, b = tmp_path / "v1", tmp_path / "v2"
    for out in (a, b):
        build_viewer([runs["a"], runs["b"]], out)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_images_are_bounded(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "small"
    v = build_viewer([runs["a"]], out, max_side=40, max_image_bytes=3 * 2**10)
    sizes = [Image.open(p).size for p in (out / "images").glob("*.png")]
    assert sizes and all(max(s) <= 40 for s in sizes)
    assert v.images.total <= 3 * 2**10 and v.images.skipped > 0
    assert any("images left out" in n for n in v.notes)


def test_cli_view(runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    assert main(["view", str(runs["a"].parent), "--out", str(out), "--no-images",
                 "--compare", runs["a"].name, runs["b"].name]) == 0
    assert (out / INDEX_FILE).is_file() and not (out / "images").exists()
    assert (out / compare_name(runs["a"].name, runs["b"].name)).is_file()
    assert "3 run pages, 1 side-by-side pages" in capsys.readouterr().out
    assert main(["view", str(tmp_path / "nope"), "--out", str(out)]) == 2
    assert "no such run directory" in capsys.readouterr().err
    assert main(["view", str(runs["a"]), "--out", str(out), "--compare", "x", "y"]) == 2
    assert "is not one of the given runs" in capsys.readouterr().err


def test_board_links_each_run_to_its_page(runs: dict[str, Path], viewer: Path) -> None:
    board_dir = runs["root"] / "board"
    board = build_board([runs["a"], runs["b"], runs["local"]], plots=False)
    assert add_viewer_section(board, viewer, board_dir) == 3
    md = render_markdown(board)
    assert md.index("## Runs") < md.index("## Samples")
    for d in (runs["a"], runs["b"], runs["local"]):
        link = f"[samples](../view/{page_name(d.name)})"
        assert link in md
        assert (board_dir / ".." / "view" / page_name(d.name)).resolve().is_file()
    assert f'<a href="../view/{page_name(runs["a"].name)}">samples</a>' in render_html(board)


def test_leaderboard_viewer_flag(runs: dict[str, Path], tmp_path: Path) -> None:
    board, view = tmp_path / "board", tmp_path / "board" / "samples"
    assert main(["leaderboard", str(runs["a"]), str(runs["b"]), "--out", str(board),
                 "--no-plots", "--viewer", str(view)]) == 0
    md = (board / "README.md").read_text(encoding="utf-8")
    assert f"[samples](samples/{page_name(runs['a'].name)})" in md
    assert (view / page_name(runs["b"].name)).is_file()


def test_repeated_ids_and_moved_samples_are_recovered(tmp_path: Path) -> None:
    import json

    from othink_bench.backends.scripted import ScriptedBackend
    from othink_bench.harness import evaluate

    data = tmp_path / "data"
    data.mkdir()
    rows = []
    for i in range(3):
        Image.new("RGB", (20 + 10 * i, 20), (80 * i, 0, 0)).save(data / f"{i}.png")
        rows.append({"id": "same" if i < 2 else "other", "image_path": f"{i}.png",
                     "question": f"q{i}", "ground_truth": 3})
    (data / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (s,) = evaluate("m", "vc", backend=ScriptedBackend({}, default="<answer>3</answer>"),
                    source="local", data=str(data / "t.jsonl"), out=str(tmp_path / "runs"),
                    progress=False)
    assert sorted(r.sample_id for r in load_run_records(s.run_dir)) == ["other", "same", "same~2"]
    # the data file gains a row at the top: every sample moves down one position
    Image.new("RGB", (5, 5)).save(data / "new.png")
    new = {"id": "new", "image_path": "new.png", "question": "new", "ground_truth": 4}
    (data / "t.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [new, *rows]))
    out = tmp_path / "view"
    build_viewer([s.run_dir], out)
    page = parse(out / page_name(s.run_id))
    widths = {}
    for row in page.rows:
        (src,) = row["imgs"]  # type: ignore[misc]
        widths[row["sample"]] = Image.open(out / str(src)).size[0]
    # all moved: found by id, the repeated one by its ~2 suffix as the harness gave it
    assert widths == {"same": 20, "same~2": 30, "other": 40}


def test_bad_inputs_name_the_file(runs: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad-run"
    bad.mkdir()
    (bad / "manifest.json").write_text('{"run_id": 3}')
    with pytest.raises(ValueError, match=r"bad-run/manifest.json: not a valid run manifest"):
        build_viewer([bad], tmp_path / "v")
    twin = tmp_path / "twin" / runs["a"].name
    shutil.copytree(runs["a"], twin)
    with pytest.raises(ValueError, match="appears twice"):
        build_viewer([runs["a"], twin], tmp_path / "v2")


def test_hub_data_is_not_downloaded_unless_asked(runs: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / runs["local"].name
    shutil.copytree(runs["local"], run)
    text = (run / "manifest.json").read_text()
    (run / "manifest.json").write_text(text.replace('"source": "local"', '"source": "hub"'))
    build_viewer([run], tmp_path / "v")
    page = (tmp_path / "v" / page_name(run.name)).read_text(encoding="utf-8")
    assert "pass --hub to load it" in page
    assert len(parse(tmp_path / "v" / page_name(run.name)).rows) == 3
