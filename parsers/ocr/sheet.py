"""Find the sheet of paper in a phone photo and lay it flat: perspective, size, margins.

A photo shows the form on a desk, seen at an angle: the page is a quadrilateral, not a
rectangle, and text lines on it converge, so rotating alone leaves table cells misaligned.
Here the sheet is found as the bright region around the middle of the picture (Otsu's
threshold on a small copy, text holes closed, the part connected to the centre), each of
its four edges is fitted as a straight line through the region's outline (robust to a
dog-eared corner or a thumb), the corners are where the lines meet, and the page is mapped
onto an upright rectangle of A4 shape with one perspective resampling, which also
upsamples a low-resolution photo so its letters reach the size Tesseract reads best.

Plain numpy and Pillow: the few operations needed (a threshold, a flood fill, four line
fits and an 8x8 linear solve) do not earn OpenCV's 60 MB. A flat scan, whose page fills
the image, is left alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageFilter

Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]  # top-left, top-right, bottom-right, bottom-left

A4 = 297 / 210
WORK_SIDE = 600          # the sheet is searched on a copy this size
TARGET_WIDTH = 1650      # an A4 sheet narrower than this (200 dpi) is upsampled to it
MAX_UPSAMPLE = 2.5
MAX_SIDE = 4200
MAX_WIDTH = 1750         # a photo's sheet wider than this is read at ~210 dpi (no finer detail)


def flatten_sheet(gray: Image.Image) -> Image.Image:
    """The sheet alone, upright and flat, at least ``TARGET_WIDTH`` wide; or the image as
    it was when no sheet stands out from a background (a scan, a cropped photo)."""
    quad = find_sheet(gray)
    if quad is None:
        return _upsampled(gray)
    return warp(gray, quad)


def find_sheet(gray: Image.Image) -> Quad | None:
    """The corners of the page in ``gray`` (full-size pixel coordinates), or None."""
    scale = WORK_SIDE / max(gray.size)
    small = gray.resize((max(8, round(gray.width * scale)), max(8, round(gray.height * scale))),
                        Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(1.5))
    region = _bright_region(small)
    if region is None:
        return None
    lines = _edge_lines(region)
    if lines is None:
        return None
    met = [_meet(lines[a], lines[b]) for a, b in ((0, 3), (0, 1), (2, 1), (2, 3))]
    corners = [c for c in met if c is not None]
    if len(corners) < 4:
        return None
    quad = tuple((float(x) / scale, float(y) / scale) for x, y in corners)
    return quad if _plausible(quad, gray.size) else None  # type: ignore[arg-type,return-value]


def _bright_region(small: Image.Image) -> np.ndarray | None:
    """The bright part connected to the middle, text holes closed; None if it is the whole
    picture (nothing around the page) or too small to be a page."""
    pixels = _level(np.asarray(small))
    level = _threshold(pixels)
    if level is None:
        return None
    mask = Image.fromarray(((pixels > level) * 255).astype(np.uint8))
    mask = extreme_filter(extreme_filter(mask, 5, np.maximum), 5, np.minimum)
    seed = _seed(np.asarray(mask))
    if seed is None:
        return None
    region = _component(np.asarray(mask) > 0, seed)
    share = float(region.mean())
    border = np.concatenate([region[0], region[-1], region[:, 0], region[:, -1]])
    if share < 0.2 or (share > 0.9 and float(border.mean()) > 0.6):
        return None
    return region


def _level(pixels: np.ndarray) -> np.ndarray:
    """Light falling off across the picture taken out (a plane fitted to the brightness
    and subtracted), so the page's far corner is not darker than the desk's near one."""
    height, width = pixels.shape
    ys, xs = np.mgrid[0:height, 0:width]
    design = np.stack([np.ones(pixels.size), xs.ravel() / width, ys.ravel() / height], axis=1)
    values = pixels.ravel().astype(np.float64)
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    flat = values - design[:, 1:] @ coef[1:]
    return np.clip(flat, 0, 255).reshape(pixels.shape).astype(np.uint8)


def _threshold(pixels: np.ndarray) -> float | None:
    """Halfway between the desk (the picture's outer frame, mostly) and the paper (the
    bright part of its middle); None when they are alike (a scan, a photo cropped to the
    page), as then there is no edge to find."""
    height, width = pixels.shape
    band = max(2, min(height, width) // 30)
    frame = np.concatenate([pixels[:band].ravel(), pixels[-band:].ravel(),
                            pixels[:, :band].ravel(), pixels[:, -band:].ravel()])
    middle = pixels[height // 4: 3 * height // 4, width // 4: 3 * width // 4]
    desk, paper = float(np.median(frame)), float(np.percentile(middle, 75))
    if paper - desk < 15:
        return None
    return (paper + desk) / 2


def _component(mask: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    """The part of ``mask`` connected to ``seed`` (x, y): row by row, a run of the mask
    touching the part in the row above or below joins it; sweeps down and up until
    nothing more joins (a page needs two or three)."""
    part = np.zeros_like(mask)
    part[seed[1], seed[0]] = True
    starts = np.diff(np.pad(mask, ((0, 0), (1, 0))).astype(np.int8), axis=1) == 1
    runs = np.cumsum(starts, axis=1) * mask  # run numbers within each row; 0 off the mask
    hit = np.zeros(int(runs.max()) + 1, dtype=bool)  # which runs of a row join the part
    for _ in range(8):
        before = int(part.sum())
        for rows in (range(mask.shape[0]), range(mask.shape[0] - 1, -1, -1)):
            previous = None
            for y in rows:
                touching = part[y] if previous is None else part[y] | (previous & mask[y])
                if touching.any():
                    hit[:] = False
                    hit[runs[y][touching]] = True
                    hit[0] = False
                    part[y] = hit[runs[y]]
                previous = part[y]
        if int(part.sum()) == before:
            break
    return part


def _seed(mask: np.ndarray) -> tuple[int, int] | None:
    """A bright pixel at or near the centre (the middle of the page may be a dark word)."""
    height, width = mask.shape
    for radius in range(0, min(height, width) // 4, 3):
        ys, xs = np.nonzero(mask[height // 2 - radius: height // 2 + radius + 1,
                                 width // 2 - radius: width // 2 + radius + 1])
        if ys.size:
            return int(xs[0] + width // 2 - radius), int(ys[0] + height // 2 - radius)
    return None


Line = tuple[float, float, float]  # a*x + b*y = c, (a, b) a unit normal


def _edge_lines(region: np.ndarray) -> tuple[Line, Line, Line, Line] | None:
    """Top, right, bottom and left edges of the region, each a line fitted through the
    outline's middle 70% (corners may be folded or hidden)."""
    rows = np.nonzero(region.any(axis=1))[0]
    cols = np.nonzero(region.any(axis=0))[0]
    if rows.size < 20 or cols.size < 20:
        return None

    def middle(values: np.ndarray) -> np.ndarray:
        low, high = values[0], values[-1]
        span = high - low
        return values[(values > low + 0.15 * span) & (values < high - 0.15 * span)]

    xs, ys = middle(cols), middle(rows)
    last_row, last_col = region.shape[0] - 1, region.shape[1] - 1
    top = [(x, np.argmax(region[:, x])) for x in xs]
    bottom = [(x, last_row - np.argmax(region[::-1, x])) for x in xs]
    left = [(np.argmax(region[y]), y) for y in ys]
    right = [(last_col - np.argmax(region[y, ::-1]), y) for y in ys]
    # where the sheet runs off the picture its outline is the picture's edge: not a side
    sides = [np.array([(x, y) for x, y in points if 0 < x < last_col and 0 < y < last_row],
                      dtype=np.float64).reshape(-1, 2) for points in (top, right, bottom, left)]
    fitted = [_fit(points) for points in sides]
    if any(f is None for f in fitted):
        return None
    return fitted[0], fitted[1], fitted[2], fitted[3]  # type: ignore[return-value]


def _fit(points: np.ndarray) -> Line | None:
    """Total least squares, twice: the second time without the points furthest off the
    first line (a shadow or a finger bites into an edge)."""
    for _ in range(3):
        if len(points) < 8:
            return None
        centre = points.mean(axis=0)
        _, _, vt = np.linalg.svd(points - centre, full_matrices=False)
        normal = vt[1]
        distance = np.abs((points - centre) @ normal)
        keep = distance <= max(1.5, float(np.percentile(distance, 80)))
        if keep.all():
            break
        points = points[keep]
    return float(normal[0]), float(normal[1]), float(normal @ centre)


def _meet(first: Line, second: Line) -> Point | None:
    matrix = np.array([first[:2], second[:2]])
    if abs(np.linalg.det(matrix)) < 1e-6:
        return None
    x, y = np.linalg.solve(matrix, np.array([first[2], second[2]]))
    return float(x), float(y)


def _plausible(quad: Quad, size: tuple[int, int]) -> bool:
    """Corners near the picture, a convex shape a fair part of it, sides roughly page-like."""
    width, height = size
    if any(not (-0.1 * width <= x <= 1.1 * width and -0.1 * height <= y <= 1.1 * height)
           for x, y in quad):
        return False
    points = np.array(quad)
    edges = np.roll(points, -1, axis=0) - points
    following = np.roll(edges, -1, axis=0)
    turns = edges[:, 0] * following[:, 1] - edges[:, 1] * following[:, 0]
    if not (np.all(turns > 0) or np.all(turns < 0)):
        return False
    area = 0.5 * abs(float(np.sum(points[:, 0] * np.roll(points[:, 1], -1)
                                  - np.roll(points[:, 0], -1) * points[:, 1])))
    if area < 0.2 * width * height:
        return False
    across, down = _sides(quad)
    ratio = down / max(across, 1.0)  # an A4 (or US letter) sheet, upright or on its side
    return abs(ratio - A4) / A4 <= 0.2 or abs(1 / ratio - A4) / A4 <= 0.2


def _sides(quad: Quad) -> tuple[float, float]:
    (tl, tr, br, bl) = (np.array(p) for p in quad)
    across = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    down = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(across), float(down)


def warp(gray: Image.Image, quad: Quad) -> Image.Image:
    """The quadrilateral mapped onto an upright rectangle (A4-shaped when it nearly is)."""
    across, down = _sides(quad)
    ratio = down / across
    if abs(ratio - A4) / A4 < 0.15:
        ratio = A4
    elif abs(ratio - 1 / A4) * A4 < 0.15:
        ratio = 1 / A4
    width = across * min(MAX_UPSAMPLE, max(1.0, TARGET_WIDTH / across))
    width = min(width, MAX_SIDE / max(ratio, 1.0), MAX_WIDTH)
    size = (max(1, round(width)), max(1, round(width * ratio)))
    target = ((0.0, 0.0), (size[0], 0.0), (size[0], size[1]), (0.0, size[1]))
    return gray.transform(size, Image.Transform.PERSPECTIVE, coefficients(target, quad),
                          resample=Image.Resampling.BICUBIC, fillcolor=255)


def extreme_filter(image: Image.Image, size: int, pick: Any) -> Image.Image:
    """Pillow's ``MaxFilter(size)`` (``pick`` = np.maximum) or ``MinFilter(size)``
    (np.minimum), the same pixels, done separably on a greyscale image: rows then
    columns, 2(size-1) array operations instead of size² comparisons a pixel."""
    pixels = np.asarray(image)
    reach = size // 2
    padded = np.pad(pixels, reach, mode="edge")
    height, width = pixels.shape
    across = padded[:, 0:width].copy()
    for dx in range(1, size):
        across = pick(across, padded[:, dx: dx + width])
    out = across[0:height].copy()
    for dy in range(1, size):
        out = pick(out, across[dy: dy + height])
    return Image.fromarray(out)


def coefficients(source: Quad | list[Point], target: Quad | list[Point]) -> list[float]:
    """Pillow's eight PERSPECTIVE numbers taking points of ``source`` (the output image)
    to ``target`` (the input image)."""
    rows, values = [], []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(rows, dtype=np.float64),
                                              np.array(values, dtype=np.float64))]


def _upsampled(gray: Image.Image) -> Image.Image:
    """A page too small for Tesseract's liking (a photo at ~125 dpi), enlarged."""
    narrow = min(gray.size)
    if narrow >= TARGET_WIDTH:
        return gray
    scale = min(MAX_UPSAMPLE, TARGET_WIDTH / narrow)
    if max(gray.size) * scale > MAX_SIDE:
        scale = MAX_SIDE / max(gray.size)
    if scale <= 1.05:
        return gray
    return gray.resize((round(gray.width * scale), round(gray.height * scale)),
                       Image.Resampling.BICUBIC)
