"""The pages of one form that arrive as several pictures: their order, and one bundle.

A school photographs each page and attaches the photos, in whatever order the mail client
chose. They are one form: read together, in page order, a section or table that runs over
a page break is read as one, and page 2 is classified with page 1 instead of on its own.
The order comes, best first, from the form itself ("Page 2 of 3"), the camera's clock
(EXIF DateTimeOriginal), the numbers in the file names (IMG_5202.jpg, "page 2.png"), the
form's section order (school and pupil before attendance before safeguarding), and last
the order of the attachments.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from statistics import median

from PIL import Image, ImageOps

ORDER_UNKNOWN = "cme-intake: page order unknown"  # a bundle whose order the names left open
MAX_BUNDLE_PAGES = 12
_PAGE_OF = re.compile(r"^page\s*(\d{1,2})\s*(?:of|/)\s*(\d{1,2})$")
_NUMBER = re.compile(r"\d+")
# Where each part of the spec's record comes in a CME form, earliest first.
_SECTION_WORDS = (
    ("school", "dfe", "urn"), ("pupil", "surname", "forename", "upn", "gender", "birth"),
    ("parent", "carer", "relationship"), ("sibling",), ("attendance", "attended", "absent"),
    ("reason", "grounds", "referral"), ("family", "destination", "country"),
    ("enquiries", "visit", "neighbours", "telephoned", "flight"),
    ("correspondence", "roll", "removed"), ("completed",),
    ("safeguarding", "dsl", "concerns", "signed"), ("aio", "officer", "allocated"),
)


def photo_order(names: Sequence[str | None], contents: Sequence[bytes]) -> tuple[list[int], bool]:
    """Indices of the pictures in page order, and whether that order is known (from the
    camera's clock or the file names) rather than merely the attachments' order."""
    positions = list(range(len(contents)))
    times = [_taken_at(c) for c in contents]
    if all(times) and len(set(times)) == len(times):
        return sorted(positions, key=lambda n: times[n] or ""), True
    numbers = [_name_number(name) for name in names]
    if all(n is not None for n in numbers) and len(set(numbers)) == len(numbers):
        return sorted(positions, key=lambda n: numbers[n] or 0), True
    return positions, False


def _taken_at(content: bytes) -> str | None:
    try:
        exif = Image.open(io.BytesIO(content)).getexif()
        value = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)  # DateTimeOriginal
    except Exception:  # noqa: BLE001 - a damaged header gives no time, not an error
        return None
    return str(value) if value else None


def _name_number(name: str | None) -> int | None:
    """The last number in a file name's stem: IMG_5202.jpg -> 5202, "page 2.png" -> 2."""
    if not name:
        return None
    stem = name.rsplit(".", 1)[0]
    found = _NUMBER.findall(stem)
    return int(found[-1]) if found else None


def bundle(contents: Sequence[bytes], *, order_known: bool) -> bytes:
    """The pictures as the frames of one TIFF, each turned as its camera said and in grey
    (what OCR reads), so the image reader reads them as the pages of one document."""
    frames = []
    for content in contents[:MAX_BUNDLE_PAGES]:
        image = Image.open(io.BytesIO(content))
        upright = ImageOps.exif_transpose(image) or image
        frames.append(upright.convert("L"))
    out = io.BytesIO()
    info = {} if order_known else {270: ORDER_UNKNOWN}
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:],
                   compression="tiff_adobe_deflate", tiffinfo=info)
    return out.getvalue()


def order_unknown(image: Image.Image) -> bool:
    tags = getattr(image, "tag_v2", None)
    return tags is not None and bool(tags) and tags.get(270) == ORDER_UNKNOWN


def page_order(pages: Sequence[Sequence[str]], *, sections: bool = False) -> list[int]:
    """The order of OCR'd pages (their words): by the page numbers they print when every
    page has one; else, when asked (the pictures' order is unknown), by where their words
    come in a CME form's section order; else as given."""
    positions = list(range(len(pages)))
    numbers = [_printed_page(words) for words in pages]
    if len(pages) > 1 and all(numbers) and len(set(numbers)) == len(numbers):
        return sorted(positions, key=lambda n: numbers[n] or 0)
    if sections and len(pages) > 1:
        ranks = [_section_rank(words) for words in pages]
        if all(r is not None for r in ranks):
            return sorted(positions, key=lambda n: ranks[n] or 0.0)
    return positions


def _printed_page(words: Sequence[str]) -> int | None:
    lowered = [w.lower().strip(".,:;()") for w in words]
    for n, word in enumerate(lowered[:-1]):
        if word != "page":
            continue
        phrase = " ".join(lowered[n: n + 4])
        match = _PAGE_OF.match(phrase) or _PAGE_OF.match(" ".join(lowered[n: n + 3]))
        if match and 0 < int(match.group(1)) <= int(match.group(2)):
            return int(match.group(1))
    return None


def _section_rank(words: Sequence[str]) -> float | None:
    """The median place, in a form's section order, of the section words on a page."""
    places = [rank for word in words for rank, group in enumerate(_SECTION_WORDS)
              if any(word.lower().startswith(stem) for stem in group)]
    return float(median(places)) if len(places) >= 3 else None


MIN_PAGE_PIXELS = 300_000  # smaller pictures are logos and signatures, not pages


def is_page(content: bytes) -> bool:
    """A single picture big enough to be a photo or scan of a page (its header only)."""
    try:
        image = Image.open(io.BytesIO(content))
        return getattr(image, "n_frames", 1) == 1 and image.width * image.height >= MIN_PAGE_PIXELS
    except Exception:  # noqa: BLE001 - not a picture Pillow can open: read on its own
        return False


_LOCATOR_PAGE = re.compile(r"^page (\d+)\b")


def name_pages(provenance: dict[str, dict], names: Sequence[str]) -> None:
    """"page 2, line 5" of a bundle becomes "page 2 (IMG_5202.jpg), line 5"."""
    for where in provenance.values():
        locator = where.get("locator") if isinstance(where, dict) else None
        if not isinstance(locator, str):
            continue
        match = _LOCATOR_PAGE.match(locator)
        if match and 0 < int(match.group(1)) <= len(names) and not locator[
                match.end():].startswith(" ("):  # one locator may serve several fields
            name = names[int(match.group(1)) - 1]
            where["locator"] = f"{match.group(0)} ({name}){locator[match.end():]}"
