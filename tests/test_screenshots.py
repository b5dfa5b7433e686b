"""The screenshots in docs/screenshots/ fit a 1,280-pixel screen (issue 14 acceptance): each
PNG's width, read from its IHDR header (no image library needed)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
MAX_WIDTH = 1280


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG: the IHDR chunk always comes first, after the signature."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path.name} is not a PNG")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_png_size_reads_the_header(tmp_path):
    ihdr = b"IHDR" + struct.pack(">II", 1280, 4000) + b"\x08\x06\x00\x00\x00"
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr)
    assert png_size(tmp_path / "a.png") == (1280, 4000)
    (tmp_path / "b.png").write_bytes(b"GIF89a" + bytes(30))
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(tmp_path / "b.png")


@pytest.mark.parametrize("path", sorted(SCREENSHOTS.glob("*.png")), ids=lambda p: p.name)
def test_every_screenshot_fits_1280_pixels(path):
    width, _ = png_size(path)
    assert width <= MAX_WIDTH, f"{path.name} is {width} px wide"


def test_there_are_screenshots():
    assert len(list(SCREENSHOTS.glob("*.png"))) >= 5
