"""The picture side of OCR: straighten a page, find its ruled tables and tick boxes.

Tesseract reads words; a form also needs the lines of its tables and the state of its tick
boxes, which Tesseract either drops or reads as "Kl", "LJ" or "0". Those are found here in
the page image itself with plain numpy (no OpenCV): long dark runs are rulings, a pair of
equal vertical strokes joined by a top and a bottom edge is a box, and ink inside the box is
a tick. The PDF reader's layout code (:mod:`parsers.pdf.text`) then reads the page from
these strokes and the OCR words exactly as it reads a printed PDF.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from parsers.ocr.sheet import extreme_filter, flatten_sheet

Segment = tuple[float, float, float]  # (position, start, end) in pixels


@dataclass(frozen=True)
class Box:
    x0: int
    top: int
    x1: int
    bottom: int
    ink: float  # share of dark pixels inside the box, away from its edges

    @property
    def checked(self) -> bool:
        return self.ink >= CHECKED_INK


CHECKED_INK = 0.07


def prepare(image: Image.Image, max_side: int = 4200) -> Image.Image:
    """Greyscale, the camera's orientation applied, the sheet found on the desk around it
    and laid flat (:mod:`parsers.ocr.sheet`; a small page is enlarged), at most
    ``max_side`` pixels, evenly lit."""
    image = ImageOps.exif_transpose(image) or image
    gray = flatten_sheet(image.convert("L"))
    if max(gray.size) > max_side:
        scale = max_side / max(gray.size)
        gray = gray.resize((int(gray.width * scale), int(gray.height * scale)),
                           Image.Resampling.LANCZOS)
    return flatten(gray)


def flatten(gray: Image.Image) -> Image.Image:
    """Divide out the background (uneven light on a photographed page)."""
    small = gray.resize((max(1, gray.width // 8), max(1, gray.height // 8)))
    background = extreme_filter(small, 9, np.maximum).filter(ImageFilter.GaussianBlur(6))
    levels = np.asarray(background)
    if int(np.percentile(levels, 95)) - int(np.percentile(levels, 5)) < 40:
        return gray  # evenly lit already (a flatbed scan)
    background = background.resize(gray.size, Image.Resampling.BILINEAR)
    page = np.asarray(gray, dtype=np.float32)
    light = np.maximum(np.asarray(background, dtype=np.float32), 1.0)
    return Image.fromarray(np.clip(page / light * 255.0, 0, 255).astype(np.uint8))


def dark_mask(gray: Image.Image) -> np.ndarray:
    """Ink pixels, by Otsu's threshold on the histogram."""
    pixels = np.asarray(gray)
    counts = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256)
    weight = np.cumsum(counts)
    mean = np.cumsum(counts * levels)
    total, grand = weight[-1], mean[-1]
    between = (grand * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1)
    return pixels < int(np.argmax(between))


def skew_angle(gray: Image.Image, limit: float = 5.0) -> float:
    """The small rotation (degrees) that makes text lines horizontal: the angle at which the
    ink's row profile is sharpest, searched coarse then fine. The ink pixels are projected
    at each angle (a histogram), not rotated, so a search costs milliseconds."""
    scale = min(1.0, 1000 / gray.width)
    small = gray.resize((max(1, int(gray.width * scale)), max(1, int(gray.height * scale))))
    ys, xs = np.nonzero(dark_mask(small))
    if ys.size < 50:
        return 0.0
    step = max(1, ys.size // 60000)
    rows = ys[::step].astype(np.float64)
    cols = xs[::step].astype(np.float64) - small.width / 2
    ys, xs = rows, cols  # type: ignore[assignment]  # same arrays, as floats

    def sharpness(angle: float) -> float:
        theta = np.deg2rad(angle)
        rows = np.round(ys * np.cos(theta) + xs * np.sin(theta)).astype(np.int64)
        profile = np.bincount(rows - rows.min())
        return float(np.square(np.diff(profile)).sum())

    best = 0.0
    for span, step_deg in ((limit, 0.5), (0.5, 0.1), (0.1, 0.025)):
        candidates = np.arange(best - span, best + span + step_deg / 2, step_deg)
        best = float(max(candidates, key=sharpness))
    return round(best, 2)


def straighten(gray: Image.Image) -> tuple[Image.Image, float]:
    angle = -skew_angle(gray)
    if abs(angle) < 0.15:
        return gray, 0.0
    return gray.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255), angle


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every horizontal run of True in ``mask``: (row, start, end) arrays."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    change = np.diff(padded, axis=1)
    starts = np.argwhere(change == 1)
    ends = np.argwhere(change == -1)
    return starts[:, 0], starts[:, 1], ends[:, 1]


_last = threading.local()


def column_runs(dark: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every vertical run of ink: (column, top, bottom). The rule search, the letter
    height and the tick-box search all need them; a page's are found once (per thread,
    for the page that thread is reading) on a contiguous transposed copy."""
    cached = getattr(_last, "runs", None)
    if cached is not None and cached[0] is dark:
        return cached[1]  # type: ignore[no-any-return]
    runs = _runs(np.ascontiguousarray(dark.T))
    _last.runs = (dark, runs)
    return runs


def rulings(dark: np.ndarray, min_length: int) -> tuple[list[Segment], list[Segment]]:
    """Horizontal (y, x0, x1) and vertical (x, top, bottom) rules at least ``min_length``."""
    return _lines(_runs(dark), min_length), _lines(column_runs(dark), min_length)


def _lines(runs: tuple[np.ndarray, np.ndarray, np.ndarray], min_length: int) -> list[Segment]:
    rows, starts, ends = runs
    keep = (ends - starts) >= min_length
    pieces = sorted(zip(rows[keep].tolist(), starts[keep].tolist(), ends[keep].tolist(),
                        strict=True))
    merged: list[list[float]] = []  # [first row, last row, x0, x1]
    for row, x0, x1 in pieces:
        for line in reversed(merged[-12:]):
            if row - line[1] <= 3 and x0 <= line[3] + 4 and x1 >= line[2] - 4:
                line[1], line[2], line[3] = row, min(line[2], x0), max(line[3], x1)
                break
        else:
            merged.append([row, row, x0, x1])
    lines = [((a + b) / 2, x0, x1) for a, b, x0, x1 in merged]
    while True:  # joining can bring pieces close enough to join again
        joined = _join(lines)
        if len(joined) == len(lines):
            return joined
        lines = joined


def _join(segments: list[Segment], across: float = 5.0, gap: float = 10.0) -> list[Segment]:
    """One rule per drawn line: a line left slightly slanted after straightening is found
    as overlapping pieces a pixel or two apart; join them (their extents united)."""
    joined: list[list[float]] = []
    for position, start, end in sorted(segments):
        near = (line for line in reversed(joined) if abs(position - line[0]) <= across)
        line = next((n for n in near if start <= n[2] + gap and end >= n[1] - gap), None)
        if line is None:
            joined.append([position, start, end])
            continue
        length, extra = line[2] - line[1], end - start
        line[0] = (line[0] * length + position * extra) / max(length + extra, 1)
        line[1], line[2] = min(line[1], start), max(line[2], end)
    return [(p, a, b) for p, a, b in joined]


def tick_boxes(dark: np.ndarray, text_px: float) -> list[Box]:
    """Square outlines about the size of a letter, and how much ink is inside each."""
    low, high = max(9, int(text_px * 0.95)), int(text_px * 2.0) + 2
    columns, tops, bottoms = column_runs(dark)
    length = bottoms - tops
    keep = (length >= low) & (length <= high)
    strokes = sorted(zip(columns[keep].tolist(), tops[keep].tolist(), bottoms[keep].tolist(),
                         strict=True))
    by_top: dict[int, list[tuple[int, int, int]]] = {}
    for x, top, bottom in strokes:
        by_top.setdefault(top // 3, []).append((x, top, bottom))
    xs = {key: [x for x, _, _ in group] for key, group in by_top.items()}
    edge = _EdgeTest(dark)
    found: list[Box] = []
    for x, top, bottom in strokes:
        if any(b.x0 - 2 <= x <= b.x1 + 2 and abs(b.top - top) <= 3 for b in found[-8:]):
            continue
        box = _partner(dark, edge, by_top, xs, x, top, bottom)
        if box is not None:
            found.append(box)
    return found


def _partner(dark: np.ndarray, edge: _EdgeTest, by_top: dict[int, list[tuple[int, int, int]]],
             xs: dict[int, list[int]], x: int, top: int, bottom: int) -> Box | None:
    """The right side of the box whose left side is this stroke: among the strokes
    starting at about the same height (sorted by x), only those a box's width away."""
    side = bottom - top
    for key in (top // 3 - 1, top // 3, top // 3 + 1):
        group = by_top.get(key)
        if not group:
            continue
        first = bisect_left(xs[key], x + 0.75 * side)
        last = bisect_right(xs[key], x + 1.3 * side)
        for x2, top2, bottom2 in group[first:last]:
            if abs(top2 - top) > 3 or abs(bottom2 - bottom) > 3:
                continue
            if edge(top, x, x2) and edge(bottom - 1, x, x2) and _corners(
                    dark, x, top, x2, bottom - 1) and _hollow(dark, x, top, x2, bottom - 1):
                return Box(x, top, x2 + 1, bottom, _ink(dark, x, top, x2, bottom))
    return None


class _EdgeTest:
    """Whether a row (give or take two pixels) is inked along at least 85% of x0..x1: a
    box's top or bottom edge. Answered from running sums of the page's ink spread two
    rows up and down, so each of the thousands of candidate boxes costs two look-ups."""

    def __init__(self, dark: np.ndarray) -> None:
        near = dark.copy()
        for shift in (1, 2):
            near[shift:] |= dark[:-shift]
            near[:-shift] |= dark[shift:]
        self.sums = np.zeros((dark.shape[0], dark.shape[1] + 1), dtype=np.int32)
        np.cumsum(near, axis=1, out=self.sums[:, 1:])
        self.height, self.width = dark.shape

    def __call__(self, row: int, x0: int, x1: int) -> bool:
        end = min(x1 + 1, self.width)
        if not (0 <= row < self.height) or end <= x0:
            return False
        inked = int(self.sums[row, end]) - int(self.sums[row, x0])
        return inked >= 0.85 * (end - x0)


def _corners(dark: np.ndarray, x0: int, top: int, x1: int, bottom: int) -> bool:
    """Square corners are inked; the round shoulders of o, e, a, 0 and D are not."""
    for x, y, dx, dy in ((x0, top, 1, 1), (x1, top, -1, 1), (x0, bottom, 1, -1),
                         (x1, bottom, -1, -1)):
        patch = dark[[y, y, y + dy, y + dy], [x, x + dx, x, x + dx]] if (
            0 <= y + dy < dark.shape[0] and 0 <= x + dx < dark.shape[1]) else np.zeros(1)
        if patch.mean() < 0.5:
            return False
    return True


def _hollow(dark: np.ndarray, x0: int, top: int, x1: int, bottom: int) -> bool:
    """Just inside each side, around its middle, a box is empty (a tick or cross runs
    corner to corner); the bowls of a, e, o and 8 touch their sides there. The middle is
    the central quarter of the side: a heavy cross's arms, a quarter of the box thick,
    come near a side up to a third of the way along it."""
    side = x1 - x0
    margin = side * 38 // 100
    inset, lo, hi = 3, top + margin, bottom - margin
    left, right = x0 + inset, x1 - inset
    strips = (dark[lo:hi, left:left + 2], dark[lo:hi, right - 1:right + 1],
              dark[top + inset:top + inset + 2, x0 + margin:x1 - margin],
              dark[bottom - inset - 1:bottom - inset + 1, x0 + margin:x1 - margin])
    return all(strip.size and strip.mean() < 0.35 for strip in strips)


def _ink(dark: np.ndarray, x0: int, top: int, x1: int, bottom: int) -> float:
    pad = max(2, (x1 - x0) // 5)
    inner = dark[top + pad: bottom - pad, x0 + pad: x1 - pad]
    return float(inner.mean()) if inner.size else 0.0


def erase(gray: Image.Image, horizontal: list[Segment], vertical: list[Segment],
          boxes: list[Box]) -> Image.Image:
    """The page with rules and boxes painted out, so Tesseract reads only the words."""
    pixels = np.array(gray)
    for y, x0, x1 in horizontal:
        pixels[max(0, int(y) - 3): int(y) + 4, int(x0): int(x1) + 1] = 255
    for x, top, bottom in vertical:
        pixels[int(top): int(bottom) + 1, max(0, int(x) - 3): int(x) + 4] = 255
    for box in boxes:
        pixels[max(0, box.top - 2): box.bottom + 3, max(0, box.x0 - 2): box.x1 + 3] = 255
    return Image.fromarray(pixels)


def ink_share(dark: np.ndarray, x0: int, top: int, x1: int, bottom: int) -> float:
    area = dark[max(0, top): bottom, max(0, x0): x1]
    return float(area.mean()) if area.size else 0.0


def stroke_width(dark: np.ndarray, x0: int, top: int, x1: int, bottom: int) -> float:
    """Median width of the ink runs across a word: bold type has thicker strokes."""
    area = dark[max(0, top): bottom, max(0, x0): x1]
    if area.size == 0 or not area.any():
        return 0.0
    _, starts, ends = _runs(area)
    widths = ends - starts
    return float(np.median(widths)) if widths.size else 0.0


def despeckle(gray: Image.Image) -> Image.Image:
    """Scanner dust and JPEG noise off, before Tesseract reads it as full stops and quotes:
    a 3x3 median (as Pillow's ``MedianFilter(3)``, edge pixels repeated), done as a
    min/max exchange network on nine shifted copies, some fifteen times faster."""
    pixels = np.pad(np.asarray(gray), 1, mode="edge")
    height, width = pixels.shape[0] - 2, pixels.shape[1] - 2
    p = [pixels[dy: dy + height, dx: dx + width] for dy in range(3) for dx in range(3)]
    for a, b in _MEDIAN9:  # Paeth's network: p[4] ends as the median of the nine
        p[a], p[b] = np.minimum(p[a], p[b]), np.maximum(p[a], p[b])
    return Image.fromarray(np.ascontiguousarray(p[4]))


_MEDIAN9 = ((1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8),
            (0, 3), (5, 8), (4, 7), (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2))
