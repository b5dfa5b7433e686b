"""Reading a message's parts into documents: each attachment, page photos as one, the body.

Split from :mod:`intake.core.pipeline` so the pipeline reads as the path it is (walk ->
documents -> record -> flags) and this module as the one place that decides what each part
of a message is: a referral form (with its mapped fields), the family's correspondence, a
damaged or mislabelled file (with the reason the AIO acts on), or a secure-mail notice.
Never raises: a document that cannot be read is kept with its reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from parsers import sniff as types
from parsers.documents import ReadLimits, read_document
from parsers.entries import Entry, ExtractedForm
from parsers.errors import IntakeError, UnreadableDocument
from parsers.layout.text import label_value_lines, section_heading
from parsers.letter.reader import read_letter
from parsers.mail import secure as secure_mail
from parsers.mail.walker import Attachment, looks_like_family_correspondence
from parsers.mapping.fieldmap import field_map
from parsers.mapping.mapper import MappedForm, map_form
from parsers.ocr import pages as photo_pages

MIN_FORM_LABELS = 5  # distinct form fields a document must name to count as a referral form


@dataclass
class ParsedDocument:
    content: bytes
    sha256: str
    filename: str | None
    raw_filename: str | None
    media_type: str | None
    role: str
    extraction: str
    pages: int | None
    problem: str | None
    text: str = ""

    def as_record_entry(self) -> dict[str, Any]:
        return {"filename": self.filename, "sha256": self.sha256, "media_type": self.media_type,
                "role": self.role, "extraction": self.extraction, "pages": self.pages,
                "problem": self.problem}


_PICTURES = {types.JPEG, types.PNG, types.TIFF, types.WEBP, types.BMP, types.GIF}


def read_attachments(attachments: list[Attachment],
                     limits: ReadLimits) -> list[tuple[ParsedDocument, MappedForm | None]]:
    """Each attachment read, in order; the page-sized pictures of the message (two or more
    photos or scans of pages) read together as one form (:func:`_read_pictures`)."""
    pictures = [n for n, a in enumerate(attachments)
                if a.media_type in _PICTURES and photo_pages.is_page(a.content)]
    pictures = pictures[:photo_pages.MAX_BUNDLE_PAGES]  # more are read one by one
    grouped = _read_pictures([attachments[n] for n in pictures], pictures, limits) if len(
        pictures) >= 2 else {}
    return [grouped[n] if n in grouped else read_attachment(a, n, limits)
            for n, a in enumerate(attachments)]


def _read_pictures(pictures: list[Attachment], indices: list[int], limits: ReadLimits
                   ) -> dict[int, tuple[ParsedDocument, MappedForm | None]]:
    """Pictures of pages as one document: put in page order (camera clock, file names,
    else the form's own page numbers or section order), bundled as the frames of one
    image and read once, with the wall limit the pictures would have had one by one. Each
    picture stays a document of its own in the record (its own hash and name) with the
    group's role; the mapped form goes with the first page. If the bundle cannot be made
    or read, the pictures are read one by one, as any other attachment."""
    order, known = photo_pages.photo_order([p.filename for p in pictures],
                                           [p.content for p in pictures])
    try:
        content = photo_pages.bundle([pictures[n].content for n in order], order_known=known)
    except Exception:  # noqa: BLE001 - a damaged picture: each is read (and judged) alone
        return {}
    first = pictures[order[0]]
    group = Attachment(filename=first.filename, raw_filename=first.raw_filename,
                       content=content, media_type=types.TIFF, declared_type=None,
                       inline=first.inline, depth=first.depth, index=first.index)
    wide = replace(limits, wall_seconds=limits.wall_seconds * len(order))
    read, mapped = read_attachment(group, indices[order[0]], wide)
    if read.problem is not None:
        return {}
    if mapped is not None:
        names = [pictures[n].filename or f"picture {n + 1}" for n in order]
        photo_pages.name_pages(mapped.provenance, names)
    out: dict[int, tuple[ParsedDocument, MappedForm | None]] = {}
    for position, n in enumerate(order):
        picture = pictures[n]
        document = ParsedDocument(
            content=picture.content, sha256=hashlib.sha256(picture.content).hexdigest(),
            filename=picture.filename, raw_filename=picture.raw_filename,
            media_type=picture.media_type, role=read.role, extraction=read.extraction,
            pages=1, problem=None, text=read.text if position == 0 else "")
        out[indices[n]] = (document, mapped if position == 0 else None)
    return out

def read_attachment(attachment: Attachment, index: int,
                    limits: ReadLimits) -> tuple[ParsedDocument, MappedForm | None]:
    document = ParsedDocument(
        content=attachment.content, sha256=hashlib.sha256(attachment.content).hexdigest(),
        filename=attachment.filename, raw_filename=attachment.raw_filename,
        media_type=attachment.media_type, role="other", extraction="none", pages=None, problem=None,
    )
    try:
        _check_claimed_type(attachment)
        form = read_document(attachment.content, attachment.media_type,
                             known_label=field_map().is_label, limits=limits)
    except UnreadableDocument as exc:
        document.problem = exc.reason
        return document, None
    except IntakeError as exc:
        document.problem = exc.reason
        return document, None
    except Exception as exc:  # noqa: BLE001 - a reader bug must not lose the message
        document.problem = f"the document could not be read ({type(exc).__name__})"
        return document, None
    document.extraction = "email_body" if attachment.media_type == types.EML else form.extraction
    document.pages, document.text = form.pages, form.text
    mapped = map_form(form, document=index) if (form.entries or form.grids) else None
    if mapped is not None and len(mapped.labels_seen) >= MIN_FORM_LABELS:
        document.role = "referral_form"
        return document, mapped
    letter = as_letter(form.text, form.extraction, index)
    if letter is not None:
        document.role = "referral_form"
        return document, letter
    if looks_like_family_correspondence(attachment, text=form.text[:5000]):
        document.role = "family_correspondence"
    return document, None


def as_letter(text: str, extraction: str, index: int) -> MappedForm | None:
    """A referral typed as a letter (no labels): its sentences read by the letter rules
    (:mod:`parsers.letter`), then mapped like a form's entries; ``None`` for any other text."""
    entries = read_letter(text)
    if not entries:
        return None
    mapped = map_form(ExtractedForm(extraction=extraction, entries=entries, text=text),
                      document=index)
    return mapped if len(mapped.labels_seen) >= MIN_FORM_LABELS else None


_CLAIMED = {".docx": "a Word document", ".docm": "a Word document", ".doc": "a Word document",
            ".pdf": "a PDF", ".odt": "an OpenDocument file", ".rtf": "a rich-text file"}
_NOT_DOCUMENTS = {types.TEXT, types.HTML, types.UNKNOWN, types.EMPTY}


def _check_claimed_type(attachment: Attachment) -> None:
    """A file named like a form whose bytes are something else is damaged or mislabelled."""
    suffix = "." + (attachment.filename or "").rsplit(".", 1)[-1].lower() if attachment.filename and "." in attachment.filename else ""
    claimed = _CLAIMED.get(suffix)
    if claimed and attachment.media_type in _NOT_DOCUMENTS and attachment.media_type != types.EMPTY:
        raise UnreadableDocument(
            f"the file is named {suffix} but is not {claimed}: it is damaged or mislabelled; "
            "ask the school to send it again")


def read_body(body: str, index: int) -> tuple[ParsedDocument, MappedForm] | None:
    """A form pasted into the email body ("Surname: ...") is read like a document."""
    entries = _body_entries(body)
    mapped: MappedForm | None = map_form(
        ExtractedForm(extraction="email_body", entries=entries, text=body), document=index)
    if mapped is None or len(mapped.labels_seen) < MIN_FORM_LABELS:
        mapped = as_letter(body, "email_body", index)  # a referral written in the email itself
    if mapped is None:
        return None
    content = body.encode("utf-8")
    document = ParsedDocument(content=content, sha256=hashlib.sha256(content).hexdigest(),
                              filename=None, raw_filename=None, media_type=types.TEXT,
                              role="referral_form", extraction="email_body", pages=None,
                              problem=None, text=body)
    return document, mapped


def _body_entries(body: str) -> list[Entry]:
    """The "Label: value" lines of a body, each under the section heading above it (an
    online form's "check your answers" copy has a heading per section)."""
    entries: list[Entry] = []
    section: str | None = None
    block: list[str] = []

    def flush() -> None:
        for label, value in label_value_lines("\n".join(block)):
            entries.append(Entry(label=label, value=value,
                                 locator=f"body line {len(entries) + 1}", section=section))
        block.clear()

    lines = body.splitlines()
    for at, line in enumerate(lines):
        text = line.strip()
        if text and ":" not in text and len(text) <= 80 and (
                section_heading(text) or _set_apart(lines, at)):
            flush()
            section = text
        else:
            block.append(line)
    flush()
    return entries


def note_secure_portal(subject: str | None, body: str, sender: str | None,
                       documents: list[ParsedDocument]) -> None:
    """A secure-mail portal's notice (the form is behind a link): put the reason on the
    portal's wrapper attachment, or on the body as a document, so the AIO knows where the
    form is (parsers.mail.secure). An email with any other attachment is not a notice."""
    if any(not secure_mail.is_wrapper(d.filename) for d in documents):
        return
    portal = secure_mail.portal_of(subject=subject, body=body, sender=sender,
                                   filenames=[d.filename or "" for d in documents])
    if portal is None:
        return
    problem = secure_mail.reason(portal)
    wrappers = [d for d in documents if secure_mail.is_wrapper(d.filename)]
    for document in wrappers:
        document.problem = problem
    if not wrappers:
        content = body.encode("utf-8")
        documents.append(ParsedDocument(
            content=content, sha256=hashlib.sha256(content).hexdigest(), filename=None,
            raw_filename=None, media_type=types.TEXT, role="other", extraction="email_body",
            pages=None, problem=problem, text=body))


def _set_apart(lines: list[str], at: int) -> bool:
    """A short line with a blank line above and a "Key: value" line next is a heading (an
    online form's section title), not the end of the answer above it."""
    text = lines[at].strip()
    if (at and lines[at - 1].strip()) or len(text.split()) > 6 or text.endswith(".") or any(
            ch.isdigit() for ch in text):
        return False
    below = next((line.strip() for line in lines[at + 1:] if line.strip()), "")
    return ":" in below
