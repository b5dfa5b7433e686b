"""``cme-intake check-config`` and ``cme-intake status``: what is wrong, per mailbox, in words.

``check_config`` really connects: DNS, TCP, TLS (with the configured CA), login (password or
OAuth token), the watched folder and the two target folders. It creates nothing: a missing
processed/failed folder is a note (the daemon creates it at start-up), not a problem.
"""

from __future__ import annotations

import mailbox as stdlib_mailbox
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from intake.config import MailboxSettings, Settings
from intake.mailbox import ledger
from intake.mailbox.faults import translate
from intake.mailbox.folders import spell
from intake.mailbox.imap import ImapSource
from intake.mailbox.redact import install_redaction
from parsers.errors import IntakeError


@dataclass
class MailboxCheck:
    key: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_config(settings: Settings, *, timeout: float = 15.0) -> list[MailboxCheck]:
    """One result per configured mailbox, in configuration order. Never raises."""
    install_redaction()
    results = []
    for mailbox in settings.mailbox:
        if mailbox.source == "maildir":
            results.append(_check_maildir(mailbox))
        else:
            results.append(_check_imap(mailbox, timeout=timeout))
    return results


def _check_maildir(mailbox: MailboxSettings) -> MailboxCheck:
    check = MailboxCheck(mailbox.key, ok=True)
    path = Path(mailbox.path or "")
    if not path.exists():
        check.notes.append(f"Maildir {path} does not exist yet: the daemon will create it")
        parent = path.parent
        if not os.access(parent, os.W_OK):
            check.problems.append(f"cannot create the Maildir: {parent} is not writable")
    elif not all((path / sub).is_dir() for sub in ("cur", "new", "tmp")):
        check.problems.append(f"{path} is not a Maildir (it needs cur/, new/ and tmp/)")
    elif not os.access(path, os.W_OK):
        check.problems.append(f"{path} is not writable by this user")
    else:
        folders = set(stdlib_mailbox.Maildir(path, factory=None, create=False).list_folders())
        _note_targets(check, mailbox, folders)
        check.notes.append(f"{len(os.listdir(path / 'new')) + len(os.listdir(path / 'cur'))} "
                           "message(s) waiting")
    check.ok = not check.problems
    return check


def _check_imap(mailbox: MailboxSettings, *, timeout: float) -> MailboxCheck:
    check = MailboxCheck(mailbox.key, ok=True)
    source = ImapSource(mailbox, timeout=timeout)
    try:
        caps, delimiter, existing = source.probe()
        watched = spell(mailbox.folder, delimiter, existing)
        if watched not in existing and watched.upper() != "INBOX":
            check.problems.append(f"the watched folder {mailbox.folder!r} does not exist "
                                  f"(folders: {', '.join(sorted(existing))[:300]})")
        _note_targets(check, mailbox, {name.replace(delimiter, "/") for name in existing})
        check.notes.append("server offers: " + ", ".join(
            c for c in ("IDLE", "MOVE", "UIDPLUS") if c.encode() in caps))
        if b"MOVE" not in caps and b"UIDPLUS" not in caps:
            check.notes.append("no MOVE or UIDPLUS: processed originals will be flagged "
                               "\\Deleted and left for the mail admin to expunge")
    except IntakeError as exc:
        check.problems.append(exc.reason)
    except Exception as exc:  # noqa: BLE001 - every failure becomes advice, never a traceback
        check.problems.append(translate(exc, where=f"mailbox {mailbox.key} "
                                        f"({mailbox.host}:{mailbox.port}, tls={mailbox.tls})",
                                        user=mailbox.username,
                                        oauth=mailbox.oauth2 is not None).reason)
    finally:
        source.close()
    check.ok = not check.problems
    return check


def _note_targets(check: MailboxCheck, mailbox: MailboxSettings, folders: set[str]) -> None:
    for name in (mailbox.processed_folder, mailbox.failed_folder):
        if name not in folders:
            check.notes.append(f"folder {name!r} is missing: the daemon will create it")


def status_rows(engine: Engine) -> list[dict]:
    """Per mailbox: last successful poll, last error, messages waiting, messages failed."""
    return ledger.status_rows(engine)
