"""``cme-intake ingest``: store referrals from files, folders and Maildirs.

Every file goes through the same store path as the daemon's messages. A bare document
(.docx/.pdf) is wrapped in a minimal email so it has a message row like everything else.
Nothing stops the run: a file that cannot be read is recorded with its reason.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from parsers.sniff import EML, sniff

log = logging.getLogger(__name__)
DOCUMENT_SUFFIXES = {".docx", ".docm", ".doc", ".pdf", ".odt", ".rtf", ".msg"}


def iter_sources(paths: list[Path]) -> Iterator[Path]:
    """Files named, files under folders (sorted), and the messages of Maildirs."""
    for path in paths:
        if path.is_dir():
            if (path / "cur").is_dir() and (path / "new").is_dir():
                yield from sorted(p for sub in ("new", "cur") for p in (path / sub).iterdir() if p.is_file())
                continue
            yield from sorted(p for p in path.rglob("*") if p.is_file() and _wanted(p))
        else:
            yield path


def _wanted(path: Path) -> bool:
    return path.suffix.lower() in DOCUMENT_SUFFIXES | {".eml"} and not path.name.startswith(".")


def wrap_document(content: bytes, filename: str) -> bytes:
    """A minimal email carrying one bare document, with a stable Message-ID."""
    message = EmailMessage()
    digest = hashlib.sha256(content).hexdigest()
    message["Subject"] = f"File ingested: {filename}"
    message["From"] = "file-ingest@localhost"
    message["Message-ID"] = f"<file-{digest[:32]}@cme-intake.local>"
    message.set_content("Document ingested from a file by cme-intake.")
    message.add_attachment(content, maintype="application", subtype="octet-stream", filename=filename)
    return message.as_bytes()


def _received_at(raw: bytes) -> datetime | None:
    for line in raw[:65536].split(b"\n"):
        if line.lower().startswith(b"date:"):
            try:
                return parsedate_to_datetime(line[5:].decode("ascii", "replace").strip())
            except (TypeError, ValueError):
                return None
        if not line.strip():
            break
    return None


def ingest_paths(engine: Any, paths: list[Path], *, mailbox: str, settings: Any) -> int:
    from intake.ingest import ingest_message
    from models.store import SourceRef

    files = list(iter_sources(paths))
    console = Console(stderr=True)
    outcomes: Counter[str] = Counter()
    rows: list[tuple[str, str, str]] = []
    with Progress(TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, disable=len(files) < 2) as progress:
        task = progress.add_task("ingest", total=len(files))
        for path in files:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                outcomes["unreadable file"] += 1
                rows.append((str(path), "not read", exc.strerror or "cannot read the file"))
                progress.advance(task)
                continue
            if sniff(raw[:65536], path.name) != EML and path.suffix.lower() != ".eml":
                raw = wrap_document(raw, path.name)
            source = SourceRef(mailbox=mailbox, source="file", account="cli", folder=str(path.parent),
                               source_key=path.name)
            outcome = ingest_message(engine, raw=raw, source=source, settings=settings,
                                     received_at=_received_at(raw))
            status = "already stored" if outcome.already_stored else outcome.status
            outcomes[status] += 1
            rows.append((path.name, status, outcome.case_reference or ""))
            log.info("ingested file message=%s status=%s", outcome.message_pk, status)
            progress.advance(task)
    table = Table(title=f"Ingested {len(files)} file(s)")
    for column in ("file", "status", "case"):
        table.add_column(column, overflow="fold")
    for row in rows[-50:]:
        table.add_row(*row)
    console.print(table)
    console.print(", ".join(f"{count} {status}" for status, count in sorted(outcomes.items())) or "nothing to ingest")
    return 0
