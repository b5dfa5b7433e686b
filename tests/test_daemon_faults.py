"""Faults that a real server will not produce on demand: throttling, database outages.

A small fake mailbox (the one place a fault must be injected) in front of the real store and a
real SQLite database; plus the log redaction that keeps credentials out of every line.
"""
# ruff: noqa: F811  (pytest fixtures imported from tests.services are parameters here)

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from intake.config import DaemonSettings, DatabaseSettings, MailboxSettings, Settings
from intake.mailbox import run_daemon
from intake.mailbox.faults import Throttled
from intake.mailbox.lease import MailboxLease
from intake.mailbox.redact import RedactingFilter, redact, register_secret
from intake.mailbox.sources import Candidate, Target
from intake.mailbox.worker import Store
from models.db import make_engine, session_scope
from models.tables import Message
from tests.services.dovecot import referral_email
from tests.services.postgres import pg_cluster, pg_database_url, pg_engine  # noqa: F401


class FakeMailbox:
    """An in-memory mailbox that can refuse service a given number of times."""

    source = "imap"
    mailbox = "cme"
    account = "cme@fake"
    folder = "INBOX"
    uidvalidity = 7

    def __init__(self, raws: list[bytes], faults: list[Exception]) -> None:
        self.inbox = dict(enumerate(raws, start=1))
        self.moved: dict[int, Target] = {}
        self.faults = faults
        self.opens = 0

    def open(self) -> None:
        self.opens += 1

    def close(self) -> None:
        pass

    def waiting(self) -> list[int | str]:
        if self.faults:
            raise self.faults.pop(0)
        return sorted(self.inbox)

    def describe(self, keys: list[int | str]) -> list[Candidate]:
        return [Candidate(key=k, size=len(self.inbox[int(k)])) for k in keys if int(k) in self.inbox]

    def fetch(self, key: int | str) -> bytes | None:
        return self.inbox.get(int(key))

    def fetch_headers(self, key: int | str) -> bytes | None:
        return self.inbox.get(int(key))

    def locate(self, *, key: int | str | None, message_id: str | None,
               uidvalidity: int | None) -> int | str | None:
        return int(key) if key is not None and int(key) in self.inbox else None

    def move(self, key: int | str, target: Target) -> None:
        if self.inbox.pop(int(key), None) is not None:
            self.moved[int(key)] = target

    def move_many(self, keys: list[int | str], target: Target) -> None:
        for key in keys:
            self.move(key, target)

    def wait(self, seconds: float, stop: threading.Event) -> None:
        stop.wait(min(seconds, 0.05))


def settings_for(tmp_path: Path) -> Settings:
    box = MailboxSettings(key="cme", source="maildir", path=str(tmp_path / "unused"))
    return Settings(database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'cases.db'}"),
                    mailbox=[box], daemon=DaemonSettings(backoff_initial=0.05, backoff_cap=0.1,
                                                         once_attempts=5))


def test_throttling_hint_is_obeyed_then_work_resumes(tmp_path: Path) -> None:
    fake = FakeMailbox([referral_email(1)], [Throttled("throttled", retry_after=0.4)])
    settings = settings_for(tmp_path)
    settings.daemon.backoff_cap = 1.0
    began = time.monotonic()
    assert run_daemon(settings, once=True, sources=lambda _mb: fake) == 0
    assert time.monotonic() - began >= 0.4  # waited at least the server's hint
    assert fake.moved == {1: "processed"} and fake.opens == 2


def test_database_outage_is_retried_not_blamed_on_the_message(tmp_path: Path) -> None:
    fake = FakeMailbox([referral_email(1), referral_email(2)], [])
    real = Store.default()
    outages = [OperationalError("INSERT", {}, Exception("database is locked"))] * 2

    def ingest(engine: object, **kwargs: object) -> object:
        if outages:
            raise outages.pop()
        return real.ingest_message(engine, **kwargs)

    store = Store(ingest, real.mark_moved, real.unmoved, real.record_poll, real.source_ref)
    settings = settings_for(tmp_path)
    assert run_daemon(settings, once=True, sources=lambda _mb: fake, store=store) == 0
    assert fake.moved == {1: "processed", 2: "processed"}
    with session_scope(make_engine(settings.database.url), readonly=True) as session:
        rows = list(session.scalars(select(Message)))
    assert len(rows) == 2 and not any(r.status == "failed" for r in rows)


def test_once_gives_up_on_a_mailbox_that_keeps_failing(tmp_path: Path) -> None:
    from intake.mailbox.faults import SourceUnavailable

    fake = FakeMailbox([referral_email(1)], [SourceUnavailable("down")] * 10)
    assert run_daemon(settings_for(tmp_path), once=True, sources=lambda _mb: fake) == 1
    assert fake.inbox  # nothing lost: still waiting for the next run


@pytest.mark.parametrize("line, secret", [
    ("> a001 LOGIN cme@example.org \"p@ss w0rd!\"", "p@ss w0rd!"),
    ("> a002 AUTHENTICATE XOAUTH2 dXNlcj1jbWUBYXV0aD1CZWFyZXIgZXlKMGVYQWlPaUpLVjFRaUxD",
     "dXNlcj1jbWUBYXV0aD1CZWFyZXIgZXlKMGVYQWlPaUpLVjFRaUxD"),
    ("user=cme\x01auth=Bearer eyJ0eXAiOiJKV1QiLCJub25jZSI6\x01", "eyJ0eXAiOiJKV1QiLCJub25jZSI6"),
    ("POST grant_type=client_credentials&client_secret=Abc~123.xyz&scope=x", "Abc~123.xyz"),
    ('{"access_token": "tok.en-value_123", "expires_in": 3599}', "tok.en-value_123"),
    ("> b'KBAG3 LOGIN cme@example.org SeCret-Pw-42'", "SeCret-Pw-42"),
    ("Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOi", "eyJ0eXAiOiJKV1Qi"),
])
def test_credentials_never_reach_a_log_line(line: str, secret: str) -> None:
    assert secret not in redact(line)


@pytest.mark.parametrize("line", [
    "login refused for cme",
    "mailbox cme (outlook.office365.com:993, tls=implicit): login refused for "
    "cme@council.example.org (wrong user name or password). Check the password in "
    "password_env/password_file.",
    "the LOGIN failed for the cme mailbox",
    "a002 NO [AUTHENTICATIONFAILED] AUTHENTICATE failed.",
    "Bearer authentication is required for this mailbox",
    "the password: it was changed yesterday",
    "access_token missing from the reply",
    "no password_env or password_file configured",
])
def test_plain_english_is_left_alone(line: str) -> None:
    assert redact(line) == line


def test_registered_secrets_are_masked_in_messages_and_arguments(
        caplog: pytest.LogCaptureFixture) -> None:
    register_secret("S3cret-Registered-Value")
    logger = logging.getLogger("tests.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="tests.redaction"):
        logger.info("connecting with %s", "S3cret-Registered-Value")
        try:
            raise ValueError("bad S3cret-Registered-Value")
        except ValueError:
            logger.exception("failed")
    assert "S3cret-Registered-Value" not in caplog.text
    assert "***" in caplog.text


def _exclusive(engine: object) -> None:
    first, second = MailboxLease(engine, "cme"), MailboxLease(engine, "cme")  # type: ignore[arg-type]
    other = MailboxLease(engine, "ene")  # type: ignore[arg-type]
    try:
        assert first.acquire() and first.held()
        assert not second.acquire()  # a second daemon stands by
        assert other.acquire()  # other mailboxes are independent
        first.release()
        assert second.acquire()  # and takes over when the first lets go (or dies)
    finally:
        for lease in (first, second, other):
            lease.release()


def test_sqlite_mailbox_lease_is_exclusive(tmp_path: Path) -> None:
    _exclusive(make_engine(f"sqlite:///{tmp_path / 'cases.db'}"))


@pytest.mark.postgres
def test_postgresql_mailbox_lease_is_exclusive(pg_engine: object) -> None:
    _exclusive(pg_engine)
