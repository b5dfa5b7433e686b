"""What the mailbox worker needs from the database, as one seam (tests swap parts of it).

A transient database failure (locked, unreachable, pool exhausted, disk full) becomes
:class:`DatabaseUnavailable`, its reason in words (``intake.mailbox.db_faults``): the worker
backs off and retries the whole sweep, and never blames the message in hand for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from intake.mailbox.db_faults import database_reason
from intake.mailbox.sources import Target
from parsers.errors import MailboxError

TRANSIENT_DB_ERRORS = (OperationalError, InterfaceError, PoolTimeout)


class DatabaseUnavailable(MailboxError):
    """The database cannot be reached or is locked: retry the whole sweep later."""


@dataclass
class Store:
    """The store functions the worker calls (``intake.ingest`` and ``models.store`` by
    default; a seam for tests)."""

    ingest_message: Callable[..., Any]
    mark_moved: Callable[..., None]
    unmoved: Callable[..., list]
    record_poll: Callable[..., None]
    source_ref: Callable[..., Any]
    judged_on: Callable[..., Any] = field(default=lambda *args: _store().judged_on(*args))

    @classmethod
    def default(cls) -> Store:
        from intake.ingest import ingest_message

        store = _store()
        return cls(ingest_message, store.mark_moved, store.unmoved, store.record_poll,
                   store.SourceRef, store.judged_on)


def _store() -> Any:
    from models import store

    return store


def target_for(status: str) -> Target:
    return "failed" if status == "failed" else "processed"


def call_db(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call into the database; a transient failure becomes DatabaseUnavailable."""
    try:
        return function(*args, **kwargs)
    except TRANSIENT_DB_ERRORS as exc:
        raise DatabaseUnavailable(f"database unavailable: {database_reason(exc)}") from exc
