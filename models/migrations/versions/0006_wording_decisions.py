"""Wording decisions: an admin's accept or dismiss of a suggested label (issue 14).

Revision ID: 0006
Revises: 0005

Suggestions are computed from the ``field_corrected`` audit events; ``wordingdecision``
keeps the answer to each (label, field) so a dismissed one is not offered again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wordingdecision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label_key", sa.String(length=200), nullable=False),
        sa.Column("field_path", sa.String(length=120), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wordingdecision")),
        sa.UniqueConstraint("label_key", "field_path", name="uq_wordingdecision_label_field"),
    )


def downgrade() -> None:
    op.drop_table("wordingdecision")
