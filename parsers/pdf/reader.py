"""Reading a CME referral form sent as PDF: fillable fields, printed text, or a scan.

Schools send three kinds of PDF: a fillable form (AcroForm fields, sometimes half filled
and half typed over), a Word form saved as PDF (text and ruled tables), and a printed form
filled by hand and scanned (no text layer: OCR is a later, separate step). Every page is
parsed once by pdfplumber and closed at once (its caches grow without bound otherwise);
the fields come from pypdf only when the file has a form. Nothing in the file is ever run:
JavaScript, launch actions and embedded files are only noted.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSException
from pdfplumber.utils.exceptions import PdfminerException
from pypdf.errors import FileNotDecryptedError, PdfReadError

from parsers.entries import Entry, ExtractedForm
from parsers.errors import IntakeError, UnreadableDocument
from parsers.layout.text import default_known_label
from parsers.pdf.field_labels import (
    FieldEntry,
    PageFrame,
    field_entries,
    typed_annotations,
    widgets_in_tables,
)
from parsers.pdf.fields import FormFields, read_form_fields
from parsers.pdf.geometry import tokens_from_words
from parsers.pdf.strokes import page_strokes
from parsers.pdf.tables import HeldTable, page_tables
from parsers.pdf.text import PageText, read_page, release_held

log = logging.getLogger(__name__)

KnownLabel = Callable[[str], bool]
PASSWORD_PROTECTED = "the PDF is password-protected: ask the school to send it without a password"
_MIN_TEXT_CHARS = 30  # fewer printed characters than this on a page: a scan, or blank


def read_pdf(
    content: bytes, *, known_label: KnownLabel | None = None, max_pages: int = 100
) -> ExtractedForm:
    """Read a PDF form into entries, grids and its text in reading order.

    ``known_label`` says whether a piece of printed text is a label the mapper knows; it
    helps tell "Date of birth   03/09/2015" from a sentence. Raises only
    :class:`UnreadableDocument`, with a reason that names no one.
    """
    _check_bytes(content)
    try:
        # Not ``with pdf:``: PDF.close() builds every page object it has not built yet,
        # which on a refused (over-long, damaged) file repeats the cost or raises anew.
        # Each page read is closed in _read and the bytes are in memory.
        pdf = _open(content)
        return _read(pdf, content, known_label or default_known_label, max_pages)
    except IntakeError:
        raise
    except Exception as exc:  # noqa: BLE001 - pdfminer/pypdf raise many unrelated types
        reason = _reason(exc)
        log.info("pdf unreadable: %s", type(exc).__name__)
        raise UnreadableDocument(reason) from None


def _reason(exc: BaseException) -> str:
    """A specific, shareable reason for a pdfminer/pypdf failure (never the file's text)."""
    if isinstance(exc, PdfminerException) and exc.args and isinstance(exc.args[0], BaseException):
        exc = exc.args[0]
    if isinstance(exc, PDFPasswordIncorrect):
        return PASSWORD_PROTECTED
    if isinstance(exc, (PDFEncryptionError, FileNotDecryptedError)):
        return ("the PDF is encrypted in a way that cannot be read: ask the school to send it "
                "without a password")
    if isinstance(exc, RecursionError):
        return "the PDF is malformed: its objects refer to each other in a loop or nest too deeply"
    if isinstance(exc, MemoryError):
        return "the PDF is too large to read"
    if isinstance(exc, (PSException, PdfReadError)):
        return f"the PDF is damaged: its structure cannot be parsed ({type(exc).__name__})"
    return f"the PDF is damaged and could not be read ({type(exc).__name__})"


def _check_bytes(content: bytes) -> None:
    head = content[:1024]
    if b"%PDF-" not in head:
        raise UnreadableDocument("the file is not a PDF (no %PDF header)")
    if b"%%EOF" not in content:
        raise UnreadableDocument(
            "the PDF is truncated (it has no end-of-file marker): ask the school to send it again"
        )


def _open(content: bytes) -> pdfplumber.PDF:
    """Open with the empty user password, which many "protected" PDFs use."""
    return pdfplumber.open(io.BytesIO(content), password="")


def _read(pdf: pdfplumber.PDF, content: bytes, known_label: KnownLabel,
          max_pages: int) -> ExtractedForm:
    catalog = pdf.doc.catalog
    _check_page_count(catalog, max_pages)
    pages = pdf.pages
    if len(pages) > max_pages:
        raise UnreadableDocument(f"the PDF has {len(pages)} pages; the limit is {max_pages}")
    if not pages:
        raise UnreadableDocument("the PDF is damaged: it has no readable pages")
    notes = _active_content_notes(catalog, content)
    fields = _form_fields(content, notes) if _has_form(catalog) else FormFields()
    if fields.javascript and "PDF contains JavaScript" not in notes:
        notes.append("PDF contains JavaScript")
    if fields.xfa and not fields.widgets:
        notes.append("PDF is an XFA form: its field values are not read")
    use_fields = fields.any_filled
    form = ExtractedForm(extraction="pdf_form_fields" if use_fields else "pdf_text",
                         pages=len(pages), notes=notes)
    # FreeText annotations (text typed with a viewer) are looked for only when the bytes
    # could hold one: resolving every annotation of a form costs as much as its fields.
    typed = b"/FreeText" in content or b"/ObjStm" in content
    document = _Document(form, fields if use_fields else None, known_label, typed)
    texts, textless, failed = _read_pages(pages, document)
    if textless and len(textless) + failed == len(pages) and not use_fields:
        return ExtractedForm(extraction="none", pages=len(pages),
                             notes=[*notes, "no text layer: needs OCR"])
    if textless:
        listed = ", ".join(str(n) for n in textless)
        form.notes.append(f"no text layer on page(s) {listed}: needs OCR")
    form.text = "\n\n".join(text for text in texts if text)
    return form


@dataclass
class _Document:
    """What every page's reading shares."""

    form: ExtractedForm
    fields: FormFields | None
    known_label: KnownLabel
    typed_text: bool
    section: str | None = None  # the heading in force, carried from page to page
    held: HeldTable | None = None  # a table ending the last page, maybe carried on


def _read_pages(pages: list[Any], document: _Document) -> tuple[list[str], list[int], int]:
    """Read every page, closing each at once; returns texts, pages without text, failures.

    A page that cannot be parsed is noted and the others are still read; when none can be,
    the first page's error is raised.
    """
    texts: list[str] = []
    textless: list[int] = []
    failed: list[tuple[int, BaseException]] = []
    for number, page in enumerate(pages, start=1):
        try:
            page_text, chars = _read_one(page, number, document)
        except Exception as exc:  # noqa: BLE001 - one damaged page need not lose the rest
            failed.append((number, exc))
            continue
        finally:
            page.close()
        texts.append(page_text)
        if chars < _MIN_TEXT_CHARS:
            textless.append(number)
    if failed and len(failed) == len(pages):
        raise failed[0][1]
    last = release_held(document.held, document.section, document.known_label)
    document.form.entries.extend(last.entries)
    document.form.grids.extend(last.grids)
    for number, error in failed:
        document.form.notes.append(f"page {number} could not be read: {_reason(error)}")
    return texts, textless, len(failed)


def _read_one(page: Any, number: int, document: _Document) -> tuple[str, int]:
    """One page: words once, fields labelled from them, then the printed layer."""
    fields, form, section = document.fields, document.form, document.section
    words = page.extract_words(keep_blank_chars=False, extra_attrs=["fontname", "size"])
    chars = sum(len(word["text"]) for word in words)
    frame = PageFrame(float(page.width), float(page.height), int(page.rotation or 0))
    tokens = tokens_from_words(words)
    if document.typed_text and page.page_obj.annots:
        tokens += typed_annotations(page.page_obj.annots, frame)
    strokes = page_strokes(page.lines, page.rects, page.curves)
    tables = page_tables(tokens, strokes)
    found: list[FieldEntry] = []
    if fields is not None:
        outside, shown = widgets_in_tables(fields.on_page(number), tables, frame)
        found = field_entries(outside, tokens, number, frame)
        tokens += shown
    printed: PageText = read_page(number, tokens, strokes, section=section,
                                  known_label=document.known_label, tables=tables,
                                  bounds=_bbox(page), held=document.held)
    document.section, document.held = printed.section, printed.held
    for item in found:
        form.entries.append(_with_section(item, printed, section))
    form.entries.extend(printed.entries)
    form.grids.extend(printed.grids)
    text = printed.text
    filled = [f"{item.entry.label}: {_shown(item.entry)}" for item in found if _shown(item.entry)]
    if filled:
        text = "\n".join([text, *filled]) if text else "\n".join(filled)
    return text, chars


def _form_fields(content: bytes, notes: list[str]) -> FormFields:
    """The form's fields; a form pypdf cannot walk still leaves the printed text to read."""
    try:
        return read_form_fields(content)
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on odd forms
        log.info("pdf form fields unreadable: %s", type(exc).__name__)
        notes.append(f"the PDF's form fields could not be read ({type(exc).__name__})")
        return FormFields()


def _bbox(page: Any) -> tuple[float, float, float, float]:
    x0, top, x1, bottom = (float(v) for v in page.bbox)
    return (x0, top, x1, bottom)


def _with_section(item: FieldEntry, printed: PageText, section: str | None) -> Entry:
    for top, heading in printed.headings:
        if top <= item.top:
            section = heading
    entry = item.entry
    return Entry(entry.label, entry.value, entry.locator, section, entry.checked, entry.confidence)


def _shown(entry: Entry) -> str:
    if entry.checked is None:
        return entry.value
    return f"{'☒' if entry.checked else '☐'} {entry.value}" if entry.checked else ""


def _check_page_count(catalog: dict[str, Any], max_pages: int) -> None:
    """Refuse an over-long PDF from the page tree's own count, before building any page."""
    tree = resolve1(catalog.get("Pages"))
    count = resolve1(tree.get("Count")) if isinstance(tree, dict) else None
    if isinstance(count, int) and count > max_pages:
        raise UnreadableDocument(f"the PDF has {count} pages; the limit is {max_pages}")


def _has_form(catalog: dict[str, Any]) -> bool:
    form = resolve1(catalog.get("AcroForm"))
    return isinstance(form, dict) and bool(resolve1(form.get("Fields")) or form.get("XFA"))


def _active_content_notes(catalog: dict[str, Any], content: bytes) -> list[str]:
    """Scripts, launch actions and attachments are noted, never run or extracted."""
    notes: list[str] = []
    names = resolve1(catalog.get("Names"))
    names = names if isinstance(names, dict) else {}
    action = resolve1(catalog.get("OpenAction"))
    kind = getattr(resolve1(action.get("S")), "name", None) if isinstance(action, dict) else None
    if "JavaScript" in names or kind == "JavaScript" or "AA" in catalog or (
        b"/JavaScript" in content or b"/JS " in content or b"/JS(" in content
    ):
        notes.append("PDF contains JavaScript")
    if kind == "Launch" or b"/Launch" in content:
        notes.append("PDF contains a launch action")
    if "EmbeddedFiles" in names or b"/EmbeddedFile" in content:
        notes.append("PDF has embedded files")
    return notes
