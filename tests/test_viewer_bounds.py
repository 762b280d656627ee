"""Bounded viewer pages (issue 28, item 4): long texts are cut with a note and the full text in a
``texts/`` side file, and every page stays under ``--max-page-mb`` however large the outputs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_viewer import parse
from viewer_fixtures import SYNTH, gold

from leaderboard.viewer.build import build_viewer
from leaderboard.viewer.template import page_name
from othink_bench.backends.base import GenRequest
from othink_bench.backends.scripted import ScriptedBackend
from othink_bench.cli import main
from othink_bench.harness import evaluate, load_run_records

MB = 2**20
BIG = 5 * 10**6  # characters of the one huge output
ROWS = 6
CUT = re.compile(r'cut: (\d+) of (\d+) characters; full text: <a href="(texts/[0-9a-f]{20}\.txt)"')
LEFT_OUT = re.compile(r'left out at the page bound \(--max-page-mb\); full text: <a href="([^"]+)"')


def _index(request: GenRequest) -> int:
    return int(request.sample_id.rsplit("/", 1)[1])


def huge(request: GenRequest) -> str:
    """Sample 0 answers 5 MB of hostile text, the others a short correct answer."""
    g = gold(request.sample_id)
    if _index(request) == 0:
        return "<think>" + ("<script>alert(1)</script> é" * (BIG // 27)) + f"</think><answer>{g}</answer>"
    return f"<think>I count {g}.</think><answer>{g}</answer>"


def many(request: GenRequest) -> str:
    """Every sample answers 300 kB of distinct text full of characters HTML escapes."""
    return f"<answer>{gold(request.sample_id)}</answer>" + f"{_index(request)}&<'\"" * 60_000


def long_answer(request: GenRequest) -> str:
    """An answer of 240 kB: even a row without its output is large (answers are shown)."""
    return "<answer>" + "&<" * 120_000 + "</answer>"


def _run(out: Path, name: str, script: object) -> Path:
    (summary,) = evaluate(name, SYNTH, backend=ScriptedBackend(script),  # type: ignore[arg-type]
                          limit=ROWS, out=str(out), progress=False)
    return summary.run_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bounded")
    return {
        "huge": _run(root / "runs", "model-huge", huge),
        "many": _run(root / "runs", "model-many", many),
        "many2": _run(root / "runs2", "model-wide", many),
        "answers": _run(root / "runs", "model-answers", long_answer),
    }


def test_a_huge_output_is_cut_and_its_full_text_linked(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "v"
    v = build_viewer([runs["huge"]], out)
    path = out / page_name(runs["huge"].name)
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size < 200_000  # 4000 characters inline, not 5 MB
    assert "kept under 20 MiB (--max-page-mb)" in text and "longer than 4000" in text
    records = {r.sample_id: r for r in load_run_records(runs["huge"])}
    page = parse(path)
    assert len(page.rows) == ROWS and len(page.scripts) == 1  # the output's <script> is text
    (big,) = [row for row in page.rows if str(row["sample"]).endswith("/0")]
    full = records[str(big["sample"])].output
    assert full is not None and len(full) > BIG - 100
    (cut,) = CUT.findall(text)
    assert cut[:2] == ("4000", str(len(full)))
    side = out / cut[2]
    assert side.suffix == ".txt" and side.read_bytes() == full.encode("utf-8")
    assert "&lt;think&gt; (3993 chars, cut)" in text  # the folded part names the cut
    # the short outputs are shown whole, with no note and no side file
    for row in page.rows:
        if row is not big:
            output = records[str(row["sample"])].output
            assert output is not None and output.split("<think>")[1].split("</think>")[0] in str(row["text"])
            assert "cut:" not in str(row["text"])
    assert sorted(p.name for p in (out / "texts").iterdir()) == [side.name]
    assert any("texts/" in n for n in v.notes)
    # the same run gives the same files, side files included
    again = tmp_path / "again"
    build_viewer([runs["huge"]], again)
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((out / f).read_bytes() == (again / f).read_bytes() for f in files)


@pytest.mark.parametrize(("max_mb", "chars"), [(0.1, 4000), (0.15, 100_000), (1.0, 4000)])
def test_pages_stay_under_the_bound(runs: dict[str, Path], tmp_path: Path, max_mb: float,
                                    chars: int) -> None:
    out = tmp_path / "v"
    build_viewer([runs["many"], runs["many2"]], out, max_page_bytes=int(max_mb * MB),
                 max_output_chars=chars)
    records = {r.sample_id: r.output for r in load_run_records(runs["many"])}
    (cmp,) = out.glob("compare-*.html")
    for name in (page_name(runs["many"].name), cmp.name):
        path = out / name
        assert path.stat().st_size <= max_mb * MB, name
        text = path.read_text(encoding="utf-8")
        rows = parse(path).rows
        note = re.search(r"At that bound, (\d+) rows are listed without their output "
                         r"\(linked instead\) and (\d+) rows are not listed\.", text)
        compact, omitted = (int(note[1]), int(note[2])) if note else (0, 0)
        left = sum(str(r["text"]).count("left out at the page bound") for r in rows)
        cut = sum(str(r["text"]).count("cut: ") for r in rows)
        sides = 2 if name.startswith("compare-") else 1  # outputs per row
        assert left == sides * compact and cut == sides * (len(rows) - compact)
        assert len(rows) + omitted == ROWS
        # every row past the bound links its full output, exactly
        for href in LEFT_OUT.findall(text):
            assert (out / href).read_text(encoding="utf-8") in records.values()
        # every cut output links its full text, exactly
        for shown, total, href in CUT.findall(text):
            assert int(shown) == chars and len((out / href).read_text(encoding="utf-8")) == int(total)
    page = (out / page_name(runs["many"].name)).read_text(encoding="utf-8")
    if max_mb == 1.0:  # 6 rows of ~4000 escaped characters fit whole
        assert "At that bound" not in page and len(CUT.findall(page)) == ROWS
    else:
        assert "At that bound" in page


def test_rows_fill_in_order_full_then_without_output(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "v"
    build_viewer([runs["many"]], out, max_page_bytes=int(0.1 * MB))
    path = out / page_name(runs["many"].name)
    text = path.read_text(encoding="utf-8")
    kinds = ["left" if "left out at the page bound" in str(r["text"]) else "full"
             for r in parse(path).rows]
    assert kinds == sorted(kinds, key=lambda k: k == "left") and "full" in kinds
    note = re.search(r"At that bound, (\d+) rows are listed without", text)
    assert note is not None and int(note[1]) == kinds.count("left")


def test_rows_past_even_short_rows_are_not_listed(runs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "v"
    build_viewer([runs["answers"]], out, max_page_bytes=int(0.15 * MB), max_output_chars=100_000)
    path = out / page_name(runs["answers"].name)
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size <= 0.15 * MB and not parse(path).rows
    assert "0 rows are listed without their output (linked instead) and 6 rows are not listed" in text
    assert 'data-filter="all">all (0)</button>' in text
    # with the default cut, the same answers fit in 1 MiB: each cut, linked in full
    build_viewer([runs["answers"]], out, max_page_bytes=MB)
    text = path.read_text(encoding="utf-8")
    assert len(parse(path).rows) == ROWS and "At that bound" not in text
    assert {int(total) for _, total, _ in CUT.findall(text)} == {240_017, 240_000}  # output with its tags; answers


def test_page_bound_below_the_frame_is_refused(runs: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"--max-page-mb .* is below the \d+ bytes of the page"):
        build_viewer([runs["huge"]], tmp_path / "v", max_page_bytes=2000)


def test_cli_flags_are_documented_and_checked(runs: dict[str, Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["view", "--help"])
    helptext = " ".join(capsys.readouterr().out.split())
    assert "--max-output-chars" in helptext and "(default 4000)" in helptext
    assert "--max-page-mb" in helptext and "(default 20)" in helptext
    for flag, value in (("--max-page-mb", "nan"), ("--max-page-mb", "0.01"),
                        ("--max-output-chars", "10")):
        assert main(["view", str(runs["huge"]), "--out", str(tmp_path / "x"), flag, value]) == 2
        assert f"{flag} must be" in capsys.readouterr().err
    out = tmp_path / "cli"
    assert main(["view", str(runs["huge"]), "--out", str(out), "--no-images",
                 "--max-output-chars", "100", "--max-page-mb", "0.5"]) == 0
    assert "cut: 100 of" in (out / page_name(runs["huge"].name)).read_text(encoding="utf-8")
    assert "texts/" in capsys.readouterr().err


def test_stale_side_file_temps_are_cleaned(runs: dict[str, Path], tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    out = tmp_path / "v"
    (out / "texts").mkdir(parents=True)
    stale = out / "texts" / f"0123456789abcdef0123.txt.{proc.pid}.tmp"
    stale.write_text("partial")
    live = out / "texts" / f"x.txt.{os.getppid()}.tmp"
    live.write_text("partial")
    build_viewer([runs["huge"]], out)
    assert not stale.exists() and live.exists()
