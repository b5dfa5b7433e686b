"""The daemon on a ``source = "graph"`` mailbox, against the loopback Graph server.

The same worker, ledger and store as IMAP: the golden emails give the same records through
Graph as through a real IMAP server, a message stored but not moved before a crash is moved
without being ingested again, two daemons on one database store each message once, and a
throttled mailbox waits as Graph asks and then finishes. The SIGKILL crash tests are in
tests/test_crash.py.
"""
# ruff: noqa: F811  (pytest fixtures imported from tests.services are parameters here)

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from intake.config import DaemonSettings, DatabaseSettings, Settings
from intake.mailbox import check_config, run_daemon
from models.db import make_engine, migrate, session_scope
from models.store import SourceRef
from models.tables import Case, Message
from tests.services.dovecot import (  # noqa: F401  (fixtures)
    DovecotServer,
    dovecot,
    referral_email,
)
from tests.services.graph import (  # noqa: F401  (fixture)
    GraphServer,
    graph_server,
    mailbox_settings,
)

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
RECEIVED = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def graph_settings(graph: GraphServer, tmp_path: Path, upn: str, *,
                   name: str = "cases.db", **extra: Any) -> Settings:
    app = graph.register_app(secret="s3cret-Graph-Value")
    return Settings(database=DatabaseSettings(url=f"sqlite:///{tmp_path / name}"),
                    mailbox=[mailbox_settings(graph, upn, app, tmp_path, poll_interval=0.2,
                                              **extra)],
                    daemon=DaemonSettings(backoff_initial=0.1, backoff_cap=1.0))


def rows(url: str) -> list[Message]:
    with session_scope(make_engine(url), readonly=True) as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def records(url: str) -> dict[str, tuple[str, str | None, dict | None]]:
    """Per Message-ID: status, flag codes and the case record (None without a case)."""
    with session_scope(make_engine(url), readonly=True) as session:
        found = session.execute(select(Message, Case).outerjoin(Case, Message.case_id == Case.id))
        return {str(m.message_id): (m.status, m.flag_codes, c.record if c else None)
                for m, c in found}


@pytest.mark.dovecot
def test_golden_emails_give_the_same_records_through_graph_as_through_imap(
        graph_server: GraphServer, dovecot: DovecotServer, tmp_path: Path) -> None:
    from tests.test_daemon_imap import imap_settings

    raws = [path.read_bytes() for path in sorted(GOLDEN.glob("e*.eml"))]
    assert len(raws) >= 10, "golden emails missing: python -m tests.fixtures.generate"
    user, _ = dovecot.new_user("golden")
    with dovecot.client(user) as client:
        for n, raw in enumerate(raws):
            client.append("INBOX", raw, msg_time=RECEIVED + timedelta(minutes=n))
    upn = graph_server.new_mailbox("golden")
    for n, raw in enumerate(raws):
        graph_server.deliver(upn, raw, received=RECEIVED + timedelta(minutes=n))
    imap = imap_settings(dovecot, tmp_path, ("cme", user))
    graph = graph_settings(graph_server, tmp_path, upn, name="graph.db")
    assert run_daemon(imap, once=True) == 0
    assert run_daemon(graph, once=True) == 0
    through_imap, through_graph = records(imap.database.url), records(graph.database.url)
    assert len(through_graph) == len(raws)
    assert sum(1 for _s, _f, record in through_graph.values() if record) >= len(raws) // 2
    assert through_graph == through_imap
    assert graph_server.store.count(upn, "inbox") == 0
    done = graph_server.store.count(upn, "Processed") + graph_server.store.count(upn, "Failed")
    assert done == len(raws)


def test_mail_arriving_while_running_is_ingested_and_moved(graph_server: GraphServer,
                                                           tmp_path: Path) -> None:
    upn = graph_server.new_mailbox()
    settings = graph_settings(graph_server, tmp_path, upn)
    stop, result = threading.Event(), []
    thread = threading.Thread(target=lambda: result.append(
        run_daemon(settings, once=False, stop_event=stop)))
    thread.start()
    try:
        for n in range(3):
            graph_server.deliver(upn, referral_email(n))
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while graph_server.store.count(upn, "Processed") < 3 and datetime.now(UTC) < deadline:
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert result == [0] and graph_server.store.count(upn, "Processed") == 3
    stored = rows(settings.database.url)
    assert len(stored) == 3 and all(r.moved and r.source == "graph" for r in stored)
    assert {r.source_key for r in stored} == {m.immutable_id for m in
                                              graph_server.store.messages(upn, "Processed")}


def test_stored_but_not_moved_before_a_crash_is_moved_not_ingested_again(
        graph_server: GraphServer, tmp_path: Path) -> None:
    from intake.core.rules import RuleSettings
    from intake.ingest import ingest_message

    upn = graph_server.new_mailbox()
    raws = [referral_email(n) for n in range(2)]
    keys = [graph_server.deliver(upn, raw) for raw in raws]
    settings = graph_settings(graph_server, tmp_path, upn)
    engine = make_engine(settings.database.url)
    migrate(engine)
    pending = ingest_message(engine, raw=raws[0], settings=RuleSettings(), source=SourceRef(
        mailbox="cme", source="graph", account=upn, folder="INBOX", source_key=keys[0]))
    assert run_daemon(settings, once=True) == 0
    stored = rows(settings.database.url)
    assert len(stored) == 2 and all(r.moved for r in stored)
    assert stored[0].id == pending.message_pk
    assert graph_server.store.count(upn, "Processed") == 2


def test_two_daemons_on_one_database_store_each_message_once(graph_server: GraphServer,
                                                             tmp_path: Path) -> None:
    upn = graph_server.new_mailbox()
    for n in range(30):
        graph_server.deliver(upn, referral_email(n, docx=(n % 10 == 0)))
    settings = graph_settings(graph_server, tmp_path, upn)
    migrate(make_engine(settings.database.url))
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(run_daemon(
        settings, once=True, engine=make_engine(settings.database.url)))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [0, 0]
    stored = rows(settings.database.url)
    assert len(stored) == 30 and len({r.message_id for r in stored}) == 30
    assert all(r.moved for r in stored)
    assert graph_server.store.count(upn, "Processed") == 30


def test_a_throttled_mailbox_waits_as_asked_then_finishes(graph_server: GraphServer,
                                                          tmp_path: Path) -> None:
    upn = graph_server.new_mailbox()
    for n in range(3):
        graph_server.deliver(upn, referral_email(n, docx=False))
    settings = graph_settings(graph_server, tmp_path, upn)
    graph_server.throttle(3, retry_after=0.3)
    assert run_daemon(settings, once=True) == 0
    assert graph_server.store.count(upn, "Processed") == 3


def test_check_config_reports_a_graph_mailbox(graph_server: GraphServer, tmp_path: Path) -> None:
    upn = graph_server.new_mailbox()
    graph_server.deliver(upn, referral_email(1, docx=False))
    settings = graph_settings(graph_server, tmp_path, upn)
    [result] = check_config(settings)
    assert result.ok, result.problems
    assert any("1 message(s) waiting" in note for note in result.notes)
    assert any("'Processed' is missing" in note for note in result.notes)
    denied = graph_server.register_app(secret="s3cret-Graph-Value", mailboxes=set())
    settings.mailbox = [mailbox_settings(graph_server, upn, denied, tmp_path)]
    [result] = check_config(settings)
    assert not result.ok and "application access policy" in result.problems[0]
