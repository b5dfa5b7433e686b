"""case lifecycle and data protection (issue 15).

Revision ID: 0004
Revises: 0003

Records become sealed bytes (``models.crypto``): ``case.record`` and ``caseversion.record``
change from JSON to bytes, as do the free texts that may name a child (``message.subject`` and ``.error``,
``document.filename`` and ``.raw_filename``, ``flag.message`` and ``.note``); every existing value (records, blobs, texts) is marked plain
(``0x00`` first), to be sealed by ``cme-intake keys rotate``. The case gains its closure
(``closed_at``, ``outcome``), the queue's ``part3_confirmed`` column (read from the record
here, once), and ``date_of_birth`` room for a blind index. New tables: ``datakey`` (the
ids of the keys in use) and ``purgedmessage`` (purged messages' dedup keys, hashed).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500


def upgrade() -> None:
    op.create_table(
        "datakey",
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_datakey")),
    )
    op.create_table(
        "purgedmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=16), nullable=False),
        sa.Column("dedup_sha256", sa.String(length=64), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purgedmessage")),
        sa.UniqueConstraint("mailbox", "dedup_sha256", name="uq_purgedmessage_mailbox_dedup"),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("part3_confirmed", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=48), nullable=True))
        batch_op.alter_column("date_of_birth", existing_type=sa.String(length=10),
                              type_=sa.String(length=32), existing_nullable=True)
    for table in ("case", "caseversion"):
        _record_to_bytes(table)
    _mark_blobs_plain()
    _text_to_bytes("message", "subject", sa.String(length=998))
    _text_to_bytes("document", "filename", sa.String(length=255))
    _text_to_bytes("document", "raw_filename", sa.Text())
    _text_to_bytes("message", "error", sa.String())
    _text_to_bytes("flag", "message", sa.String(), nullable=False)
    _text_to_bytes("flag", "note", sa.String())


def _text_to_bytes(table: str, name: str, old_type: sa.types.TypeEngine,
                   nullable: bool = True) -> None:
    """A free-text column -> plain-marked bytes (sealed later by ``keys init/rotate``)."""
    bind = op.get_bind()
    new = f"{name}_bytes"
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(new, sa.LargeBinary(), nullable=True))
    update = sa.text(f"UPDATE {table} SET {new} = :data WHERE id = :id").bindparams(
        sa.bindparam("data", type_=sa.LargeBinary()))
    last = 0
    while True:
        rows = bind.execute(sa.text(
            f"SELECT id, {name} FROM {table} WHERE id > :last AND {name} IS NOT NULL "
            f"ORDER BY id LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            break
        for row_id, value in rows:
            bind.execute(update, {"data": b"\x00" + str(value).encode("utf-8", "surrogatepass"),
                                  "id": row_id})
        last = rows[-1][0]
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_column(name)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(new, new_column_name=name, existing_type=sa.LargeBinary(),
                              existing_nullable=True, nullable=nullable)


def _bytes_to_text(table: str, name: str, new_type: sa.types.TypeEngine,
                   nullable: bool = True) -> None:
    bind = op.get_bind()
    new = f"{name}_text"
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column(new, new_type, nullable=True))
    for row_id, value in bind.execute(sa.text(
            f"SELECT id, {name} FROM {table} WHERE {name} IS NOT NULL")).all():
        data = bytes(value)
        if data[:1] == b"\x01":
            raise RuntimeError(f"sealed {table}.{name} cannot be downgraded: decrypt first")
        bind.execute(sa.text(f"UPDATE {table} SET {new} = :text WHERE id = :id"),
                     {"text": (data[1:] if data[:1] == b"\x00" else data).decode(),
                      "id": row_id})
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_column(name)
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(new, new_column_name=name, existing_type=new_type,
                              existing_nullable=True, nullable=nullable)


def _record_to_bytes(table: str) -> None:
    """JSON column -> bytes column of plain-marked JSON, in batches by id."""
    bind = op.get_bind()
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_bytes", sa.LargeBinary(), nullable=True))
    quoted = bind.dialect.identifier_preparer.quote(table)
    last = 0
    while True:
        rows = bind.execute(sa.text(
            f"SELECT id, record FROM {quoted} WHERE id > :last ORDER BY id LIMIT {BATCH}"
        ), {"last": last}).all()
        if not rows:
            break
        for row_id, record in rows:
            value = record if isinstance(record, dict | list) else json.loads(record or "{}")
            data = b"\x00" + json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
            extra = ""
            params: dict[str, object] = {"data": data, "id": row_id}
            if table == "case":
                aio = value.get("aio") if isinstance(value, dict) else None
                params["done"] = bool(isinstance(aio, dict) and aio.get("sections_complete") is True)
                extra = ", part3_confirmed = :done"
            bind.execute(sa.text(
                f"UPDATE {quoted} SET record_bytes = :data{extra} WHERE id = :id"
            ).bindparams(sa.bindparam("data", type_=sa.LargeBinary())), params)
        last = rows[-1][0]
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_column("record")
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("record_bytes", new_column_name="record", nullable=False,
                              existing_type=sa.LargeBinary())


def _mark_blobs_plain() -> None:
    """Prefix every stored original with the plain marker (``0x00``), in batches."""
    bind = op.get_bind()
    last = ""
    while True:
        rows = bind.execute(sa.text(
            f"SELECT sha256, content FROM blob WHERE sha256 > :last ORDER BY sha256 LIMIT {BATCH}"
        ), {"last": last}).all()
        if not rows:
            break
        update = sa.text("UPDATE blob SET content = :content WHERE sha256 = :sha256").bindparams(
            sa.bindparam("content", type_=sa.LargeBinary()))
        for sha256, content in rows:
            bind.execute(update, {"content": b"\x00" + bytes(content), "sha256": sha256})
        last = rows[-1][0]


def downgrade() -> None:
    """Back to JSON records; only possible while nothing is sealed (run without keys)."""
    bind = op.get_bind()
    _bytes_to_text("flag", "note", sa.String())
    _bytes_to_text("flag", "message", sa.String(), nullable=False)
    _bytes_to_text("message", "error", sa.String())
    _bytes_to_text("document", "raw_filename", sa.Text())
    _bytes_to_text("document", "filename", sa.String(length=255))
    _bytes_to_text("message", "subject", sa.String(length=998))
    for table in ("case", "caseversion"):
        quoted = bind.dialect.identifier_preparer.quote(table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("record_json", sa.JSON(), nullable=True))
        rows = bind.execute(sa.text(f"SELECT id, record FROM {quoted}")).all()
        for row_id, data in rows:
            data = bytes(data)
            if data[:1] == b"\x01":
                raise RuntimeError("sealed records cannot be downgraded: decrypt them first")
            bind.execute(sa.text(f"UPDATE {quoted} SET record_json = :record WHERE id = :id")
                         .bindparams(sa.bindparam("record", type_=sa.JSON())),
                         {"record": json.loads(data[1:] if data[:1] == b"\x00" else data),
                          "id": row_id})
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("record")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("record_json", new_column_name="record", nullable=False,
                                  existing_type=sa.JSON())
    for sha256, content in bind.execute(sa.text("SELECT sha256, content FROM blob")).all():
        content = bytes(content)
        if content[:1] == b"\x00":
            bind.execute(sa.text("UPDATE blob SET content = :c WHERE sha256 = :s").bindparams(
                sa.bindparam("c", type_=sa.LargeBinary())), {"c": content[1:], "s": sha256})
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.alter_column("date_of_birth", existing_type=sa.String(length=32),
                              type_=sa.String(length=10), existing_nullable=True)
        batch_op.drop_column("outcome")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("part3_confirmed")
    op.drop_table("purgedmessage")
    op.drop_table("datakey")
