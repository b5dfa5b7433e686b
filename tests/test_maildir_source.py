"""The Maildir source end to end: real Maildir, real store, real SQLite database."""

from __future__ import annotations

import mailbox
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intake.config import DaemonSettings, DatabaseSettings, MailboxSettings, Settings
from intake.ingest import ingest_message
from intake.mailbox import run_daemon, status_rows
from intake.mailbox.backoff import Backoff
from intake.mailbox.worker import Store
from models.db import make_engine, migrate, session_scope
from models.store import SourceRef
from models.tables import Message
from tests.services.dovecot import referral_email


def settings_for(tmp_path: Path, **mailbox: object) -> Settings:
    box = MailboxSettings(key="ene", source="maildir", path=str(tmp_path / "ene"),
                          poll_interval=0.2, **mailbox)  # type: ignore[arg-type]
    return Settings(database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'cases.db'}"),
                    mailbox=[box], daemon=DaemonSettings(backoff_initial=0.05, backoff_cap=0.2))


def messages(engine: object) -> list[Message]:
    with session_scope(engine, readonly=True) as session:  # type: ignore[arg-type]
        return list(session.scalars(select(Message).order_by(Message.id)))


def folder_sizes(path: Path) -> tuple[int, int, int]:
    box = mailbox.Maildir(path, create=False)
    return len(box), len(box.get_folder("Processed")), len(box.get_folder("Failed"))


def test_once_ingests_every_message_and_moves_it(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "ene", create=True)
    for n in range(3):
        box.add(referral_email(n))
    settings = settings_for(tmp_path)
    assert run_daemon(settings, once=True) == 0
    assert folder_sizes(tmp_path / "ene") == (0, 3, 0)
    engine = make_engine(settings.database.url)
    rows = messages(engine)
    assert len(rows) == 3 and all(r.moved and r.source == "maildir" for r in rows)
    assert {r.source_key for r in rows} and all(r.mailbox == "ene" for r in rows)
    [status] = status_rows(engine)
    assert status["mailbox"] == "ene" and status["waiting"] == 0 and status["last_poll_ok_at"]


def test_missing_maildir_is_created_but_never_its_parents(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    settings.mailbox[0].path = str(tmp_path / "srv" / "mail" / "ene")
    assert run_daemon(settings, once=True) == 1  # a mistyped path: nothing is created
    assert not (tmp_path / "srv").exists()
    [row] = status_rows(make_engine(settings.database.url))
    assert "mail that should hold the Maildir ene does not exist" in row["last_error"]
    (tmp_path / "srv" / "mail").mkdir(parents=True)
    assert run_daemon(settings, once=True) == 0
    assert folder_sizes(tmp_path / "srv" / "mail" / "ene") == (0, 0, 0)


def test_oversized_message_is_failed_with_its_reason_and_never_parsed(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "ene", create=True)
    box.add(referral_email(1, padding=200_000))
    settings = settings_for(tmp_path, max_message_bytes=100_000)
    assert run_daemon(settings, once=True) == 0
    assert folder_sizes(tmp_path / "ene") == (0, 0, 1)
    [row] = messages(make_engine(settings.database.url))
    assert row.status == "failed" and row.moved
    assert "over the 100000-byte limit" in (row.error or "")
    assert status_rows(make_engine(settings.database.url))[0]["failed"] == 1


def test_stored_but_unmoved_message_is_moved_without_reingesting(tmp_path: Path) -> None:
    """The crash window: committed, then killed before the move."""
    box = mailbox.Maildir(tmp_path / "ene", create=True)
    key = box.add(referral_email(7))
    settings = settings_for(tmp_path)
    engine = make_engine(settings.database.url)
    migrate(engine)
    from intake.core.rules import RuleSettings

    outcome = ingest_message(engine, raw=box.get_bytes(key), settings=RuleSettings(),
                             source=SourceRef(mailbox="ene", source="maildir",
                                              account=str(tmp_path / "ene"), folder="INBOX",
                                              source_key=key))
    assert not outcome.moved
    assert run_daemon(settings, once=True, engine=engine) == 0
    assert folder_sizes(tmp_path / "ene") == (0, 1, 0)
    [row] = messages(engine)
    assert row.id == outcome.message_pk and row.moved


def test_a_second_copy_of_a_stored_message_is_moved_not_stored_again(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "ene", create=True)
    raw = referral_email(3)
    box.add(raw)
    settings = settings_for(tmp_path)
    assert run_daemon(settings, once=True) == 0
    box.add(raw)
    assert run_daemon(settings, once=True) == 0
    assert folder_sizes(tmp_path / "ene") == (0, 2, 0)
    assert len(messages(make_engine(settings.database.url))) == 1


def test_a_message_that_keeps_failing_goes_to_failed_after_max_attempts(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "ene", create=True)
    box.add(referral_email(1))
    box.add(referral_email(2))
    real = Store.default()
    calls: list[int] = []

    def flaky_ingest(engine: object, **kwargs: object) -> object:
        if b"referral-1-" in kwargs["raw"]:  # type: ignore[operator]
            calls.append(1)
            raise RuntimeError("parser bug")
        return real.ingest_message(engine, **kwargs)

    store = Store(flaky_ingest, real.mark_moved, real.unmoved, real.record_poll, real.source_ref)
    settings = settings_for(tmp_path)
    assert run_daemon(settings, once=True, store=store) == 0
    assert len(calls) == settings.daemon.max_attempts
    assert folder_sizes(tmp_path / "ene") == (0, 1, 1)
    rows = messages(make_engine(settings.database.url))
    failed = [r for r in rows if r.status == "failed"]
    assert len(failed) == 1 and "RuntimeError" in (failed[0].error or "")


def test_daemon_picks_up_new_mail_promptly_and_stops_on_request(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    settings.mailbox[0].poll_interval = 30  # only the new/ watch can make this prompt
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(
        run_daemon(settings, once=False, stop_event=stop)))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "ene" / ".Processed").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        mailbox.Maildir(tmp_path / "ene").add(referral_email(5))
        deadline = time.monotonic() + 10
        while folder_sizes(tmp_path / "ene")[1] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert folder_sizes(tmp_path / "ene") == (0, 1, 0)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert result == [0] and not thread.is_alive()


def test_unusable_maildir_is_a_fault_that_once_reports(tmp_path: Path) -> None:
    (tmp_path / "ene").write_text("not a folder")
    settings = settings_for(tmp_path)
    assert run_daemon(settings, once=True) == 1
    engine = make_engine(settings.database.url)
    [row] = status_rows(engine)
    assert "is not a Maildir (it needs cur/, new/ and tmp/)" in row["last_error"]


@pytest.mark.parametrize("failures, ceiling", [(0, 1.0), (3, 8.0), (20, 300.0)])
def test_backoff_is_exponential_jittered_and_capped(failures: int, ceiling: float) -> None:
    backoff = Backoff(initial=1.0, cap=300.0, failures=failures)
    delay = backoff.next()
    assert ceiling / 2 <= delay <= ceiling


def test_status_rows_count_failed_messages_per_mailbox(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    migrate(engine)
    assert status_rows(engine) == []
    with session_scope(engine, readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
