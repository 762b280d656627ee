"""The train/test overlap audit (issue 27, item 4), offline on the procedural tasks.

Constructed duplicates (renumbered questions, images re-encoded as JPEG and resized) must all
be found; unrelated sets (another split, another seed) must give no alarm at the defaults.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from othink_bench.imagehash import as_array, dhash, hamming, hamming_chunks, phash
from othink_bench.overlap import (
    PHASH_MAX,
    describe,
    find_overlap,
    hash_samples,
    masked_text,
    normal_text,
)
from othink_bench.registry import get_task
from othink_bench.task import ImageRef, Sample

TASKS = ("vc-synth-tiny", "gr-synth-tiny")


def load(task: str, split: str, n: int, seed: int = 0) -> list[Sample]:
    return list(get_task(task).load(split=split, source="synthetic", limit=n, seed=seed))


def reencoded(image: Image.Image, scale: float, quality: int = 80) -> Image.Image:
    """``image`` resized by ``scale`` and saved as JPEG: other bytes, the same picture."""
    w, h = image.size
    small = image.convert("RGB").resize((max(8, round(w * scale)), max(8, round(h * scale))),
                                        Image.Resampling.BILINEAR)  # fmt: skip
    buf = io.BytesIO()
    small.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def renumbered(text: str) -> str:
    return re.sub(r"\d+", lambda m: str(int(m.group()) + 7), text)


def copy_of(s: Sample, scale: float) -> Sample:
    """A training item made from test item ``s``: renumbered, re-encoded, resized."""
    buf = io.BytesIO()
    reencoded(s.image.load(), scale).save(buf, format="JPEG", quality=85)
    return Sample(id=f"copy-of-{s.id}", question=renumbered(s.question),
                  gold=renumbered(s.gold), image=ImageRef(data=buf.getvalue()))  # fmt: skip


def test_text_normalisation_and_masking() -> None:
    assert normal_text("  In\u200b △ABC,\n  ∠A = 40° ") == "in △abc, ∠a = 40°"
    assert masked_text("AB=6cm, BC=8.5cm, 1,000 m") == "ab=#cm, bc=#cm, # m"
    assert masked_text("Angle 1 is 30°") == masked_text("Angle 2 is 45°")
    assert masked_text("Angle 1 is 30°") != masked_text("Side 2 is 45°")
    assert normal_text("ＡＢ") == "ab"  # NFKC folds full-width letters


def test_hashes_and_chunked_distances() -> None:
    rng = np.random.default_rng(0)
    pics = [Image.fromarray(rng.integers(0, 255, (40, 50, 3), dtype=np.uint8)) for _ in range(5)]
    hs = [phash(p) for p in pics]
    grid = np.concatenate([d for _, d in hamming_chunks(as_array(hs), as_array(hs), chunk=2)])
    assert grid.shape == (5, 5) and all(grid[i, i] == 0 for i in range(5))
    assert all(grid[i, j] == hamming(hs[i], hs[j]) for i in range(5) for j in range(5))
    flat = Image.new("RGB", (30, 30), (255, 255, 255))
    assert dhash(flat) == bytes(8)  # no gradient anywhere
    assert len(phash(flat)) == 32 and len(dhash(flat)) == 8


@pytest.mark.parametrize("task", TASKS)
def test_reencoded_resized_copies_stay_within_the_thresholds(task: str) -> None:
    for s in load(task, "test", 20):
        image = s.image.load()
        for scale in (0.5, 0.75, 1.5):
            other = reencoded(image, scale)
            assert hamming(phash(image), phash(other)) <= PHASH_MAX // 2, (s.id, scale)


@pytest.mark.parametrize("task", TASKS)
def test_constructed_duplicates_are_found(task: str) -> None:
    test = load(task, "test", 60)
    planted = test[::6]  # 10 test items copied into the training set
    # The rest of the training set is unrelated to the test set: counting scenes of the train
    # split (the procedural geometry splits share their diagrams, see the README).
    train = load("vc-synth-tiny", "train", 200) + [copy_of(s, 0.75 if i % 2 else 1.5)
                                                   for i, s in enumerate(planted)]  # fmt: skip
    report = find_overlap(hash_samples(train), hash_samples(test))
    assert sorted(report.overlapping) == sorted(s.id for s in planted)
    assert report.counts["overlap_duplicate"] == len(planted)
    top = report.pairs[: len(planted)]
    assert {(p.test.id, p.train.id) for p in top} == {(s.id, f"copy-of-{s.id}") for s in planted}
    assert all(p.kind == "duplicate" and p.text in ("masked", "exact") for p in top)
    assert all(p.phash_distance is not None and p.phash_distance <= PHASH_MAX for p in top)


@pytest.mark.parametrize(
    ("train_task", "train_split", "train_seed", "test_task"),
    [
        ("vc-synth-tiny", "train", 0, "vc-synth-tiny"),
        ("vc-synth-tiny", "test", 1, "vc-synth-tiny"),
        ("vc-synth", "train", 0, "vc-synth"),
        ("vc-synth-tiny", "train", 0, "gr-synth-tiny"),
    ],
)
def test_unrelated_sets_raise_no_alarm(
    train_task: str, train_split: str, train_seed: int, test_task: str
) -> None:
    test = hash_samples(load(test_task, "test", 200))
    train = hash_samples(load(train_task, train_split, 300, seed=train_seed))
    report = find_overlap(train, test)
    assert report.overlapping == [], [p.as_dict() for p in report.pairs[:3]]
    assert report.counts["image"] == 0
    closest = min(p.phash_distance for p in report.pairs if p.phash_distance is not None)
    assert closest > 2 * PHASH_MAX  # the nearest unrelated image is far beyond the threshold


def test_a_shared_exact_question_counts_unless_it_is_a_template() -> None:
    def item(i: int, q: str, color: tuple[int, int, int]) -> Sample:
        pic = Image.new("RGB", (64, 64), color)
        pic.paste((0, 0, 0), (i * 3 % 50, 5, i * 3 % 50 + 10, 40 - i % 20))
        return Sample(id=f"s{i}", question=q, gold="1", image=ImageRef(pil=pic))

    rare = "In the figure, the chord AB is 6 and the radius is 5; find the distance."
    common = "How many items are there?"
    train = [item(i, common, (255, 255, 255)) for i in range(5)] + [item(9, rare, (200, 0, 0))]
    test = [item(20, common, (0, 0, 255)), item(21, rare, (0, 200, 0))]
    report = find_overlap(hash_samples(train), hash_samples(test))
    assert report.overlapping == ["s21"]
    assert report.counts["template_text"] == 1 and report.counts["overlap_text"] == 1


def test_an_unreadable_image_still_compares_its_text() -> None:
    s = Sample(id="x", question="q 1", gold="1", image=ImageRef(path="/nonexistent/x.png"))
    item = describe(s)
    assert item.phash is None and item.image_error is not None
    report = find_overlap([item], [item])
    assert report.counts["no_image"] == 1 and report.counts["exact_text"] == 1


def write_local(folder: Path, samples: list[Sample], name: str) -> Path:
    """A local data file in the reference layout (image_path, question, ground_truth)."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    lines = []
    for i, s in enumerate(samples):
        path = folder / "images" / f"{name}-{i}.png"
        s.image.load().save(path)
        lines.append(json.dumps({"image_path": f"./images/{path.name}", "question": s.question,
                                 "ground_truth": s.gold}))  # fmt: skip
    data = folder / f"{name}.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data


def test_cli_writes_report_markdown_and_pages(tmp_path: Path) -> None:
    from harness_fixtures import cli

    test = load("vc-synth-tiny", "test", 30)
    planted = test[:4]
    train = load("vc-synth-tiny", "train", 40) + [copy_of(s, 0.75) for s in planted]
    test_file = write_local(tmp_path / "data", test, "test")
    train_file = write_local(tmp_path / "data", train, "train")
    out = tmp_path / "audit"
    assert cli(["overlap", "--train", "vc:train", "--test", "vc:test", "--data",
                f"train={train_file}", "--data", f"test={test_file}", "--out", str(out)]) == 0
    report = json.loads((out / "overlap.json").read_text())
    assert report["counts"]["overlapping"] == 4 and report["counts"]["test_items"] == 30
    assert report["thresholds"]["phash_max_bits"] == PHASH_MAX
    md = (out / "overlap.md").read_text()
    assert "4 of 30 test items overlap the training set (44 items)" in md
    page = (out / "overlap.html").read_text()
    # counting questions are one template: the copies are found by their images
    assert page.count('<tr class="sample is-') >= 4
    assert page.count(" is-overlap") == 4
    assert len(list((out / "images").glob("*.png"))) >= 8
    assert cli(["overlap", "--train", "vc:train", "--test", "vc", "--data", "bad"]) == 2


def test_bad_side_flags_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from harness_fixtures import cli

    assert cli(["overlap", "--train", "vc-synth-tiny", "--test", "vc-synth-tiny",
                "--limit", "both=3"]) == 2  # fmt: skip
    assert "--limit 'both=3': write --limit train=VALUE" in capsys.readouterr().err
    assert cli(["overlap", "--train", "gr:train", "--test", "gr-synth-tiny"]) == 2
    assert "error: --train gr:train: this source needs --data PATH" in capsys.readouterr().err


def overlap_json(folder: Path, train: str, test: str, overlapping: int) -> Path:
    """A report as `othink-bench overlap` writes it (its counts and the sets it compared)."""
    counts = {"overlapping": overlapping, "test_items": 48, "overlap_duplicate": overlapping,
              "overlap_image": 0, "overlap_text": 0}  # fmt: skip
    report = {"kind": "othink-bench overlap report", "counts": counts, "pairs": [],
              "train": {"task": train, "split": "train", "data": None},
              "test": {"task": test, "split": "test", "data": None}}  # fmt: skip
    path = folder / f"{train}-{test}.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def test_board_marks_cells_of_rows_trained_on_an_overlapping_set(tmp_path: Path) -> None:
    from leaderboard import build_board, render_markdown

    runs = Path(__file__).resolve().parent / "fixtures" / "leaderboard" / "runs"
    hit = overlap_json(tmp_path, "gr-synth", "gr-synth", 5)
    clean = overlap_json(tmp_path, "vc-synth", "vc-synth", 0)
    plain = render_markdown(build_board([runs], plots=False))
    marked = render_markdown(build_board([runs], plots=False, overlap=[hit, clean]))
    assert "§" not in plain and "## Train/test overlap" not in plain
    assert "## Train/test overlap" in marked
    assert "gr-synth:test against gr-synth:train" in marked and "5 of 48 test items" in marked
    assert "vc-synth:test against vc-synth:train" in marked and "marked: no run of the board" in marked
    same_task = marked[marked.index("## Same-task results"): marked.index("## Cross-task")]
    sft = next(line for line in same_task.splitlines() if line.startswith("| + SFT"))
    cells = sft.split(" | ")
    # the SFT row trained on gr-synth: its gr-synth cell is marked, its vc-synth cell is not
    assert "(48)§ [r" in cells[1] and "§" not in cells[5]
    base = next(line for line in same_task.splitlines() if line.startswith("| tiny |"))
    assert "§" not in base  # the untrained model has no training set
    assert "- § marks a test set that overlaps the training set of its row" in marked


def test_board_refuses_a_file_that_is_no_overlap_report(tmp_path: Path) -> None:
    from leaderboard.render import build_board

    runs = Path(__file__).resolve().parent / "fixtures" / "leaderboard" / "runs"
    bad = tmp_path / "x.json"
    bad.write_text('{"counts": {}}', encoding="utf-8")
    with pytest.raises(ValueError, match="not an overlap report"):
        build_board([runs], plots=False, overlap=[bad])
    broken = overlap_json(tmp_path, "gr-synth", "gr-synth", 5)
    data = json.loads(broken.read_text())
    del data["counts"]["test_items"]
    broken.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="field 'test_items' is missing"):
        build_board([runs], plots=False, overlap=[broken])


def test_board_names_the_side_by_side_pages_beside_a_report(tmp_path: Path) -> None:
    from leaderboard import build_board, render_markdown

    runs = Path(__file__).resolve().parent / "fixtures" / "leaderboard" / "runs"
    folder = tmp_path / "gr"
    folder.mkdir()
    report = overlap_json(folder, "gr-synth", "gr-synth", 5).rename(folder / "overlap.json")
    (folder / "overlap.md").write_text("# pairs\n", encoding="utf-8")
    text = render_markdown(build_board([runs], plots=False, overlap=[report]))
    assert f"(`{report}`; the closest pairs side by side: `{folder / 'overlap.md'}`)" in text
    (folder / "overlap.html").write_text("<html></html>", encoding="utf-8")
    text = render_markdown(build_board([runs], plots=False, overlap=[report]))
    assert f"`{folder / 'overlap.md'}` and `{folder / 'overlap.html'}`)" in text
