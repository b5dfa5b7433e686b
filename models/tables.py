"""The case database's tables.

Every message's fate is a :class:`Message` row; restarts and retries consult it, and the
intake log that managers query *is* that table plus :class:`AuditEvent`. Original bytes are
kept content-addressed in :class:`Blob`, so nothing a school sent is ever lost.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, MetaData, UniqueConstraint, event, false
from sqlmodel import Field, SQLModel

from models.crypto import BlindIndex, SealedBytes, SealedJSON, SealedText

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

MESSAGE_STATUSES = ("processing", "ingested", "threaded", "no_referral_form", "failed")
FLAG_STATUSES = ("open", "resolved", "waived")
ROLES = ("aio", "manager", "admin")


def utcnow() -> datetime:
    """Now, timezone-aware in UTC: sqlmodel's UTCDateTime columns refuse naive values."""
    return datetime.now(UTC)


class Blob(SQLModel, table=True):
    """Original bytes (a raw email or one attachment), stored once per sha256."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    content: bytes = Field(sa_column=Column(SealedBytes("blob.content"), nullable=False))


class Message(SQLModel, table=True):
    """One message received in one mailbox, and what became of it.

    ``dedup_key`` is the Message-ID (or the raw sha256 when there is none), unique per
    mailbox: it stops a message being ingested twice after a UIDVALIDITY change or by two
    daemons at once. ``(account, folder, uidvalidity, uid)`` is unique for IMAP sources.
    """

    __table_args__ = (
        UniqueConstraint("mailbox", "dedup_key", name="uq_message_mailbox_dedup"),
        UniqueConstraint("account", "folder", "uidvalidity", "uid", name="uq_message_imap_uid"),
        Index("ix_message_received", "received_at"),
        Index("ix_message_mailbox_received", "mailbox", "received_at"),
        Index("ix_message_area_received", "area", "received_at"),
        Index("ix_message_message_id", "message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=16, index=True)
    source: str = Field(max_length=16)  # imap | maildir | file
    account: str = Field(max_length=320)  # IMAP username@host or Maildir path
    folder: str = Field(max_length=255)
    uidvalidity: int | None = None
    uid: int | None = None
    source_key: str | None = Field(default=None, max_length=255)  # Maildir key
    dedup_key: str = Field(max_length=998)
    message_id: str | None = Field(default=None, max_length=998)
    raw_sha256: str = Field(foreign_key="blob.sha256", max_length=64)
    size: int = 0
    received_at: datetime = Field(default_factory=utcnow)
    date_header: str | None = Field(default=None, max_length=64)
    from_addr: str | None = Field(default=None, max_length=998)
    to_addr: str | None = Field(default=None, max_length=998)
    subject: str | None = Field(default=None, sa_column=Column(SealedText("message.subject")))
    status: str = Field(default="processing", max_length=20, index=True)
    error: str | None = Field(default=None, sa_column=Column(SealedText("message.error")))
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    area: str | None = Field(default=None, max_length=16)  # the case's area, else the mailbox's
    # Flag codes of a message that made no case (no_referral_form, unreadable_document...),
    # comma-delimited with a leading and trailing comma so ",code," LIKE-filters exactly.
    flag_codes: str | None = Field(default=None, max_length=400)
    moved: bool = False  # the mailbox action (move to processed/failed) is done
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=120)
    claimed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class Document(SQLModel, table=True):
    """One attachment (or the email body) of a message, as parsed."""

    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="message.id", index=True)
    position: int
    filename: str | None = Field(default=None, sa_column=Column(SealedText("document.filename")))
    raw_filename: str | None = Field(
        default=None, sa_column=Column(SealedText("document.raw_filename"))
    )
    sha256: str = Field(foreign_key="blob.sha256", max_length=64, index=True)
    media_type: str | None = Field(default=None, max_length=120)
    role: str = Field(max_length=32)
    extraction: str = Field(max_length=32)
    pages: int | None = None
    problem: str | None = None


class Case(SQLModel, table=True):
    """A referral: the latest record plus the columns the queue and the log filter on."""

    __table_args__ = (
        Index("ix_case_queue", "status", "has_blocking", "received_at"),
        Index("ix_case_pupil", "surname_key", "forenames_key", "date_of_birth"),
        Index("ix_case_received", "received_at"),
        Index("ix_case_aio_status", "aio_name", "status"),  # My cases, the queue's AIO filter
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=32, unique=True)
    mailbox: str | None = Field(default=None, max_length=16, index=True)
    area: str | None = Field(default=None, max_length=16, index=True)  # central | ENE | WNW | South
    school_name: str | None = Field(default=None, max_length=255, index=True)
    school_type: str | None = Field(default=None, max_length=16)
    # Blind indexes (models.crypto): keyed HMACs once the database has a key.
    upn: str | None = Field(default=None, sa_column=Column(BlindIndex(32), index=True))
    surname_key: str | None = Field(default=None, sa_column=Column(BlindIndex(120)))
    forenames_key: str | None = Field(default=None, sa_column=Column(BlindIndex(120)))
    date_of_birth: str | None = Field(default=None, sa_column=Column(BlindIndex(32)))
    status: str = Field(default="open", max_length=16)  # open | complete | closed
    has_blocking: bool = True
    risk_count: int = 0
    late: bool = False
    misrouted: bool = False
    received_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1
    aio_name: str | None = Field(default=None, max_length=120)
    # The record's aio.sections_complete, kept as a column: SQL cannot read a sealed record.
    part3_confirmed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    closed_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=48)  # see models.lifecycle
    record: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(SealedJSON("case.record"), nullable=False)
    )


@event.listens_for(Case.record, "set")  # type: ignore[attr-defined]
def _part3_from_record(case: Case, record: Any, _old: Any, _initiator: Any) -> None:
    """Keep the queue's "Part 3 confirmed" filter a column: SQL cannot read a sealed record."""
    aio = (record or {}).get("aio") if isinstance(record, dict) else None
    case.part3_confirmed = bool(isinstance(aio, dict) and aio.get("sections_complete") is True)


def _queue_order_indexes() -> None:
    """The review queue's order (open blocking first, oldest, most risk) as index order.

    Mixed ASC/DESC: without it both SQLite and PostgreSQL sort all 50,000 cases per page.
    """
    columns = Case.__table__.c  # type: ignore[attr-defined]
    order = (
        columns.has_blocking.desc(),
        columns.received_at,
        columns.risk_count.desc(),
        columns.id,
    )
    Index("ix_case_queue_order", *order)
    Index("ix_case_area_queue_order", columns.area, *order)


_queue_order_indexes()


class CaseVersion(SQLModel, table=True):
    """Every record a case has had: one per message that carried a form."""

    __table_args__ = (UniqueConstraint("case_id", "version", name="uq_caseversion_case_version"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    version: int
    message_pk: int | None = Field(default=None, foreign_key="message.id")
    created_at: datetime = Field(default_factory=utcnow)
    record: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(SealedJSON("caseversion.record"), nullable=False)
    )


class Flag(SQLModel, table=True):
    """One completeness/compliance flag on a case, with its review state."""

    __table_args__ = (
        Index("ix_flag_case_status", "case_id", "status"),
        Index("ix_flag_status_code_case", "status", "code", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id")
    message_pk: int | None = Field(default=None, foreign_key="message.id")
    code: str = Field(max_length=48, index=True)
    section: str = Field(max_length=16)
    field: str | None = Field(default=None, max_length=120)
    severity: str = Field(max_length=16)
    message: str = Field(sa_column=Column(SealedText("flag.message"), nullable=False))
    follow_up_with: str | None = Field(default=None, max_length=16)
    status: str = Field(default="open", max_length=16, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    closed_by: str | None = Field(default=None, max_length=120)
    closed_at: datetime | None = None
    note: str | None = Field(default=None, sa_column=Column(SealedText("flag.note")))


class AuditEvent(SQLModel, table=True):
    """Append-only: who did what to which case or message, and when."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=120)  # a user name, or "system"
    action: str = Field(max_length=64, index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    message_pk: int | None = Field(default=None, foreign_key="message.id", index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The event's personal values (a corrected name, a reviewer's note), sealed like a
    # record: ``detail`` keeps only ids, codes and field paths.
    sealed_detail: dict[str, Any] | None = Field(
        default=None, sa_column=Column(SealedJSON("auditevent.sealed_detail"), nullable=True))

    def full_detail(self) -> dict[str, Any]:
        """``detail`` with the sealed values opened, for those allowed to see the case."""
        return {**(self.detail or {}), **(self.sealed_detail or {})}


class User(SQLModel, table=True):
    """A login. ``areas`` is a comma-separated subset of central,ENE,WNW,South (AIOs)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    password_hash: str
    role: str = Field(max_length=16)
    areas: str = Field(default="", max_length=64)
    disabled: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class MailboxState(SQLModel, table=True):
    """Per mailbox/folder: what the daemon last saw, for `cme-intake status`."""

    __table_args__ = (UniqueConstraint("mailbox", "folder", name="uq_mailboxstate_mailbox_folder"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=16)
    folder: str = Field(max_length=255)
    uidvalidity: int | None = None
    last_uid: int | None = None
    last_poll_ok_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    waiting: int = 0


class School(SQLModel, table=True):
    """One establishment of the DfE register ("Get Information about Schools"), by URN.

    The council's copy of the extract (``models.schools_import`` writes it). ``area`` is the
    area team the council's mapping gave it; ``area_key`` the value of the register column
    that mapping reads (``area_column``), so a changed mapping needs no new import.
    """

    __tablename__ = "schools"
    __table_args__ = (
        Index("ix_schools_laestab", "la_code", "establishment_number"),
        Index("ix_schools_name", "name"),
    )

    urn: str = Field(primary_key=True, max_length=16)
    la_code: str | None = Field(default=None, max_length=8)
    establishment_number: str | None = Field(default=None, max_length=8)
    name: str = Field(max_length=255)
    establishment_type: str | None = Field(default=None, max_length=120)  # TypeOfEstablishment
    type_group: str | None = Field(default=None, max_length=120)  # EstablishmentTypeGroup
    status: str | None = Field(default=None, max_length=64)  # EstablishmentStatus (name)
    postcode: str | None = Field(default=None, max_length=16)
    town: str | None = Field(default=None, max_length=120)
    open_date: date | None = None
    close_date: date | None = None
    area_column: str | None = Field(default=None, max_length=120)
    area_key: str | None = Field(default=None, max_length=255)
    area: str | None = Field(default=None, max_length=16)  # ENE | WNW | South | None
    extract_date: date | None = None  # the extract this row was last seen in
    updated_at: datetime = Field(default_factory=utcnow)


class DataKey(SQLModel, table=True):
    """The ids (never the keys) of the data keys this database's sealed values use.

    ``current`` is the key new values are sealed with; :func:`models.db.migrate` refuses a
    process whose key ring does not hold it, so a database is never opened without its key.
    """

    key_id: str = Field(primary_key=True, max_length=8)
    current: bool = False
    added_at: datetime = Field(default_factory=utcnow)


class PurgedMessage(SQLModel, table=True):
    """A message of a purged case, by the sha256 of its dedup key: never ingested again."""

    __table_args__ = (
        UniqueConstraint("mailbox", "dedup_sha256", name="uq_purgedmessage_mailbox_dedup"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(max_length=16)
    dedup_sha256: str = Field(max_length=64)
    purged_at: datetime = Field(default_factory=utcnow)
