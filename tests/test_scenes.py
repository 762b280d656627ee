"""Procedural CLEVR-like scenes: determinism, and that the pictures say what the answers say.

The checks here read the rendered pixels and the label mask back with independent tools
(scipy's connected-component labelling, colour statistics, plain parsing of the question text)
instead of trusting the generator's own bookkeeping.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PIL import Image
from scipy import ndimage

from tasks.scenes import (
    CLEVR_COLORS,
    COUNT_QUESTIONS,
    MATERIALS,
    SHAPES,
    SIZES,
    Scene,
    SceneConfig,
    allowed_colors,
    make_scene,
    min_visible_pixels,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = SceneConfig()
OCCLUDED = SceneConfig(occlusion=True, filtered_share=0.5)
GRID = SceneConfig(width=112, height=112, layout="grid", cell=28)
FILTERED = SceneConfig(filtered_share=1.0)
EIGHT = np.ones((3, 3), dtype=bool)  # 8-connectivity: touching diagonally counts as touching

# sha256 of (RGB bytes, mask bytes, question, answer) for fixed (config, seed, index). Raw pixels
# rather than PNG bytes: zlib builds differ between Pillow wheels, pixels must not.
PINNED = {
    ("default", 0, 0): "dd7a4ba9fad7d1e8ff8a03a81849f891ffc3ebc8634d23178e3dd26477dc9d6f",
    ("default", 7, 123): "ebc9ca936f4737c56964e516944341c6cf90a1623cba35425b4c9a4626521c8e",
    ("occluded", 0, 3): "257589db0a20d7e94d912e6ed93be1e1cad233bfb5aaac60c0609aae5aa7c3de",
    ("grid", 0, 5): "43acba61ba12a9a9f6ebb7b9f48d1cda9eb664ae932d81bc28a9de4346ad6074",
}
CONFIGS = {"default": DEFAULT, "occluded": OCCLUDED, "grid": GRID}


def digest(scene: Scene) -> str:
    h = hashlib.sha256()
    h.update(scene.image.tobytes())
    h.update(scene.mask.tobytes())
    h.update(f"{scene.question}|{scene.answer}|{scene.kind}|{scene.occupancy}".encode())
    return h.hexdigest()


def png(scene: Scene) -> bytes:
    buf = io.BytesIO()
    scene.image.save(buf, format="PNG")
    return buf.getvalue()


def scenes(cfg: SceneConfig, n: int, seed: int = 11) -> list[Scene]:
    return [make_scene(cfg, seed, i) for i in range(n)]


def parse_filter(question: str) -> dict[str, str]:
    """Attributes named by a filtered question, read from its words alone."""
    m = re.fullmatch(r"(?:How many|What number of) ([a-z ]+) are there\?", question)
    assert m, question
    *words, noun = m.group(1).split()
    plural = {"cubes": "cube", "cylinders": "cylinder", "spheres": "sphere"}
    out: dict[str, str] = {}
    if noun in plural:
        out["shape"] = plural[noun]
    else:
        assert noun in ("objects", "things"), question
    for w in words:
        key = (
            "size"
            if w in SIZES
            else "color"
            if w in CLEVR_COLORS
            else "material"
            if w in MATERIALS
            else None
        )
        assert key is not None and key not in out, question
        out[key] = w
    assert out, question
    return out


# ------------------------------------------------------------------------------------ determinism


def test_same_arguments_same_bytes() -> None:
    for cfg in (DEFAULT, OCCLUDED, GRID):
        for i in (0, 1, 17):
            a, b = make_scene(cfg, 3, i), make_scene(cfg, 3, i)
            assert png(a) == png(b)
            assert digest(a) == digest(b)
            assert (a.question, a.answer, a.objects) == (b.question, b.answer, b.objects)


def test_pinned_digests() -> None:
    got = {k: digest(make_scene(CONFIGS[k[0]], k[1], k[2])) for k in PINNED}
    assert got == PINNED


def test_no_hidden_state() -> None:
    ref = digest(make_scene(DEFAULT, 5, 9))
    np.random.seed(1)
    random.seed(2)
    for i in range(5):  # other scenes in between, other sizes, global RNGs disturbed
        make_scene(GRID, 99, i)
        np.random.random(10)
    assert digest(make_scene(DEFAULT, 5, 9)) == ref


def test_png_round_trip() -> None:
    s = make_scene(DEFAULT, 0, 1)
    back = Image.open(io.BytesIO(png(s)))
    assert back.mode == "RGB" and back.tobytes() == s.image.tobytes()


def test_same_in_a_fresh_process() -> None:
    """Another interpreter with another hash seed draws the same pixels (no set-order leaks)."""
    code = (
        "import hashlib,sys; sys.path.insert(0, sys.argv[1]);"
        "from tasks.scenes import SceneConfig, make_scene;"
        "s = make_scene(SceneConfig(occlusion=True, filtered_share=0.5), 4, 2);"
        "print(hashlib.sha256(s.image.tobytes() + s.mask.tobytes()"
        " + s.question.encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.strip()
    s = make_scene(OCCLUDED, 4, 2)
    want = hashlib.sha256(s.image.tobytes() + s.mask.tobytes() + s.question.encode()).hexdigest()
    assert out == want


def test_indices_and_seeds_differ() -> None:
    ds = {digest(make_scene(DEFAULT, 0, i)) for i in range(20)}
    ds |= {digest(make_scene(DEFAULT, 1, i)) for i in range(20)}
    assert len(ds) == 40
    assert len({digest(make_scene(GRID, 0, i)) for i in range(20)}) == 20


# ------------------------------------------------------------------ pictures match the answers


def check_common(s: Scene, cfg: SceneConfig) -> None:
    n = len(s.objects)
    lo, hi = cfg.count_range
    assert lo <= n <= hi
    assert s.image.mode == "RGB" and s.image.size == (cfg.width, cfg.height)
    assert s.mask.dtype == np.int16 and s.mask.shape == (cfg.height, cfg.width)
    # every object is in the picture, nothing else is
    assert set(np.unique(s.mask).tolist()) == set(range(n + 1))
    # no object touches the border
    m = s.mask
    assert not (m[0].any() or m[-1].any() or m[:, 0].any() or m[:, -1].any())
    for i, o in enumerate(s.objects):
        ys, xs = np.nonzero(m == i + 1)
        x0, y0, x1, y1 = o.bbox
        assert 1 <= x0 < x1 <= cfg.width - 1 and 1 <= y0 < y1 <= cfg.height - 1
        assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1
        assert o.visible == xs.size and 0 < o.visible <= o.area
        assert x0 <= o.center[0] <= x1 and y0 <= o.center[1] <= y1
        assert o.shape in SHAPES and o.size in SIZES and o.material in MATERIALS
        assert o.color in CLEVR_COLORS
    if s.kind == "all":
        assert s.question in COUNT_QUESTIONS
        assert s.answer == n
    else:
        assert s.kind == "filtered"
        want = parse_filter(s.question)
        assert s.answer == sum(all(getattr(o, k) == v for k, v in want.items()) for o in s.objects)


def test_default_scenes_count_back_from_the_mask() -> None:
    for s in scenes(DEFAULT, 150):
        check_common(s, DEFAULT)
        n = len(s.objects)
        # independent count: blobs of non-floor pixels, ignoring which label they carry
        _, blobs = ndimage.label(s.mask > 0, structure=EIGHT)
        assert blobs == n == s.answer
        # every object is one solid blob and fully visible
        for i, o in enumerate(s.objects):
            _, parts = ndimage.label(s.mask == i + 1)
            assert parts == 1 and o.visible == o.area
        # boxes are disjoint with floor between them
        boxes = [o.bbox for o in s.objects]
        for a in range(n):
            for b in range(a + 1, n):
                p, q = boxes[a], boxes[b]
                assert p[2] < q[0] or q[2] < p[0] or p[3] < q[1] or q[3] < p[1], (p, q)


def test_occluded_scenes_keep_objects_visible() -> None:
    any_occluded = 0
    for s in scenes(OCCLUDED, 150):
        check_common(s, OCCLUDED)
        assert len(np.unique(s.mask)) - 1 == len(s.objects)
        scaled = max(1, OCCLUDED.min_visible)  # 320x240 is the reference size: no scaling
        for o in s.objects:
            assert o.visible >= min(scaled, o.area // 2)
            assert o.visible >= min_visible_pixels(OCCLUDED, o.area)
        any_occluded += any(o.visible < o.area for o in s.objects)
    assert any_occluded >= 20  # occlusion actually happens


def test_min_visible_scales_down_for_small_images() -> None:
    small = SceneConfig(width=160, height=120, occlusion=True, count_range=(6, 8))
    assert min_visible_pixels(small, 1000) == 15  # 60 * (160*120) / (320*240)
    assert min_visible_pixels(DEFAULT, 1000) == 60
    assert min_visible_pixels(DEFAULT, 50) == 25  # never more than half an object
    for s in scenes(small, 40):
        check_common(s, small)
        for o in s.objects:
            assert o.visible >= min(15, o.area // 2)


def test_grid_layout() -> None:
    rows, cols = 4, 4
    for s in scenes(GRID, 150):
        check_common(s, GRID)
        _, blobs = ndimage.label(s.mask > 0, structure=EIGHT)
        assert blobs == len(s.objects)
        cells = []
        for o in s.objects:
            x0, y0, x1, y1 = o.bbox
            r, c = y0 // 28, x0 // 28
            # strictly inside one cell, one pixel of margin
            assert r * 28 < y0 and y1 < (r + 1) * 28 and c * 28 < x0 and x1 < (c + 1) * 28
            cells.append(r * cols + c)
        assert len(set(cells)) == len(cells)
        assert s.occupancy is not None
        assert re.fullmatch(r"[01]{4}( [01]{4}){3}", s.occupancy)
        bits = s.occupancy.replace(" ", "")
        assert {k for k in range(rows * cols) if bits[k] == "1"} == set(cells)


def test_grid_off_centre_and_rectangular() -> None:
    cfg = SceneConfig(width=150, height=100, layout="grid", cell=30, count_range=(1, 15))
    for s in scenes(cfg, 40):
        check_common(s, cfg)
        assert s.occupancy is not None
        rows = s.occupancy.split(" ")
        assert len(rows) == 3 and all(len(r) == 5 for r in rows)
        assert s.occupancy.count("1") == len(s.objects)
        ox, oy = (150 - 5 * 30) // 2, (100 - 3 * 30) // 2
        for o in s.objects:
            c, r = (o.bbox[0] - ox) // 30, (o.bbox[1] - oy) // 30
            assert rows[r][c] == "1"
            assert o.bbox[2] <= ox + (c + 1) * 30 - 1 and o.bbox[3] <= oy + (r + 1) * 30 - 1


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    width=st.integers(48, 360),
    height=st.integers(48, 280),
    grid=st.booleans(),
    cell=st.integers(12, 48),
    lo=st.integers(0, 12),
    extra=st.integers(0, 8),
    occlusion=st.booleans(),
    share=st.sampled_from([0.0, 0.5, 1.0]),
    seed=st.integers(0, 2**32),
    index=st.integers(0, 10**6),
)
def test_invariants_hold_for_any_valid_config(
    width: int,
    height: int,
    grid: bool,
    cell: int,
    lo: int,
    extra: int,
    occlusion: bool,
    share: float,
    seed: int,
    index: int,
) -> None:
    try:
        cfg = SceneConfig(
            count_range=(lo, lo + extra),
            width=width,
            height=height,
            layout="grid" if grid else "free",
            cell=cell,
            occlusion=occlusion and not grid,
            filtered_share=share,
        )
    except ValueError:
        assume(False)
        return
    s = make_scene(cfg, seed, index)
    check_common(s, cfg)
    for o in s.objects:
        assert o.visible >= min_visible_pixels(cfg, o.area)
    if not cfg.occlusion:
        _, blobs = ndimage.label(s.mask > 0, structure=EIGHT)
        assert blobs == len(s.objects)
    assert (s.occupancy is None) == (cfg.layout == "free")


def test_free_layout_has_no_occupancy() -> None:
    assert make_scene(DEFAULT, 0, 0).occupancy is None


def test_colours_are_the_drawn_colours() -> None:
    """The median chromaticity of an object's pixels is nearest to its declared CLEVR colour."""
    names = list(CLEVR_COLORS)
    pal = np.array([CLEVR_COLORS[k] for k in names], dtype=float)
    pal /= pal.sum(axis=1, keepdims=True)
    checked = 0
    for cfg in (DEFAULT, GRID):
        for s in scenes(cfg, 60, seed=5):
            px = np.asarray(s.image, dtype=float)
            for i, o in enumerate(s.objects):
                core = ndimage.binary_erosion(s.mask == i + 1)
                if core.sum() < 10:
                    continue
                p = px[core]
                chroma = np.median(p / np.maximum(p.sum(axis=1, keepdims=True), 1.0), axis=0)
                assert names[int(np.argmin(((pal - chroma) ** 2).sum(axis=1)))] == o.color
                checked += 1
    assert checked > 500


def test_floor_is_grey_where_the_mask_says_floor() -> None:
    """No coloured object is drawn where the mask has none (edge pixels aside)."""
    for s in scenes(DEFAULT, 40, seed=2) + scenes(GRID, 40, seed=2):
        px = np.asarray(s.image, dtype=int)
        near = ndimage.binary_dilation(s.mask > 0, structure=EIGHT, iterations=2)
        floor = px[~near]
        spread = floor.max(axis=1) - floor.min(axis=1)
        assert spread.max() <= 3


def test_shapes_and_materials_look_their_part() -> None:
    """Unoccluded spheres are discs, cylinders are taller than wide, metal has a highlight."""
    seen = set()
    for s in scenes(DEFAULT, 60, seed=8):
        px = np.asarray(s.image, dtype=int)
        for i, o in enumerate(s.objects):
            m = s.mask == i + 1
            ys, xs = np.nonzero(m)
            w, h = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
            fill = m.sum() / (w * h)
            if o.shape == "sphere":
                assert abs(w - h) <= 1 and 0.7 <= fill <= 0.86, (w, h, fill)
            elif o.shape == "cylinder":
                assert h >= 1.2 * w and fill >= 0.85, (w, h, fill)
            # brightest near-white pixel: the specular highlight of metal
            white = px[m].min(axis=1).max()
            assert (white >= 140) == (o.material == "metal"), (o, white)
            seen.add((o.shape, o.material))
    assert len(seen) == 6


def test_count_range_respected_and_covered() -> None:
    cfg = SceneConfig(count_range=(2, 5))
    counts = [len(s.objects) for s in scenes(cfg, 120)]
    assert set(counts) == {2, 3, 4, 5}
    assert {len(s.objects) for s in scenes(SceneConfig(count_range=(7, 7)), 10)} == {7}
    empty = make_scene(SceneConfig(count_range=(0, 0)), 0, 0)
    assert empty.objects == [] and empty.answer == 0 and not empty.mask.any()
    dense = SceneConfig(count_range=(10, 10))
    for s in scenes(dense, 20):
        check_common(s, dense)
    full = SceneConfig(width=112, height=112, layout="grid", count_range=(16, 16))
    assert make_scene(full, 0, 0).occupancy == "1111 1111 1111 1111"


def test_filtered_questions() -> None:
    got = scenes(FILTERED, 200)
    assert all(s.kind == "filtered" for s in got)
    answers = [s.answer for s in got]
    assert 0 in answers and max(answers) >= 3
    for s in got:
        check_common(s, FILTERED)
    mixed = [s.kind for s in scenes(SceneConfig(filtered_share=0.4), 200)]
    assert 50 <= mixed.count("filtered") <= 110
    assert all(s.kind == "all" for s in scenes(DEFAULT, 50))


def test_superclevr_question_is_offered() -> None:
    assert "How many different items are there in the image?" in COUNT_QUESTIONS
    asked = {s.question for s in scenes(DEFAULT, 150)}
    assert asked == set(COUNT_QUESTIONS)


def test_cogent_rule() -> None:
    for cond in ("A", "B"):
        cfg = SceneConfig(cogent=cond, filtered_share=0.5)
        cube_colors = {"gray", "blue", "brown", "yellow"}
        cyl_colors = {"red", "green", "purple", "cyan"}
        if cond == "B":
            cube_colors, cyl_colors = cyl_colors, cube_colors
        sphere_colors = set()
        for s in scenes(cfg, 80):
            check_common(s, cfg)
            for o in s.objects:
                if o.shape == "cube":
                    assert o.color in cube_colors
                elif o.shape == "cylinder":
                    assert o.color in cyl_colors
                else:
                    sphere_colors.add(o.color)
            if s.kind == "filtered":  # questions never ask for a combination the rule forbids
                f = parse_filter(s.question)
                if "shape" in f and "color" in f:
                    assert f["color"] in allowed_colors(cond, f["shape"])
        assert sphere_colors == set(CLEVR_COLORS)
    assert set(allowed_colors("none", "cube")) == set(CLEVR_COLORS)


def test_content_does_not_depend_on_layout() -> None:
    """Objects and questions come from their own stream: occlusion changes only positions."""
    for i in range(10):
        a, b = make_scene(DEFAULT, 0, i), make_scene(SceneConfig(occlusion=True), 0, i)
        key = lambda s: sorted((o.shape, o.color, o.size, o.material) for o in s.objects)  # noqa: E731
        assert key(a) == key(b) and a.question == b.question and a.answer == b.answer


# ------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"count_range": (5, 3)}, "count_range"),
        ({"count_range": (-1, 3)}, "count_range"),
        ({"count_range": (3,)}, "count_range"),
        ({"count_range": (3.0, 5)}, "count_range"),
        ({"count_range": (3, 41)}, "at most 40"),
        ({"width": 16}, "width"),
        ({"height": 240.0}, "height"),
        ({"layout": "spiral"}, "layout"),
        ({"occlusion": 1}, "occlusion"),
        ({"min_visible": 0}, "min_visible"),
        ({"filtered_share": 1.5}, "filtered_share"),
        ({"filtered_share": True}, "filtered_share"),
        ({"cogent": "C"}, "cogent"),
        ({"layout": "grid", "cell": 8}, "cell"),
        ({"layout": "grid", "width": 112, "height": 112, "cell": 200}, "cell"),
        ({"layout": "grid", "width": 112, "height": 112, "count_range": (3, 17)}, "grid cells"),
        ({"layout": "grid", "occlusion": True}, "occlusion"),
        ({"width": 64, "height": 64, "count_range": (30, 40)}, "do not fit"),
    ],
)
def test_config_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SceneConfig(**kwargs)


def test_config_accepts_lists_and_is_hashable() -> None:
    cfg = SceneConfig(count_range=[2, 4])  # type: ignore[arg-type]
    assert cfg.count_range == (2, 4)
    assert hash(cfg) == hash(SceneConfig(count_range=(2, 4)))


@pytest.mark.parametrize(("seed", "index"), [(-1, 0), (0, -1), (0, 1.5), (True, 0)])
def test_bad_seed_or_index(seed: object, index: object) -> None:
    with pytest.raises(ValueError):
        make_scene(DEFAULT, seed, index)  # type: ignore[arg-type]
