"""Mailbox bookkeeping: which stored messages still need their mailbox action, and what
the daemon last saw of each folder.

The daemon moves a message (to processed/failed) only after its transaction committed,
then calls :func:`mark_moved`; after a crash, :func:`unmoved` lists what is left to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import col, select

from models.db import session_scope
from models.store_rows import SourceRef, one_line, source_of
from models.tables import MailboxState, Message, utcnow
from parsers.errors import StoreError


def mark_moved(engine: Engine, message_pk: int | Sequence[int]) -> None:
    """Record that the mailbox action (move to processed/failed) is done for a message, or
    for several at once (the daemon moves a backlog in batches), in one transaction."""
    pks = [message_pk] if isinstance(message_pk, int) else list(message_pk)
    if not pks:
        return
    with session_scope(engine) as session:
        result = session.connection().execute(
            update(Message).where(col(Message.id).in_(pks)).values(moved=True, updated_at=utcnow())
        )
        if result.rowcount != len(set(pks)):
            raise StoreError(f"no message {pks[0]}" if len(pks) == 1 else "unknown message ids")


def unmoved(engine: Engine, *, mailbox: str) -> list[tuple[int, SourceRef, str]]:
    """Stored messages whose mailbox action is still to do, oldest first (after a crash)."""
    with session_scope(engine, readonly=True) as session:
        messages = session.exec(
            select(Message)
            .where(Message.mailbox == mailbox, col(Message.moved).is_(False))
            .where(Message.status != "processing")
            .order_by(col(Message.id))
        ).all()
        return [(int(m.id or 0), source_of(m), m.status) for m in messages]


def record_poll(
    engine: Engine,
    *,
    mailbox: str,
    folder: str,
    ok: bool,
    error: str | None,
    uidvalidity: int | None,
    last_uid: int | None,
    waiting: int,
) -> None:
    """Upsert what the daemon last saw of one mailbox folder (for status pages)."""
    now = utcnow()
    changes: dict[str, Any] = {"waiting": waiting}
    if ok:
        changes["last_poll_ok_at"] = now
    else:
        changes["last_error"] = one_line(error or "poll failed")
        changes["last_error_at"] = now
    if uidvalidity is not None:
        changes["uidvalidity"] = uidvalidity
    if last_uid is not None:
        changes["last_uid"] = last_uid
    with session_scope(engine) as session:
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert  # type: ignore[assignment]
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise StoreError(f"unsupported database {dialect}")
        statement = insert(MailboxState).values(mailbox=mailbox, folder=folder, **changes)
        statement = statement.on_conflict_do_update(
            index_elements=["mailbox", "folder"], set_=changes
        )
        session.connection().execute(statement)
