"""IMAP as a mail source: the one class in the daemon that touches an IMAP socket.

What it guarantees (pitfalls §1-2): bodies are fetched one at a time with ``BODY.PEEK[]``
(never marking mail read) after a cheap ``RFC822.SIZE BODYSTRUCTURE ENVELOPE`` look;
search criteria are plain ASCII with no CHARSET; target folders are found with LIST (the
server's delimiter) and created when missing; a move is MOVE when offered, else COPY and —
only after the COPY succeeded, and only with UIDPLUS — ``\\Deleted`` + ``UID EXPUNGE`` of
exactly the UIDs copied (a backlog is moved in small sets). Without UIDPLUS the original is flagged ``\\Deleted`` and left (a bare EXPUNGE
would also remove what other clients flagged). IDLE is only a hint: the daemon sweeps anyway.

Mail that arrives while a sweep runs is announced (``* n EXISTS``) during the sweep's own
commands, and a server does not announce it again when IDLE starts. So before idling, the
source checks for such announcements and for any UID above the sweep's highest, and returns
at once when there is news. Mail that lands in the moment between that check and IDLE is
not announced by IDLE either (Dovecot announces only changes made after IDLE began, half a
second late, and reports the rest when IDLE ends), so after a sweep IDLE is ended and the
check made again after 1 s, 2 s, 4 s ... (at most every ``_RECHECK_CAP`` seconds): mail is
picked up in seconds whenever it arrives.

Connecting, logging in and the folders are :mod:`intake.mailbox.imap_session` (the test
seam ``connect`` is there; ``default_connect`` and ``tls_context`` are re-exported here).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from imapclient.exceptions import IMAPClientError

from intake.mailbox.folders import is_news
from intake.mailbox.imap_session import Connect, ImapSession, default_connect, tls_context
from intake.mailbox.sources import Candidate, Target

__all__ = ["Connect", "ImapSource", "default_connect", "tls_context"]

logger = logging.getLogger(__name__)
_DESCRIBE_BATCH = 100
_RECHECK_FIRST = 1.0  # the first IDLE after a sweep is ended after this long, to hear ...
_RECHECK_CAP = 30.0   # ... what arrived just before it; later ones after twice as long


class ImapSource(ImapSession):
    """One IMAP mailbox as a :class:`~intake.mailbox.sources.MailSource`."""

    source = "imap"

    # -- reading -------------------------------------------------------------------------------
    def waiting(self) -> list[int | str]:
        if self._token_expiring():
            logger.info("mailbox=%s OAuth token expiring: reconnecting", self.mailbox)
            self.open()
        with self._guard():
            self._select()
            uids = sorted(int(uid) for uid in self.client.search(["NOT", "DELETED"]))
        self._highest_uid = max([self._highest_uid, *uids])
        return uids  # type: ignore[return-value]

    def news(self) -> bool:
        """Mail that arrived since the last sweep's SEARCH, while we were busy: announced
        during our commands, or simply there (a UID above the highest the sweep saw)."""
        with self._guard():
            if self._announced():
                return True
            newer = self.client.search(["UID", f"{self._highest_uid + 1}:*", "NOT", "DELETED"])
            # "n:*" always matches the highest UID, even below n: only higher ones are news.
            return any(int(uid) > self._highest_uid for uid in newer) or self._announced()

    def describe(self, keys: list[int | str]) -> list[Candidate]:
        out: list[Candidate] = []
        items = [b"RFC822.SIZE", b"BODYSTRUCTURE", b"ENVELOPE", b"INTERNALDATE"]
        for start in range(0, len(keys), _DESCRIBE_BATCH):
            batch = [int(k) for k in keys[start:start + _DESCRIBE_BATCH]]
            with self._guard():
                data = self.client.fetch(batch, items)
            for uid in batch:
                if uid in data:
                    out.append(self._candidate(uid, data[uid]))
        return out

    @staticmethod
    def _candidate(uid: int, item: dict[bytes, Any]) -> Candidate:
        envelope = item.get(b"ENVELOPE")
        raw_id = getattr(envelope, "message_id", None)
        message_id = raw_id.decode("utf-8", "replace").strip() if raw_id else None
        return Candidate(key=uid, size=int(item.get(b"RFC822.SIZE", 0)),
                         message_id=message_id or None, internal_date=item.get(b"INTERNALDATE"))

    def fetch(self, key: int | str) -> bytes | None:
        with self._guard():
            data = self.client.fetch([int(key)], [b"BODY.PEEK[]"])
        body = data.get(int(key), {}).get(b"BODY[]")
        return bytes(body) if body is not None else None

    def fetch_headers(self, key: int | str) -> bytes | None:
        with self._guard():
            data = self.client.fetch([int(key)], [b"BODY.PEEK[HEADER]"])
        head = data.get(int(key), {}).get(b"BODY[HEADER]")
        return bytes(head) if head is not None else None

    def locate(self, *, key: int | str | None, message_id: str | None,
               uidvalidity: int | None) -> int | str | None:
        with self._guard():
            if key is not None and uidvalidity == self._uidvalidity:
                found = self.client.search(["UID", str(int(key)), "NOT", "DELETED"])
                return int(found[0]) if found else None
            if message_id and message_id.isascii():
                found = self.client.search(["HEADER", "Message-ID", message_id, "NOT", "DELETED"])
                return int(min(found)) if found else None
        return None

    # -- acting --------------------------------------------------------------------------------
    def move(self, key: int | str, target: Target) -> None:
        uid, folder = int(key), self._targets[target]
        with self._guard():
            try:
                self._move([uid], folder)
            except IMAPClientError as exc:
                # Another daemon moved (expunged) it between our SEARCH and this command.
                if "EXPUNGEISSUED" not in str(exc) and self._present([uid]):
                    raise
                logger.info("mailbox=%s uid=%s already moved by another client",
                            self.mailbox, uid)

    def move_many(self, keys: list[int | str], target: Target) -> None:
        """One UID MOVE (or COPY + UID EXPUNGE) for the set; one by one if that fails."""
        if len(keys) > 1:
            with self._guard():
                try:
                    self._move([int(k) for k in keys], self._targets[target])
                    return
                except IMAPClientError as exc:
                    logger.info("mailbox=%s moving %d messages at once failed (%s): one by one",
                                self.mailbox, len(keys), type(exc).__name__)
        for key in keys:
            self.move(key, target)

    def _present(self, uids: list[int]) -> list[int]:
        found = self.client.search(["UID", ",".join(map(str, uids)), "NOT", "DELETED"])
        return [int(uid) for uid in found]

    def _move(self, uids: list[int], folder: str) -> None:
        if b"MOVE" in self._caps:
            self.client.move(uids, folder)
            return
        uids = self._present(uids)
        if not uids:
            return  # gone (another daemon moved them): nothing to copy
        self.client.copy(uids, folder)  # raises unless the server said OK
        self.client.add_flags(uids, [b"\\Deleted"], silent=True)
        if b"UIDPLUS" in self._caps:
            self.client.uid_expunge(uids)
        elif not self._noted_no_uidplus:
            self._noted_no_uidplus = True
            logger.warning("mailbox=%s server has neither MOVE nor UIDPLUS: originals are "
                           "flagged \\Deleted and left for the mail admin to expunge",
                           self.mailbox)

    # -- waiting -------------------------------------------------------------------------------
    def wait(self, seconds: float, stop: threading.Event) -> None:
        if self.news():
            return  # it came during the sweep: sweep again now, not after the interval
        if not (self.settings.idle and b"IDLE" in self._caps):
            stop.wait(seconds)
            return
        deadline = time.monotonic() + min(seconds, self._idle_renew)
        span = _RECHECK_FIRST
        with self._guard():
            while not stop.is_set() and time.monotonic() < deadline:
                if self._idle_until(min(deadline, time.monotonic() + span), stop):
                    return
                if self.news():
                    return  # it landed just before that IDLE began (or as it ended)
                span = min(span * 2, _RECHECK_CAP)

    def _idle_until(self, deadline: float, stop: threading.Event) -> bool:
        """IDLE until news, ``deadline`` or ``stop``; True when there is news (announced
        during IDLE or by its ``DONE``, which reports what IDLE kept quiet about)."""
        client, news = self.client, False
        with self._idle_lock:
            client.idle()
            self._idling = True
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                slice_ = max(0.05, min(self._idle_check, deadline - time.monotonic()))
                began = time.monotonic()
                responses = client.idle_check(timeout=slice_)
                if any(is_news(r) for r in responses) or self._token_expiring():
                    news = True
                    break
                if not responses and time.monotonic() - began < slice_ * 0.5:
                    news = True
                    break  # woken with nothing to read: the socket closed; idle_done will tell
        finally:
            with self._idle_lock:
                self._idling = False
            _text, done = client.idle_done()
        self._announced()  # what DONE reported is read here, not at the next sweep
        return news or any(is_news(r) for r in done)
