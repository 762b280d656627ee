"""Diagram drawing for the procedural GeoQA-style generator (:mod:`tasks.geo`).

Why this exists: a geometry question is only fair to a vision-language model when the picture
shows what the text relies on, so every diagram is drawn *to scale* from the construction's real
coordinates (the bounding box is fitted into the canvas with margins), with the marks GeoQA
figures use: labelled points, parallel arrows, equal-length ticks, right-angle squares and
(optionally numbered) angle arcs for given angles.

Why it is written this way: the images feed training and evaluation sets that must be
reproducible, so drawing is deterministic and independent of the system's fonts. Lines are drawn
at twice the size and box-reduced (cheap anti-aliasing, pure Pillow, no randomness); labels use
Pillow's built-in bitmap font (``load_default_imagefont``), never a TrueType font. Coordinates
use the mathematical convention (y up); the flip to image rows happens here.

Point names that start with ``_`` are helpers: drawn through (line ends) but not labelled,
unless :attr:`Scene.labels` gives them a text (e.g. the ``a``/``b`` names of parallel lines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

Pt = tuple[float, float]

SUPERSAMPLE = 2


@lru_cache(maxsize=1)
def _font() -> ImageFont.ImageFont:
    """Pillow's bitmap font: deterministic everywhere (no FreeType, no system fonts)."""
    loader = getattr(ImageFont, "load_default_imagefont", None)
    if loader is not None:  # Pillow >= 10.1, where load_default() may return a TrueType font
        return loader()
    font = ImageFont.load_default()  # older Pillow: this *is* the bitmap font
    assert isinstance(font, ImageFont.ImageFont)
    return font


@dataclass
class Scene:
    """What to draw, in construction coordinates (abstract units, y up)."""

    points: dict[str, Pt]
    segments: list[tuple[str, str, bool]] = field(default_factory=list)  # (P, Q, dashed)
    circles: list[tuple[str, float]] = field(default_factory=list)  # (centre, radius)
    arcs: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (O, A, B, reflex)
    ellipses: list[tuple[str, float, float]] = field(default_factory=list)  # (centre, rx, ry/rx)
    right_angles: list[tuple[str, str, str]] = field(default_factory=list)  # (V, P, Q)
    angles: list[tuple[str, str, str, str, int]] = field(default_factory=list)  # V,P,Q,label,n
    ticks: list[tuple[str, str, int]] = field(default_factory=list)  # (P, Q, count)
    parallels: list[tuple[str, str, int]] = field(default_factory=list)  # (P, Q, count)
    dots: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    def seg(self, *names: str, dashed: bool = False) -> None:
        """A polyline through the named points."""
        for p, q in zip(names, names[1:], strict=False):
            self.segments.append((p, q, dashed))

    def poly(self, *names: str) -> None:
        """A closed polygon through the named points."""
        self.seg(*names, names[0])

    def angle(self, v: str, p: str, q: str, label: str = "", count: int = 1) -> None:
        self.angles.append((v, p, q, label, count))

    def right(self, v: str, p: str, q: str) -> None:
        self.right_angles.append((v, p, q))


def _unit(dx: float, dy: float) -> Pt:
    n = math.hypot(dx, dy) or 1.0
    return dx / n, dy / n


def _img_angle(c: Pt, p: Pt) -> float:
    """Angle of p seen from c in image coordinates (degrees, clockwise from 3 o'clock)."""
    return math.degrees(math.atan2(p[1] - c[1], p[0] - c[0])) % 360.0


def _interior(a: float, b: float) -> tuple[float, float]:
    """(start, end) for PIL's clockwise arc covering the smaller angle between directions a, b."""
    if (b - a) % 360.0 <= 180.0:
        return a, a + (b - a) % 360.0
    return b, b + (a - b) % 360.0


class Frame:
    """Uniform scale + translation from construction units to (supersampled) pixels."""

    def __init__(self, scene: Scene, width: int, height: int) -> None:
        xs: list[float] = []
        ys: list[float] = []
        pts = scene.points
        for x, y in pts.values():
            xs.append(x)
            ys.append(y)
        for c, r in scene.circles:
            x, y = pts[c]
            xs += [x - r, x + r]
            ys += [y - r, y + r]
        for o, a, b, reflex in scene.arcs:
            (ox, oy), (ax, ay), (bx, by) = pts[o], pts[a], pts[b]
            r = math.hypot(ax - ox, ay - oy)
            t0 = math.atan2(ay - oy, ax - ox)
            sweep = (math.atan2(by - oy, bx - ox) - t0) % (2 * math.pi)
            if (sweep > math.pi) != reflex:  # go the other way round
                sweep -= 2 * math.pi
            for i in range(33):
                t = t0 + sweep * i / 32
                xs.append(ox + r * math.cos(t))
                ys.append(oy + r * math.sin(t))
        for c, rx, k in scene.ellipses:
            x, y = pts[c]
            xs += [x - rx, x + rx]
            ys += [y - rx * k, y + rx * k]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        margin = max(16.0, 0.075 * min(width, height))  # room for labels
        bw, bh = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        self.scale = min((width - 2 * margin) / bw, (height - 2 * margin) / bh)
        self.u = max(1.0, min(width, height) / 240.0)  # size of marks relative to 240 px
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2
        self.w, self.h = width, height

    def __call__(self, p: Pt, ss: int = 1) -> Pt:
        return (
            (self.w / 2 + (p[0] - self.cx) * self.scale) * ss,
            (self.h / 2 - (p[1] - self.cy) * self.scale) * ss,
        )


def _dashed(draw: ImageDraw.ImageDraw, p: Pt, q: Pt, width: int, dash: float, gap: float) -> None:
    length = math.hypot(q[0] - p[0], q[1] - p[1])
    if length == 0:
        return
    ux, uy = (q[0] - p[0]) / length, (q[1] - p[1]) / length
    s = 0.0
    while s < length:
        e = min(s + dash, length)
        draw.line([(p[0] + ux * s, p[1] + uy * s), (p[0] + ux * e, p[1] + uy * e)], 0, width)
        s = e + gap


def _arc_radius(scene: Scene, frame: Frame, v: str, p: str, q: str) -> float:
    """Angle-arc radius (1x pixels): larger for narrow angles, never past the shorter arm."""
    pv, pp, pq = frame(scene.points[v]), frame(scene.points[p]), frame(scene.points[q])
    a, b = _img_angle(pv, pp), _img_angle(pv, pq)
    s, e = _interior(a, b)
    r = (13.0 if e - s >= 50 else 19.0) * frame.u
    arm = min(math.dist(pv, pp), math.dist(pv, pq))
    return max(6.0 * frame.u, min(r, 0.45 * arm))


def _clear_spot(a: Pt, b: Pt, others: list[Pt], clearance: float) -> Pt:
    """A point on segment ab for a mark, near the middle but away from the given points."""
    best, best_d = a, -1.0
    for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78):
        m = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
        d = min((math.dist(m, o) for o in others), default=math.inf)
        if d >= clearance:
            return m
        if d > best_d:
            best, best_d = m, d
    return best


def render(scene: Scene, width: int, height: int) -> Image.Image:
    """Draw ``scene`` to scale on a white ``width`` x ``height`` RGB canvas."""
    ss = SUPERSAMPLE
    frame = Frame(scene, width, height)
    pts = scene.points
    img = Image.new("L", (width * ss, height * ss), 255)
    draw = ImageDraw.Draw(img)
    k = ss * frame.u  # supersampled pixels per mark unit
    lw = 2 * max(2, round(2 * frame.u))  # even widths keep diagonals as heavy as axis lines
    thin = max(2, round(2 * frame.u))

    def px(name: str) -> Pt:
        return frame(pts[name], ss)

    for n1, n2, dashed in scene.segments:
        if dashed:
            _dashed(draw, px(n1), px(n2), lw, 5.0 * k, 3.5 * k)
        else:
            draw.line([px(n1), px(n2)], 0, lw)
    for name, radius in scene.circles:
        x, y = px(name)
        rr = radius * frame.scale * ss
        draw.ellipse([x - rr, y - rr, x + rr, y + rr], outline=0, width=lw)
    for no, na, nb, reflex in scene.arcs:
        c = px(no)
        rr = math.dist(c, px(na))
        s, e = _interior(_img_angle(c, px(na)), _img_angle(c, px(nb)))
        if reflex:
            s, e = e, s + 360.0
        draw.arc([c[0] - rr, c[1] - rr, c[0] + rr, c[1] + rr], s, e, 0, lw)
    for name, rx, squash in scene.ellipses:
        x, y = px(name)
        ea = rx * frame.scale * ss
        eb = ea * squash
        draw.arc([x - ea, y - eb, x + ea, y + eb], 0, 180, 0, lw)  # front (lower) half, solid
        steps = 24
        for i in range(0, steps, 2):  # back half, dashed
            t0, t1 = math.pi + math.pi * i / steps, math.pi + math.pi * (i + 1) / steps
            draw.line(
                [(x + ea * math.cos(t0), y + eb * math.sin(t0)),
                 (x + ea * math.cos(t1), y + eb * math.sin(t1))], 0, thin)
    for nv, n1, n2 in scene.right_angles:
        cv = px(nv)
        u = _unit(px(n1)[0] - cv[0], px(n1)[1] - cv[1])
        w = _unit(px(n2)[0] - cv[0], px(n2)[1] - cv[1])
        side = 7.0 * k
        c1 = (cv[0] + u[0] * side, cv[1] + u[1] * side)
        c2 = (c1[0] + w[0] * side, c1[1] + w[1] * side)
        c3 = (cv[0] + w[0] * side, cv[1] + w[1] * side)
        draw.line([c1, c2, c3], 0, thin)
    for nv, n1, n2, _label, count in scene.angles:
        cv = px(nv)
        s, e = _interior(_img_angle(cv, px(n1)), _img_angle(cv, px(n2)))
        r0 = _arc_radius(scene, frame, nv, n1, n2) * ss
        for i in range(count):
            rr = r0 + i * 3.0 * k
            draw.arc([cv[0] - rr, cv[1] - rr, cv[0] + rr, cv[1] + rr], s, e, 0, thin)
    for n1, n2, count in scene.ticks:
        pa, pb = px(n1), px(n2)
        d = _unit(pb[0] - pa[0], pb[1] - pa[1])
        nrm = (-d[1], d[0])
        m = ((pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2)
        h = 4.5 * k
        for i in range(count):
            o = (i - (count - 1) / 2) * 3.0 * k
            cx, cy = m[0] + d[0] * o, m[1] + d[1] * o
            draw.line([(cx - nrm[0] * h, cy - nrm[1] * h), (cx + nrm[0] * h, cy + nrm[1] * h)],
                      0, thin)
    all_px = [px(name) for name in pts]
    for n1, n2, count in scene.parallels:
        pa, pb = px(n1), px(n2)
        d = _unit(pb[0] - pa[0], pb[1] - pa[1])
        if d[0] < -1e-9 or (abs(d[0]) <= 1e-9 and d[1] > 0):  # arrows point right / up
            d = (-d[0], -d[1])
        nrm = (-d[1], d[0])
        m = _clear_spot(pa, pb, all_px, 30.0 * k)
        h = 3.5 * k
        for i in range(count):
            tip = (m[0] + d[0] * (3.0 + 4.0 * i) * k, m[1] + d[1] * (3.0 + 4.0 * i) * k)
            back = (tip[0] - d[0] * 5.0 * k, tip[1] - d[1] * 5.0 * k)
            draw.line([(back[0] + nrm[0] * h, back[1] + nrm[1] * h), tip,
                       (back[0] - nrm[0] * h, back[1] - nrm[1] * h)], 0, thin)
    for name in scene.dots:
        x, y = px(name)
        rd = 2.0 * k
        draw.ellipse([x - rd, y - rd, x + rd, y + rd], fill=0)

    img = img.reduce(ss)
    _draw_labels(img, scene, frame)
    return img.convert("RGB")


def _gap_direction(dirs: list[float], fallback: float) -> float:
    """Middle of the largest angular gap between directions (image degrees)."""
    if not dirs:
        return fallback
    ds = sorted(d % 360.0 for d in dirs)
    best, best_gap = fallback, -1.0
    for i, d in enumerate(ds):
        nxt = ds[(i + 1) % len(ds)] + (360.0 if i == len(ds) - 1 else 0.0)
        gap = nxt - d
        if gap > best_gap + 1e-9:
            best_gap, best = gap, d + gap / 2
    return best % 360.0


def _draw_labels(img: Image.Image, scene: Scene, frame: Frame) -> None:
    font = _font()
    draw = ImageDraw.Draw(img)
    pts = scene.points
    px = {k: frame(v) for k, v in pts.items()}
    centre = (frame.w / 2, frame.h / 2)
    taken: list[tuple[float, float, float, float]] = []

    fs = max(1, round(frame.u))  # integer scale of the bitmap font (crisp, deterministic)

    def size(text: str) -> tuple[int, int]:
        x0, y0, x1, y1 = font.getbbox(text)
        return (x1 - x0) * fs, (y1 - y0) * fs

    def box(text: str, cx: float, cy: float) -> tuple[float, float, float, float]:
        w, h = size(text)
        x = min(max(cx - w / 2, 1.0), frame.w - w - 1.0)
        y = min(max(cy - h / 2, 1.0), frame.h - h - 1.0)
        return x, y, x + w, y + h

    def free(b: tuple[float, float, float, float]) -> bool:
        return all(b[2] + 1 < t[0] or t[2] + 1 < b[0] or b[3] + 1 < t[1] or t[3] + 1 < b[1]
                   for t in taken)

    def put(text: str, cx: float, cy: float) -> None:
        b = box(text, cx, cy)
        x0, y0, x1, y1 = font.getbbox(text)
        if fs == 1:
            draw.text((round(b[0]) - x0, round(b[1]) - y0), text, fill=0, font=font)
        else:
            glyphs = Image.new("L", (x1 - x0, y1 - y0), 0)
            ImageDraw.Draw(glyphs).text((-x0, -y0), text, fill=255, font=font)
            glyphs = glyphs.resize((glyphs.width * fs, glyphs.height * fs), Image.Resampling.NEAREST)
            img.paste(0, (round(b[0]), round(b[1])), glyphs)
        taken.append(b)

    # angle labels first: their places are fixed by the arcs
    angle_dirs: dict[str, list[float]] = {}
    for nv, n1, n2, label, _count in scene.angles:
        cv = px[nv]
        s, e = _interior(_img_angle(cv, px[n1]), _img_angle(cv, px[n2]))
        mid = (s + e) / 2
        angle_dirs.setdefault(nv, []).append(mid)
        if label:
            r = _arc_radius(scene, frame, nv, n1, n2) + 8.0 * frame.u
            put(label, cv[0] + r * math.cos(math.radians(mid)),
                cv[1] + r * math.sin(math.radians(mid)))
    for nv, n1, n2 in scene.right_angles:
        cv = px[nv]
        s, e = _interior(_img_angle(cv, px[n1]), _img_angle(cv, px[n2]))
        angle_dirs.setdefault(nv, []).append((s + e) / 2)

    for name in pts:
        text = scene.labels.get(name, "" if name.startswith("_") else name)
        if not text:
            continue
        p = px[name]
        dirs = list(angle_dirs.get(name, []))
        for a, b, _dashed_flag in scene.segments:
            pa, pb = px[a], px[b]
            if a == name:
                dirs.append(_img_angle(p, pb))
            elif b == name:
                dirs.append(_img_angle(p, pa))
            else:
                ln = math.dist(pa, pb)
                if ln < 1e-9:
                    continue
                t = ((p[0] - pa[0]) * (pb[0] - pa[0]) + (p[1] - pa[1]) * (pb[1] - pa[1])) / ln**2
                cross = abs((pb[0] - pa[0]) * (p[1] - pa[1]) - (pb[1] - pa[1]) * (p[0] - pa[0]))
                if 0.0 < t < 1.0 and cross / ln < 1.5 * frame.u:
                    dirs += [_img_angle(p, pa), _img_angle(p, pb)]
        rings = [(c, r) for c, r in scene.circles]
        rings += [(o, math.dist(pts[o], pts[a])) for o, a, _b, _r in scene.arcs]
        for c, r in rings:
            pc = px[c]
            if abs(math.dist(p, pc) - r * frame.scale) < 1.5 * frame.u:
                radial = _img_angle(pc, p)
                dirs += [radial + 90.0, radial - 90.0, radial + 180.0]
        for c, rx, _k in scene.ellipses:
            pc = px[c]
            if abs(math.dist(p, pc) - rx * frame.scale) < 1.5 * frame.u:
                dirs += [90.0, 270.0]
        fallback = _img_angle(centre, p) if math.dist(centre, p) > 1 else 315.0
        best = _gap_direction(dirs, fallback)
        w, h = size(text)
        gx, gy = w / 2 + 5.0 * frame.u, h / 2 + 4.0 * frame.u
        spots = []
        for turn in (0.0, 25.0, -25.0, 50.0, -50.0, 75.0, -75.0):
            d = math.radians(best + turn)
            spots.append((p[0] + math.cos(d) * gx, p[1] + math.sin(d) * gy))
        put(text, *next((s for s in spots if free(box(text, *s))), spots[0]))
