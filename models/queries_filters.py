"""The pieces every intake query shares: periods as days in England, text matching,
paging, times as ISO 8601 in UTC, and the open flag codes of a page of cases.

``since``/``until`` accept a date (a calendar day in England, ``until`` inclusive) or a
datetime (``until`` exclusive).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session, col, select

from models.tables import Flag

Paged = TypeVar("Paged", bound=Select)


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


def days_between(start: datetime | None, end: datetime | None) -> int | None:
    """Whole days from ``start`` (receipt) to ``end`` (closure); None while a case is open.
    The same count as the manager's CSV (``models.reports_closure.days_to_close``)."""
    if start is None or end is None:
        return None
    return (_moment(end, end=False) - _moment(start, end=False)).days


def iso(moment: datetime | None) -> str | None:
    """A stored moment as ISO 8601 in UTC, to the second (naive values are UTC)."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat(timespec="seconds")


def period(column: Any, since: date | datetime | None, until: date | datetime | None) -> list:
    """Conditions keeping ``column`` within since..until (see the module docstring)."""
    conditions = []
    if since is not None:
        conditions.append(column >= _moment(since, end=False))
    if until is not None:
        conditions.append(column < _moment(until, end=True))
    return conditions


def contains_text(column: Any, text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match; ``%`` and ``_`` in ``text`` are literal."""
    return func.lower(column).contains(text.strip().lower(), autoescape=True)


def page(statement: Paged, limit: int | None, offset: int) -> Paged:
    """One page of a statement's rows (no limit when ``limit`` is None)."""
    if offset:
        statement = statement.offset(max(0, offset))
    return statement.limit(limit) if limit is not None else statement


def flag_codes(column_value: str | None) -> list[str]:
    """The codes in a message's ``flag_codes`` column (``,a,b,``), sorted."""
    return sorted(code for code in (column_value or "").split(",") if code)


def open_codes(session: Session, case_ids: Iterable[int]) -> dict[int, list[str]]:
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
