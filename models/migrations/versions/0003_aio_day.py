"""AIO working day: corrections, allocation (issue 14).

Revision ID: 0003
Revises: 0002

Corrections are case versions plus ``field_corrected`` audit events, and allocation is the
case's ``aio_name`` (Part 3's allocated AIO), so the only schema change is the index that
"My cases" and the queue's AIO filter read: ``(aio_name, status)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_case_aio_status", "case", ["aio_name", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_aio_status", table_name="case")
