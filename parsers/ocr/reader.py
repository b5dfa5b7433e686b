"""Scanned and photographed referral forms, read with Tesseract.

A form printed, filled in and scanned arrives as a PDF with no text layer, or as photos
(JPEG, PNG, a multi-page TIFF from the office scanner). Each page is rendered (pypdfium2 for
PDFs, no ghostscript), lit evenly, turned straight (a row-profile angle search; Tesseract's
OSD when a page reads as nonsense, e.g. upside down), and its ruled tables and tick boxes
are found in the picture (:mod:`parsers.ocr.layout`). Tesseract reads the words with their
positions; the page is then read by the same layout code as a printed PDF, and mapped by
the same field map. Each entry's confidence comes from Tesseract's word confidences, so the
mapper flags doubtful values ``low_confidence``.

Bounds: at most ``MAX_OCR_PAGES`` pages and ``MAX_PIXELS`` per page; Tesseract runs one
thread in its own process group (:mod:`parsers.ocr.tesseract`), within the document's time
budget.
"""

from __future__ import annotations

import io
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image

from parsers.entries import Entry, ExtractedForm
from parsers.errors import UnreadableDocument
from parsers.ocr import layout as pic
from parsers.ocr import spelling
from parsers.ocr.pages import order_unknown, page_order
from parsers.ocr.tesseract import (
    OcrTimeout,
    Word,
    page_orientation,
    tesseract_words,
)
from parsers.ocr.words import (
    inside,
    kept,
    page_strokes,
    page_tokens,
    part_of_word,
    reads_badly,
    same_size,
    stroke_height,
    trimmed,
    unglued,
    with_confidence,
)
from parsers.pdf.geometry import Token
from parsers.pdf.strokes import Strokes
from parsers.pdf.text import read_page, release_held

KnownLabel = Callable[[str], bool]
MAX_OCR_PAGES = 12
MAX_PIXELS = 60_000_000
PDF_DPI = 200
MIN_FORM_PIXELS = 300_000   # smaller images are logos and thumbnails, not forms
OCR_SHARE_OF_WALL = 0.85    # of the document's wall-clock limit
OCR_THREADS = 2             # pages OCR'd at once (one Tesseract thread each)
_WORD = re.compile(r"[A-Za-z]{3,}")


def read_image(content: bytes, known_label: KnownLabel, limits: Any) -> ExtractedForm:
    """Reader for photos and scans saved as images (every frame of a TIFF is a page)."""
    try:
        image = Image.open(io.BytesIO(content))
        frames = getattr(image, "n_frames", 1)
        width, height = image.size
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types on bad images
        raise UnreadableDocument(f"the image is damaged and could not be opened "
                                 f"({type(exc).__name__})") from None
    if width * height > MAX_PIXELS:
        raise UnreadableDocument(f"the image is {width}x{height} pixels; the limit is "
                                 f"{MAX_PIXELS // 1_000_000} million")
    if frames == 1 and width * height < MIN_FORM_PIXELS:
        return ExtractedForm(extraction="none", notes=["image too small to be a form"])
    return _read_pages(_frames(image, frames), min(frames, MAX_OCR_PAGES), frames,
                       known_label, limits, [], order_known=not order_unknown(image))


def read_scanned_pdf(content: bytes, known_label: KnownLabel, limits: Any, *,
                     notes: list[str] = ()) -> ExtractedForm:  # type: ignore[assignment]
    """A PDF with no text layer: render each page and read it like a photo."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(content)
    except Exception as exc:  # noqa: BLE001
        raise UnreadableDocument(f"the scanned PDF could not be rendered "
                                 f"({type(exc).__name__})") from None
    try:
        count = len(pdf)
        pages = _pdf_pages(pdf, min(count, MAX_OCR_PAGES))
        kept = [n for n in notes if "needs OCR" not in n]
        return _read_pages(pages, min(count, MAX_OCR_PAGES), count, known_label, limits, kept)
    finally:
        pdf.close()


def _frames(image: Image.Image, frames: int) -> Iterator[Image.Image]:
    for number in range(min(frames, MAX_OCR_PAGES)):
        image.seek(number)
        frame = image.copy()
        frame.load()
        yield frame


def _pdf_pages(pdf: Any, count: int) -> Iterator[Image.Image]:
    for number in range(count):
        page = pdf[number]
        try:
            width, height = page.get_size()
            photo = _page_photo(page, width, height)
            if photo is not None:
                yield photo
                continue
            scale = min(PDF_DPI / 72, _native_scale(page, width, height))
            if width * height * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / (width * height)) ** 0.5
            yield page.render(scale=scale, grayscale=True).to_pil()
        finally:
            page.close()


def _page_photo(page: Any, width: float, height: float) -> Image.Image | None:
    """The photo that is the whole page (a scanner app's PDF: one JPEG per page, upright),
    decoded as it was saved. Rendering it instead resamples it to the page's size in
    points, a pixel or so off its own (1249 px drawn as 1250), which blurs every stroke a
    little; a tick box's outline is only a pixel or two wide at 150 dpi."""
    try:
        if page.get_rotation() != 0:
            return None
        images = [t for t in page.get_objects(max_depth=1) if t.type == 3]  # IMAGE
        if len(images) != 1:
            return None
        left, bottom, right, top = images[0].get_bounds()
        matrix = images[0].get_matrix().get()
        if (right - left) * (top - bottom) < 0.97 * width * height or abs(matrix[1]) > 1e-6 \
                or abs(matrix[2]) > 1e-6 or matrix[0] <= 0 or matrix[3] <= 0:
            return None
        raw = io.BytesIO()
        images[0].extract(raw)
        photo = Image.open(io.BytesIO(raw.getvalue()))
        if photo.width * photo.height > MAX_PIXELS:
            return None
        return photo.convert("L")
    except Exception:  # noqa: BLE001 - an odd image object: render the page instead
        return None


def _native_scale(page: Any, width: float, height: float) -> float:
    """The pixels per point of the photo that fills the page (a scanner app's PDF is one
    JPEG per page, often at 150 dpi): rendering it larger only interpolates, and the sheet
    is enlarged once, after it is laid flat (:mod:`parsers.ocr.sheet`)."""
    try:
        for thing in page.get_objects(max_depth=1):
            if thing.type != 3:  # FPDF_PAGEOBJ_IMAGE
                continue
            left, bottom, right, top = thing.get_bounds()
            if (right - left) * (top - bottom) < 0.8 * width * height:
                continue
            pixels_wide, _ = thing.get_px_size()
            return max(72 / 72, pixels_wide / max(right - left, 1.0))
    except Exception:  # noqa: BLE001 - an odd page object: render at the usual scale
        pass
    return PDF_DPI / 72


def _read_pages(pages: Iterator[Image.Image], planned: int, total: int,
                known_label: KnownLabel, limits: Any, notes: list[str], *,
                order_known: bool = True) -> ExtractedForm:
    """OCR the pages (two at a time: Tesseract runs one thread each), put them in the
    form's order, then lay them out one after another so a section or a table carries on
    over a page break."""
    budget = float(getattr(limits, "wall_seconds", 30.0)) * OCR_SHARE_OF_WALL
    deadline = time.monotonic() + budget
    form = ExtractedForm(extraction="ocr", pages=total, notes=list(notes))
    scans = _scan_all(pages, deadline)
    if not scans:
        raise UnreadableDocument(_too_slow(budget))
    _spell(scans)
    if len(scans) < planned:
        form.notes.append(f"OCR stopped after page {len(scans)} of {total} (time limit)")
    order = page_order([[w.text for w in scan.words] for scan in scans],
                       sections=not order_known)
    if order != list(range(len(scans))):
        form.notes.append("pages read in the form's order: "
                          + ", ".join(str(n + 1) for n in order))
    texts: list[str] = []
    section: str | None = None
    held: Any = None  # a table ending a page, maybe carried on over the next
    for index in order:  # locators keep the page's place in the file (what a reader opens)
        page = lay_out(scans[index], index + 1, section, known_label, held)
        form.entries.extend(page.entries)
        form.grids.extend(page.grids)
        texts.append(page.text)
        section, held = page.section, page.held
    last = release_held(held, section, known_label)
    form.entries.extend(last.entries)
    form.grids.extend(last.grids)
    if total > planned:
        form.notes.append(f"only the first {planned} of {total} pages were read by OCR")
    form.text = "\n\n".join(t for t in texts if t)
    return form


def _scan_all(pages: Iterator[Image.Image], deadline: float) -> list[PageScan]:
    """Every page's picture work and OCR, ``OCR_THREADS`` pages at a time (pages are
    rendered lazily, so at most that many plus one are held). Stops at the first page the
    deadline cuts off; the pages before it are kept."""
    scans: list[PageScan] = []
    waiting: deque[Future[PageScan]] = deque()

    def collect() -> bool:
        try:
            scans.append(waiting.popleft().result())
            return True
        except OcrTimeout:
            return False

    with ThreadPoolExecutor(max_workers=OCR_THREADS) as pool:
        going = True
        for image in pages:
            if time.monotonic() >= deadline:
                break
            waiting.append(pool.submit(scan_page, image, deadline))
            if len(waiting) >= OCR_THREADS and not collect():
                going = False
                break
        while going and waiting:
            going = collect()
        for future in waiting:
            future.cancel()
    return scans


def _spell(scans: list[PageScan]) -> None:
    """Blurred letters put right from the document's own confidently read words."""
    fixes = spelling.corrections([scan.words for scan in scans])
    for scan in scans:
        scan.words = spelling.corrected_words(scan.words, fixes)
        spelling.correct_tokens(scan.tokens, fixes)


def _too_slow(budget: float) -> str:
    return (f"reading this scan with OCR took longer than {budget:.0f} s; ask the school to "
            "send the form as Word or a PDF saved from Word")


@dataclass
class OcrPage:
    entries: list[Entry]
    grids: list[Any]
    text: str
    section: str | None
    angle: float
    words: int
    held: Any = None


@dataclass
class PageScan:
    """One page after the picture work and OCR: what the layout code needs."""

    words: list[Word]
    tokens: list[Token]
    strokes: Strokes
    bounds: tuple[float, float, float, float]
    angle: float
    scale: float


def read_one_page(image: Image.Image, number: int, section: str | None,
                  known_label: KnownLabel, deadline: float, held: Any = None) -> OcrPage:
    """One page image to entries: straighten, find rules and boxes, OCR, lay out."""
    return lay_out(scan_page(image, deadline), number, section, known_label, held)


def scan_page(image: Image.Image, deadline: float) -> PageScan:
    """The sheet found and flattened, straightened, its rules and boxes found, its words
    read (turned first if Tesseract's OSD says it is on its side or upside down)."""
    gray, angle = pic.straighten(pic.prepare(image))
    dark = pic.dark_mask(gray)
    horizontal, vertical = pic.rulings(dark, max(60, gray.width // 18))
    vertical = [v for v in vertical if v[2] - v[1] >= max(50, gray.height // 45)]
    boxes = pic.tick_boxes(dark, stroke_height(dark))
    words = tesseract_words(pic.despeckle(pic.erase(gray, horizontal, vertical, [])), deadline)
    if reads_badly(words):
        turned = page_orientation(gray, deadline)
        if turned:
            return scan_page(gray.rotate(turned, expand=True, fillcolor=255), deadline)
    boxes = same_size([b for b in boxes if not any(part_of_word(b, w) for w in words)])
    words = [piece for w in words if not any(inside(w, b) for b in boxes)
             for piece in unglued(w, boxes)]
    words = [w for w in map(trimmed, words) if w.text and kept(w)]
    tokens, scale = page_tokens(words, dark)
    strokes = page_strokes(horizontal, vertical, boxes, scale)
    bounds = (0.0, 0.0, gray.width * scale, gray.height * scale)
    return PageScan(words, tokens, strokes, bounds, angle, scale)


def lay_out(scan: PageScan, number: int, section: str | None, known_label: KnownLabel,
            held: Any = None) -> OcrPage:
    """A scanned page read by the PDF page reader, as page ``number`` of its form."""
    tokens = [replace(token) for token in scan.tokens]  # the layout code may adjust them
    printed = read_page(number, tokens, scan.strokes, section=section,
                        known_label=known_label, bounds=scan.bounds, held=held)
    entries = [with_confidence(entry, scan.words, scan.scale) for entry in printed.entries]
    return OcrPage(entries, printed.grids, printed.text, printed.section, scan.angle,
                   len(scan.words), printed.held)


# --- Tesseract ------------------------------------------------------------------------------
