"""One wall limit per document: a slow attachment costs its message one limit, not two.

The daemon parses a whole message on a document worker (parse-ahead); when a document runs
past the wall limit the worker is killed. The message is then parsed again with the other
documents isolated one by one, but the slow one keeps its reason and is not read again, so
the message's total time stays within 1.1 x the limit. The slow document is a real one: a
PDF dense with text, which pdfplumber needs far longer than the limit to read.
"""

from __future__ import annotations

import io
import logging
import random
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.core.rules import RuleSettings
from intake.ingest import ingest_message
from intake.mailbox.ahead import ParseAhead
from intake.mailbox.sources import Candidate
from models.db import make_engine, migrate, session_scope
from models.store import SourceRef, judged_on
from models.tables import Document
from parsers.documents import ReadLimits
from tests.services.dovecot import referral_docx

WALL = 10.0


def dense_pdf(pages: int = 40) -> bytes:
    """Many pages of small print: pdfplumber needs minutes for it (about 0.7 s a page)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out, rng = io.BytesIO(), random.Random(7)
    sheet = canvas.Canvas(out, pagesize=A4)
    for _ in range(pages):
        sheet.setFont("Helvetica", 4)
        for row in range(150):
            sheet.drawString(10, 830 - row * 5.5, " ".join(str(rng.randrange(10**6))
                                                         for _ in range(22)))
        sheet.showPage()
    sheet.save()
    return out.getvalue()


def message_with_a_slow_attachment() -> bytes:
    message = EmailMessage()
    message["From"] = "office@school.example.org"
    message["To"] = "cme@council.example.org"
    message["Subject"] = "CME referral"
    message["Message-ID"] = "<slow-attachment-1@school.example.org>"
    message.set_content("Please find the referral and the attendance print-out attached.")
    message.add_attachment(referral_docx(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename="referral.docx")
    message.add_attachment(dense_pdf(), maintype="application", subtype="pdf",
                           filename="attendance.pdf")
    return message.as_bytes()


def test_a_slow_attachment_costs_the_message_one_wall_limit(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from intake.core.pipeline import parse_message
    from parsers.isolation import shared_pool

    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    migrate(engine)
    raw = message_with_a_slow_attachment()
    limits = ReadLimits(isolate=True, wall_seconds=WALL)
    parse_message(b"Message-ID: <warm-up@test>\r\nSubject: x\r\n\r\nx\r\n")  # as the daemon does
    shared_pool()
    received = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    ahead = ParseAhead(1, mailbox="cme", rules=RuleSettings(), limits=limits,
                       judged_on=lambda body, at: judged_on(engine, body, at))
    began = time.monotonic()
    with caplog.at_level(logging.INFO, logger="intake.core.parse_job"):
        fetched = ahead.start(Candidate(key=41, size=len(raw), internal_date=received), raw)
        outcome = ingest_message(engine, raw=raw, settings=RuleSettings(), received_at=received,
                                 source=SourceRef(mailbox="cme", source="imap", account="t",
                                                  folder="INBOX", uidvalidity=1, uid=41),
                                 limits=limits, parsed=fetched.parsed())
    elapsed = time.monotonic() - began
    ahead.close()
    print(f"message with a slow attachment: {elapsed:.1f} s for a {WALL:.0f} s wall limit "
          f"(ratio {elapsed / WALL:.2f})")
    assert elapsed <= 1.1 * WALL
    assert "mailbox=cme key=41 a document stopped the whole-message parse" in caplog.text
    with session_scope(engine, readonly=True) as session:
        documents = {d.filename: d for d in session.scalars(select(Document).where(
            Document.message_pk == outcome.message_pk))}
    assert documents["referral.docx"].problem is None, "the good document is still read"
    assert f"longer than {WALL:.0f} s" in (documents["attendance.pdf"].problem or "")
    assert outcome.case_reference, "the referral form made a case"


def warn_from_a_reader() -> None:
    logging.getLogger("parsers.example").warning("parser raised IndexError at record.py:161")


def test_document_workers_log_with_time_level_and_the_message_id(
        capfd: pytest.CaptureFixture[str]) -> None:
    from parsers.isolation import PoolSettings, WorkerPool

    pool = WorkerPool(PoolSettings(size=1, start_method="spawn")).start()  # stderr: capfd's
    try:
        pool.call(warn_from_a_reader, context="mailbox=cme key=7")
    finally:
        pool.close()
    line = next(line for line in capfd.readouterr().err.splitlines() if "IndexError" in line)
    assert " WARNING document-worker[" in line and "mailbox=cme key=7 parsers.example:" in line
    assert line[:4].isdigit(), f"no time stamp: {line}"
