"""What the daemon reads from (and the little it writes to) the case database itself.

The store (``models.store``) owns ingesting. The daemon adds read-only lookups — which
UIDs / Maildir keys / Message-IDs it has already seen, so nothing is fetched twice — and
two small writes the store's contract has no call for: the row of a message that never
reached the parser (over the size cap, or failing every attempt). ``status_rows`` reads the
per-mailbox poll state the store's ``record_poll`` keeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from models.db import session_scope
from models.store import read_headers
from models.tables import AuditEvent, Blob, MailboxState, Message, utcnow


@dataclass(frozen=True)
class Known:
    pk: int
    status: str
    moved: bool
    uidvalidity: int | None
    uid: int | None
    source_key: str | None


def _known(row: Message) -> Known:
    assert row.id is not None
    return Known(row.id, row.status, bool(row.moved), row.uidvalidity, row.uid, row.source_key)


def _chunks(values: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def known_uids(engine: Engine, *, account: str, folder: str, uidvalidity: int | None,
               uids: list[int]) -> dict[int, Known]:
    out: dict[int, Known] = {}
    with session_scope(engine, readonly=True) as session:
        for chunk in _chunks(uids):
            rows = session.scalars(select(Message).where(
                Message.account == account, Message.folder == folder,
                Message.uidvalidity == uidvalidity, Message.uid.in_(chunk)))  # type: ignore[union-attr]
            out.update({int(r.uid): _known(r) for r in rows if r.uid is not None})
    return out


def known_keys(engine: Engine, *, account: str, keys: list[str]) -> dict[str, Known]:
    out: dict[str, Known] = {}
    with session_scope(engine, readonly=True) as session:
        for chunk in _chunks(keys):
            rows = session.scalars(select(Message).where(
                Message.account == account, Message.source_key.in_(chunk)))  # type: ignore[union-attr]
            out.update({str(r.source_key): _known(r) for r in rows})
    return out


def id_variants(message_id: str) -> list[str]:
    core = message_id.strip().strip("<>").strip()
    return list(dict.fromkeys([message_id.strip(), core, f"<{core}>"]))


def known_message_id(engine: Engine, *, mailbox: str, message_id: str) -> Known | None:
    """The message already stored in this mailbox under this Message-ID, if any."""
    variants = id_variants(message_id)
    with session_scope(engine, readonly=True) as session:
        row = session.scalars(select(Message).where(
            Message.mailbox == mailbox,
            (Message.message_id.in_(variants)) | (Message.dedup_key.in_(variants)),  # type: ignore[union-attr]
        ).order_by(Message.id)).first()
        return _known(row) if row else None


def message_id_of(engine: Engine, *, message_pk: int) -> str | None:
    with session_scope(engine, readonly=True) as session:
        return session.scalars(select(Message.message_id).where(Message.id == message_pk)).first()


def record_failure(engine: Engine, *, raw: bytes, mailbox: str, source: str, account: str,
                   folder: str, uidvalidity: int | None, uid: int | None, source_key: str | None,
                   reason: str, received_at: datetime | None = None) -> int:
    """Store a message the parser never saw as ``failed`` with its reason; returns its pk.

    ``raw`` is what we have (the headers only, for an oversized message). Idempotent: a
    second call for the same message returns the first row.
    """
    headers = read_headers(raw)
    message_id, sha = headers.message_id, headers.raw_sha256
    for _attempt in range(3):
        existing = _existing(engine, mailbox, account, folder, uidvalidity, uid, headers.dedup_key)
        if existing is not None:
            return existing
        try:
            with session_scope(engine) as session:
                if session.get(Blob, sha) is None:
                    session.add(Blob(sha256=sha, size=len(raw), content=raw))
                    session.flush()
                row = Message(mailbox=mailbox, source=source, account=account, folder=folder,
                              uidvalidity=uidvalidity, uid=uid, source_key=source_key,
                              dedup_key=headers.dedup_key, message_id=message_id,
                              raw_sha256=sha, size=len(raw), status="failed", error=reason,
                              received_at=(received_at or utcnow()), attempts=1)
                session.add(row)
                session.flush()
                session.add(AuditEvent(actor="system", action="message_failed",
                                       message_pk=row.id, detail={"reason": reason}))
                assert row.id is not None
                return row.id
        except IntegrityError:
            continue  # another daemon stored it first: read theirs
    raise RuntimeError("could not record the failed message")


def _existing(engine: Engine, mailbox: str, account: str, folder: str, uidvalidity: int | None,
              uid: int | None, dedup_key: str) -> int | None:
    with session_scope(engine, readonly=True) as session:
        query = select(Message.id).where(Message.mailbox == mailbox,
                                         Message.dedup_key == dedup_key)
        found = session.scalars(query).first()
        if found is None and uid is not None:
            found = session.scalars(select(Message.id).where(
                Message.account == account, Message.folder == folder,
                Message.uidvalidity == uidvalidity, Message.uid == uid)).first()
        return found


def has_audit(engine: Engine, *, message_pk: int, action: str) -> bool:
    with session_scope(engine, readonly=True) as session:
        return session.scalars(select(AuditEvent.id).where(
            AuditEvent.message_pk == message_pk, AuditEvent.action == action)).first() is not None


def status_rows(engine: Engine) -> list[dict]:
    """One row per mailbox: last successful poll, last error, messages waiting / failed."""
    with session_scope(engine, readonly=True) as session:
        failed = dict(session.execute(select(Message.mailbox, func.count()).where(
            Message.status == "failed").group_by(Message.mailbox)).all())
        unmoved = dict(session.execute(select(Message.mailbox, func.count()).where(
            Message.moved.is_(False)).group_by(Message.mailbox)).all())  # type: ignore[attr-defined]
        states = session.scalars(select(MailboxState).order_by(MailboxState.mailbox)).all()
        rows = [{
            "mailbox": s.mailbox, "folder": s.folder,
            "last_poll_ok_at": s.last_poll_ok_at, "last_error": s.last_error,
            "last_error_at": s.last_error_at, "waiting": s.waiting,
            "failed": failed.get(s.mailbox, 0), "uidvalidity": s.uidvalidity,
        } for s in states]
    seen = {r["mailbox"] for r in rows}
    rows += [{"mailbox": m, "folder": None, "last_poll_ok_at": None, "last_error": None,
              "last_error_at": None, "waiting": unmoved.get(m, 0), "failed": n,
              "uidvalidity": None} for m, n in failed.items() if m not in seen]
    return rows
