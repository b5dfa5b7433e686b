"""``cme-intake check-config`` and ``cme-intake status``: what is wrong, per mailbox, in words.

``check_config`` really connects: DNS, TCP, TLS (with the configured CA), login (password or
OAuth token), the watched folder and the two target folders; for Microsoft Graph the token,
the mailbox and its folders. It creates nothing: a missing processed/failed folder is a note
(the daemon creates it at start-up), not a problem. :func:`preflight` is the part that needs
no network (Maildir paths), which ``run`` checks too before it starts: both commands refuse
the same mistakes in the same words.
"""

from __future__ import annotations

import mailbox as stdlib_mailbox
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from intake.config import MailboxSettings, Settings
from intake.mailbox import ledger
from intake.mailbox.db_faults import database_reason
from intake.mailbox.faults import translate
from intake.mailbox.folders import spell
from intake.mailbox.imap import ImapSource
from intake.mailbox.maildir import maildir_problem
from intake.mailbox.redact import install_redaction
from intake.mailbox.runtime_status import overlay, read_status, status_path
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
        elif mailbox.source == "graph":
            results.append(_check_graph(mailbox, timeout=timeout))
        else:
            results.append(_check_imap(mailbox, timeout=timeout))
    return results


def preflight(settings: Settings) -> list[str]:
    """``mailbox <key>: <problem>`` for every mistake found without connecting anywhere."""
    return [f"mailbox {m.key}: {problem}" for m in settings.mailbox if m.source == "maildir"
            if (problem := maildir_problem(Path(m.path or ""))) is not None]


def _check_maildir(mailbox: MailboxSettings) -> MailboxCheck:
    check = MailboxCheck(mailbox.key, ok=True)
    path = Path(mailbox.path or "")
    problem = maildir_problem(path)
    if problem is not None:
        check.problems.append(problem)
    elif not path.exists():
        check.notes.append(f"Maildir {path} does not exist yet: the daemon will create it")
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


def _check_graph(mailbox: MailboxSettings, *, timeout: float) -> MailboxCheck:
    from intake.mailbox.graph import GraphSource

    check = MailboxCheck(mailbox.key, ok=True)
    source = None
    try:
        source = GraphSource(mailbox, timeout=timeout)
        check.notes += source.probe()
    except IntakeError as exc:
        check.problems.append(exc.reason)
    except Exception as exc:  # noqa: BLE001 - every failure becomes advice, never a traceback
        check.problems.append(f"mailbox {mailbox.key} (Microsoft Graph): unexpected "
                              f"{type(exc).__name__}")
    finally:
        if source is not None:
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


def status_report(settings: Settings) -> tuple[list[dict], str | None]:
    """The database's per-mailbox rows overlaid with the running daemons' own state, and a
    note when the database could not be read (the rows are then the daemons' alone)."""
    from models.db import make_engine, migrate

    note = None
    try:
        engine = make_engine(settings.database.url)
        migrate(engine)
        rows = ledger.status_rows(engine)
    except Exception as exc:  # noqa: BLE001 - shown as a note, never a traceback
        rows = []
        note = (f"the case database cannot be read ({database_reason(exc)}): showing what "
                "the running daemons reported")
    runtime = read_status(status_path(settings.database.url))
    return overlay(rows, runtime), note
