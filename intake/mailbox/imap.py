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

The test seam is ``connect``: a callable that returns a connected, not yet logged-in
:class:`IMAPClient` for the settings.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from intake.config import MailboxSettings
from intake.mailbox.credentials import read_password
from intake.mailbox.faults import SourceUnavailable, TokenExpired, translate
from intake.mailbox.folders import delimiter_and_names, is_news, spell
from intake.mailbox.oauth import TokenProvider
from intake.mailbox.sources import Candidate, Target

logger = logging.getLogger(__name__)
Connect = Callable[[MailboxSettings], IMAPClient]
_DESCRIBE_BATCH = 100
_RECHECK_FIRST = 1.0  # the first IDLE after a sweep is ended after this long, to hear ...
_RECHECK_CAP = 30.0   # ... what arrived just before it; later ones after twice as long


def tls_context(settings: MailboxSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.tls_ca_file)


def default_connect(settings: MailboxSettings, *, timeout: float = 30.0) -> IMAPClient:
    """TCP + TLS as configured; STARTTLS is mandatory when asked for."""
    assert settings.host is not None
    if settings.tls == "implicit":
        return IMAPClient(settings.host, port=settings.port, ssl=True,
                          ssl_context=tls_context(settings), timeout=timeout)
    client = IMAPClient(settings.host, port=settings.port, ssl=False, timeout=timeout)
    if settings.tls == "starttls":
        if not client.has_capability("STARTTLS"):
            client.shutdown()
            raise SourceUnavailable(f"mailbox {settings.key}: the server does not offer STARTTLS")
        client.starttls(tls_context(settings))
    return client


class ImapSource:
    source = "imap"

    def __init__(self, settings: MailboxSettings, *, connect: Connect | None = None,
                 tokens: TokenProvider | None = None, idle_check_seconds: float = 30.0,
                 idle_renew_seconds: float = 540.0, timeout: float = 30.0) -> None:
        self.settings = settings
        self.mailbox = settings.key
        self.account = f"{settings.username}@{settings.host}"
        self.folder = settings.folder
        self._connect = connect or (lambda s: default_connect(s, timeout=timeout))
        self._tokens = tokens or (TokenProvider(settings.oauth2) if settings.oauth2 else None)
        self._idle_check = idle_check_seconds
        self._idle_renew = idle_renew_seconds
        self._client: IMAPClient | None = None
        self._uidvalidity: int | None = None
        self._caps: frozenset[bytes] = frozenset()
        self._targets: dict[str, str] = {}
        self._idle_lock = threading.Lock()
        self._idling = False
        self._noted_no_uidplus = False
        self._highest_uid = 0  # the highest UID the last sweep saw (or UIDNEXT - 1)

    # -- connection ----------------------------------------------------------------------------
    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (OSError, IMAPClientError) as exc:
            where = (f"mailbox {self.mailbox} ({self.settings.host}:{self.settings.port}, "
                     f"tls={self.settings.tls})")
            fault = translate(exc, where=where, user=self.settings.username,
                              oauth=self._tokens is not None)
            if isinstance(fault, TokenExpired) and self._tokens:
                self._tokens.invalidate()
            raise fault from exc

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise SourceUnavailable(f"mailbox {self.mailbox}: not connected")
        return self._client

    @property
    def uidvalidity(self) -> int | None:
        return self._uidvalidity

    @property
    def capabilities(self) -> frozenset[bytes]:
        return self._caps

    def open(self) -> None:
        self.close()
        with self._guard():
            client = self._connect(self.settings)
            self._client = client
            client.normalise_times = False
            self._login(client)
            self._caps = frozenset(client.capabilities())
            self._prepare_folders(client)
            self._select()

    def probe(self) -> tuple[frozenset[bytes], str, set[str]]:
        """Connect, log in and list the folders, changing nothing (for check-config)."""
        self.close()
        with self._guard():
            client = self._connect(self.settings)
            self._client = client
            self._login(client)
            caps = frozenset(client.capabilities())
            delimiter, existing = self.folder_names(client)
        return caps, delimiter, existing

    def _login(self, client: IMAPClient) -> None:
        user = self.settings.username or ""
        if self._tokens is not None:
            try:
                client.oauth2_login(user, self._tokens.token())
            except IMAPClientError:
                self._tokens.invalidate()
                raise
        else:
            client.login(user, read_password(self.settings))

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be dead
            try:
                client.shutdown()
            except Exception:  # noqa: BLE001
                pass

    def interrupt(self) -> None:
        """Called from another thread on shutdown: break out of IDLE (only while idling)."""
        with self._idle_lock:
            if self._idling and self._client is not None:
                try:
                    self._client.socket().shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    # -- folders -------------------------------------------------------------------------------
    def folder_names(self, client: IMAPClient) -> tuple[str, set[str]]:
        """The hierarchy delimiter and every folder name, from LIST."""
        return delimiter_and_names(client.list_folders())

    def _personal_prefix(self, client: IMAPClient) -> str:
        if b"NAMESPACE" not in self._caps:
            return ""
        try:
            personal = client.namespace().personal
        except IMAPClientError:
            return ""
        return str(personal[0][0]) if personal else ""

    def _prepare_folders(self, client: IMAPClient) -> None:
        delimiter, existing = self.folder_names(client)
        prefix = self._personal_prefix(client)
        self.folder = spell(self.settings.folder, delimiter, existing, prefix)
        if self.folder not in existing and self.folder.upper() != "INBOX":
            raise SourceUnavailable(f"mailbox {self.mailbox}: the watched folder "
                                    f"{self.settings.folder!r} does not exist")
        for target, name in (("processed", self.settings.processed_folder),
                             ("failed", self.settings.failed_folder)):
            spelled = spell(name, delimiter, existing, prefix)
            if spelled not in existing:
                try:
                    client.create_folder(spelled)
                    logger.info("mailbox=%s created folder for %s", self.mailbox, target)
                except IMAPClientError as exc:  # another daemon may have just created it
                    if "ALREADYEXISTS" not in str(exc) and not client.folder_exists(spelled):
                        raise
            self._targets[target] = spelled

    def _select(self) -> None:
        info = self.client.select_folder(self.folder)
        self._highest_uid = int(info.get(b"UIDNEXT", 1)) - 1
        self._announced()  # SELECT's own EXISTS/RECENT are not news
        value = int(info[b"UIDVALIDITY"])
        if self._uidvalidity is not None and value != self._uidvalidity:
            logger.warning("mailbox=%s UIDVALIDITY changed %s -> %s", self.mailbox,
                           self._uidvalidity, value)
        self._uidvalidity = value

    # -- reading -------------------------------------------------------------------------------
    def _token_expiring(self) -> bool:
        return self._tokens is not None and self._tokens.expires_at is not None \
            and self._tokens.expiring()

    def waiting(self) -> list[int | str]:
        if self._token_expiring():
            logger.info("mailbox=%s OAuth token expiring: reconnecting", self.mailbox)
            self.open()
        with self._guard():
            self._select()
            uids = sorted(int(uid) for uid in self.client.search(["NOT", "DELETED"]))
        self._highest_uid = max([self._highest_uid, *uids])
        return uids  # type: ignore[return-value]

    def _announced(self) -> bool:
        """Did the server announce mail (EXISTS/RECENT) during our own commands? imaplib
        keeps untagged responses that a command did not ask for until someone reads them."""
        untagged = getattr(getattr(self._client, "_imap", None), "untagged_responses", None)
        if not isinstance(untagged, dict):
            return False
        return any([untagged.pop(name, None) for name in ("EXISTS", "RECENT")])

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
