"""When the database cannot be written: the reason in words, and ``status`` still shows it.

Real SQLite in the failing states a council's server reaches: a full disk (``PRAGMA
max_page_count`` makes SQLite answer exactly as on a full file system: "database or disk is
full") and a read-only database (``PRAGMA query_only``: "attempt to write a readonly
database"). The daemon's error cannot be written to the database then; ``cme-intake status``
shows it from the running daemons' memory-backed status file.
"""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from sqlalchemy import event, text
from typer.testing import CliRunner

from intake.config import DaemonSettings, DatabaseSettings, MailboxSettings, Settings
from intake.mailbox import run_daemon
from intake.mailbox.checks import status_report
from intake.mailbox.db_faults import database_reason
from models.db import make_engine, migrate
from tests.services.dovecot import referral_email


@pytest.fixture(autouse=True)
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The status file in the test's own folder (systemd's RuntimeDirectory in production)."""
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(tmp_path))


def setup(tmp_path: Path) -> tuple[Settings, Path]:
    box = mailbox.Maildir(tmp_path / "ene", create=True)
    box.add(referral_email(1))
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    migrate(make_engine(url))
    settings = Settings(database=DatabaseSettings(url=url), mailbox=[MailboxSettings(
        key="ene", source="maildir", path=str(tmp_path / "ene"), poll_interval=0.2)],
        daemon=DaemonSettings(backoff_initial=0.05, backoff_cap=0.1, once_attempts=2))
    config = tmp_path / "cme.toml"
    config.write_text(f'[database]\nurl = "{url}"\n\n[[mailbox]]\nkey = "ene"\n'
                      f'source = "maildir"\npath = "{tmp_path / "ene"}"\n')
    return settings, config


def failing_engine(url: str, pragma: str) -> object:
    engine = make_engine(url)
    if pragma == "max_page_count":
        with engine.connect() as connection:
            pages = connection.execute(text("PRAGMA page_count")).scalar()
        statement = f"PRAGMA max_page_count = {pages}"
    else:
        statement = "PRAGMA query_only = ON"
    event.listen(engine, "connect", lambda dbapi, _record: dbapi.execute(statement))
    engine.dispose()
    return engine


@pytest.mark.parametrize("pragma, words", [
    ("max_page_count", "the disk holding the database is full"),
    ("query_only", "the database is read-only"),
])
def test_the_reason_is_named_and_status_shows_it_from_memory(tmp_path: Path, pragma: str,
                                                              words: str) -> None:
    settings, config = setup(tmp_path)
    engine = failing_engine(settings.database.url, pragma)
    assert run_daemon(settings, once=True, engine=engine) == 1  # type: ignore[arg-type]
    rows, note = status_report(settings)
    [row] = rows
    assert note is None and words in row["last_error"]
    from intake.cli import app

    result = CliRunner().invoke(app, ["status", "--config", str(config)])
    assert result.exit_code == 0 and words.split(":")[0][:30] in " ".join(result.output.split())


def test_status_without_a_readable_database_shows_the_daemons_and_says_so(tmp_path: Path) -> None:
    settings, _config = setup(tmp_path)
    engine = failing_engine(settings.database.url, "query_only")
    assert run_daemon(settings, once=True, engine=engine) == 1  # type: ignore[arg-type]
    for leftover in tmp_path.glob("cases.db-*"):
        leftover.unlink()
    (tmp_path / "cases.db").write_bytes(b"this is not a database " * 200)
    rows, note = status_report(settings)
    assert note and "cannot be read" in note
    assert [r["mailbox"] for r in rows] == ["ene"] and "read-only" in rows[0]["last_error"]


def test_a_successful_poll_after_the_fault_is_shown_too(tmp_path: Path) -> None:
    settings, _config = setup(tmp_path)
    assert run_daemon(settings, once=True, engine=failing_engine(  # type: ignore[arg-type]
        settings.database.url, "query_only")) == 1
    assert run_daemon(settings, once=True) == 0
    [row] = status_report(settings)[0]
    assert row["last_poll_ok_at"] >= row["last_error_at"]


class _DriverError(Exception):
    def __init__(self, text: str, pgcode: str | None = None) -> None:
        super().__init__(text)
        self.pgcode = pgcode


@pytest.mark.parametrize("error, words", [
    (_DriverError("could not extend file: No space left on device", "53100"), "disk"),
    (_DriverError("cannot execute INSERT in a read-only transaction", "25006"), "read-only"),
    (_DriverError('connection to server at "db" (10.0.0.5), port 5432 failed: Connection '
                  'refused'), "cannot be reached"),
    (_DriverError("database is locked"), "locked"),
    (_DriverError("unable to open database file"), "cannot be opened"),
    (_DriverError("syntax error at or near \"SELECT\" 'Testperson'"), "database error"),
])
def test_database_reasons_quote_no_statement_or_value(error: Exception, words: str) -> None:
    reason = database_reason(error)
    assert words in reason and "Testperson" not in reason and "10.0.0.5" not in reason
