"""One daemon at a time per mailbox: a lease that dies with its holder.

Two daemons on one mailbox would both fetch and both MOVE the same message; the store keeps
the database right, but a server may carry out two concurrent MOVEs of one message as two
copies (Dovecot's Maildir does). So a worker works a mailbox only while it holds that
mailbox's lease; a second daemon stands by and takes over when the first one stops or dies.

- PostgreSQL: a session advisory lock on a connection kept open by the worker; the server
  drops it the moment that connection closes (process killed, network gone).
- SQLite: ``flock`` on a lock file beside the database file (SQLite means one host); the
  kernel drops it when the process dies.
- Anything else (e.g. in-memory SQLite): no lease, the worker always proceeds.
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)
_NAMESPACE = 0x434D45  # "CME"


class MailboxLease:
    def __init__(self, engine: Engine, mailbox: str) -> None:
        self.engine, self.mailbox = engine, mailbox
        self._connection: Any = None
        self._fd: int | None = None
        self.key = (_NAMESPACE << 32) | zlib.crc32(f"mailbox:{mailbox}".encode())
        self.key -= 1 << 63 if self.key >= 1 << 63 else 0

    @property
    def _lock_path(self) -> str | None:
        database = self.engine.url.database
        if self.engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        return f"{database}.mailbox-{self.mailbox}.lock"

    def acquire(self) -> bool:
        """Take the lease if nobody holds it; never blocks."""
        if self.engine.dialect.name == "postgresql":
            return self._acquire_postgresql()
        path = self._lock_path
        if path is None:
            return True
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def _acquire_postgresql(self) -> bool:
        connection = self.engine.connect()
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                     {"key": self.key}).scalar()
            connection.commit()
        except SQLAlchemyError:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def held(self) -> bool:
        """Still ours? (A PostgreSQL restart silently ends the session and its lock.)"""
        if self._connection is None:
            return True
        try:
            self._connection.execute(text("SELECT 1")).scalar()
            self._connection.commit()
            return True
        except SQLAlchemyError:
            self.release()
            return False

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                connection.commit()
            except SQLAlchemyError:
                pass
            finally:
                connection.close()
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
