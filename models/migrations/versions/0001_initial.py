"""Initial schema: every table of models/tables.py.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Written by autogenerate, then reviewed: types are plain SQLAlchemy types (not sqlmodel's
wrappers) so this file keeps working whatever sqlmodel renames; constraint and index names
follow the naming convention in models/tables.py so they are identical on SQLite and
PostgreSQL. tests/test_migrations.py checks that the result matches models/tables.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES_CHILDREN_FIRST = (
    "flag",
    "document",
    "caseversion",
    "auditevent",
    "message",
    "user",
    "mailboxstate",
    "case",
    "blob",
)


def upgrade() -> None:
    op.create_table('blob',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_blob'))
    )
    op.create_table('case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('mailbox', sa.String(length=16), nullable=True),
    sa.Column('area', sa.String(length=16), nullable=True),
    sa.Column('school_name', sa.String(length=255), nullable=True),
    sa.Column('school_type', sa.String(length=16), nullable=True),
    sa.Column('upn', sa.String(length=32), nullable=True),
    sa.Column('surname_key', sa.String(length=120), nullable=True),
    sa.Column('forenames_key', sa.String(length=120), nullable=True),
    sa.Column('date_of_birth', sa.String(length=10), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('has_blocking', sa.Boolean(), nullable=False),
    sa.Column('risk_count', sa.Integer(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('misrouted', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('aio_name', sa.String(length=120), nullable=True),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case')),
    sa.UniqueConstraint('reference', name=op.f('uq_case_reference'))
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_area'), ['area'], unique=False)
        batch_op.create_index('ix_case_area_queue_order', ['area', sa.literal_column('has_blocking DESC'), 'received_at', sa.literal_column('risk_count DESC'), 'id'], unique=False)
        batch_op.create_index('ix_case_queue_order', [sa.literal_column('has_blocking DESC'), 'received_at', sa.literal_column('risk_count DESC'), 'id'], unique=False)
        batch_op.create_index('ix_case_received', ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_mailbox'), ['mailbox'], unique=False)
        batch_op.create_index('ix_case_pupil', ['surname_key', 'forenames_key', 'date_of_birth'], unique=False)
        batch_op.create_index('ix_case_queue', ['status', 'has_blocking', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_school_name'), ['school_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_upn'), ['upn'], unique=False)

    op.create_table('mailboxstate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox', sa.String(length=16), nullable=False),
    sa.Column('folder', sa.String(length=255), nullable=False),
    sa.Column('uidvalidity', sa.Integer(), nullable=True),
    sa.Column('last_uid', sa.Integer(), nullable=True),
    sa.Column('last_poll_ok_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(), nullable=True),
    sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailboxstate')),
    sa.UniqueConstraint('mailbox', 'folder', name='uq_mailboxstate_mailbox_folder')
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('areas', sa.String(length=64), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('name', name=op.f('uq_user_name'))
    )
    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('account', sa.String(length=320), nullable=False),
    sa.Column('folder', sa.String(length=255), nullable=False),
    sa.Column('uidvalidity', sa.Integer(), nullable=True),
    sa.Column('uid', sa.Integer(), nullable=True),
    sa.Column('source_key', sa.String(length=255), nullable=True),
    sa.Column('dedup_key', sa.String(length=998), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('raw_sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('date_header', sa.String(length=64), nullable=True),
    sa.Column('from_addr', sa.String(length=998), nullable=True),
    sa.Column('to_addr', sa.String(length=998), nullable=True),
    sa.Column('subject', sa.String(length=998), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.String(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('area', sa.String(length=16), nullable=True),
    sa.Column('flag_codes', sa.String(length=400), nullable=True),
    sa.Column('moved', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_message_case_id_case')),
    sa.ForeignKeyConstraint(['raw_sha256'], ['blob.sha256'], name=op.f('fk_message_raw_sha256_blob')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    sa.UniqueConstraint('account', 'folder', 'uidvalidity', 'uid', name='uq_message_imap_uid'),
    sa.UniqueConstraint('mailbox', 'dedup_key', name='uq_message_mailbox_dedup')
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_area_received', ['area', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_mailbox'), ['mailbox'], unique=False)
        batch_op.create_index('ix_message_mailbox_received', ['mailbox', 'received_at'], unique=False)
        batch_op.create_index('ix_message_message_id', ['message_id'], unique=False)
        batch_op.create_index('ix_message_received', ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_status'), ['status'], unique=False)

    op.create_table('auditevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('message_pk', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_auditevent_case_id_case')),
    sa.ForeignKeyConstraint(['message_pk'], ['message.id'], name=op.f('fk_auditevent_message_pk_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auditevent'))
    )
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditevent_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditevent_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditevent_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auditevent_message_pk'), ['message_pk'], unique=False)

    op.create_table('caseversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('message_pk', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_caseversion_case_id_case')),
    sa.ForeignKeyConstraint(['message_pk'], ['message.id'], name=op.f('fk_caseversion_message_pk_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caseversion')),
    sa.UniqueConstraint('case_id', 'version', name='uq_caseversion_case_version')
    )
    with op.batch_alter_table('caseversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caseversion_case_id'), ['case_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_pk', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('raw_filename', sa.String(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('extraction', sa.String(length=32), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('problem', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['message_pk'], ['message.id'], name=op.f('fk_document_message_pk_message')),
    sa.ForeignKeyConstraint(['sha256'], ['blob.sha256'], name=op.f('fk_document_sha256_blob')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_message_pk'), ['message_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_sha256'), ['sha256'], unique=False)

    op.create_table('flag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('message_pk', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=48), nullable=False),
    sa.Column('section', sa.String(length=16), nullable=False),
    sa.Column('field', sa.String(length=120), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('message', sa.String(), nullable=False),
    sa.Column('follow_up_with', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.String(length=120), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_flag_case_id_case')),
    sa.ForeignKeyConstraint(['message_pk'], ['message.id'], name=op.f('fk_flag_message_pk_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag'))
    )
    with op.batch_alter_table('flag', schema=None) as batch_op:
        batch_op.create_index('ix_flag_case_status', ['case_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_flag_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_flag_status'), ['status'], unique=False)
        batch_op.create_index('ix_flag_status_code_case', ['status', 'code', 'case_id'], unique=False)


def downgrade() -> None:
    for table in TABLES_CHILDREN_FIRST:
        op.drop_table(table)
