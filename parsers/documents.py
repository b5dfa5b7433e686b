"""One reader per format behind one interface, chosen by the type sniffed from content.

``READERS`` maps a media type to a function ``(content, known_label, limits) ->
ExtractedForm``. Readers raise :class:`UnreadableDocument` with a reason the AIO can act
on. Types that never hold a form (photos, plain text, HTML, forwarded messages) give an
empty :class:`ExtractedForm` with ``extraction="none"``; the OCR and legacy-Word readers
register themselves here too.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from parsers import sniff as types
from parsers import worker_job
from parsers.entries import ExtractedForm
from parsers.errors import UnreadableDocument

KnownLabel = Callable[[str], bool]


@dataclass(frozen=True)
class ReadLimits:
    """What one document may cost. ``isolate`` reads it in a worker process that is killed
    past ``wall_seconds`` or ``memory_mb`` (the daemon turns it on; the pure core is off).

    ``context`` names the message in the workers' log lines (``mailbox=cme key=17``, ids
    only). ``known_unreadable`` holds ``(sha256, reason)`` of documents already found
    unreadable (a worker was stopped on them): they keep that reason and are not read
    again, so one document costs one wall limit at most.
    """

    max_pdf_pages: int = 100
    max_docx_uncompressed_mb: int = 100
    isolate: bool = False
    wall_seconds: float = 30.0
    memory_mb: int = 512
    context: str = ""
    known_unreadable: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_settings(cls, limits: Any, *, isolate: bool = False) -> ReadLimits:
        """From ``intake.config.LimitsSettings`` (handed in, so parsers never read settings)."""
        return cls(max_pdf_pages=limits.max_pdf_pages,
                   max_docx_uncompressed_mb=limits.max_docx_uncompressed_mb, isolate=isolate,
                   wall_seconds=limits.document_wall_seconds, memory_mb=limits.document_memory_mb)


Reader = Callable[[bytes, KnownLabel, ReadLimits], ExtractedForm]


def _docx(content: bytes, known_label: KnownLabel, limits: ReadLimits) -> ExtractedForm:
    from parsers.docx.reader import DocxLimits, read_docx

    total = limits.max_docx_uncompressed_mb * 1024 * 1024
    return read_docx(content, known_label=known_label, limits=DocxLimits(max_total_uncompressed=total))


def _pdf(content: bytes, known_label: KnownLabel, limits: ReadLimits) -> ExtractedForm:
    from parsers.pdf.reader import read_pdf

    form = read_pdf(content, known_label=known_label, max_pages=limits.max_pdf_pages)
    if form.extraction == "none":  # no text layer at all: a scan
        from parsers.ocr.reader import read_scanned_pdf

        return read_scanned_pdf(content, known_label, limits, notes=form.notes)
    return form


def _lazy(module: str, name: str) -> Reader:
    """A reader imported on first use (LibreOffice, Tesseract and extract-msg wrappers)."""
    def reader(content: bytes, known_label: KnownLabel, limits: ReadLimits) -> ExtractedForm:
        return getattr(importlib.import_module(module), name)(content, known_label, limits)

    return reader


def _nothing(content: bytes, known_label: KnownLabel, limits: ReadLimits) -> ExtractedForm:
    return ExtractedForm(extraction="none")


def _encrypted(content: bytes, known_label: KnownLabel, limits: ReadLimits) -> ExtractedForm:
    raise UnreadableDocument(
        "the document is password-protected: ask the school to send it without a password"
    )


def _empty(content: bytes, known_label: KnownLabel, limits: ReadLimits) -> ExtractedForm:
    raise UnreadableDocument("the file is empty (0 bytes)")


READERS: dict[str, Reader] = {
    types.DOCX: _docx,
    types.DOCM: _docx,
    types.DOTX: _docx,
    types.DOTM: _docx,
    types.PDF: _pdf,
    types.ENCRYPTED_OOXML: _encrypted,
    types.EMPTY: _empty,
    types.DOC: _lazy("parsers.convert", "read_converted"),
    types.ODT: _lazy("parsers.convert", "read_converted"),
    types.RTF: _lazy("parsers.convert", "read_converted"),
    types.OLE: _lazy("parsers.convert", "read_ole"),
    types.MSG: _lazy("parsers.mail.msg", "read_msg"),
    types.ZIP: _lazy("parsers.mail.archive", "read_archive"),
    types.PNG: _lazy("parsers.ocr.reader", "read_image"),
    types.JPEG: _lazy("parsers.ocr.reader", "read_image"),
    types.GIF: _lazy("parsers.ocr.reader", "read_image"),
    types.BMP: _lazy("parsers.ocr.reader", "read_image"),
    types.WEBP: _lazy("parsers.ocr.reader", "read_image"),
    types.TIFF: _lazy("parsers.ocr.reader", "read_image"),
    types.TEXT: _nothing,
    types.HTML: _nothing,
    types.EML: _nothing,
    types.XLSX: _nothing,
    types.XLSM: _nothing,
    types.PPTX: _nothing,
}

_NAMES = {
    types.DOC: "Word 97-2003 (.doc)",
    types.ODT: "OpenDocument text (.odt)",
    types.RTF: "rich text (.rtf)",
    types.MSG: "Outlook message (.msg)",
    types.ZIP: "zip archive",
    types.OLE: "Office file of an unknown kind",
    types.UNKNOWN: "file of an unknown type",
}


def register(media_type: str, reader: Reader) -> None:
    """Add or replace the reader for a media type (OCR and converters plug in here)."""
    READERS[media_type] = reader


def read_document(content: bytes, media_type: str, *, known_label: KnownLabel,
                  limits: ReadLimits = ReadLimits()) -> ExtractedForm:
    if limits.known_unreadable:
        digest = hashlib.sha256(content).hexdigest()
        reason = next((why for sha, why in limits.known_unreadable if sha == digest), None)
        if reason is not None:
            raise UnreadableDocument(reason)
    if limits.isolate:
        return _read_isolated(content, media_type, known_label=known_label, limits=limits)
    reader = READERS.get(media_type)
    if reader is None:
        kind = _NAMES.get(media_type, media_type)
        raise UnreadableDocument(f"{kind} attachments cannot be read: ask the school for Word (.docx) or PDF")
    if not worker_job.in_job():
        return reader(content, known_label, limits)
    with worker_job.reading(hashlib.sha256(content).hexdigest()):  # a wall limit for each
        return reader(content, known_label, limits)


def _read_in_worker(content: bytes, media_type: str, known_label: Any, limits: Any) -> Any:
    from parsers.mapping.fieldmap import field_map

    label = field_map().is_label if known_label is None else known_label
    return read_document(content, media_type, known_label=label, limits=limits)


def _read_isolated(content: bytes, media_type: str, *, known_label: KnownLabel,
                   limits: ReadLimits) -> ExtractedForm:
    """:func:`read_document` in a worker of the shared pool (:mod:`parsers.isolation`)."""
    from parsers.isolation import JobLimits, shared_pool
    from parsers.mapping.fieldmap import field_map

    label: Any = known_label
    if getattr(known_label, "__self__", None) is field_map():
        label = None  # the worker has its own field map: do not pickle it with every job
    job = JobLimits(wall_seconds=limits.wall_seconds, memory_mb=limits.memory_mb)
    return shared_pool().call(_read_in_worker, content, media_type, label,
                              replace(limits, isolate=False), limits=job, context=limits.context)
