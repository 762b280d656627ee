"""Derived files (issue 28): pages, boards and matrix files are written atomically, temp files
a killed writer left are cleaned on the next write, and the markdown board shows labels as
text, as the HTML board does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_leaderboard import make_run

from leaderboard import build_board, render_markdown
from leaderboard.formats import render_html
from leaderboard.render import write_board
from othink_bench.records import remove_stale_temps, write_atomic

EVIL = "<img src=x onerror=alert(1)>"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_write_atomic_replaces_whole_and_leaves_no_temp_on_failure(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    write_atomic(page, "old page")
    write_atomic(page, "new page")
    assert page.read_text() == "new page"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]

    # a failure mid-write (here: a folder that vanished) keeps the old file and no temp
    missing = tmp_path / "gone" / "x.html"
    with pytest.raises(FileNotFoundError):
        write_atomic(missing, "x")
    assert page.read_text() == "new page" and sorted(p.name for p in tmp_path.iterdir()) == [
        "index.html"
    ]


def test_a_killed_writer_leaves_the_old_file_whole(tmp_path: Path) -> None:
    # SIGKILL between writing the temp and the rename: the page is the old one, whole
    page = tmp_path / "run.html"
    write_atomic(page, "A" * 1000)
    code = (
        "import os, signal\n"
        "import othink_bench.records as r\n"
        "real = os.replace\n"
        "os.replace = lambda a, b: os.kill(os.getpid(), signal.SIGKILL)\n"
        f"r.write_atomic(__import__('pathlib').Path({str(page)!r}), 'B' * 5000)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert proc.returncode == -9
    assert page.read_text() == "A" * 1000
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) == 1 and leftovers[0].name.startswith("run.html.")
    assert remove_stale_temps(tmp_path) == leftovers
    assert [p.name for p in tmp_path.iterdir()] == ["run.html"]


def test_stale_temps_of_dead_writers_only_are_removed(tmp_path: Path) -> None:
    dead = tmp_path / f"matrix.md.{_dead_pid()}.tmp"
    live = tmp_path / f"matrix.json.{os.getppid()}.tmp"  # a live writer (our parent)
    other = tmp_path / "notes.2024.tmp"  # not a derived file's temp: never touched
    for p in (dead, live, other):
        p.write_text("partial")
    assert remove_stale_temps(tmp_path) == [dead]
    assert live.exists() and other.exists() and not dead.exists()


def test_write_board_cleans_temps_and_writes_whole_files(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    make_run(runs, "base", [True] * 10 + [False] * 10)
    out = tmp_path / "board"
    out.mkdir()
    stale = out / f"README.md.{_dead_pid()}.tmp"
    stale.write_text("half a board")
    written = write_board(build_board([runs], plots=False), out, ["md", "html"])
    assert not stale.exists()
    assert {p.name for p in out.iterdir()} == {"README.md", "board.html"}
    assert all(p.read_text().strip() for p in written)


def test_markdown_board_escapes_labels_like_the_html(tmp_path: Path) -> None:
    make_run(tmp_path, "base", [True] * 10 + [False] * 10)
    make_run(
        tmp_path, "evil", [True] * 15 + [False] * 5, method=EVIL, train_task=EVIL, label=EVIL
    )
    board = build_board([tmp_path], plots=False)
    md = render_markdown(board)
    assert "<img" not in md and "&lt;img src=x onerror=alert(1)>" in md
    assert "<u>" in md or "**" in md  # the board's own markup is kept
    assert "<img" not in render_html(board)
