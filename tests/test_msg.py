"""Outlook .msg attachments: opened like forwarded emails (pitfalls §1). Invented people only."""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest

from intake.core.pipeline import parse_document, parse_message
from parsers import sniff
from parsers.errors import UnreadableDocument
from parsers.mail.msg import msg_attachments, read_msg
from tests.fixtures.gen_common import draw_standard
from tests.fixtures.gen_people import school_named
from tests.fixtures.gen_truth import base_truth
from tests.fixtures.hostile.outlook import (
    MsgAttachment,
    OutlookMessage,
    build_msg,
    sample_letter_msg,
)

SAMPLE = Path(__file__).parent / "fixtures" / "hostile" / "forwarded_letter.msg"
RECEIVED = date(2026, 11, 2)
DATA_SECTIONS = ("school", "pupil", "parents", "siblings", "attendance", "referral",
                 "family_information", "enquiries", "roll", "part1_completed_by", "safeguarding")


@pytest.fixture(scope="module")
def form() -> tuple[dict, bytes]:
    truth = base_truth("m01", school_named("Northfield"), parents=2, siblings=1)
    return truth, draw_standard(truth).data


def email_with(*attachments: tuple[str, bytes, str]) -> bytes:
    message = EmailMessage()
    message["From"] = "Office <office@school.example.org>"
    message["To"] = "cme@council.example.org"
    message["Subject"] = "CME referral"
    message["Date"] = "Mon, 02 Nov 2026 09:00:00 +0000"
    message["Message-ID"] = "<msg-test@school.example.org>"
    message.set_content("Referral attached, with the parent's email.\n")
    for name, data, subtype in attachments:
        message.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    return message.as_bytes()


def test_committed_sample_is_what_the_builder_writes() -> None:
    assert SAMPLE.read_bytes() == sample_letter_msg()
    assert sniff.sniff(SAMPLE.read_bytes()) == sniff.MSG


def test_the_msg_itself_is_read_as_an_email_body() -> None:
    form = read_msg(SAMPLE.read_bytes(), lambda text: False, None)
    assert form.extraction == "email_body"
    assert "We have moved to Portugal" in form.text
    assert "Subject: We have moved to Portugal" in form.text


def test_attachments_come_out_one_level_deeper() -> None:
    found = msg_attachments(SAMPLE.read_bytes(), depth=2)
    assert [(a.filename, a.media_type, a.depth) for a in found] == [
        ("letter from mum.pdf", sniff.PDF, 2)]


def test_embedded_outlook_item_becomes_a_msg_attachment() -> None:
    inner = OutlookMessage(subject="Original", body="From the family",
                           attachments=[MsgAttachment("note.txt", b"We left on Friday.")])
    outer = build_msg(OutlookMessage(attachments=[MsgAttachment("forwarded.msg",
                                                                embedded=inner)]))
    (embedded,) = msg_attachments(outer, depth=1)
    assert embedded.media_type == sniff.MSG
    (note,) = msg_attachments(embedded.content, depth=2)
    assert (note.filename, note.content) == ("note.txt", b"We left on Friday.")


def test_golden_form_inside_a_forwarded_msg(form: tuple[dict, bytes]) -> None:
    """The form inside the .msg gives the same record as the form attached directly."""
    truth, docx = form
    msg = build_msg(OutlookMessage(subject="FW: CME referral", attachments=[
        MsgAttachment("CME referral.docx", docx, sniff.DOCX)]))
    parsed = parse_message(email_with(("FW CME referral.msg", msg, "vnd.ms-outlook")),
                           received_on=RECEIVED)
    direct = parse_document(docx, filename="CME referral.docx", received_on=RECEIVED)
    summary = [(d.filename, d.media_type, d.role, d.extraction, d.problem)
               for d in parsed.documents]
    assert summary == [
        ("FW CME referral.msg", sniff.MSG, "family_correspondence", "email_body", None),
        ("CME referral.docx", sniff.DOCX, "referral_form", "docx", None)]
    for section in DATA_SECTIONS:
        assert parsed.record[section] == direct.record[section] == truth[section], section
    assert parsed.record["family_correspondence"]["attached"] is True


def test_damaged_msg_is_a_specific_unreadable_document() -> None:
    broken = SAMPLE.read_bytes()[:1536]
    with pytest.raises(UnreadableDocument, match=r"Outlook message \(\.msg\)"):
        read_msg(broken, lambda text: False, None)
    parsed = parse_message(email_with(("parent.msg", broken, "vnd.ms-outlook")),
                           received_on=RECEIVED)
    problems = [d.problem for d in parsed.documents]
    assert problems and "damaged or truncated" in (problems[0] or "")
    assert "unreadable_document" in {f["code"] for f in parsed.record["flags"]}
