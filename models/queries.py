"""Read-only questions asked of the case database: the intake log, the queue, one case.

Every function takes an open session (use ``session_scope(engine, readonly=True)``), takes
its filters as keyword arguments and returns plain, JSON-ready dicts (times as ISO 8601
strings in UTC). ``since``/``until`` accept a date (a calendar day in England, ``until``
inclusive) or a datetime (``until`` exclusive). Lists that can grow long take ``limit``
and ``offset``; a ``count_…`` twin gives the total for paging.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, false, func, or_
from sqlalchemy import case as when
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session, col, select

from intake.errors import IntakeError
from models.tables import (
    AuditEvent,
    Blob,
    Case,
    CaseVersion,
    Document,
    Flag,
    MailboxState,
    Message,
)

MAILBOX_ORDER = ("cme", "ene", "wnw", "south")
CASE_ORDERS = ("queue", "oldest", "newest", "reference")


class QueryError(IntakeError):
    """A filter or order that makes no sense (e.g. an unknown order name)."""


def _zone() -> Any:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Europe/London")
    except Exception:  # no time zone data: fall back to UTC days
        return UTC


def _moment(value: date | datetime, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time.min, tzinfo=_zone()).astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat(timespec="seconds")


def _period(column: Any, since: date | datetime | None, until: date | datetime | None) -> list:
    conditions = []
    if since is not None:
        conditions.append(column >= _moment(since, end=False))
    if until is not None:
        conditions.append(column < _moment(until, end=True))
    return conditions


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    return func.lower(column).contains(text.strip().lower(), autoescape=True)


def _page(statement: Select, limit: int | None, offset: int) -> Select:
    if offset:
        statement = statement.offset(max(0, offset))
    return statement.limit(limit) if limit is not None else statement


def _codes(column_value: str | None) -> list[str]:
    return sorted(code for code in (column_value or "").split(",") if code)


def _open_codes(session: Session, case_ids: Iterable[int]) -> dict[int, list[str]]:
    """Sorted distinct open flag codes per case, in one query for a page of cases."""
    ids = sorted(set(case_ids))
    found: dict[int, set[str]] = defaultdict(set)
    if ids:
        statement = select(Flag.case_id, Flag.code).where(
            col(Flag.case_id).in_(ids), Flag.status == "open"
        )
        for case_id, code in session.exec(statement):
            found[case_id].add(code)
    return {case_id: sorted(codes) for case_id, codes in found.items()}


# --- the intake log ------------------------------------------------------------------------


def _log_conditions(
    *,
    since: date | datetime | None,
    until: date | datetime | None,
    mailbox: str | None,
    area: str | None,
    school: str | None,
    status: str | None,
    flag: str | None,
    late: bool | None,
    misrouted: bool | None,
) -> list:
    conditions = _period(Message.received_at, since, until)
    if mailbox:
        conditions.append(Message.mailbox == mailbox)
    if area:
        conditions.append(Message.area == area)
    if school:
        conditions.append(_contains(Case.school_name, school))
    if status:
        conditions.append(Message.status == status)
    if flag:
        open_on_case = exists().where(
            Flag.case_id == Message.case_id, Flag.code == flag, Flag.status == "open"
        )
        on_message = and_(
            col(Message.case_id).is_(None), col(Message.flag_codes).contains(f",{flag},")
        )
        conditions.append(or_(open_on_case, on_message))
    if late is not None:
        conditions.append(func.coalesce(Case.late, false()) == late)
    if misrouted is not None:
        conditions.append(func.coalesce(Case.misrouted, false()) == misrouted)
    return conditions


def intake_log(
    session: Session,
    *,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    mailbox: str | None = None,
    area: str | None = None,
    school: str | None = None,
    status: str | None = None,
    flag: str | None = None,
    late: bool | None = None,
    misrouted: bool | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """One row per message received, oldest first.

    ``open_flags`` are the codes open on the message's case now, or, for a message that
    made no case, the codes it raised (``no_referral_form``, ``unreadable_document``).
    ``area`` is the case's area, else the mailbox's; ``flag`` matches either kind.
    """
    conditions = _log_conditions(
        since=since,
        until=until,
        mailbox=mailbox,
        area=area,
        school=school,
        status=status,
        flag=flag,
        late=late,
        misrouted=misrouted,
    )
    statement = (
        select(Message, Case.reference)
        .select_from(Message)
        .outerjoin(Case, col(Message.case_id) == col(Case.id))
        .where(*conditions)
        .order_by(col(Message.received_at), col(Message.id))
    )
    rows = session.exec(_page(statement, limit, offset)).all()
    codes = _open_codes(session, (m.case_id for m, _ in rows if m.case_id is not None))
    return [
        {
            "message_pk": message.id,
            "received_at": _iso(message.received_at),
            "mailbox": message.mailbox,
            "area": message.area,
            "message_id": message.message_id,
            "from": message.from_addr,
            "subject": message.subject,
            "status": message.status,
            "case": reference,
            "open_flags": codes.get(message.case_id, [])
            if message.case_id is not None
            else _codes(message.flag_codes),
            "error": message.error,
            "moved": message.moved,
        }
        for message, reference in rows
    ]


def count_intake_log(session: Session, **filters: Any) -> int:
    """How many rows :func:`intake_log` gives with the same filters (no paging)."""
    statement = (
        select(func.count())
        .select_from(Message)
        .outerjoin(Case, col(Message.case_id) == col(Case.id))
        .where(*_log_conditions(**{key: filters.get(key) for key in _LOG_FILTERS}))
    )
    return int(session.exec(statement).one())


_LOG_FILTERS = (
    "since",
    "until",
    "mailbox",
    "area",
    "school",
    "status",
    "flag",
    "late",
    "misrouted",
)


# --- cases and flags ---------------------------------------------------------------------------


def _case_conditions(
    *,
    area: str | None,
    areas: Collection[str] | None,
    status: str | None,
    school: str | None,
    flag: str | None,
    since: date | datetime | None,
    until: date | datetime | None,
) -> list:
    conditions = _period(Case.received_at, since, until)
    if area:
        conditions.append(Case.area == area)
    if areas is not None:
        conditions.append(col(Case.area).in_(sorted(areas)) if areas else false())
    if status:
        conditions.append(Case.status == status)
    if school:
        conditions.append(_contains(Case.school_name, school))
    if flag:
        conditions.append(
            exists().where(Flag.case_id == Case.id, Flag.code == flag, Flag.status == "open")
        )
    return conditions


def _case_order(order: str) -> list:
    if order == "queue":
        return [
            col(Case.has_blocking).desc(),
            col(Case.received_at).asc(),
            col(Case.risk_count).desc(),
            col(Case.id).asc(),
        ]
    if order == "oldest":
        return [col(Case.received_at).asc(), col(Case.id).asc()]
    if order == "newest":
        return [col(Case.received_at).desc(), col(Case.id).desc()]
    if order == "reference":
        return [col(Case.id).asc()]
    raise QueryError(f"unknown order {order!r}: use one of {', '.join(CASE_ORDERS)}")


_CASE_COLUMNS = (
    Case.id,
    Case.reference,
    Case.received_at,
    Case.mailbox,
    Case.area,
    Case.school_name,
    Case.school_type,
    Case.status,
    Case.has_blocking,
    Case.risk_count,
    Case.late,
    Case.misrouted,
    Case.aio_name,
    Case.version,
    Case.completed_at,
)


def list_cases(
    session: Session,
    *,
    area: str | None = None,
    areas: Collection[str] | None = None,
    status: str | None = None,
    school: str | None = None,
    flag: str | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
    order: str = "queue",
    limit: int | None = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Cases for the review queue. ``areas`` scopes an AIO to their areas (empty: none).

    Order "queue": cases with an open blocking flag first, then the oldest received, then
    the most safeguarding risk indicators. Also "oldest", "newest", "reference".
    """
    conditions = _case_conditions(
        area=area,
        areas=areas,
        status=status,
        school=school,
        flag=flag,
        since=since,
        until=until,
    )
    statement = select(*_CASE_COLUMNS).where(*conditions).order_by(*_case_order(order))
    rows = session.exec(_page(statement, limit, offset)).all()
    codes = _open_codes(session, (row.id for row in rows))
    return [
        {
            "id": row.id,
            "reference": row.reference,
            "received_at": _iso(row.received_at),
            "mailbox": row.mailbox,
            "area": row.area,
            "school": row.school_name,
            "school_type": row.school_type,
            "status": row.status,
            "has_blocking": row.has_blocking,
            "risk_count": row.risk_count,
            "late": row.late,
            "misrouted": row.misrouted,
            "aio_name": row.aio_name,
            "version": row.version,
            "completed_at": _iso(row.completed_at),
            "open_flags": codes.get(row.id, []),
        }
        for row in rows
    ]


def count_cases(session: Session, **filters: Any) -> int:
    """How many cases :func:`list_cases` gives with the same filters (no paging)."""
    keys = ("area", "areas", "status", "school", "flag", "since", "until")
    conditions = _case_conditions(**{key: filters.get(key) for key in keys})
    return int(session.exec(select(func.count()).select_from(Case).where(*conditions)).one())


def list_flags(
    session: Session,
    *,
    open_only: bool = True,
    area: str | None = None,
    areas: Collection[str] | None = None,
    code: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Flags across cases (oldest case first), each with whom to chase."""
    conditions = []
    if open_only:
        conditions.append(Flag.status == "open")
    if code:
        conditions.append(Flag.code == code)
    if area:
        conditions.append(Case.area == area)
    if areas is not None:
        conditions.append(col(Case.area).in_(sorted(areas)) if areas else false())
    statement = (
        select(Flag, Case.reference, Case.area, Case.school_name)
        .join(Case, col(Flag.case_id) == col(Case.id))
        .where(*conditions)
        .order_by(col(Case.received_at), col(Case.id), col(Flag.id))
    )
    return [
        {**_flag_row(flag), "case": reference, "area": case_area, "school": school}
        for flag, reference, case_area, school in session.exec(_page(statement, limit, offset))
    ]


def _flag_row(flag: Flag) -> dict[str, Any]:
    return {
        "id": flag.id,
        "code": flag.code,
        "section": flag.section,
        "field": flag.field,
        "severity": flag.severity,
        "message": flag.message,
        "follow_up_with": flag.follow_up_with,
        "status": flag.status,
        "message_pk": flag.message_pk,
        "created_at": _iso(flag.created_at),
        "closed_by": flag.closed_by,
        "closed_at": _iso(flag.closed_at),
        "note": flag.note,
    }


# --- one case --------------------------------------------------------------------------------------


def get_case(session: Session, reference: str) -> dict[str, Any] | None:
    """Everything about one case: record, every flag, messages, documents, versions, audit."""
    case = session.exec(select(Case).where(Case.reference == reference)).first()
    if case is None:
        return None
    messages = session.exec(
        select(Message).where(Message.case_id == case.id).order_by(col(Message.received_at))
    ).all()
    message_ids = [m.id for m in messages]
    documents = session.exec(
        select(Document, Blob.size)
        .join(Blob, col(Document.sha256) == col(Blob.sha256))
        .where(col(Document.message_pk).in_(message_ids))
        .order_by(col(Document.message_pk), col(Document.position))
    ).all()
    flags = session.exec(select(Flag).where(Flag.case_id == case.id).order_by(col(Flag.id)))
    versions = session.exec(
        select(CaseVersion.version, CaseVersion.created_at, CaseVersion.message_pk)
        .where(CaseVersion.case_id == case.id)
        .order_by(col(CaseVersion.version))
    ).all()
    return {
        "id": case.id,
        "reference": case.reference,
        "status": case.status,
        "area": case.area,
        "mailbox": case.mailbox,
        "school": case.school_name,
        "received_at": _iso(case.received_at),
        "completed_at": _iso(case.completed_at),
        "version": case.version,
        "aio_name": case.aio_name,
        "record": case.record,
        "flags": [_flag_row(flag) for flag in flags],
        "messages": [_message_row(message) for message in messages],
        "documents": [_document_row(document, size) for document, size in documents],
        "versions": [
            {"version": version, "created_at": _iso(created), "message_pk": message_pk}
            for version, created, message_pk in versions
        ],
        "audit": case_audit(session, case_id=int(case.id or 0)),
    }


def _message_row(message: Message) -> dict[str, Any]:
    return {
        "message_pk": message.id,
        "received_at": _iso(message.received_at),
        "mailbox": message.mailbox,
        "message_id": message.message_id,
        "from": message.from_addr,
        "to": message.to_addr,
        "subject": message.subject,
        "date": message.date_header,
        "status": message.status,
        "error": message.error,
        "moved": message.moved,
        "raw_sha256": message.raw_sha256,
    }


def _document_row(document: Document, size: int) -> dict[str, Any]:
    return {
        "id": document.id,
        "message_pk": document.message_pk,
        "position": document.position,
        "filename": document.filename,
        "sha256": document.sha256,
        "size": size,
        "media_type": document.media_type,
        "role": document.role,
        "extraction": document.extraction,
        "pages": document.pages,
        "problem": document.problem,
    }


def case_audit(session: Session, *, case_id: int) -> list[dict[str, Any]]:
    """The case's audit trail, oldest first."""
    events = session.exec(
        select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(col(AuditEvent.id))
    )
    return [
        {
            "at": _iso(event.at),
            "actor": event.actor,
            "action": event.action,
            "message_pk": event.message_pk,
            "detail": event.detail,
        }
        for event in events
    ]


def blob_content(session: Session, sha256: str) -> bytes | None:
    """The stored bytes of a raw email or a document (for downloads)."""
    blob = session.get(Blob, sha256)
    return None if blob is None else bytes(blob.content)


# --- mailboxes -------------------------------------------------------------------------------------


def mailbox_status(session: Session) -> list[dict[str, Any]]:
    """Per mailbox: last good poll, last error, messages waiting, failed and unmoved counts."""
    states: dict[str, list[MailboxState]] = defaultdict(list)
    for state in session.exec(select(MailboxState).order_by(col(MailboxState.folder))):
        states[state.mailbox].append(state)
    counts = {
        mailbox: (total, failed, unmoved, last)
        for mailbox, total, failed, unmoved, last in session.exec(
            select(
                Message.mailbox,
                func.count(),
                func.sum(when((Message.status == "failed", 1), else_=0)),
                func.sum(when((col(Message.moved).is_(False), 1), else_=0)),
                func.max(Message.received_at),
            ).group_by(Message.mailbox)
        )
    }
    names = sorted(set(states) | set(counts), key=_mailbox_rank)
    return [_mailbox_row(name, states.get(name, []), counts.get(name)) for name in names]


def _mailbox_rank(name: str) -> tuple[int, str]:
    return (MAILBOX_ORDER.index(name) if name in MAILBOX_ORDER else len(MAILBOX_ORDER), name)


def _mailbox_row(name: str, states: list[MailboxState], counts: tuple | None) -> dict[str, Any]:
    total, failed, unmoved, last_received = counts or (0, 0, 0, None)
    good = max((s.last_poll_ok_at for s in states if s.last_poll_ok_at), default=None)
    errored = [s for s in states if s.last_error_at]
    latest_error = max(errored, key=lambda s: s.last_error_at) if errored else None
    error_at = latest_error.last_error_at if latest_error else None
    return {
        "mailbox": name,
        "last_poll_ok_at": _iso(good),
        "last_error": latest_error.last_error if latest_error else None,
        "last_error_at": _iso(error_at),
        "healthy": error_at is None or (good is not None and good >= error_at),
        "waiting": sum(s.waiting for s in states),
        "received": int(total or 0),
        "failed": int(failed or 0),
        "unmoved": int(unmoved or 0),
        "last_received_at": _iso(last_received),
        "folders": [
            {
                "folder": s.folder,
                "uidvalidity": s.uidvalidity,
                "last_uid": s.last_uid,
                "waiting": s.waiting,
                "last_poll_ok_at": _iso(s.last_poll_ok_at),
                "last_error": s.last_error,
                "last_error_at": _iso(s.last_error_at),
            }
            for s in states
        ],
    }
