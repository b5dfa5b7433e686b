"""The pure core: raw message bytes -> documents -> fields -> record -> flags.

No network, no database, no settings lookups: shells (CLI, daemon, web) call
:func:`parse_message` or :func:`parse_document` with plain values and store the result.
A document that cannot be read is kept with its reason; it never stops the message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from intake.core.rules import RuleSettings, evaluate, is_complete
from intake.core.school_record import apply_register
from parsers import sniff as types
from parsers.documents import ReadLimits, read_document
from parsers.entries import Entry, ExtractedForm
from parsers.errors import IntakeError, UnreadableDocument
from parsers.findings import Finding
from parsers.layout.text import label_value_lines, section_heading
from parsers.mail import secure as secure_mail
from parsers.mail.archive import expand_attachments
from parsers.mail.walker import Attachment, looks_like_family_correspondence, walk_message
from parsers.mapping.fieldmap import field_map
from parsers.mapping.mapper import MappedForm, map_form
from parsers.ocr import pages as photo_pages
from parsers.record import MAILBOX_AREA, empty_record, get_path, is_empty, set_path

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


@dataclass
class ParsedMessage:
    record: dict[str, Any]
    documents: list[ParsedDocument]
    findings: list[Finding] = field(default_factory=list)
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    subject: str | None = None
    from_: str | None = None
    to: str | None = None
    date: str | None = None

    @property
    def has_form(self) -> bool:
        return any(d.role == "referral_form" for d in self.documents)


def parse_message(raw: bytes, *, mailbox: str | None = None, received_on: date | None = None,
                  settings: RuleSettings = RuleSettings(), limits: ReadLimits = ReadLimits()) -> ParsedMessage:
    """Parse one email into the record with its flags. Raises MalformedMessage only."""
    walked = walk_message(raw)
    documents: list[ParsedDocument] = []
    forms: list[tuple[int, MappedForm]] = []
    attachments = _documents_of(expand_attachments(walked.attachments, limits))
    for document, mapped in _read_attachments(attachments, limits):
        documents.append(document)
        if mapped is not None:
            forms.append((len(documents) - 1, mapped))
    if not forms and walked.body_text.strip():
        body = _read_body(walked.body_text, len(documents))
        if body is not None:
            documents.append(body[0])
            forms.append((len(documents) - 1, body[1]))
    if not forms:
        _note_secure_portal(walked.subject, walked.body_text, walked.from_, documents)
    received = {"mailbox": mailbox, "from": walked.from_, "to": walked.to,
                "subject": walked.subject, "date": walked.date, "message_id": walked.message_id}
    if received_on is None and walked.date:
        received_on = _date_of(walked.date)
    parsed = _assemble(documents, forms, received, received_on or date.today(), settings)
    parsed.message_id, parsed.in_reply_to = walked.message_id, walked.in_reply_to
    parsed.references, parsed.subject = walked.references, walked.subject
    parsed.from_, parsed.to, parsed.date = walked.from_, walked.to, walked.date
    return parsed


def _documents_of(attachments: list[Attachment]) -> list[Attachment]:
    """Attachments that are documents: a forwarded message that only wraps attachments
    (they are read in their own right) is not one; a forwarded message with none is, as it
    may be the family's own email."""
    documents = []
    for position, attachment in enumerate(attachments):
        if attachment.media_type == types.EML:
            following = attachments[position + 1:]
            if any(a.depth > attachment.depth for a in following[:1]):
                continue
        documents.append(attachment)
    return documents


_PICTURES = {types.JPEG, types.PNG, types.TIFF, types.WEBP, types.BMP, types.GIF}


def _read_attachments(attachments: list[Attachment],
                      limits: ReadLimits) -> list[tuple[ParsedDocument, MappedForm | None]]:
    """Each attachment read, in order; the page-sized pictures of the message (two or more
    photos or scans of pages) read together as one form (:func:`_read_pictures`)."""
    pictures = [n for n, a in enumerate(attachments)
                if a.media_type in _PICTURES and photo_pages.is_page(a.content)]
    pictures = pictures[:photo_pages.MAX_BUNDLE_PAGES]  # more are read one by one
    grouped = _read_pictures([attachments[n] for n in pictures], pictures, limits) if len(
        pictures) >= 2 else {}
    return [grouped[n] if n in grouped else _read_attachment(a, n, limits)
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
    read, mapped = _read_attachment(group, indices[order[0]], wide)
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


def parse_document(content: bytes, *, filename: str | None = None, mailbox: str | None = None,
                   received_on: date | None = None, settings: RuleSettings = RuleSettings(),
                   limits: ReadLimits = ReadLimits()) -> ParsedMessage:
    """Parse one bare document (no email around it) into a record with its flags."""
    media_type = types.sniff(content, filename)
    attachment = Attachment(filename=filename, raw_filename=filename, content=content,
                            media_type=media_type, declared_type=None, inline=False, depth=0, index=0)
    document, mapped = _read_attachment(attachment, 0, limits)
    forms = [(0, mapped)] if mapped is not None else []
    received = None
    if mailbox is not None:
        received = dict.fromkeys(("from", "to", "subject", "date", "message_id"))
        received["mailbox"] = mailbox
    return _assemble([document], forms, received, received_on or date.today(), settings)


def _read_attachment(attachment: Attachment, index: int,
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
    if looks_like_family_correspondence(attachment, text=form.text[:5000]):
        document.role = "family_correspondence"
    return document, None


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


def _read_body(body: str, index: int) -> tuple[ParsedDocument, MappedForm] | None:
    """A form pasted into the email body ("Surname: ...") is read like a document."""
    entries = _body_entries(body)
    mapped = map_form(ExtractedForm(extraction="email_body", entries=entries, text=body), document=index)
    if len(mapped.labels_seen) < MIN_FORM_LABELS:
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

    for line in body.splitlines():
        text = line.strip()
        if text and ":" not in text and len(text) <= 80 and section_heading(text):
            flush()
            section = text
        else:
            block.append(line)
    flush()
    return entries


def _note_secure_portal(subject: str | None, body: str, sender: str | None,
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


def _assemble(documents: list[ParsedDocument], forms: list[tuple[int, MappedForm]],
              received: dict[str, Any] | None, received_on: date,
              settings: RuleSettings) -> ParsedMessage:
    record = empty_record()
    findings: list[Finding] = []
    ranked = sorted(forms, key=lambda item: -len(item[1].fields_found))
    for _, mapped in ranked:
        _merge(record, mapped)
        findings += [f for f in mapped.findings if f not in findings]
    record["received"] = received
    record["documents"] = [d.as_record_entry() for d in documents]
    mailbox = (received or {}).get("mailbox")
    record["school"]["area"] = MAILBOX_AREA.get(mailbox) if mailbox else None
    record["family_correspondence"]["attached"] = any(
        d.role == "family_correspondence" for d in documents)
    risk_options = [i for _, m in ranked for i in m.risk_options]
    record["safeguarding"]["risk_indicators"] = _risk_indicators(record, risk_options)
    if forms and getattr(settings, "schools", None) is not None:
        findings += apply_register(record, settings.schools)
    record["flags"] = evaluate(record, findings=findings, received_on=received_on, settings=settings)
    record["complete"] = is_complete(record["flags"])
    return ParsedMessage(record=record, documents=documents, findings=findings)


def with_register(parsed: ParsedMessage, *, received_on: date,
                  settings: RuleSettings) -> ParsedMessage:
    """A parse made without the school register (on a document worker, which is not sent
    the register) given the register's view and judged again, as :func:`parse_message`
    would have judged it with the register."""
    if (getattr(settings, "schools", None) is None or not parsed.has_form
            or "register" in parsed.record["school"]):
        return parsed
    parsed.findings += apply_register(parsed.record, settings.schools)
    parsed.record["flags"] = evaluate(parsed.record, findings=parsed.findings,
                                      received_on=received_on, settings=settings)
    parsed.record["complete"] = is_complete(parsed.record["flags"])
    return parsed


def _merge(record: dict[str, Any], mapped: MappedForm) -> None:
    """Fill the record from one mapped form; the best form goes first, others fill gaps.

    Never raises: a later form can name list items the record lacks (its second other
    enquiry, a parent when the first form listed none) or carry a path of the wrong shape;
    the record grows lists as needed and a path that cannot be merged is skipped, so one
    odd document never costs the message its other documents' answers.
    """
    source = mapped.record
    if not record["provenance"]:
        for key in ("school", "pupil", "parents", "siblings", "attendance", "referral",
                    "family_information", "enquiries", "family_correspondence", "roll",
                    "part1_completed_by", "safeguarding", "aio"):
            if key in source:
                record[key] = source[key]
        record["provenance"] = dict(mapped.provenance)
    else:
        try:
            _merge_lists(record, mapped)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            pass  # the lists stay as the better form gave them
        for path, where in mapped.provenance.items():
            if path.startswith(_LIST_PATHS) or path in record["provenance"]:
                continue
            try:
                value = get_path(source, path)
                if is_empty(get_path(record, path)) and not is_empty(value):
                    set_path(record, path, value)
                    record["provenance"][path] = where
            except (KeyError, IndexError, TypeError, ValueError, AttributeError):
                continue
    record["unmapped"] += list(mapped.unmapped)


_LIST_PATHS = ("parents.", "siblings.", "enquiries.other.")


def _merge_lists(record: dict[str, Any], mapped: MappedForm) -> None:
    """People and other enquiries from a later form: its parents or siblings when the
    record has none (the best form's people win otherwise, as one form may list them
    differently), and its other enquiries that the record does not have yet, appended."""
    source, provenance = mapped.record, mapped.provenance
    for key in ("parents", "siblings"):
        theirs = source.get(key)
        if record[key] or not isinstance(theirs, list) or not theirs:
            continue
        record[key] = list(theirs)
        record["provenance"].update({p: w for p, w in provenance.items()
                                     if p.startswith(f"{key}.")})
    mine = record["enquiries"].setdefault("other", [])
    theirs = (source.get("enquiries") or {}).get("other")
    for number, item in enumerate(theirs if isinstance(theirs, list) else []):
        if is_empty(item) or item in mine:
            continue
        mine.append(item)
        where = provenance.get(f"enquiries.other.{number}")
        if where is not None:
            record["provenance"][f"enquiries.other.{len(mine) - 1}"] = where


def _risk_indicators(record: dict[str, Any], ticked: list[str]) -> list[str]:
    from parsers.record import RISK_INDICATORS
    from parsers.risk import indicators_in

    texts = [record["safeguarding"]["concerns"], record["family_information"]["text"],
             record["referral"]["details"]]
    found = set(indicators_in(*texts)) | set(ticked)
    return [indicator for indicator in RISK_INDICATORS if indicator in found]


def _date_of(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None
