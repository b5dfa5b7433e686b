"""The intake log: one row per message received, with what became of it.

Managers' questions ("what came in last week to ENE, and what is still open?") are
answered from the messages table joined to their cases; a message that made no case shows
the flag codes it raised itself. Message-IDs are shown without their angle brackets, as in
the record's ``received.message_id``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, false, func, or_
from sqlmodel import Session, col, select

from models.queries_filters import (
    contains_text,
    days_between,
    flag_codes,
    iso,
    open_codes,
    page,
    period,
)
from models.store_headers import bare_message_id
from models.tables import Case, Flag, Message


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
    conditions = period(Message.received_at, since, until)
    if mailbox:
        conditions.append(Message.mailbox == mailbox)
    if area:
        conditions.append(Message.area == area)
    if school:
        conditions.append(contains_text(Case.school_name, school))
    if status:
        conditions.append(Message.status == status)
    if flag:
        open_on_case = exists().where(
            col(Flag.case_id) == col(Message.case_id),
            col(Flag.code) == flag,
            col(Flag.status) == "open",
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
        select(Message, Case.reference, Case.outcome, Case.closed_at, Case.received_at)
        .select_from(Message)
        .outerjoin(Case, col(Message.case_id) == col(Case.id))
        .where(*conditions)
        .order_by(col(Message.received_at), col(Message.id))
    )
    rows = session.exec(page(statement, limit, offset)).all()
    codes = open_codes(session, (r[0].case_id for r in rows if r[0].case_id is not None))
    return [_log_row(message, reference, codes) | _closure(*closure)
            for message, reference, *closure in rows]


def _closure(outcome: str | None, closed_at: datetime | None,
             opened: datetime | None) -> dict[str, Any]:
    """What became of the message's case: its outcome, when it closed, days from the
    case's receipt to its closure (all None while open or for a message with no case)."""
    return {"outcome": outcome, "closed_at": iso(closed_at),
            "days_to_close": days_between(opened, closed_at)}


def _log_row(message: Message, reference: str | None, codes: dict[int, list[str]]) -> dict:
    return {
        "message_pk": message.id,
        "received_at": iso(message.received_at),
        "mailbox": message.mailbox,
        "area": message.area,
        "message_id": bare_message_id(message.message_id),
        "from": message.from_addr,
        "subject": message.subject,
        "status": message.status,
        "case": reference,
        "open_flags": codes.get(message.case_id, [])
        if message.case_id is not None
        else flag_codes(message.flag_codes),
        "error": message.error,
        "moved": message.moved,
    }


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
