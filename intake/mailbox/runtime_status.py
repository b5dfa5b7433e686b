"""What each mailbox worker last did, kept in memory beside the database's own record.

The daemon records every poll and fault in the database (``MailboxState``), but when the
database cannot be written (disk full, read-only, server gone) that record is exactly what
fails, and ``cme-intake status`` would show an old, happy state. So the worker also keeps
its last state in a small JSON file on a memory file system: ``$RUNTIME_DIRECTORY`` (systemd's
``RuntimeDirectory=``), else ``/dev/shm``, else the temporary folder; one file per database,
shared by the daemons on it (written under ``flock``, replaced atomically). ``status``
overlays it on the database's rows: whatever is newer wins.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def status_path(database_url: str) -> Path:
    """The runtime status file for the daemons on this database."""
    base = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    if not base:
        base = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(base) / f"cme-intake-status-{os.getuid()}-{digest}.json"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class RuntimeStatus:
    """One worker's window on the shared status file; never raises."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, *, mailbox: str, ok: bool, error: str | None, waiting: int) -> None:
        try:
            with open(f"{self.path}.lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                state = read_status(self.path)
                entry = state.setdefault(mailbox, {})
                entry["waiting"] = waiting
                if ok:
                    entry["last_poll_ok_at"] = _now()
                else:
                    entry["last_error"], entry["last_error_at"] = error, _now()
                self._write(state)
        except OSError as exc:  # memory file system full or gone: the log still says it
            logger.debug("runtime status not written (%s)", type(exc).__name__)

    def _write(self, state: dict[str, Any]) -> None:
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".cme-status-")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(state, handle)
            os.replace(temporary, self.path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def read_status(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _when(value: Any) -> datetime | None:
    """A stored time as an aware UTC datetime (the database's and the file's alike)."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


_NEVER = datetime.min.replace(tzinfo=UTC)


def overlay(rows: list[dict[str, Any]], runtime: dict[str, dict[str, Any]]) -> list[dict]:
    """The database's per-mailbox rows, with anything newer from the running daemons."""
    by_mailbox = {row["mailbox"]: dict(row) for row in rows}
    for mailbox, entry in runtime.items():
        row = by_mailbox.setdefault(mailbox, {"mailbox": mailbox, "folder": None,
                                              "last_poll_ok_at": None, "last_error": None,
                                              "last_error_at": None, "waiting": 0,
                                              "failed": 0, "uidvalidity": None})
        error_at = _when(entry.get("last_error_at"))
        if error_at and error_at > (_when(row.get("last_error_at")) or _NEVER):
            row["last_error"], row["last_error_at"] = entry.get("last_error"), error_at
        ok_at = _when(entry.get("last_poll_ok_at"))
        if ok_at and ok_at > (_when(row.get("last_poll_ok_at")) or _NEVER):
            row["last_poll_ok_at"], row["waiting"] = ok_at, entry.get("waiting", row["waiting"])
    return [by_mailbox[m] for m in sorted(by_mailbox)]
