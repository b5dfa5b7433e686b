"""The health of each mailbox: last good poll, last error, what is waiting or stuck."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.queries_filters import iso
from models.tables import MailboxState, Message

MAILBOX_ORDER = ("cme", "ene", "wnw", "south")


def mailbox_status(session: Session) -> list[dict[str, Any]]:
    """Per mailbox: last good poll, last error, messages waiting, failed and unmoved counts."""
    states: dict[str, list[MailboxState]] = defaultdict(list)
    for state in session.exec(select(MailboxState).order_by(col(MailboxState.folder))):
        states[state.mailbox].append(state)
    counts = {
        mailbox: (total, failed, unmoved, last)
        for mailbox, total, failed, unmoved, last in session.exec(_message_counts())
    }
    names = sorted(set(states) | set(counts), key=_mailbox_rank)
    return [_mailbox_row(name, states.get(name, []), counts.get(name)) for name in names]


def _message_counts() -> Any:
    """Per mailbox: messages, failed, not yet moved, and the latest received time."""
    # More columns than sqlmodel's select() has typed overloads for.
    return select(  # type: ignore[call-overload]
        Message.mailbox,
        func.count(),
        func.sum(when((col(Message.status) == "failed", 1), else_=0)),
        func.sum(when((col(Message.moved).is_(False), 1), else_=0)),
        func.max(Message.received_at),
    ).group_by(Message.mailbox)


def _mailbox_rank(name: str) -> tuple[int, str]:
    return (MAILBOX_ORDER.index(name) if name in MAILBOX_ORDER else len(MAILBOX_ORDER), name)


def _error_time(state: MailboxState) -> datetime:
    return state.last_error_at or datetime.min.replace(tzinfo=UTC)


def _mailbox_row(name: str, states: list[MailboxState], counts: tuple | None) -> dict[str, Any]:
    total, failed, unmoved, last_received = counts or (0, 0, 0, None)
    good = max((s.last_poll_ok_at for s in states if s.last_poll_ok_at), default=None)
    errored = [s for s in states if s.last_error_at]
    latest_error = max(errored, key=_error_time) if errored else None
    error_at = latest_error.last_error_at if latest_error else None
    return {
        "mailbox": name,
        "last_poll_ok_at": iso(good),
        "last_error": latest_error.last_error if latest_error else None,
        "last_error_at": iso(error_at),
        "healthy": error_at is None or (good is not None and good >= error_at),
        "waiting": sum(s.waiting for s in states),
        "received": int(total or 0),
        "failed": int(failed or 0),
        "unmoved": int(unmoved or 0),
        "last_received_at": iso(last_received),
        "folders": [
            {
                "folder": s.folder,
                "uidvalidity": s.uidvalidity,
                "last_uid": s.last_uid,
                "waiting": s.waiting,
                "last_poll_ok_at": iso(s.last_poll_ok_at),
                "last_error": s.last_error,
                "last_error_at": iso(s.last_error_at),
            }
            for s in states
        ],
    }
