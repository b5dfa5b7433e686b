"""Acknowledgements: sent through a real SMTP server, to the right person, once, no child data."""
# ruff: noqa: F811  (pytest fixtures imported from tests.services are parameters here)

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from intake.config import DaemonSettings, DatabaseSettings, MailboxSettings, Settings, SmtpSettings
from intake.mailbox import run_daemon
from intake.mailbox.ack import compose, missing_lines, recipient
from models.db import make_engine, session_scope
from models.tables import Case, Message
from tests.services.dovecot import DovecotServer, dovecot, referral_docx, referral_email  # noqa: F401
from tests.services.smtp import SmtpSink, smtp_sink  # noqa: F401

pytestmark = pytest.mark.dovecot
SENDER = "cme-intake@council.example.org"


def ack_settings(server: DovecotServer, sink: SmtpSink, tmp_path: Path, user: str,
                 acknowledge: bool = True) -> Settings:
    secret = tmp_path / "pw"
    secret.write_text(server.password)
    box = MailboxSettings(key="cme", host=server.host, port=server.port, tls="none",
                          username=user, password_file=str(secret), acknowledge=acknowledge)
    return Settings(database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'cases.db'}"),
                    mailbox=[box], smtp=SmtpSettings(host=sink.host, port=sink.port,
                                                     sender=SENDER, timeout=10),
                    daemon=DaemonSettings(backoff_initial=0.1, backoff_cap=1.0))


def stored(settings: Settings) -> tuple[Message, Case]:
    with session_scope(make_engine(settings.database.url), readonly=True) as session:
        message = session.scalars(select(Message)).one()
        case = session.get(Case, message.case_id)
        assert case is not None
        return message, case


def test_acknowledgement_goes_to_the_part1_contact_once(dovecot: DovecotServer,
                                                       smtp_sink: SmtpSink,
                                                       tmp_path: Path) -> None:
    user, _ = dovecot.new_user("cme")
    dovecot.append(user, referral_email(1, sender="head.teacher@school.example.org",
                                        subject="CME referral for Alex Testperson1"))
    settings = ack_settings(dovecot, smtp_sink, tmp_path, user)
    assert run_daemon(settings, once=True) == 0
    [received] = smtp_sink.wait_for(1)
    message, case = stored(settings)
    ack = received.message
    assert received.envelope_to == ["office@school.example.org"]  # from the form, not the sender
    assert ack["In-Reply-To"] == message.message_id and ack["References"] == message.message_id
    assert ack["Auto-Submitted"] == "auto-replied"
    assert case.reference in ack["Subject"]
    body = ack.get_content()
    assert case.reference in body
    for personal in ("Testperson", "Alex", "03/04/2014", "2014-04-03", "Test Street", "EX1 1AA",
                     "Jo Testperson"):
        assert personal not in body and personal not in str(ack["Subject"])
    assert run_daemon(settings, once=True) == 0  # nothing new: no second email
    assert len(smtp_sink.wait_for(2, timeout=1)) == 1


def test_without_a_contact_email_the_sender_is_acknowledged(dovecot: DovecotServer,
                                                            smtp_sink: SmtpSink,
                                                            tmp_path: Path) -> None:
    user, _ = dovecot.new_user("cme")
    form = referral_docx(surname="Testperson2", contact_email="")
    dovecot.append(user, referral_email(2, sender="Head <head@school.example.org>",
                                        docx_bytes=form))
    assert run_daemon(ack_settings(dovecot, smtp_sink, tmp_path, user), once=True) == 0
    [received] = smtp_sink.wait_for(1)
    assert received.envelope_to == ["head@school.example.org"]


def test_acknowledgement_is_off_by_default(dovecot: DovecotServer, smtp_sink: SmtpSink,
                                           tmp_path: Path) -> None:
    user, _ = dovecot.new_user("cme")
    dovecot.append(user, referral_email(3))
    assert run_daemon(ack_settings(dovecot, smtp_sink, tmp_path, user, acknowledge=False),
                      once=True) == 0
    assert smtp_sink.wait_for(1, timeout=1) == []


def test_recipient_order_and_missing_lines() -> None:
    record = {"school": {"contact": {"email": None}},
              "safeguarding": {"dsl": {"email": "dsl@school.example.org"}}}
    assert recipient(record, "a@school.example.org") == "dsl@school.example.org"
    assert recipient({}, "Office <a@school.example.org>") == "a@school.example.org"
    assert recipient({}, "not an address") is None
    flags = [{"code": "missing_field", "field": "pupil.upn", "message": "UPN is missing"},
             {"code": "risk_indicators_present", "field": None, "message": "neglect"},
             {"code": "invalid_value", "field": "pupil.upn", "message": "UPN X1 is invalid"},
             {"code": "possible_duplicate", "field": None, "message": "CME-2026-000001"}]
    lines = missing_lines(flags)
    assert lines == ["UPN is missing", "Please check the value given for pupil.upn."]
    email = compose(reference="CME-2026-000009", flags=flags, to="a@school.example.org",
                    sender=SENDER, in_reply_to="<x@y>")
    assert "neglect" not in email.get_content() and "X1" not in email.get_content()
