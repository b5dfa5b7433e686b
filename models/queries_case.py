"""One case with everything about it, for the case page and ``cme-intake case``.

Message-IDs are shown without their angle brackets, as in the record's
``received.message_id``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from models.casework import flag_dict
from models.queries_filters import iso
from models.store_headers import bare_message_id
from models.tables import AuditEvent, Blob, Case, CaseVersion, Document, Flag, Message


def get_case(session: Session, reference: str) -> dict[str, Any] | None:
    """Everything about one case: record, every flag, messages, documents, versions, audit."""
    case = session.exec(select(Case).where(Case.reference == reference)).first()
    if case is None:
        return None
    messages = session.exec(
        select(Message).where(Message.case_id == case.id).order_by(col(Message.received_at))
    ).all()
    message_ids = [m.id for m in messages]
    documents = session.exec(
        select(Document, Blob.size)
        .join(Blob, col(Document.sha256) == col(Blob.sha256))
        .where(col(Document.message_pk).in_(message_ids))
        .order_by(col(Document.message_pk), col(Document.position))
    ).all()
    flags = session.exec(select(Flag).where(Flag.case_id == case.id).order_by(col(Flag.id)))
    versions = session.exec(
        select(CaseVersion.version, CaseVersion.created_at, CaseVersion.message_pk)
        .where(CaseVersion.case_id == case.id)
        .order_by(col(CaseVersion.version))
    ).all()
    return {
        "id": case.id,
        "reference": case.reference,
        "status": case.status,
        "area": case.area,
        "mailbox": case.mailbox,
        "school": case.school_name,
        "received_at": iso(case.received_at),
        "completed_at": iso(case.completed_at),
        "version": case.version,
        "aio_name": case.aio_name,
        "record": case.record,
        "flags": [flag_row(flag) for flag in flags],
        "messages": [_message_row(message) for message in messages],
        "documents": [_document_row(document, size) for document, size in documents],
        "versions": [
            {"version": version, "created_at": iso(created), "message_pk": message_pk}
            for version, created, message_pk in versions
        ],
        "audit": case_audit(session, case_id=int(case.id or 0)),
    }


def _message_row(message: Message) -> dict[str, Any]:
    return {
        "message_pk": message.id,
        "received_at": iso(message.received_at),
        "mailbox": message.mailbox,
        "message_id": bare_message_id(message.message_id),
        "from": message.from_addr,
        "to": message.to_addr,
        "subject": message.subject,
        "date": message.date_header,
        "status": message.status,
        "error": message.error,
        "moved": message.moved,
        "raw_sha256": message.raw_sha256,
    }


def _document_row(document: Document, size: int) -> dict[str, Any]:
    return {
        "id": document.id,
        "message_pk": document.message_pk,
        "position": document.position,
        "filename": document.filename,
        "sha256": document.sha256,
        "size": size,
        "media_type": document.media_type,
        "role": document.role,
        "extraction": document.extraction,
        "pages": document.pages,
        "problem": document.problem,
    }


def case_audit(session: Session, *, case_id: int) -> list[dict[str, Any]]:
    """The case's audit trail, oldest first."""
    events = session.exec(
        select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.id))
    )
    return [
        {
            "at": iso(event.at),
            "actor": event.actor,
            "action": event.action,
            "message_pk": event.message_pk,
            "detail": event.full_detail(),
        }
        for event in events
    ]


def blob_content(session: Session, sha256: str) -> bytes | None:
    """The stored bytes of a raw email or a document (for downloads)."""
    blob = session.get(Blob, sha256)
    return None if blob is None else bytes(blob.content)


def flag_row(flag: Flag) -> dict[str, Any]:
    """The spec's flag object plus its review state."""
    return {
        "id": flag.id,
        **flag_dict(flag),
        "status": flag.status,
        "message_pk": flag.message_pk,
        "created_at": iso(flag.created_at),
        "closed_by": flag.closed_by,
        "closed_at": iso(flag.closed_at),
        "note": flag.note,
    }
