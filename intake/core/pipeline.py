"""The pure core: raw message bytes -> documents -> fields -> record -> flags.

No network, no database, no settings lookups: shells (CLI, daemon, web) call
:func:`parse_message` or :func:`parse_document` with plain values and store the result.
A document that cannot be read is kept with its reason; it never stops the message.
What each part of a message is (form, correspondence, damaged file) is decided in
:mod:`intake.core.attachments`; how several forms make one record, in :mod:`intake.core.merge`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from intake.core.attachments import (
    MIN_FORM_LABELS,
    ParsedDocument,
    note_secure_portal,
    read_attachment,
    read_attachments,
    read_body,
)
from intake.core.merge import merge_form
from intake.core.rules import RuleSettings, evaluate, is_complete
from intake.core.school_record import apply_register
from parsers import sniff as types
from parsers.documents import ReadLimits
from parsers.findings import Finding
from parsers.mail.archive import expand_attachments
from parsers.mail.walker import Attachment, walk_message
from parsers.mapping.mapper import MappedForm
from parsers.record import MAILBOX_AREA, empty_record

__all__ = ["MIN_FORM_LABELS", "ParsedDocument", "ParsedMessage", "parse_document",
           "parse_message", "with_register"]


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
    for document, mapped in read_attachments(attachments, limits):
        documents.append(document)
        if mapped is not None:
            forms.append((len(documents) - 1, mapped))
    if not forms and walked.body_text.strip():
        body = read_body(walked.body_text, len(documents))
        if body is not None:
            documents.append(body[0])
            forms.append((len(documents) - 1, body[1]))
    if not forms:
        note_secure_portal(walked.subject, walked.body_text, walked.from_, documents)
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


def parse_document(content: bytes, *, filename: str | None = None, mailbox: str | None = None,
                   received_on: date | None = None, settings: RuleSettings = RuleSettings(),
                   limits: ReadLimits = ReadLimits()) -> ParsedMessage:
    """Parse one bare document (no email around it) into a record with its flags."""
    media_type = types.sniff(content, filename)
    attachment = Attachment(filename=filename, raw_filename=filename, content=content,
                            media_type=media_type, declared_type=None, inline=False, depth=0, index=0)
    document, mapped = read_attachment(attachment, 0, limits)
    forms = [(0, mapped)] if mapped is not None else []
    received = None
    if mailbox is not None:
        received = dict.fromkeys(("from", "to", "subject", "date", "message_id"))
        received["mailbox"] = mailbox
    return _assemble([document], forms, received, received_on or date.today(), settings)


def _assemble(documents: list[ParsedDocument], forms: list[tuple[int, MappedForm]],
              received: dict[str, Any] | None, received_on: date,
              settings: RuleSettings) -> ParsedMessage:
    record = empty_record()
    findings: list[Finding] = []
    ranked = sorted(forms, key=lambda item: -len(item[1].fields_found))
    for _, mapped in ranked:
        merge_form(record, mapped)
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
