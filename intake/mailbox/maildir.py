"""A local Maildir as a mail source: the embedded default (``make demo``, single-host setups).

The watched folder is the Maildir itself (``new`` and ``cur``); processed and failed are its
Maildir++ sub-folders (``.Processed``, ``.Failed``), created with :mod:`mailbox` when
missing. The Maildir itself is created when missing, but only it: its parent folder must
exist (:func:`maildir_problem`, the one check ``check-config`` and ``run`` share), so a
mistyped path is an error rather than a new tree nobody watches. A move is one ``rename`` inside one file system, so it is atomic: after a crash a
message is either still waiting or already moved, never in both places. Two daemons racing
for one file see ``FileNotFoundError`` on the loser's side, which counts as "already moved".
"""

from __future__ import annotations

import email.parser
import email.policy
import logging
import mailbox
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from intake.config import MailboxSettings
from intake.mailbox.faults import SourceUnavailable
from intake.mailbox.sources import Candidate, Target

logger = logging.getLogger(__name__)
_HEADER_LIMIT = 256 * 1024


def maildir_problem(path: Path) -> str | None:
    """Why the daemon could not use (or create) the Maildir at ``path``; None when it can.

    Creating means the Maildir folder itself (with cur/, new/ and tmp/): its parent must
    already exist and be writable.
    """
    if path.exists():
        if not all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
            return f"{path} is not a Maildir (it needs cur/, new/ and tmp/)"
        if not os.access(path, os.W_OK | os.X_OK):
            return f"{path} is not writable by this user"
        return None
    parent = path.parent
    if not parent.is_dir():
        return (f"the folder {parent} that should hold the Maildir {path.name} does not exist: "
                "create it, or correct 'path'")
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"cannot create the Maildir: {parent} is not writable by this user"
    return None


class MaildirSource:
    source = "maildir"

    def __init__(self, settings: MailboxSettings) -> None:
        assert settings.path is not None
        self.settings = settings
        self.mailbox = settings.key
        self.root = Path(settings.path)
        self.account = str(self.root)
        self.folder = "INBOX"
        self._maildir: mailbox.Maildir | None = None
        self._targets: dict[str, Path] = {}
        self._new_stamp = 0  # new/'s mtime when the last sweep listed it

    @property
    def uidvalidity(self) -> int | None:
        return None

    def open(self) -> None:
        problem = maildir_problem(self.root)
        if problem is not None:
            raise SourceUnavailable(f"mailbox {self.mailbox}: {problem}")
        try:
            self._maildir = mailbox.Maildir(self.root, factory=None, create=True)
            present = set(self._maildir.list_folders())
            for target, name in (("processed", self.settings.processed_folder),
                                 ("failed", self.settings.failed_folder)):
                if name not in present:
                    self._maildir.add_folder(name)
                    logger.info("mailbox=%s created maildir folder %s", self.mailbox, target)
                self._targets[target] = self.root / f".{name}"
        except OSError as exc:
            raise SourceUnavailable(
                f"mailbox {self.mailbox}: the Maildir cannot be used "
                f"({exc.strerror or type(exc).__name__}): check 'path' and its permissions"
            ) from exc

    def close(self) -> None:
        self._maildir = None

    def _files(self) -> dict[str, Path]:
        """Key -> file, for every message in new/ and cur/ (the info suffix stripped)."""
        found: dict[str, Path] = {}
        try:
            for sub in ("new", "cur"):
                with os.scandir(self.root / sub) as entries:
                    for entry in entries:
                        if entry.is_file() and not entry.name.startswith("."):
                            found[entry.name.split(":", 1)[0]] = Path(entry.path)
        except OSError as exc:
            raise SourceUnavailable(f"mailbox {self.mailbox}: cannot list the Maildir") from exc
        return found

    def waiting(self) -> list[int | str]:
        self._new_stamp = self._stamp()
        files = self._files()

        def age(key: str) -> tuple[float, str]:
            try:
                return (files[key].stat().st_mtime, key)
            except OSError:
                return (0.0, key)

        return sorted(files, key=age)

    def describe(self, keys: list[int | str]) -> list[Candidate]:
        files = self._files()
        out = []
        for key in keys:
            path = files.get(str(key))
            head = self._head(path) if path else None
            if path is None or head is None:
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            parsed = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
            message_id = parsed.get("Message-ID")
            out.append(Candidate(key=str(key), size=stat.st_size,
                                 message_id=str(message_id).strip() if message_id else None,
                                 internal_date=datetime.fromtimestamp(stat.st_mtime, UTC)))
        return out

    @staticmethod
    def _head(path: Path) -> bytes | None:
        try:
            with open(path, "rb") as handle:
                data = handle.read(_HEADER_LIMIT)
        except OSError:
            return None
        for sep in (b"\r\n\r\n", b"\n\n"):
            cut = data.find(sep)
            if cut >= 0:
                return data[: cut + len(sep)]
        return data

    def fetch(self, key: int | str) -> bytes | None:
        path = self._files().get(str(key))
        try:
            return path.read_bytes() if path else None
        except FileNotFoundError:
            return None

    def fetch_headers(self, key: int | str) -> bytes | None:
        path = self._files().get(str(key))
        return self._head(path) if path else None

    def locate(self, *, key: int | str | None, message_id: str | None,
               uidvalidity: int | None) -> int | str | None:
        files = self._files()
        if key is not None and str(key) in files:
            return str(key)
        if message_id:
            for candidate in self.describe(list(files)):
                if candidate.message_id == message_id:
                    return candidate.key
        return None

    def move(self, key: int | str, target: Target) -> None:
        self.move_many([key], target)

    def move_many(self, keys: list[int | str], target: Target) -> None:
        files = self._files()
        for key in keys:
            self._move(files.get(str(key)), key, target)

    def _move(self, path: Path | None, key: int | str, target: Target) -> None:
        if path is None:
            return
        name = path.name if ":" in path.name else f"{path.name}:2,"
        try:
            os.rename(path, self._targets[target] / "cur" / name)
        except FileNotFoundError:
            logger.info("mailbox=%s key=%s already moved by another process", self.mailbox, key)

    def _stamp(self) -> int:
        try:
            return (self.root / "new").stat().st_mtime_ns
        except OSError:
            return 0

    def wait(self, seconds: float, stop: threading.Event) -> None:
        """Sleep, but return as soon as new/ changed since the last sweep listed it (mail
        delivered during that sweep included; our own moves out of new/ cost one extra,
        empty sweep)."""
        deadline = _monotonic() + seconds
        while not stop.is_set() and self._stamp() == self._new_stamp:
            remaining = deadline - _monotonic()
            if remaining <= 0:
                return
            stop.wait(min(0.25, remaining))


def _monotonic() -> float:
    import time

    return time.monotonic()
