"""The IMAP connection under :class:`~intake.mailbox.imap.ImapSource`: connect, log in, folders.

Split from :mod:`intake.mailbox.imap` so that the source reads as what it does with mail
(look, fetch, move, wait) and this module as how it gets a session to do it in: TCP + TLS
as configured (STARTTLS mandatory when asked for), password or OAuth2 login, every
IMAP or socket error translated into the daemon's faults (:func:`intake.mailbox.faults.translate`),
the watched folder and the target folders spelled with the server's delimiter (LIST) and
created when missing, and the folder SELECTed with its UIDVALIDITY kept.

The test seam is ``connect``: a callable that returns a connected, not yet logged-in
:class:`IMAPClient` for the settings.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from intake.config import MailboxSettings
from intake.mailbox.credentials import read_password
from intake.mailbox.faults import SourceUnavailable, TokenExpired, translate
from intake.mailbox.folders import delimiter_and_names, spell
from intake.mailbox.oauth import TokenProvider

logger = logging.getLogger("intake.mailbox.imap")  # one logger name for the whole IMAP source
Connect = Callable[[MailboxSettings], IMAPClient]


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


class ImapSession:
    """One mailbox's IMAP session: the connection, the login and the folders it uses."""

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

    def _token_expiring(self) -> bool:
        return self._tokens is not None and self._tokens.expires_at is not None \
            and self._tokens.expiring()

    def _announced(self) -> bool:
        """Did the server announce mail (EXISTS/RECENT) during our own commands? imaplib
        keeps untagged responses that a command did not ask for until someone reads them."""
        untagged = getattr(getattr(self._client, "_imap", None), "untagged_responses", None)
        if not isinstance(untagged, dict):
            return False
        return any([untagged.pop(name, None) for name in ("EXISTS", "RECENT")])
