"""Engines, sessions and schema migrations for the case database.

One database serves the intake daemon (a writer) and the review web UI (mostly a reader), on
SQLite for a single machine or PostgreSQL in production. On SQLite every connection gets
WAL, a generous busy timeout, foreign keys and ``synchronous=NORMAL``, and write transactions
start with ``BEGIN IMMEDIATE`` (SQLAlchemy's documented pysqlite recipe): pysqlite's own
deferred ``BEGIN`` lets two writers both read and then deadlock on the upgrade to a write
lock, while ``IMMEDIATE`` makes the second writer wait its turn for up to ``busy_timeout``.
Read-only sessions (``session_scope(engine, readonly=True)``) start a plain deferred
transaction, which in WAL mode never blocks and is never blocked by the writer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlmodel import Session

import models.tables  # noqa: F401  (registers every table on SQLModel.metadata)
import models.wording  # noqa: F401  (the wording decisions' table, issue 14)
from models.crypto import KeyMissing, KeyRing, attach_keyring, keyring_from_environment, keyring_of

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
READONLY_OPTION = "cme_readonly"
_MIGRATE_LOCK_KEY = 0x434D45  # "CME": serialises concurrent migrate() calls on PostgreSQL


_FROM_ENVIRONMENT: Any = object()


def make_engine(url: str, *, keyring: KeyRing | None = _FROM_ENVIRONMENT, **kwargs: Any) -> Engine:
    """An engine for ``url`` (any SQLAlchemy URL), configured for concurrent daemons.

    ``keyring`` seals and opens the encrypted columns (``models.crypto``); by default it is
    read from ``CME_DATABASE_KEY_FILE`` / ``CME_DATABASE_KEYS``, never from the settings
    file, so every shell gets it without the key passing through the settings object.
    For a file-backed SQLite database the file's folder is created first.
    """
    if keyring is _FROM_ENVIRONMENT:
        keyring = keyring_from_environment()
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(url, **kwargs)
        attach_keyring(engine, keyring)
        return engine
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, **kwargs)
    _install_sqlite_hooks(engine)
    attach_keyring(engine, keyring)
    return engine


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            _ensure_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get(READONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _ensure_wal(cursor: Any, attempts: int = 50) -> None:
    """Switch the file to WAL once; it is persistent, so later connections just check.

    The switch needs an exclusive lock and ignores ``busy_timeout``: when another process
    holds the database it silently returns the old mode, so retry briefly and check.
    """
    mode = cursor.execute("PRAGMA journal_mode").fetchone()[0].lower()
    if mode in ("wal", "memory"):
        return
    for _ in range(attempts):
        try:
            mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower()
        except Exception as exc:  # sqlite3.OperationalError: database is locked
            log.debug("journal_mode=WAL not yet possible: %s", type(exc).__name__)
            mode = ""
        if mode in ("wal", "memory"):
            return
        time.sleep(0.1)
    log.warning("SQLite database is not in WAL mode (journal_mode=%s)", mode or "unknown")


def readonly_engine(engine: Engine) -> Engine:
    """The same engine and pool, but SQLite transactions start deferred (readers only)."""
    return engine.execution_options(**{READONLY_OPTION: True})


@contextmanager
def session_scope(engine: Engine, *, readonly: bool = False) -> Iterator[Session]:
    """A session committed on success and rolled back on any exception.

    ``readonly=True`` for pages and reports: on SQLite it does not take the write lock.
    """
    bind = readonly_engine(engine) if readonly else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            if not readonly:
                session.commit()
            # A reader just closes: objects stay loaded (rollback would expire them) and the
            # pool's reset-on-return ends its transaction.
        except BaseException:
            session.rollback()
            raise


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config without an ini file; ``connection`` is used by ``env.py``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("version_path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
        config.set_main_option(
            "sqlalchemy.url", connection.engine.url.render_as_string(hide_password=True)
        )
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest), in one transaction.

    Safe to call from several processes starting at once: SQLite's ``BEGIN IMMEDIATE`` and
    an advisory lock on PostgreSQL make the second caller wait, then find nothing to do.
    """
    with engine.begin() as connection:
        _lock_for_migration(connection)
        command.upgrade(alembic_config(connection), revision)
        if revision == "head":
            check_keys(connection)
    if engine.dialect.name == "sqlite":
        # Fresh statistics keep SQLite's planner off near-useless indexes (cheap, bounded).
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA analysis_limit=400")
            connection.exec_driver_sql("PRAGMA optimize")


def check_keys(connection: Connection) -> None:
    """Refuse to go on without the database's key; record a new current key's id.

    A database whose ``datakey`` table names a current key is encrypted: a process with no
    key ring, or one that lacks that key, stops here with a message saying which key is
    needed, before it could write plaintext next to sealed rows or fail on every read.
    """
    ring = keyring_of(connection)
    current = connection.execute(text("SELECT key_id FROM datakey WHERE current")).scalar()
    if ring is None:
        if current is not None:
            raise KeyMissing(f"the case database is encrypted (key {current}) and no key was "
                             "given: set CME_DATABASE_KEY_FILE to its key file")
        return
    known = dict(ring.keys)
    if current is not None and current not in known:
        raise KeyMissing(f"the case database is encrypted with key {current}, which the key "
                         "file does not hold")
    if current != ring.current_id:
        connection.execute(text("UPDATE datakey SET current = :no"), {"no": False})
        connection.execute(text("DELETE FROM datakey WHERE key_id = :id"),
                           {"id": ring.current_id})
        connection.execute(
            text("INSERT INTO datakey (key_id, current, added_at) VALUES (:id, :yes, :now)"),
            {"id": ring.current_id, "yes": True, "now": models.tables.utcnow()},
        )


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to ``revision`` ("base" drops every table). For tests and ops."""
    with engine.begin() as connection:
        _lock_for_migration(connection)
        command.downgrade(alembic_config(connection), revision)


def schema_diff(engine: Engine) -> list[Any]:
    """What autogenerate would change to match ``models.tables``: empty when in step."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=context_options(connection))
        return list(compare_metadata(context, models.tables.metadata))


def context_options(connection: Connection) -> dict[str, Any]:
    """Alembic context options shared by ``env.py`` and :func:`schema_diff`."""
    return {
        "target_metadata": models.tables.metadata,
        "render_as_batch": connection.dialect.name == "sqlite",
        "compare_type": True,
        "compare_server_default": True,
    }


def _lock_for_migration(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK_KEY})
