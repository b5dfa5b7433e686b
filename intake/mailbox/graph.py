"""Microsoft Graph as a mail source, for Microsoft 365 tenants with IMAP switched off.

The same contract as the IMAP source (``intake.mailbox.sources.MailSource``), so the same
worker, ledger and exactly-once order apply: commit, then move, then mark moved.

- **Keys are immutable ids.** Every request says ``Prefer: IdType="ImmutableId"``, so a
  message keeps its id when it is moved; the ledger stores it as the message's
  ``source_key`` (with ``account`` = the mailbox's address), and after a crash ``locate``
  finds the message by it and sees from ``parentFolderId`` whether it was moved already.
- **What is waiting** comes from a delta query on the watched folder: the first round lists
  every message (id, Internet Message-ID, received time, size from ``PR_MESSAGE_SIZE``),
  later rounds only what arrived or left. A delta token the server has forgotten (410) starts
  a full round again. Nothing about the watched folder is kept across restarts.
- **The body** is the raw MIME from ``/messages/{id}/$value``, fed to the same pipeline.
- **Moves** are ``POST /messages/{id}/move`` to the processed or failed folder, found by
  display name (``/`` between levels; a first level may be a well-known name such as
  ``inbox``) and created when missing; a 409 means another daemon has just created it.
- **Waiting for news** is polling: ``poll_interval`` (30 s by default for Graph). Change
  notifications need a public HTTPS endpoint and are not used.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from intake.config import MailboxSettings
from intake.mailbox.faults import SourceUnavailable
from intake.mailbox.graph_api import GraphApi, GraphRefusal
from intake.mailbox.oauth import TokenProvider
from intake.mailbox.sources import Candidate, Target

logger = logging.getLogger(__name__)
DELTA_SELECT = "id,internetMessageId,receivedDateTime"
SIZE_EXPAND = "singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')"
WELL_KNOWN = frozenset({"inbox", "archive", "drafts", "sentitems", "deleteditems", "junkemail"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PAGE = 100


def candidate_of(item: dict[str, Any]) -> Candidate:
    """A delta entry as the worker's Candidate (size 0 when the server gave none)."""
    size = next((int(p.get("value") or 0) for p in item.get("singleValueExtendedProperties") or []
                 if str(p.get("id", "")).replace(" ", "").lower() in ("integer0xe08",
                                                                       "integer0x0e08")), 0)
    received = item.get("receivedDateTime")
    when = datetime.fromisoformat(str(received).replace("Z", "+00:00")) if received else None
    return Candidate(key=str(item["id"]), size=size,
                     message_id=str(item.get("internetMessageId") or "") or None,
                     internal_date=when)


def header_block(headers: list[dict[str, Any]]) -> bytes:
    """``internetMessageHeaders`` as the header block of a message (for oversized mail)."""
    lines = [f"{h.get('name')}: {h.get('value')}" for h in headers if h.get("name")]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "replace")


class GraphSource:
    source = "graph"

    def __init__(self, settings: MailboxSettings, *, tokens: TokenProvider | None = None,
                 timeout: float = 30.0) -> None:
        if settings.oauth2 is None or not settings.username:
            raise SourceUnavailable(f"mailbox {settings.key}: a graph source needs 'username' "
                                    "and [mailbox.oauth2]")
        self.settings = settings
        self.mailbox = settings.key
        self.account = settings.username.lower()
        self.folder = settings.folder
        self._stop = threading.Event()
        self.api = GraphApi(base_url=settings.graph_url, upn=self.account,
                            tokens=tokens or TokenProvider(settings.oauth2, timeout=timeout),
                            where=f"mailbox {settings.key} (Microsoft Graph)",
                            ca_file=settings.tls_ca_file, timeout=timeout, stop=self._stop)
        self._folder_id: str | None = None
        self._targets: dict[str, str] = {}
        self._present: dict[str, Candidate] = {}
        self._delta_link: str | None = None

    @property
    def uidvalidity(self) -> int | None:
        return None

    # -- connection and folders --------------------------------------------------------------
    def open(self) -> None:
        self._stop.clear()
        self._present, self._delta_link = {}, None
        self._folder_id = self._resolve(self.settings.folder, create=False)
        if self._folder_id is None:
            raise SourceUnavailable(f"mailbox {self.mailbox}: the watched folder "
                                    f"{self.settings.folder!r} does not exist")
        for target, name in (("processed", self.settings.processed_folder),
                             ("failed", self.settings.failed_folder)):
            self._targets[target] = self._resolve(name, create=True) or ""

    def probe(self) -> list[str]:
        """Get a token, find the folders, count what waits; change nothing (check-config)."""
        self._stop.clear()
        watched = self._resolve(self.settings.folder, create=False)
        if watched is None:
            raise SourceUnavailable(f"mailbox {self.mailbox}: the watched folder "
                                    f"{self.settings.folder!r} does not exist")
        notes = [f"folder {name!r} is missing: the daemon will create it"
                 for name in (self.settings.processed_folder, self.settings.failed_folder)
                 if self._resolve(name, create=False) is None]
        count = self.api.get(f"/mailFolders/{quote(watched, safe='')}",
                             params={"$select": "totalItemCount"}).get("totalItemCount")
        return notes + [f"{count} message(s) waiting (Microsoft Graph)"]

    def close(self) -> None:
        self._present, self._delta_link = {}, None
        self.api.close()

    def interrupt(self) -> None:
        """Called from another thread on shutdown: end a throttling wait at once."""
        self._stop.set()

    def _resolve(self, path: str, *, create: bool) -> str | None:
        parts = [p for p in path.split("/") if p]
        parent: str | None = None
        if parts and parts[0].lower() in WELL_KNOWN:
            parent = str(self.api.get(f"/mailFolders/{parts.pop(0).lower()}",
                                      params={"$select": "id"})["id"])
        for part in parts:
            found = self._child(parent, part)
            if found is None and create:
                found = self._create(parent, part)
            if found is None:
                return None
            parent = found
        return parent

    @staticmethod
    def _children(parent: str | None) -> str:
        return "/mailFolders" if parent is None else \
            f"/mailFolders/{quote(parent, safe='')}/childFolders"

    def _child(self, parent: str | None, name: str) -> str | None:
        link: str | None = self._children(parent)
        params: dict[str, str] | None = {"$top": "100", "$select": "id,displayName"}
        while link:
            page = self.api.get(link, params=params)
            for folder in page.get("value", []):
                if str(folder.get("displayName", "")).casefold() == name.casefold():
                    return str(folder["id"])
            link, params = page.get("@odata.nextLink"), None
        return None

    def _create(self, parent: str | None, name: str) -> str:
        try:
            created = self.api.post(self._children(parent), {"displayName": name})
            logger.info("mailbox=%s created Graph folder %s", self.mailbox, name)
            return str(created["id"])
        except GraphRefusal as exc:
            found = self._child(parent, name) if exc.status == 409 else None
            if found is None:
                raise
            return found  # another daemon created it a moment ago

    # -- reading -----------------------------------------------------------------------------
    def waiting(self) -> list[int | str]:
        self._sync()
        ordered = sorted(self._present.values(),
                         key=lambda c: (c.internal_date or _EPOCH, str(c.key)))
        return [c.key for c in ordered]

    def _sync(self, *, restarted: bool = False) -> None:
        """One delta round: the first lists the folder, later ones apply what changed."""
        initial = self._delta_link is None
        link = self._delta_link or f"/mailFolders/{quote(str(self._folder_id), safe='')}" \
                                   "/messages/delta"
        params = {"$select": DELTA_SELECT, "$expand": SIZE_EXPAND} if initial else None
        present = {} if initial else self._present
        while True:
            try:
                page = self.api.get(link, params=params, prefer=f"odata.maxpagesize={_PAGE}")
            except GraphRefusal as exc:
                if exc.status != 410 or restarted:
                    raise
                logger.info("mailbox=%s Graph forgot the delta token: listing the folder again",
                            self.mailbox)
                self._delta_link = None
                return self._sync(restarted=True)
            for item in page.get("value", []):
                if "@removed" in item:
                    present.pop(str(item.get("id")), None)
                else:
                    present[str(item["id"])] = candidate_of(item)
            link, params = page.get("@odata.nextLink"), None
            if not link:
                break
        self._present, self._delta_link = present, page.get("@odata.deltaLink")

    def describe(self, keys: list[int | str]) -> list[Candidate]:
        return [self._present[str(k)] for k in keys if str(k) in self._present]

    def _message(self, key: int | str) -> str:
        return f"/messages/{quote(str(key), safe='')}"

    def fetch(self, key: int | str) -> bytes | None:
        try:
            return self.api.get_bytes(f"{self._message(key)}/$value")
        except GraphRefusal as exc:
            if exc.status != 404:
                raise
            self._present.pop(str(key), None)
            return None

    def fetch_headers(self, key: int | str) -> bytes | None:
        try:
            item = self.api.get(self._message(key), params={"$select": "internetMessageHeaders"})
        except GraphRefusal as exc:
            if exc.status != 404:
                raise
            return None
        return header_block(item.get("internetMessageHeaders") or [])

    def locate(self, *, key: int | str | None, message_id: str | None,
               uidvalidity: int | None) -> int | str | None:
        """The message if it is still in the watched folder (by immutable id, else Message-ID)."""
        if key is not None:
            try:
                item = self.api.get(self._message(key), params={"$select": "id,parentFolderId"})
            except GraphRefusal as exc:
                if exc.status != 404:
                    raise
                return None
            return str(item["id"]) if item.get("parentFolderId") == self._folder_id else None
        if not message_id:
            return None
        quoted = message_id.replace("'", "''")
        page = self.api.get(f"/mailFolders/{quote(str(self._folder_id), safe='')}/messages",
                            params={"$filter": f"internetMessageId eq '{quoted}'",
                                    "$select": "id"})
        found = [str(item["id"]) for item in page.get("value", [])]
        return found[0] if found else None

    # -- acting ------------------------------------------------------------------------------
    def move(self, key: int | str, target: Target) -> None:
        try:
            self.api.post(f"{self._message(key)}/move", {"destinationId": self._targets[target]})
        except GraphRefusal as exc:
            if exc.status != 404:
                raise
            logger.info("mailbox=%s key=%s already gone from the folder", self.mailbox, key)
        self._present.pop(str(key), None)

    def move_many(self, keys: list[int | str], target: Target) -> None:
        for key in keys:
            self.move(key, target)

    def wait(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(seconds)
