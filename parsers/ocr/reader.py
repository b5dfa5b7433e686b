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
from statistics import median
from typing import Any

from PIL import Image

from parsers.entries import Entry, ExtractedForm
from parsers.errors import UnreadableDocument
from parsers.ocr import layout as pic
from parsers.ocr.pages import order_unknown, page_order
from parsers.ocr.tesseract import (
    OcrTimeout,
    Word,
    page_orientation,
    tesseract_words,
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
            scale = min(PDF_DPI / 72, _native_scale(page, width, height))
            if width * height * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / (width * height)) ** 0.5
            yield page.render(scale=scale, grayscale=True).to_pil()
        finally:
            page.close()


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
    boxes = pic.tick_boxes(dark, _stroke_height(dark))
    words = tesseract_words(pic.despeckle(pic.erase(gray, horizontal, vertical, [])), deadline)
    if _reads_badly(words):
        turned = page_orientation(gray, deadline)
        if turned:
            return scan_page(gray.rotate(turned, expand=True, fillcolor=255), deadline)
    boxes = _same_size([b for b in boxes if not any(_part_of_word(b, w) for w in words)])
    words = [piece for w in words if not any(_inside(w, b) for b in boxes)
             for piece in _unglued(w, boxes)]
    words = [w for w in words if w.text and _kept(w)]
    tokens, scale = _tokens(words, dark)
    strokes = _strokes(horizontal, vertical, boxes, scale)
    bounds = (0.0, 0.0, gray.width * scale, gray.height * scale)
    return PageScan(words, tokens, strokes, bounds, angle, scale)


def lay_out(scan: PageScan, number: int, section: str | None, known_label: KnownLabel,
            held: Any = None) -> OcrPage:
    """A scanned page read by the PDF page reader, as page ``number`` of its form."""
    tokens = [replace(token) for token in scan.tokens]  # the layout code may adjust them
    printed = read_page(number, tokens, scan.strokes, section=section,
                        known_label=known_label, bounds=scan.bounds, held=held)
    entries = [_with_confidence(entry, scan.words, scan.scale) for entry in printed.entries]
    return OcrPage(entries, printed.grids, printed.text, printed.section, scan.angle,
                   len(scan.words), printed.held)


def _stroke_height(dark: Any) -> float:
    """Typical height of a letter's vertical stroke, in pixels (sizes tick boxes)."""
    _, tops, bottoms = pic._runs(dark.T)
    lengths = bottoms - tops
    lengths = lengths[(lengths >= 6) & (lengths <= 120)]
    return float(median(lengths.tolist())) * 1.3 if lengths.size else 30.0


def _inside(word: Word, box: pic.Box) -> bool:
    """A word that is the box itself, read as junk ("Kl", "LJ"); a longer word over the box
    is a caption glued to it (see _unglued)."""
    x, y = word.left + word.width / 2, word.top + word.height / 2
    return (box.x0 - 3 <= x <= box.x1 + 3 and box.top - 3 <= y <= box.bottom + 3
            and word.width <= 1.6 * (box.x1 - box.x0))


def _same_size(boxes: list[pic.Box]) -> list[pic.Box]:
    """A form prints its tick boxes at one size; a much smaller "box" is a letter or digit
    (o, 0) that passed the shape tests."""
    if len(boxes) < 3:
        return boxes
    typical = median(b.x1 - b.x0 for b in boxes)
    return [b for b in boxes if b.x1 - b.x0 >= 0.8 * typical]


def _part_of_word(box: pic.Box, word: Word) -> bool:
    """A "box" inside a confidently read longer word is a letter (o, D, 0) or two (E next
    to d), not a tick box. A real box is read, if at all, as junk of its own size ("Kl") or
    glued to its caption with a low confidence ("YesQO")."""
    if word.confidence < 0.75 or sum(ch.isalnum() for ch in word.text) < 3:
        return False
    middle_x, middle_y = (box.x0 + box.x1) / 2, (box.top + box.bottom) / 2
    return (word.left <= middle_x <= word.left + word.width
            and word.top <= middle_y <= word.top + word.height
            and word.width > 1.6 * (box.x1 - box.x0))


_BOX_JUNK = ".,:;'`|()[]{}QO0@&®©"  # what Tesseract makes of a box's outline


def _unglued(word: Word, boxes: list[pic.Box]) -> list[Word]:
    """The parts of a word outside the boxes it overlaps: "X.No" -> "No", "YesQO" -> "Yes",
    "YesQO)No" -> "Yes", "No" (letters cut in proportion to the width the box covers)."""
    for box in boxes:
        if not (box.top - 3 <= word.top + word.height / 2 <= box.bottom + 3):
            continue
        right = word.left + word.width
        if box.x1 < word.left or box.x0 > right:
            continue
        per_char = word.width / max(len(word.text), 1)
        before = word.text[: max(0, round((box.x0 - 2 - word.left) / per_char))]
        after = word.text[min(len(word.text), round((box.x1 + 2 - word.left) / per_char)):]
        before, after = before.rstrip(_BOX_JUNK), after.lstrip(_BOX_JUNK)
        parts = []
        if before:
            parts.append(replace(word, text=before, width=max(1, box.x0 - 2 - word.left)))
        if after:
            parts.append(replace(word, text=after, left=box.x1 + 2,
                                 width=max(1, right - box.x1 - 2)))
        return [piece for part in parts for piece in _unglued(part, boxes)]
    return [word]


def _kept(word: Word) -> bool:
    """Speckles read as stray quotes and dots are dropped."""
    return any(ch.isalnum() for ch in word.text) or word.confidence >= 0.6


def _reads_badly(words: list[Word]) -> bool:
    real = [w for w in words if _WORD.search(w.text)]
    if len(real) < 8:
        return True
    return median(w.confidence for w in real) < 0.45


_ASCENDING = frozenset("bdfhklt0123456789()[]{}/|!?'\"%&#@$£")
_DESCENDING = frozenset("gjpqy()[]{}|;,@")


def _em(word: Word) -> float:
    """The font size a word's box implies: "of", "days" and "Exbridge" have different
    heights in the same type, so divide by the share of the em its letters reach."""
    text = word.text
    up = any(ch in _ASCENDING or ch.isupper() for ch in text)
    down = any(ch in _DESCENDING for ch in text)
    return word.height / (0.56 + 0.2 * up + 0.22 * down)


def _tokens(words: list[Word], dark: Any) -> tuple[list[Token], float]:
    """OCR words as layout tokens in points (the typical type size = 10 pt)."""
    sizes = [_em(w) for w in words if _WORD.search(w.text)] or [30.0]
    scale = 10.0 / median(sizes)
    strokes = [pic.stroke_width(dark, w.left, w.top, w.left + w.width, w.top + w.height)
               for w in words]
    widths = sorted(x for x in strokes if x > 0) or [0.0]
    regular = widths[len(widths) // 5]  # most words on a form are regular type
    tokens = []
    weight: dict[int, float] = {}
    for word, stroke in zip(words, strokes, strict=True):
        token = Token(word.text, word.left * scale, (word.left + word.width) * scale,
                      word.top * scale, (word.top + word.height) * scale,
                      size=_em(word) * scale)
        weight[id(token)] = stroke / regular if regular else 0.0
        tokens.append(token)
    _even_lines(tokens, weight)
    return tokens, scale


def _even_lines(tokens: list[Token], weight: dict[int, float]) -> None:
    """A word's box height depends on its letters ("of" vs "days") and a speckle can make
    a word tall: give every word on a printed line the median height of its real words.
    A line is bold when most of its words have strokes half as thick again as regular type
    (a lone word needs more, since one blot can thicken it); lines mixing a bold label and
    a regular value are left regular, as the layout code expects."""
    from parsers.pdf.geometry import group_lines

    for line in group_lines(tokens):
        real = [tok for tok in line if _WORD.search(tok.text)] or line
        size = median(tok.size for tok in real)
        need = 1.5 if len(real) > 1 else 1.8
        bold = sum(weight.get(id(tok), 0.0) >= need for tok in real) * 2 > len(real)
        for tok in line:
            tok.size, tok.bold = size, bold


def _strokes(horizontal: list[pic.Segment], vertical: list[pic.Segment], boxes: list[pic.Box],
             scale: float) -> Strokes:
    strokes = Strokes()
    strokes.horizontal = [(y * scale, x0 * scale, x1 * scale) for y, x0, x1 in horizontal]
    strokes.vertical = [(x * scale, t * scale, b * scale) for x, t, b in vertical]
    for box in boxes:
        rect = (box.x0 * scale, box.top * scale, box.x1 * scale, box.bottom * scale)
        strokes.boxes.append(rect)
        if box.checked:
            inset = (rect[2] - rect[0]) / 4
            strokes.marks.append((rect[0] + inset, rect[1] + inset, rect[2] - inset,
                                  rect[3] - inset))
    return strokes


LOW_CONFIDENCE = 0.75  # the mapper's default threshold for ``low_confidence``


def _with_confidence(entry: Entry, words: list[Word], scale: float = 1.0) -> Entry:
    """Half the weakest and half the mean of the value's word confidences. A doubtful
    value also names its place on the page (pixels of the straightened sheet), so the
    reviewer can look at the picture rather than trust the reading."""
    best: dict[str, Word] = {}
    for word in words:
        if word.text not in best or word.confidence > best[word.text].confidence:
            best[word.text] = word
    text = entry.value if entry.checked is None else f"{entry.label} {entry.value}"
    found = [best[w] for w in text.split() if w in best]
    if not found:
        return entry
    scores = [w.confidence for w in found]
    confidence = min(entry.confidence, round(0.5 * min(scores) + 0.5 * sum(scores) / len(scores), 3))
    locator = entry.locator
    if confidence < LOW_CONFIDENCE:
        weakest = min(found, key=lambda w: w.confidence)
        near = [w for w in found if abs(w.top - weakest.top) <= 3 * max(weakest.height, 1)]
        x0, top = min(w.left for w in near), min(w.top for w in near)
        x1 = max(w.left + w.width for w in near)
        bottom = max(w.top + w.height for w in near)
        locator = f"{locator}, region {x0},{top}-{x1},{bottom} px"
    return replace(entry, confidence=confidence, locator=locator)


# --- Tesseract ------------------------------------------------------------------------------
