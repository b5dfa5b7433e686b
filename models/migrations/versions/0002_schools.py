"""the council's school directory (issue 13): the ``schools`` table.

Revision ID: 0002
Revises: 0001

One row per URN of the DfE "Get Information about Schools" extract (models/tables.py
``School``); plain SQLAlchemy types and the naming convention's names, as in 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("urn", sa.String(length=16), nullable=False),
        sa.Column("la_code", sa.String(length=8), nullable=True),
        sa.Column("establishment_number", sa.String(length=8), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("establishment_type", sa.String(length=120), nullable=True),
        sa.Column("type_group", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=64), nullable=True),
        sa.Column("postcode", sa.String(length=16), nullable=True),
        sa.Column("town", sa.String(length=120), nullable=True),
        sa.Column("open_date", sa.Date(), nullable=True),
        sa.Column("close_date", sa.Date(), nullable=True),
        sa.Column("area_column", sa.String(length=120), nullable=True),
        sa.Column("area_key", sa.String(length=255), nullable=True),
        sa.Column("area", sa.String(length=16), nullable=True),
        sa.Column("extract_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("urn", name=op.f("pk_schools")),
    )
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.create_index("ix_schools_laestab", ["la_code", "establishment_number"],
                              unique=False)
        batch_op.create_index("ix_schools_name", ["name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_index("ix_schools_name")
        batch_op.drop_index("ix_schools_laestab")
    op.drop_table("schools")
