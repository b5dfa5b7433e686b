"""Exactly once under SIGKILL: 300 messages, the daemon killed at 20 seeded random moments.

Each round starts real daemon processes (``python -m intake.mailbox.daemon``), waits until
they are connected (for Graph: and storing messages), lets them run for a random moment and
kills them with SIGKILL — so kills land before, inside and after the store's commit and around the IMAP
MOVE. A final ``--once`` run drains what is left. Every message must then be exactly once
in the database and exactly once in the processed folder: none lost, none duplicated.
The PostgreSQL variant runs two daemons at once on the same mailbox and database: one works
the mailbox, the other stands by on its lease, and kills hit either. The same two tests run
on a Microsoft Graph mailbox (the loopback Graph server of tests.services.graph, which lives
in this process and so outlives every daemon): kills then land around the delta query, the
$value download and the move.
"""
# ruff: noqa: F811  (pytest fixtures imported from tests.services are parameters here)

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models.db import make_engine, session_scope
from models.tables import Message
from tests.services.dovecot import DovecotServer, dovecot, referral_docx, referral_email  # noqa: F401
from tests.services.graph import App, GraphServer, graph_server, thumbprint  # noqa: F401
from tests.services.postgres import pg_cluster, pg_database_url  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.dovecot]
REPO = Path(__file__).resolve().parents[1]
MESSAGES = 300
KILLS = 20
SEED = 20260401


def write_config(tmp_path: Path, server: DovecotServer, user: str, database_url: str) -> Path:
    (tmp_path / "pw").write_text(server.password)
    config = tmp_path / "cme.toml"
    config.write_text(
        f'[database]\nurl = "{database_url}"\n\n'
        f'[[mailbox]]\nkey = "cme"\nhost = "127.0.0.1"\nport = {server.port}\ntls = "none"\n'
        f'username = "{user}"\npassword_file = "{tmp_path / "pw"}"\npoll_interval = 1.0\n\n'
        '[daemon]\nbackoff_initial = 0.1\nbackoff_cap = 0.5\nidle_check_seconds = 0.5\n'
        'standby_check_seconds = 0.2\n')
    return config


class Daemon:
    """One daemon process whose own log tells when it is working (or standing by)."""

    started = 0

    def __init__(self, config: Path, folder: Path, *, once: bool = False) -> None:
        Daemon.started += 1
        self.log = folder / f"daemon-{Daemon.started:03d}.log"
        self.handle = open(self.log, "ab")  # noqa: SIM115 - closed in kill()
        command = [sys.executable, "-m", "intake.mailbox.daemon", "--config", str(config)]
        self.process = subprocess.Popen(command + (["--once"] if once else []), cwd=REPO,
                                        env=dict(os.environ, PYTHONPATH=str(REPO)),
                                        stdin=subprocess.DEVNULL, stdout=self.handle,
                                        stderr=self.handle)

    def ready(self) -> bool:
        """Working the mailbox, or standing by while the other daemon holds its lease."""
        text = self.log.read_bytes()
        return b"connected (" in text or b"standing by" in text

    def working(self) -> bool:
        """Storing or moving messages (so a kill lands in the middle of the work), or
        standing by."""
        text = self.log.read_bytes()
        return any(sign in text for sign in (b" status=", b"recovered after restart",
                                             b"standing by"))

    def wait_ready(self, timeout: float = 90.0, *, until_working: bool = False,
                   work_timeout: float = 5.0) -> None:
        """Until connected; with ``until_working`` also until it stores (an empty mailbox:
        at most ``work_timeout``)."""
        deadline = time.monotonic() + timeout
        while not self.ready() and self.process.poll() is None:
            assert time.monotonic() < deadline, f"daemon never got going: {self.log}"
            time.sleep(0.02)
        if not until_working:
            return
        deadline = time.monotonic() + work_timeout
        while not self.working() and self.process.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.02)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.handle.close()


def crash_emails(count: int = MESSAGES) -> list[bytes]:
    form = referral_docx()
    return [referral_email(n, docx=(n % 25 == 0), docx_bytes=form) for n in range(count)]


def message_ids(raws: list[bytes]) -> set[str]:
    return {line.split(b":", 1)[1].strip().decode() for raw in raws
            for line in raw.split(b"\n") if line.lower().startswith(b"message-id:")}


def load_mailbox(server: DovecotServer, user: str) -> set[str]:
    raws = crash_emails()
    server.append_many(user, raws)
    return message_ids(raws)


def processed_ids(server: DovecotServer, user: str) -> list[str]:
    with server.client(user) as client:
        client.select_folder("Processed", readonly=True)
        uids = client.search("ALL")
        data = client.fetch(uids, [b"BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    return [item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].split(b":", 1)[1].strip().decode()
            for item in data.values()]


def crash_rounds(config: Path, tmp_path: Path, *, daemons: int, kills: int = KILLS,
                 linger: tuple[float, float] = (0.05, 1.5), until_working: bool = False) -> None:
    rng = random.Random(SEED + daemons)
    running = [Daemon(config, tmp_path) for _ in range(daemons)]
    for _round in range(kills):
        victim = rng.randrange(daemons)
        running[victim].wait_ready(until_working=until_working)
        time.sleep(rng.uniform(*linger))
        running[victim].kill()
        running[victim] = Daemon(config, tmp_path)
    for daemon in running:
        daemon.kill()
    final = Daemon(config, tmp_path, once=True)
    assert final.process.wait(timeout=120) == 0, final.log.read_text()[-3000:]
    final.handle.close()


def assert_stored_once(database_url: str, sent: set[str]) -> None:
    engine = make_engine(database_url)
    with session_scope(engine, readonly=True) as session:
        total = session.scalar(select(func.count()).select_from(Message))
        ids = list(session.scalars(select(Message.message_id)))
        unmoved = session.scalar(select(func.count()).select_from(Message).where(
            Message.moved.is_(False)))  # type: ignore[attr-defined]
        failed = session.scalar(select(func.count()).select_from(Message).where(
            Message.status == "failed"))
    engine.dispose()
    assert total == len(sent) and set(ids) == sent, "every message stored exactly once"
    assert unmoved == 0 and failed == 0


def assert_exactly_once(server: DovecotServer, user: str, database_url: str,
                        sent: set[str]) -> None:
    assert_stored_once(database_url, sent)
    in_processed = processed_ids(server, user)
    assert len(in_processed) == MESSAGES, "every message moved exactly once"
    assert set(in_processed) == sent
    assert server.count(user) == 0 and server.count(user, "Failed") == 0


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(dovecot: DovecotServer,
                                                                tmp_path: Path) -> None:
    user, _ = dovecot.new_user("crash")
    sent = load_mailbox(dovecot, user)
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    crash_rounds(write_config(tmp_path, dovecot, user, url), tmp_path, daemons=1)
    assert_exactly_once(dovecot, user, url, sent)


@pytest.mark.postgres
def test_two_daemons_on_postgresql_killed_at_random_moments(dovecot: DovecotServer,
                                                           pg_database_url: str,
                                                           tmp_path: Path) -> None:
    user, _ = dovecot.new_user("crashpg")
    sent = load_mailbox(dovecot, user)
    crash_rounds(write_config(tmp_path, dovecot, user, pg_database_url), tmp_path, daemons=2)
    assert_exactly_once(dovecot, user, pg_database_url, sent)


# -- the same on a Microsoft Graph mailbox ---------------------------------------------------
GRAPH_MESSAGES = 160
GRAPH_KILLS = 10


def write_graph_config(tmp_path: Path, graph: GraphServer, upn: str, app: App,
                       database_url: str) -> Path:
    (tmp_path / "graph-secret").write_text(app.secret or "")
    config = tmp_path / "cme.toml"
    config.write_text(
        f'[database]\nurl = "{database_url}"\n\n'
        f'[[mailbox]]\nkey = "cme"\nsource = "graph"\nusername = "{upn}"\n'
        f'graph_url = "{graph.graph_url}"\ntls_ca_file = "{graph.cert_file}"\n'
        'poll_interval = 0.5\n\n'
        f'[mailbox.oauth2]\ntenant = "tenant-1"\nclient_id = "{app.client_id}"\n'
        f'client_secret_file = "{tmp_path / "graph-secret"}"\n'
        f'authority = "{graph.authority()}"\nca_file = "{graph.cert_file}"\n\n'
        '[daemon]\nbackoff_initial = 0.1\nbackoff_cap = 0.5\nstandby_check_seconds = 0.2\n')
    return config


def load_graph_mailbox(graph: GraphServer, upn: str) -> set[str]:
    raws = crash_emails(GRAPH_MESSAGES)
    for raw in raws:
        graph.deliver(upn, raw)
    return message_ids(raws)


def assert_exactly_once_in_graph(graph: GraphServer, upn: str, database_url: str,
                                 sent: set[str]) -> None:
    assert_stored_once(database_url, sent)
    in_processed = [m.internet_message_id for m in graph.store.messages(upn, "Processed")]
    assert len(in_processed) == len(sent), "every message moved exactly once"
    assert set(in_processed) == sent
    assert graph.store.count(upn, "inbox") == 0 and graph.store.count(upn, "Failed") == 0


def test_graph_sigkill_at_random_moments_loses_and_duplicates_nothing(
        graph_server: GraphServer, tmp_path: Path) -> None:
    upn = graph_server.new_mailbox("crash")
    app = graph_server.register_app(secret="s3cret-Graph-Value")
    sent = load_graph_mailbox(graph_server, upn)
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    config = write_graph_config(tmp_path, graph_server, upn, app, url)
    crash_rounds(config, tmp_path, daemons=1, kills=GRAPH_KILLS, linger=(0.05, 0.6),
                 until_working=True)
    assert_exactly_once_in_graph(graph_server, upn, url, sent)


@pytest.mark.postgres
def test_graph_two_daemons_on_postgresql_killed_at_random_moments(
        graph_server: GraphServer, pg_database_url: str, tmp_path: Path) -> None:
    upn = graph_server.new_mailbox("crashpg")
    app = graph_server.register_app(secret="s3cret-Graph-Value")
    sent = load_graph_mailbox(graph_server, upn)
    config = write_graph_config(tmp_path, graph_server, upn, app, pg_database_url)
    crash_rounds(config, tmp_path, daemons=2, kills=GRAPH_KILLS, linger=(0.05, 0.6),
                 until_working=True)
    assert_exactly_once_in_graph(graph_server, upn, pg_database_url, sent)
