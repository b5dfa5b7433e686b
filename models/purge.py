"""Retention and purge: deleting a closed case whole once its retention has run out.

A case is due when it was closed at least ``retention_years`` ago and, when a minimum age
is set, the child has reached it (the date of birth is read from the sealed record, so a
case without one waits for the closure rule only). :func:`purge_case` deletes one case in
one transaction: every row that refers to the case or to its messages (found through the
foreign keys of every table, so a table added later is not forgotten), the messages, and
the original bytes nobody else still refers to. What stays is a tombstone without personal
data (reference, dates, outcome, who ran it) and, per message, the sha256 of its dedup key
in ``purgedmessage`` so the daemon does not ingest it again from a mailbox. A SIGKILL
mid-purge rolls the transaction back: the case is there whole, or gone whole.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Table, delete, select, text
from sqlmodel import Session, col

from models.db import session_scope
from models.store_rows import SYSTEM, add_audit_event, locked_case
from models.tables import Blob, Case, Document, Message, PurgedMessage, metadata


@dataclass(frozen=True)
class DueCase:
    case_id: int
    reference: str
    received_at: datetime
    closed_at: datetime
    outcome: str | None


def dedup_sha256(dedup_key: str) -> str:
    return hashlib.sha256(dedup_key.encode("utf-8", "surrogatepass")).hexdigest()


def _years_later(moment: date, years: int) -> date:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def due_cases(engine: Engine, *, today: date, retention_years: int = 6,
              keep_until_age: int | None = None) -> list[DueCase]:
    """Closed cases whose retention (from closure, and the child's age if set) has run out."""
    due = []
    with session_scope(engine, readonly=True) as session:
        cutoff = datetime.combine(_years_later(today, -retention_years), datetime.max.time(), UTC)
        rows = session.scalars(select(Case).where(
            col(Case.closed_at).is_not(None), col(Case.closed_at) <= cutoff).order_by(col(Case.id)))
        for case in rows.all():
            if keep_until_age is not None and not _old_enough(case.record, today, keep_until_age):
                continue
            due.append(DueCase(int(case.id or 0), case.reference, case.received_at,
                               case.closed_at, case.outcome))  # type: ignore[arg-type]
    return due


def _old_enough(record: dict[str, Any], today: date, age: int) -> bool:
    born = (record.get("pupil") or {}).get("date_of_birth")
    try:
        return _years_later(date.fromisoformat(born), age) <= today
    except (TypeError, ValueError):
        return True


def purge_case(engine: Engine, *, case_id: int, actor: str = SYSTEM,
               removed: set[str] | None = None) -> bool:
    """Delete one case and everything of it in one transaction; False if already gone.

    ``removed`` receives, once the transaction has committed, the sha256 of each original
    deleted (none that another case still holds): the shells clear what they keep of those
    documents outside the database (the web UI's rendered pages) by these ids.
    """
    with session_scope(engine) as session:
        if session.get(Case, case_id) is None:
            return False
        case = locked_case(session, case_id)
        if session.get_bind().dialect.name == "sqlite":  # freed pages are zeroed, not left
            session.execute(text("PRAGMA secure_delete=ON"))
        tombstone = {"reference": case.reference, "received_at": case.received_at.isoformat(),
                     "closed_at": case.closed_at.isoformat() if case.closed_at else None,
                     "outcome": case.outcome, "purged_by": actor}
        messages = session.scalars(select(Message).where(col(Message.case_id) == case_id)).all()
        for message in messages:
            _tombstone_message(session, message.mailbox, message.dedup_key)
        blobs = _blobs_of(session, [int(m.id or 0) for m in messages])
        _delete_dependants(session, {"case": {case_id}})
        gone = _delete_unreferenced(session, blobs)
        add_audit_event(session, action="case_purged", actor=actor, detail=tombstone)
    if removed is not None:
        removed.update(gone)
    return True


def _tombstone_message(session: Session, mailbox: str, dedup_key: str) -> None:
    digest = dedup_sha256(dedup_key)
    if not is_purged(session, mailbox, dedup_key):
        session.add(PurgedMessage(mailbox=mailbox, dedup_sha256=digest))
        session.flush()


def _blobs_of(session: Session, message_ids: list[int]) -> set[str]:
    raw = session.scalars(select(Message.raw_sha256).where(col(Message.id).in_(message_ids)))
    docs = session.scalars(select(Document.sha256).where(col(Document.message_pk).in_(message_ids)))
    return {*raw.all(), *docs.all()}


def _delete_dependants(session: Session, doomed: dict[str, set[Any]]) -> None:
    """Rows referring (through any foreign key, at any depth) to doomed rows, then those."""
    tables = [t for t in metadata.sorted_tables if t.name != "blob"]
    for table in tables:  # parents before children
        for fk in table.foreign_keys:
            parents = doomed.get(fk.column.table.name)
            if not parents:
                continue
            key = _key_of(table)
            ids = session.execute(select(key).where(fk.parent.in_(parents))).scalars().all()
            doomed.setdefault(table.name, set()).update(ids)
    for table in reversed(tables):
        ids = doomed.get(table.name)
        if ids:
            session.execute(delete(table).where(_key_of(table).in_(ids)))


def _key_of(table: Table) -> Any:
    return list(table.primary_key.columns)[0]


def _delete_unreferenced(session: Session, blobs: set[str]) -> set[str]:
    """Original bytes of the purged case no remaining message or document refers to."""
    gone = set()
    for sha256 in sorted(blobs):
        used = session.execute(select(Message.id).where(Message.raw_sha256 == sha256).limit(1)
                               ).first() or session.execute(
            select(Document.id).where(Document.sha256 == sha256).limit(1)).first()
        if used is None:
            session.execute(delete(Blob).where(Blob.sha256 == sha256))
            gone.add(sha256)
    return gone


def is_purged(session: Session, mailbox: str, dedup_key: str) -> bool:
    """A message of a purged case: never stored again."""
    digest = dedup_sha256(dedup_key)
    return session.scalars(select(PurgedMessage.id).where(
        col(PurgedMessage.mailbox) == mailbox, col(PurgedMessage.dedup_sha256) == digest)
    ).first() is not None
