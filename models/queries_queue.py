"""The review queue: cases and flags across cases, filtered, ordered and paged.

``areas`` scopes an AIO to their areas (an empty collection: none). Each list has a
``count_…`` twin giving the total for paging.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, false, func
from sqlmodel import Session, col, select

from models.queries_case import flag_row
from models.queries_filters import contains_text, days_between, iso, open_codes, page, period
from models.tables import Case, Flag
from parsers.errors import QueryError

CASE_ORDERS = ("queue", "oldest", "newest", "reference")


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
    conditions = period(Case.received_at, since, until)
    if area:
        conditions.append(Case.area == area)
    if areas is not None:
        conditions.append(col(Case.area).in_(sorted(areas)) if areas else false())
    if status:
        conditions.append(Case.status == status)
    if school:
        conditions.append(contains_text(Case.school_name, school))
    if flag:
        conditions.append(
            exists().where(
                col(Flag.case_id) == col(Case.id), col(Flag.code) == flag, col(Flag.status) == "open"
            )
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
    Case.outcome,
    Case.closed_at,
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
    # More columns than sqlmodel's select() has typed overloads for.
    statement = select(*_CASE_COLUMNS)  # type: ignore[call-overload]
    statement = statement.where(*conditions).order_by(*_case_order(order))
    rows = session.exec(page(statement, limit, offset)).all()
    codes = open_codes(session, (row.id for row in rows))
    return [
        {
            "id": row.id,
            "reference": row.reference,
            "received_at": iso(row.received_at),
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
            "completed_at": iso(row.completed_at),
            "open_flags": codes.get(row.id, []),
            "outcome": row.outcome,
            "closed_at": iso(row.closed_at),
            "days_to_close": days_between(row.received_at, row.closed_at),
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
    conditions: list[Any] = []
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
        {**flag_row(flag), "case": reference, "area": case_area, "school": school}
        for flag, reference, case_area, school in session.exec(page(statement, limit, offset))
    ]
