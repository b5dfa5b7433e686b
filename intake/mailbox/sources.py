"""The one small interface every mail source (IMAP, Maildir) offers the daemon.

The daemon only ever asks a source five things: which messages are waiting (cheap keys),
what they look like (size, Message-ID, without the body), the body of one, to move one (or
a batch) to the processed or failed folder, and to wait for news. Everything about sockets, IDLE and
folder names stays inside the source; every account-level problem comes out as a
:class:`~intake.mailbox.faults.SourceUnavailable`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

Target = Literal["processed", "failed"]


@dataclass(frozen=True)
class Candidate:
    """One message waiting in the watched folder, described without downloading it.

    ``key`` is the IMAP UID or the Maildir key. ``message_id`` is the header value as sent
    (angle brackets included) or None.
    """

    key: int | str
    size: int
    message_id: str | None = None
    internal_date: datetime | None = None


class MailSource(Protocol):
    """What the daemon needs from a mailbox. Methods raise SourceUnavailable (or a subclass)."""

    mailbox: str      # the configured key: cme | ene | wnw | south
    source: str       # imap | maildir
    account: str      # username@host, or the Maildir path
    folder: str       # the watched folder's name

    def open(self) -> None:
        """Connect, log in, select the watched folder, create missing target folders."""

    def close(self) -> None:
        """Log out; never raises."""

    @property
    def uidvalidity(self) -> int | None:
        """The watched folder's UIDVALIDITY (None for sources without UIDs)."""

    def waiting(self) -> list[int | str]:
        """Keys of the messages in the watched folder, oldest first."""

    def describe(self, keys: list[int | str]) -> list[Candidate]:
        """Size and Message-ID of each key still present (gone ones are left out)."""

    def fetch(self, key: int | str) -> bytes | None:
        """The whole message, without marking it read; None when it has gone meanwhile."""

    def fetch_headers(self, key: int | str) -> bytes | None:
        """Only the header block (for recording an oversized message)."""

    def locate(self, *, key: int | str | None, message_id: str | None,
               uidvalidity: int | None) -> int | str | None:
        """Find a stored-but-not-moved message again after a restart, or None if gone."""

    def move(self, key: int | str, target: Target) -> None:
        """Move one message to the processed or failed folder (a no-op when it is gone)."""

    def move_many(self, keys: list[int | str], target: Target) -> None:
        """Move several messages to the same folder, in one command where the server can."""

    def wait(self, seconds: float, stop: threading.Event) -> None:
        """Return when new mail may have arrived, ``seconds`` passed, or ``stop`` is set."""
