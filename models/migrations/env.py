"""Alembic environment, driven from code (no alembic.ini): see ``models.db.migrate``.

``models.db`` passes its open connection in ``config.attributes["connection"]`` so the
migration runs inside the caller's transaction (and its lock). Offline mode renders SQL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from models.db import context_options, make_engine
from models.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **context_options(connection))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as own_connection:
        _run(own_connection)


def run_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
