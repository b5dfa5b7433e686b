"""audit events' personal values sealed (issue 15).

Revision ID: 0005
Revises: 0004

``auditevent.sealed_detail`` (bytes, sealed like a record) takes the values an event may
carry that are personal data: a correction's values and reason, a reviewer's note. The
values already written in the plain ``detail`` JSON by ``field_corrected`` and
``flag_resolved``/``flag_waived`` events move there, marked plain (``0x00`` first), to be
sealed by ``cme-intake keys init`` / ``keys rotate`` like every other plain value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRIVATE = {"field_corrected": ("parser_value", "before", "value", "reason"),
           "flag_resolved": ("note",), "flag_waived": ("note",)}


def upgrade() -> None:
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_detail", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    update = sa.text("UPDATE auditevent SET detail = :detail, sealed_detail = :sealed "
                     "WHERE id = :id").bindparams(sa.bindparam("sealed", type_=sa.LargeBinary()))
    for action, keys in PRIVATE.items():
        rows = bind.execute(sa.text("SELECT id, detail FROM auditevent WHERE action = :action"),
                            {"action": action}).all()
        for row_id, raw in rows:
            detail = raw if isinstance(raw, dict) else json.loads(raw or "{}")
            private = {key: detail.pop(key) for key in keys if key in detail}
            if private:
                sealed = b"\x00" + json.dumps(private, ensure_ascii=False,
                                              separators=(",", ":")).encode()
                bind.execute(update, {"detail": json.dumps(detail), "sealed": sealed,
                                      "id": row_id})


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, detail, sealed_detail FROM auditevent WHERE sealed_detail IS NOT NULL")).all()
    for row_id, raw, sealed in rows:
        data = bytes(sealed)
        if data[:1] == b"\x01":
            raise RuntimeError("sealed auditevent.sealed_detail cannot be downgraded: decrypt first")
        detail = raw if isinstance(raw, dict) else json.loads(raw or "{}")
        detail.update(json.loads(data[1:]))
        bind.execute(sa.text("UPDATE auditevent SET detail = :detail WHERE id = :id"),
                     {"detail": json.dumps(detail), "id": row_id})
    with op.batch_alter_table("auditevent", schema=None) as batch_op:
        batch_op.drop_column("sealed_detail")
