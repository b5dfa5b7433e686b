"""The mail store behind the loopback Graph server: mailboxes, folders, messages, delta rounds.

Kept apart from the HTTP layer (``tests.services.graph``) so the bookkeeping Graph's
semantics need is in one place: two kinds of message id (the REST id, which changes when a
message is moved, and the immutable id a client gets with ``Prefer: IdType="ImmutableId"``),
and a per-folder change log that delta rounds are computed from. A delta token is a
position in that log; ``expire_delta_tokens`` makes every earlier token unknown (the server
then answers 410 Gone, as Graph does when its sync-state cache dropped a token).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

WELL_KNOWN = {"inbox": "Inbox", "archive": "Archive", "drafts": "Drafts",
              "sentitems": "Sent Items", "deleteditems": "Deleted Items",
              "junkemail": "Junk Email"}
ROOT = "msgfolderroot"
SIZE_PROPERTY = "Integer 0x0E08"  # PR_MESSAGE_SIZE, as a singleValueExtendedProperty id


def new_id(prefix: str) -> str:
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(30)).decode().rstrip("=")


@dataclass
class Folder:
    id: str
    display_name: str
    parent_id: str | None
    well_known: str | None = None


@dataclass
class Message:
    immutable_id: str
    rest_id: str
    folder_id: str
    raw: bytes
    received: datetime

    @property
    def internet_message_id(self) -> str | None:
        head = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(self.raw)
        value = head.get("Message-ID")
        return str(value).strip() if value else None

    def headers(self) -> list[dict[str, str]]:
        head = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(self.raw)
        return [{"name": name, "value": str(value)} for name, value in head.items()]


@dataclass
class Round:
    """One delta round being paged through: entries computed when the round began."""

    folder_id: str
    entries: list[tuple[Message | None, str]]  # (message, removed id) per entry
    end_seq: int
    select: str
    expand: str


@dataclass
class Mailbox:
    upn: str
    folders: dict[str, Folder] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)  # by immutable id
    log: list[tuple[int, str, str]] = field(default_factory=list)  # (seq, folder id, imm id)

    def __post_init__(self) -> None:
        self.folders[ROOT] = Folder(new_id("AAMkR"), "Top of Information Store", None, ROOT)
        root_id = self.folders[ROOT].id
        for well_known, name in WELL_KNOWN.items():
            self.folders[well_known] = Folder(new_id("AAMkF"), name, root_id, well_known)

    def folder(self, ref: str) -> Folder | None:
        """A folder by id or well-known name (case-insensitive, as Graph accepts them)."""
        known = self.folders.get(ref.lower())
        if known is not None:
            return known
        return next((f for f in self.folders.values() if f.id == ref), None)

    def children(self, parent_id: str) -> list[Folder]:
        return sorted((f for f in self.folders.values() if f.parent_id == parent_id),
                      key=lambda f: f.display_name.lower())

    def message(self, ref: str) -> Message | None:
        found = self.messages.get(ref)
        return found or next((m for m in self.messages.values() if m.rest_id == ref), None)

    def in_folder(self, folder_id: str) -> list[Message]:
        return sorted((m for m in self.messages.values() if m.folder_id == folder_id),
                      key=lambda m: (m.received, m.immutable_id))


class GraphStore:
    """Every mailbox of the fake tenant, behind one lock (the HTTP server is threaded)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.mailboxes: dict[str, Mailbox] = {}
        self.rounds: dict[str, Round] = {}
        self._seq = itertools.count(1)
        self.min_token_seq = 0

    def mailbox(self, upn: str, *, create: bool = False) -> Mailbox | None:
        with self.lock:
            key = upn.lower()
            if key not in self.mailboxes and create:
                self.mailboxes[key] = Mailbox(key)
            return self.mailboxes.get(key)

    def _note(self, box: Mailbox, folder_id: str, message: Message) -> None:
        box.log.append((next(self._seq), folder_id, message.immutable_id))

    def deliver(self, upn: str, raw: bytes, *, folder: str = "inbox",
                received: datetime | None = None) -> str:
        """Put a message in a folder (as transport would); returns its immutable id."""
        with self.lock:
            box = self.mailbox(upn, create=True)
            assert box is not None
            target = box.folder(folder) or self.make_folder(box, folder)
            message = Message(new_id("AAkALg"), new_id("AAMkAG"), target.id, raw,
                              received or datetime.now(UTC))
            box.messages[message.immutable_id] = message
            self._note(box, target.id, message)
            return message.immutable_id

    def make_folder(self, box: Mailbox, name: str, parent_id: str | None = None) -> Folder:
        folder = Folder(new_id("AAMkF"), name, parent_id or box.folders[ROOT].id)
        box.folders[folder.id] = folder
        return folder

    def move(self, box: Mailbox, message: Message, destination: Folder) -> None:
        """A move makes a new item in the destination: the REST id changes, the immutable not."""
        with self.lock:
            self._note(box, message.folder_id, message)
            message.folder_id, message.rest_id = destination.id, new_id("AAMkAG")
            self._note(box, destination.id, message)

    # -- delta -------------------------------------------------------------------------------
    def start_round(self, box: Mailbox, folder: Folder, since: int | None, *, select: str,
                    expand: str) -> Round:
        with self.lock:
            end = next(self._seq)
            present = box.in_folder(folder.id)
            if since is None:
                entries: list[tuple[Message | None, str]] = [(m, "") for m in present]
            else:
                touched = dict.fromkeys(imm for seq, fid, imm in box.log
                                        if seq > since and fid == folder.id)
                here = {m.immutable_id for m in present}
                entries = [(box.messages[i], "") if i in here else (None, i) for i in touched]
            return Round(folder.id, entries, end, select, expand)

    def park(self, round_: Round) -> str:
        token = secrets.token_urlsafe(18)
        with self.lock:
            self.rounds[token] = round_
        return token

    def expire_delta_tokens(self) -> None:
        """Forget every delta token handed out so far (the next use of one answers 410)."""
        with self.lock:
            self.min_token_seq = next(self._seq)
            self.rounds.clear()

    def count(self, upn: str, folder: str) -> int:
        with self.lock:
            box = self.mailbox(upn)
            found = self.find_folder(upn, folder) if box else None
            return len(box.in_folder(found.id)) if box and found else 0

    def find_folder(self, upn: str, path: str) -> Folder | None:
        """A folder by well-known name or by display-name path ("Inbox/Referrals")."""
        with self.lock:
            box = self.mailbox(upn)
            if box is None:
                return None
            if "/" not in path and box.folders.get(path.lower()):
                return box.folders[path.lower()]
            parent = box.folders[ROOT].id
            found: Folder | None = None
            for part in path.split("/"):
                found = next((f for f in box.children(parent)
                              if f.display_name.lower() == part.lower()), None)
                if found is None:
                    return None
                parent = found.id
            return found

    def messages(self, upn: str, folder: str) -> list[Message]:
        with self.lock:
            found = self.find_folder(upn, folder)
            box = self.mailbox(upn)
            return box.in_folder(found.id) if box and found else []
