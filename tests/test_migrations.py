"""The alembic history matches models/tables.py, both ways, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from models.db import (
    alembic_config,
    downgrade,
    make_engine,
    migrate,
    schema_diff,
    session_scope,
)
from models.tables import Case, metadata


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_creates_every_table_and_matches_models(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    assert _tables(engine) == set(metadata.tables)
    assert schema_diff(engine) == []
    engine.dispose()


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    downgrade(engine, "base")
    assert _tables(engine) == set()
    migrate(engine)
    assert schema_diff(engine) == []
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            == head_revision()
        )
    engine.dispose()


def test_migrate_twice_is_a_no_op(db_engine) -> None:
    migrate(db_engine)
    assert schema_diff(db_engine) == []


def test_constraint_names_follow_the_convention(db_engine) -> None:
    inspector = inspect(db_engine)
    uniques = {uc["name"] for uc in inspector.get_unique_constraints("message")}
    assert {"uq_message_mailbox_dedup", "uq_message_imap_uid"} <= uniques
    assert "uq_case_reference" in {uc["name"] for uc in inspector.get_unique_constraints("case")}
    assert "ix_case_queue" in {ix["name"] for ix in inspector.get_indexes("case")}


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'folder' / 'cases.db'}")
    migrate(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()
    # WAL is persistent: a plain sqlite3 connection sees it too.
    with sqlite3.connect(tmp_path / "nested" / "folder" / "cases.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_write_transactions_begin_immediate(tmp_path: Path) -> None:
    """A second writer waits for the first instead of failing on lock upgrade."""
    path = tmp_path / "cases.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with session_scope(engine) as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        other = sqlite3.connect(path, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    with session_scope(engine, readonly=True) as session:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        other = sqlite3.connect(path, timeout=0.1)
        other.execute("BEGIN IMMEDIATE")  # a reader does not hold the write lock
        other.rollback()
        other.close()
    engine.dispose()


def test_foreign_keys_enforced(db_engine) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with session_scope(db_engine) as session:
            session.add(Case(reference="CME-2026-999999", record={}))
            session.flush()
            session.exec(  # type: ignore[call-overload]
                text(
                    "INSERT INTO document (message_pk, position, sha256, role, extraction) "
                    "VALUES (424242, 0, 'nope', 'other', 'none')"
                )
            )


def test_schema_diff_notices_drift(db_url: str) -> None:
    """The emptiness checks above mean something: a missing index is reported."""
    engine = make_engine(db_url)
    migrate(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_case_queue")
    assert [entry[0] for entry in schema_diff(engine)] == ["add_index"]
    engine.dispose()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"one alembic head expected, found {heads}"
    return str(heads[0])
