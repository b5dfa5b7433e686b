"""Pieces every write to the case database shares: where a message came from, locks,
blobs, audit events, and the day in England a moment falls on.

Kept apart so ingesting, threading, mailbox bookkeeping and reviewers' edits each stay in
a module of their own without importing one another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from models.tables import AuditEvent, Blob, Case, Message, utcnow
from parsers.errors import StoreError, one_line  # noqa: F401 - one_line is used from here

SYSTEM = "system"
MAILBOX_AREA = {"cme": "central", "ene": "ENE", "wnw": "WNW", "south": "South"}


@dataclass(frozen=True)
class SourceRef:
    """Where a message came from: enough to find it again and to move it."""

    mailbox: str
    source: str
    account: str
    folder: str
    uidvalidity: int | None = None
    uid: int | None = None
    source_key: str | None = None


def source_of(message: Message) -> SourceRef:
    """The SourceRef a stored message was received from."""
    return SourceRef(
        mailbox=message.mailbox,
        source=message.source,
        account=message.account,
        folder=message.folder,
        uidvalidity=message.uidvalidity,
        uid=message.uid,
        source_key=message.source_key,
    )


def clip(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]


def as_utc(moment: datetime | None) -> datetime:
    """``moment`` (naive means UTC) in UTC; now when None."""
    if moment is None:
        return utcnow()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def london_date(moment: datetime) -> date:
    """The calendar day in England of a UTC moment (school days are local days)."""
    try:
        from zoneinfo import ZoneInfo

        zone: Any = ZoneInfo("Europe/London")
    except Exception:
        zone = UTC
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return aware.astimezone(zone).date()


def lock(session: Session, key: str) -> None:
    """Serialise writers on one key. SQLite's BEGIN IMMEDIATE already serialises all."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def locked_case(session: Session, case_id: int) -> Case:
    """The case row, locked until commit (PostgreSQL; SQLite's writer lock covers it)."""
    statement = select(Case).where(Case.id == case_id).with_for_update()
    case = session.exec(statement.execution_options(populate_existing=True)).first()
    if case is None:
        raise StoreError(f"no case {case_id}")
    return case


def put_blob(session: Session, content: bytes) -> str:
    """Insert-if-absent, safe when two transactions store the same bytes at once."""
    sha256 = hashlib.sha256(content).hexdigest()
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        statement = (
            insert(Blob)
            .values(sha256=sha256, size=len(content), content=content)
            .on_conflict_do_nothing(index_elements=["sha256"])
        )
        session.connection().execute(statement)
    elif session.get(Blob, sha256) is None:
        session.add(Blob(sha256=sha256, size=len(content), content=content))
        session.flush()
    return sha256


def add_audit_event(
    session: Session,
    *,
    action: str,
    message: Message | None = None,
    case: Case | None = None,
    actor: str = SYSTEM,
    detail: dict[str, Any] | None = None,
    private: dict[str, Any] | None = None,
) -> None:
    """One audit row in the current transaction; the case defaults to the message's.

    ``private`` holds the values that may be personal data (a corrected name, a note): they
    go to the sealed ``sealed_detail`` column, never to the plain ``detail`` JSON.
    """
    session.add(
        AuditEvent(
            actor=actor[:120],
            action=action[:64],
            case_id=case.id if case else (message.case_id if message else None),
            message_pk=message.id if message else None,
            detail=detail or {},
            sealed_detail=private or None,
        )
    )
