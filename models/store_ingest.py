"""Storing one received message and its case, in one short transaction.

:func:`store_message` is the one way a message enters the database; the ingest service
(``intake.ingest``) parses first (slow: Word, PDF, OCR), outside any transaction, then
calls it: one short transaction decides whether the message is already known, stores its bytes and rows, and creates or updates its case. Two
daemons handling the same message at once store it once: unique constraints on the message
keys, plus a lock taken before the check (``BEGIN IMMEDIATE`` on SQLite, an advisory lock
on PostgreSQL); a race that still ends in an IntegrityError is reported as already stored.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.casework import CaseRules
from models.db import session_scope
from models.purge import is_purged
from models.store_headers import Headers, read_headers
from models.store_rows import (
    MAILBOX_AREA,
    SourceRef,
    add_audit_event,
    as_utc,
    clip,
    lock,
    london_date,
    one_line,
    put_blob,
    source_of,
)
from models.store_threads import place_message, thread_received_on
from models.tables import Blob, Case, Document, Message, utcnow
from parsers.errors import StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestOutcome:
    message_pk: int
    status: str
    case_reference: str | None
    already_stored: bool
    moved: bool


# A message of a purged case (models.purge): not stored again, moved out of the mailbox.
PURGED = IngestOutcome(message_pk=0, status="purged", case_reference=None, already_stored=True,
                       moved=True)


def stored_outcome(engine: Engine, source: SourceRef, headers: Headers) -> IngestOutcome | None:
    """The outcome of this message if it is already stored (the transaction checks again)."""
    return _stored_outcome(engine, source, headers.dedup_key)


def store_message(
    engine: Engine,
    *,
    raw: bytes,
    source: SourceRef,
    headers: Headers,
    received_at: datetime,
    judged_on: date,
    outcome: Any,
    rules: CaseRules,
) -> IngestOutcome:
    """Store one parsed message and its case in one short transaction.

    ``outcome`` is the core's parse (``intake.core.parse_job.Parsed``: ``parsed`` or a
    one-line ``failure``) made for ``judged_on``; ``rules`` answer what the store must not
    decide itself. A failed parse is stored with status ``failed`` and its reason (its raw
    bytes are kept). Database errors do raise: the caller retries later.
    """
    parsed, failure = outcome.parsed, outcome.failure
    try:
        with session_scope(engine) as session:
            lock(session, f"message|{source.mailbox}|{headers.dedup_key}")
            existing, by_uid = _lookup(session, source, headers.dedup_key)
            if existing is not None:
                return _outcome(session, existing, already_stored=True)
            if is_purged(session, source.mailbox, headers.dedup_key):
                return PURGED
            source = _usable_uid(source, taken=by_uid)
            message = _new_message(session, raw, source, headers, received_at, parsed)
            if parsed is None:
                _mark_failed(session, message, failure or "parse failed")
            else:
                _store_parsed(session, message, parsed, headers, judged_on=judged_on, rules=rules)
            return _outcome(session, message, already_stored=False)
    except IntegrityError:
        known = _stored_outcome(engine, source, headers.dedup_key)
        if known is None:
            raise
        log.info("message %s stored concurrently by another process", known.message_pk)
        return known


def stored_message(engine: Engine, message_pk: int) -> tuple[bytes, SourceRef, datetime]:
    """A stored message's raw bytes, where it came from and when, for parsing it again."""
    with session_scope(engine, readonly=True) as session:
        message = session.get(Message, message_pk)
        if message is None:
            raise StoreError(f"no message {message_pk}")
        raw = session.get(Blob, message.raw_sha256).content  # type: ignore[union-attr]
        return raw, source_of(message), message.received_at


def store_reparsed(engine: Engine, *, message_pk: int, headers: Headers, judged_on: date,
                   outcome: Any, rules: CaseRules) -> IngestOutcome:
    """Replace the documents of a stored message that made no case by a new parse of it."""
    parsed, failure = outcome.parsed, outcome.failure
    with session_scope(engine) as session:
        message = session.get(Message, message_pk)
        if message is None:
            raise StoreError(f"no message {message_pk}")
        lock(session, f"message|{message.mailbox}|{headers.dedup_key}")
        session.refresh(message)
        if message.case_id is not None:
            raise StoreError(f"message {message_pk} already belongs to a case")
        message.attempts += 1
        for document in session.exec(select(Document).where(Document.message_pk == message_pk)):
            session.delete(document)
        session.flush()
        if parsed is None:
            _mark_failed(session, message, failure or "parse failed")
        else:
            message.error = None
            _store_parsed(session, message, parsed, headers, judged_on=judged_on, rules=rules)
        return _outcome(session, message, already_stored=False)


def judged_on(engine: Engine, raw: bytes | Headers, received_at: datetime | None) -> date:
    """The date a message is judged on: its own receipt, or its case's for a reply."""
    headers = read_headers(raw) if isinstance(raw, bytes) else raw
    return thread_received_on(engine, headers) or london_date(as_utc(received_at))


def _by_uid(session: Session, source: SourceRef) -> Message | None:
    if source.uid is None or source.uidvalidity is None:
        return None
    return session.exec(
        select(Message).where(
            Message.account == source.account,
            Message.folder == source.folder,
            Message.uidvalidity == source.uidvalidity,
            Message.uid == source.uid,
        )
    ).first()


def find_message(session: Session, source: SourceRef, dedup_key: str) -> Message | None:
    """The stored copy: same IMAP UID (and the same message), or same mailbox and dedup key."""
    return _lookup(session, source, dedup_key)[0]


def _lookup(
    session: Session, source: SourceRef, dedup_key: str
) -> tuple[Message | None, Message | None]:
    """The stored copy (see :func:`find_message`) and the message holding this UID, if any."""
    by_uid = _by_uid(session, source)
    if by_uid is not None and by_uid.dedup_key == dedup_key:
        return by_uid, by_uid
    stored = session.exec(
        select(Message).where(Message.mailbox == source.mailbox, Message.dedup_key == dedup_key)
    ).first()
    return stored, by_uid


def _usable_uid(source: SourceRef, *, taken: Message | None) -> SourceRef:
    """A server that reuses a UID for another message must not cost us that message."""
    if taken is None:
        return source
    log.warning(
        "UID %s of mailbox %s reused by a different message (stored message %s): "
        "storing it without its UID",
        source.uid,
        source.mailbox,
        taken.id,
    )
    return dataclasses.replace(source, uidvalidity=None, uid=None)


def _stored_outcome(engine: Engine, source: SourceRef, dedup_key: str) -> IngestOutcome | None:
    with session_scope(engine, readonly=True) as session:
        message = find_message(session, source, dedup_key)
        if message is None:
            return PURGED if is_purged(session, source.mailbox, dedup_key) else None
        return _outcome(session, message, already_stored=True)


def _outcome(session: Session, message: Message, *, already_stored: bool) -> IngestOutcome:
    session.flush()
    case = session.get(Case, message.case_id) if message.case_id is not None else None
    return IngestOutcome(
        message_pk=int(message.id or 0),
        status=message.status,
        case_reference=case.reference if case else None,
        already_stored=already_stored,
        moved=message.moved,
    )


def _new_message(
    session: Session,
    raw: bytes,
    source: SourceRef,
    headers: Headers,
    received_at: datetime,
    parsed: Any | None,
) -> Message:
    raw_sha256 = put_blob(session, raw)
    message = Message(
        mailbox=source.mailbox,
        source=source.source,
        account=source.account,
        folder=source.folder,
        uidvalidity=source.uidvalidity,
        uid=source.uid,
        source_key=source.source_key,
        dedup_key=headers.dedup_key,
        message_id=clip(headers.message_id, 998),
        raw_sha256=raw_sha256,
        size=len(raw),
        received_at=received_at,
        date_header=clip(getattr(parsed, "date", None) or headers.date, 64),
        from_addr=clip(getattr(parsed, "from_", None) or headers.from_, 998),
        to_addr=clip(getattr(parsed, "to", None) or headers.to, 998),
        subject=clip(getattr(parsed, "subject", None) or headers.subject, 998),
        area=MAILBOX_AREA.get(source.mailbox),
        attempts=1,
    )
    session.add(message)
    session.flush()
    return message


def _mark_failed(session: Session, message: Message, reason: str) -> None:
    message.status = "failed"
    message.error = reason
    message.updated_at = utcnow()
    log.warning("message %s failed: %s", message.id, reason)
    add_audit_event(session, action="message_ingested", message=message, detail={"status": "failed"})


def _store_parsed(
    session: Session,
    message: Message,
    parsed: Any,
    headers: Headers,
    *,
    judged_on: date,
    rules: CaseRules,
) -> None:
    """Documents, then the case: threaded onto a known one, new, or none (no form)."""
    for position, document in enumerate(parsed.documents):
        session.add(
            Document(
                message_pk=int(message.id or 0),
                position=position,
                filename=clip(document.filename, 255),
                raw_filename=document.raw_filename,
                sha256=put_blob(session, document.content),
                media_type=clip(document.media_type, 120),
                role=(document.role or "other")[:32],
                extraction=(document.extraction or "none")[:32],
                pages=document.pages,
                problem=document.problem,
            )
        )
    case, version, record = place_message(
        session, message, parsed, headers, judged_on=judged_on, rules=rules
    )
    raised = [flag["code"] for flag in record.get("flags", [])]
    message.flag_codes = _codes_column(raised)
    if case is None:
        problems = [
            f"document {n}: {d.problem}" for n, d in enumerate(parsed.documents, 1) if d.problem
        ]
        message.status = "failed" if problems else "no_referral_form"
        message.error = one_line("no referral form; " + "; ".join(problems)) if problems else None
    message.area = case.area if case is not None else message.area
    message.updated_at = utcnow()
    detail = {"status": message.status, "flags": sorted(set(raised)), "version": version}
    add_audit_event(session, action="message_ingested", message=message, case=case, detail=detail)
    log.info("message %s %s (case %s)", message.id, message.status, case.id if case else None)


def _codes_column(codes: list[str]) -> str | None:
    unique = sorted(set(codes))
    return ("," + ",".join(unique) + ",")[:400] if unique else None
