"""Tesseract, run as a bounded subprocess: words with their boxes and confidences.

One thread (``OMP_THREAD_LIMIT=1``), its own process group (outside a document worker),
killed at the document's deadline.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass

from PIL import Image

from parsers.errors import UnreadableDocument

PSM = 6                     # one block: the layout code regroups the words itself


@dataclass(frozen=True)
class Word:
    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float  # 0..1


class OcrTimeout(Exception):
    pass


def tesseract_binary() -> str:
    binary = shutil.which("tesseract")
    if binary is None:
        raise UnreadableDocument("scanned forms cannot be read on this server (Tesseract is "
                                 "not installed): ask the school for Word (.docx) or PDF")
    return binary


def tesseract_words(image: Image.Image, deadline: float, *, psm: int = PSM) -> list[Word]:
    """Words with their boxes and confidences (Tesseract's TSV output)."""
    output = _tesseract(["stdin", "stdout", "--psm", str(psm), "-l", "eng", "tsv"],
                        _pnm(image), deadline)
    words: list[Word] = []
    for line in output.decode("utf-8", "replace").splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) < 12 or not cells[11].strip():
            continue
        try:
            left, top, width, height = (int(v) for v in cells[6:10])
            confidence = max(0.0, float(cells[10])) / 100
        except ValueError:
            continue
        words.append(Word(cells[11].strip(), left, top, width, height, confidence))
    return words


def page_orientation(gray: Image.Image, deadline: float) -> int:
    """Degrees to turn a page that Tesseract's OSD says is on its side or upside down."""
    try:
        output = _tesseract(["stdin", "stdout", "--psm", "0", "-l", "osd"], _pnm(gray),
                            deadline).decode("utf-8", "replace")
    except (UnreadableDocument, OcrTimeout):
        return 0
    match = re.search(r"Rotate:\s*(\d+)", output)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", output)
    if not match or not confidence or float(confidence.group(1)) < 2.0:
        return 0
    return -int(match.group(1)) % 360


def _pnm(image: Image.Image) -> bytes:
    """The page as an uncompressed PGM/PPM: Leptonica reads it from stdin as it reads a
    PNG, without the second or more that compressing a large page to PNG costs."""
    out = io.BytesIO()
    image.convert("L" if image.mode in ("1", "L", "LA", "P") else "RGB").save(out, "PPM")
    return out.getvalue()


def _tesseract(args: list[str], stdin: bytes, deadline: float) -> bytes:
    from parsers import isolation

    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OcrTimeout
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    process = subprocess.Popen([tesseract_binary(), *args], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                               start_new_session=not isolation.in_worker())
    try:
        output, _ = process.communicate(stdin, timeout=remaining)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            if isolation.in_worker():
                process.kill()
            else:
                os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise OcrTimeout from None
    if process.returncode != 0:
        raise UnreadableDocument(f"Tesseract could not read the page (exit "
                                 f"{process.returncode}): the image may be damaged")
    return output
