"""The daemon against a real Dovecot: IDLE, UIDVALIDITY changes, MOVE-less servers, restarts."""
# ruff: noqa: F811  (pytest fixtures imported from tests.services are parameters here)

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.config import DaemonSettings, DatabaseSettings, MailboxSettings, Settings
from intake.core.rules import RuleSettings
from intake.ingest import ingest_message
from intake.mailbox import run_daemon, status_rows
from models.db import make_engine, migrate, session_scope
from models.store import SourceRef
from models.tables import Message
from tests.services.dovecot import (  # noqa: F401  (fixtures)
    DovecotServer,
    dovecot,
    dovecot_nomove,
    referral_email,
    start_dovecot,
    stop_dovecot,
)

pytestmark = pytest.mark.dovecot
REPO = Path(__file__).resolve().parents[1]


def imap_settings(server: DovecotServer, tmp_path: Path, *users: tuple[str, str],
                  **extra: object) -> Settings:
    boxes = []
    for (key, user), password in zip(users, [server.password] * len(users), strict=True):
        secret = tmp_path / f"{key}.pw"
        secret.write_text(str(extra.pop(f"{key}_password", password)))
        boxes.append(MailboxSettings(key=key, host=server.host, port=server.port, tls="none",
                                     username=user, password_file=str(secret),
                                     poll_interval=float(extra.get("poll_interval", 30))))  # type: ignore[arg-type]
    return Settings(database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'cases.db'}"),
                    mailbox=boxes,
                    daemon=DaemonSettings(backoff_initial=0.1, backoff_cap=1.0,
                                          idle_check_seconds=1.0))


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@contextmanager
def running(settings: Settings) -> Iterator[None]:
    stop = threading.Event()
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(
        run_daemon(settings, once=False, stop_event=stop)), name="daemon")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive(), "the daemon did not stop"
    assert result == [0]


def rows(settings: Settings) -> list[Message]:
    with session_scope(make_engine(settings.database.url), readonly=True) as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def test_mail_appended_while_idling_is_ingested_and_moved(dovecot: DovecotServer,
                                                          tmp_path: Path) -> None:
    user, _ = dovecot.new_user("cme")
    settings = imap_settings(dovecot, tmp_path, ("cme", user))
    with running(settings):
        assert wait_until(lambda: "Processed" in dovecot.folders(user))
        time.sleep(0.3)  # now idling
        dovecot.append_many(user, [referral_email(n) for n in range(3)])
        assert wait_until(lambda: dovecot.count(user, "Processed") == 3, timeout=10)
    assert dovecot.count(user) == 0
    stored = rows(settings)
    assert len(stored) == 3 and all(r.moved and r.uid and r.uidvalidity for r in stored)
    with dovecot.client(user) as client:
        client.select_folder("Processed", readonly=True)
        flags = client.get_flags(client.search("ALL"))
    assert not any(b"\\Seen" in f for f in flags.values()), "fetching must not mark mail read"


def test_uidvalidity_change_moves_without_reingesting(dovecot: DovecotServer,
                                                      tmp_path: Path) -> None:
    user, _ = dovecot.new_user("cme")
    raws = [referral_email(n) for n in range(3)]
    dovecot.append_many(user, raws[:2])
    settings = imap_settings(dovecot, tmp_path, ("cme", user))
    assert run_daemon(settings, once=True) == 0
    old = dovecot.uidvalidity(user)
    engine = make_engine(settings.database.url)
    # The crash window for the third: stored under the old UIDVALIDITY, never moved.
    dovecot.append_many(user, raws)
    with dovecot.client(user) as client:
        client.select_folder("INBOX", readonly=True)
        third_uid = max(client.search("ALL"))
    pending = ingest_message(engine, raw=raws[2], settings=RuleSettings(), source=SourceRef(
        mailbox="cme", source="imap", account=f"{user}@{dovecot.host}", folder="INBOX",
        uidvalidity=old, uid=third_uid))
    dovecot.set_uidvalidity(user, "INBOX", old + 1000)  # the folder was "recreated"
    assert run_daemon(settings, once=True) == 0
    stored = rows(settings)
    assert len(stored) == 3 and all(r.moved for r in stored)
    assert {r.id for r in stored if r.id == pending.message_pk}
    assert dovecot.count(user) == 0 and dovecot.count(user, "Processed") == 5
    [state] = status_rows(engine)
    assert state["uidvalidity"] == old + 1000


def test_moveless_server_gets_copy_and_uid_expunge(dovecot_nomove: DovecotServer,
                                                   tmp_path: Path) -> None:
    server = dovecot_nomove
    user, _ = server.new_user("cme")
    # 13: a backlog is moved in sets (MOVE_BATCH = 10), so this copies a set of 10 and of 3.
    server.append_many(user, [referral_email(n) for n in range(13)])
    settings = imap_settings(server, tmp_path, ("cme", user))
    assert run_daemon(settings, once=True) == 0
    assert (server.count(user), server.count(user, "Processed")) == (0, 13)
    assert len(rows(settings)) == 13


def test_server_restart_mid_run_is_survived(tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    server = start_dovecot()
    caplog.set_level(logging.WARNING, logger="intake.mailbox.worker")
    try:
        user, _ = server.new_user("cme")
        settings = imap_settings(server, tmp_path, ("cme", user))
        with running(settings):
            server.append(user, referral_email(1))
            assert wait_until(lambda: server.count(user, "Processed") == 1)
            server.stop()  # the master and its imap processes: the IDLE connection drops
            engine = make_engine(settings.database.url)
            assert wait_until(lambda: bool(status_rows(engine)[0]["last_error"]), timeout=15)
            faults = [r.getMessage() for r in caplog.records if " fault: " in r.getMessage()]
            assert faults and ("closed the connection" in faults[0]  # the drop itself, not
                               or "connection was lost" in faults[0]), faults  # a refusal
            server.start()
            server.append_many(user, [referral_email(2), referral_email(3)])
            assert wait_until(lambda: server.count(user, "Processed") == 3, timeout=90)
        assert len(rows(settings)) == 3
    finally:
        stop_dovecot(server)


def test_one_failing_mailbox_never_stalls_another(dovecot: DovecotServer, tmp_path: Path) -> None:
    good, _ = dovecot.new_user("cme")
    bad, _ = dovecot.new_user("ene")
    settings = imap_settings(dovecot, tmp_path, ("cme", good), ("ene", bad),
                             ene_password="wrong-password-123")
    with running(settings):
        dovecot.append(good, referral_email(1))
        assert wait_until(lambda: dovecot.count(good, "Processed") == 1, timeout=10)
        engine = make_engine(settings.database.url)
        assert wait_until(lambda: any(r["mailbox"] == "ene" and r["last_error"]
                                      for r in status_rows(engine)), timeout=10)
    states = {r["mailbox"]: r for r in status_rows(make_engine(settings.database.url))}
    assert "login refused" in states["ene"]["last_error"]
    assert "wrong-password-123" not in states["ene"]["last_error"]
    assert states["cme"]["last_poll_ok_at"] is not None


def test_a_reply_threads_onto_its_case(dovecot: DovecotServer, tmp_path: Path) -> None:
    user, _ = dovecot.new_user("cme")
    first = referral_email(1)
    dovecot.append(user, first)
    settings = imap_settings(dovecot, tmp_path, ("cme", user))
    assert run_daemon(settings, once=True) == 0
    [original] = rows(settings)
    assert original.case_id is not None, "the referral form should have made a case"
    dovecot.append(user, referral_email(2, docx=False, subject="Re: CME referral",
                                        in_reply_to=original.message_id))
    assert run_daemon(settings, once=True) == 0
    reply = rows(settings)[1]
    assert reply.status == "threaded" and reply.case_id == original.case_id


def test_sigterm_finishes_and_exits_cleanly(dovecot: DovecotServer, tmp_path: Path) -> None:
    user, _ = dovecot.new_user("cme")
    (tmp_path / "pw").write_text(dovecot.password)
    config = tmp_path / "cme.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "cases.db"}"\n'
        f'[[mailbox]]\nkey = "cme"\nhost = "127.0.0.1"\nport = {dovecot.port}\ntls = "none"\n'
        f'username = "{user}"\npassword_file = "{tmp_path / "pw"}"\n')
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen([sys.executable, "-m", "intake.mailbox.daemon", "--config",
                                str(config)], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_until(lambda: "Processed" in dovecot.folders(user), timeout=30)
        dovecot.append(user, referral_email(1))
        assert wait_until(lambda: dovecot.count(user, "Processed") == 1, timeout=15)
        time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
    log = process.stderr.read().decode() if process.stderr else ""
    assert "finishing the message in hand" in log
    assert user not in log and "Testperson" not in log and dovecot.password not in log


def test_two_daemons_on_one_sqlite_database_store_each_message_once(dovecot: DovecotServer,
                                                                    tmp_path: Path) -> None:
    user, _ = dovecot.new_user("cme")
    dovecot.append_many(user, [referral_email(n, docx=(n % 10 == 0)) for n in range(40)])
    settings = imap_settings(dovecot, tmp_path, ("cme", user))
    migrate(make_engine(settings.database.url))
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(run_daemon(
        settings, once=True, engine=make_engine(settings.database.url)))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [0, 0]
    stored = rows(settings)
    assert len(stored) == 40 and len({r.message_id for r in stored}) == 40
    assert all(r.moved for r in stored)
    assert (dovecot.count(user), dovecot.count(user, "Processed")) == (0, 40)
