"""Aggregations for the manager's intake log, and the audit trail query.

Every figure is computed over the same :class:`LogFilters` as the log's rows, so the totals,
the chart and the CSV on one page always describe the same messages. Grouping by week is
done in SQL (Monday-based weeks) with the one dialect-specific expression kept in
:func:`week_start`, so reports stay fast on 50,000 cases on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, cast, exists, func, or_
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session, col, select

from models.tables import AuditEvent, Case, Flag, Message, utcnow

LONDON = ZoneInfo("Europe/London")
AREA_OF_MAILBOX = {"cme": "central", "ene": "ENE", "wnw": "WNW", "south": "South"}
AREA_ORDER = ("central", "ENE", "WNW", "South")
AGE_BUCKETS = (("0–7 days", 0, 7), ("8–14 days", 8, 14), ("15–28 days", 15, 28),
               ("over 28 days", 29, None))


@dataclass(frozen=True)
class LogFilters:
    """The manager's log filters; every field empty means "all messages ever received"."""

    since: date | None = None
    until: date | None = None  # inclusive
    mailbox: str | None = None
    school: str | None = None
    status: str | None = None
    flag: str | None = None
    late: bool | None = None
    misrouted: bool | None = None


def day_start(day: date) -> datetime:
    """The moment a calendar day starts in England, in UTC (how timestamps are stored)."""
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(UTC)


def day_after(day: date) -> datetime:
    """The end (exclusive) of an inclusive "until" day."""
    return day_start(day + timedelta(days=1))


def filtered(statement: Select[Any], filters: LogFilters, *, join_case: bool = False
             ) -> Select[Any]:
    """Apply the filters to a statement over ``Message`` (outer-joined to ``Case`` when a
    filter or the caller's columns need the case: the join costs time on 50,000 rows)."""
    statement = statement.select_from(Message)
    if join_case or _needs_case(filters):
        statement = statement.outerjoin(Case, Message.case_id == Case.id)
    conditions: list[ColumnElement[bool]] = []
    if filters.since:
        conditions.append(Message.received_at >= day_start(filters.since))
    if filters.until:
        conditions.append(Message.received_at < day_after(filters.until))
    if filters.mailbox:
        conditions.append(Message.mailbox == filters.mailbox)
    if filters.school:
        conditions.append(func.lower(Case.school_name).contains(filters.school.lower()))
    if filters.status:
        conditions.append(Message.status == filters.status)
    if filters.flag:
        conditions.append(or_(
            exists().where(Flag.case_id == Message.case_id, Flag.code == filters.flag,
                           Flag.status == "open"),
            and_(col(Message.case_id).is_(None),
                 col(Message.flag_codes).contains(f",{filters.flag},"))))
    if filters.late is not None:
        conditions.append(_case_flag(Case.late, filters.late))
    if filters.misrouted is not None:
        conditions.append(_case_flag(Case.misrouted, filters.misrouted))
    return statement.where(and_(*conditions)) if conditions else statement


def _needs_case(filters: LogFilters) -> bool:
    return bool(filters.school) or filters.late is not None or filters.misrouted is not None


def _case_flag(column: Any, wanted: bool) -> ColumnElement[bool]:
    """A case's yes/no column; a message without a case counts as "no"."""
    if wanted:
        return col(column).is_(True)
    return or_(col(column).is_(False), col(Case.id).is_(None))


def week_start(column: Any, dialect: str) -> ColumnElement[Any]:
    """The Monday of the week a timestamp falls in, as a date (or ISO text on SQLite)."""
    if dialect == "sqlite":
        return func.date(column, "weekday 0", "-6 days")
    return cast(func.date_trunc("week", column), Date)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def weekly_counts(session: Session, *, filters: LogFilters
                  ) -> tuple[dict[date, dict[str, int]], dict[date, dict[str, int]]]:
    """Per week and area: every message received, and the new referrals among them.

    One scan gives both (the log's totals table and its chart). A message's area is its
    case's, else its mailbox's; a new referral is a message that opened a case
    (status ``ingested``; a ``threaded`` reply added to an existing one).
    """
    week = week_start(Message.received_at, session.get_bind().dialect.name).label("week")
    area = func.coalesce(Message.area, Message.mailbox).label("area")
    is_new = case((Message.status == "ingested", 1), else_=0).label("is_new")
    rows = session.exec(filtered(select(week, area, is_new, func.count()), filters)
                        .group_by(week, area, is_new))
    totals: dict[date, dict[str, int]] = defaultdict(dict)
    referrals: dict[date, dict[str, int]] = defaultdict(dict)
    for week_value, area_value, new, count in rows:
        name = AREA_OF_MAILBOX.get(area_value, area_value)
        day = _as_date(week_value)
        totals[day][name] = totals[day].get(name, 0) + count
        if new:
            referrals[day][name] = referrals[day].get(name, 0) + count
    return with_empty_weeks(totals), with_empty_weeks(referrals, like=totals)


def with_empty_weeks(weeks: dict[date, dict[str, int]], *,
                     like: dict[date, dict[str, int]] | None = None) -> dict[date, dict[str, int]]:
    """Every week from the first to the last, in order: a week with nothing received is
    shown as an empty week rather than left out of the chart and the table."""
    span = sorted(like if like is not None else weeks)
    if not span:
        return {}
    filled: dict[date, dict[str, int]] = {}
    day = span[0]
    while day <= span[-1]:
        filled[day] = dict(weeks.get(day, {}))
        day += timedelta(days=7)
    return filled


def weekly_totals(session: Session, *, filters: LogFilters) -> dict[date, dict[str, int]]:
    """Messages received per week per area (the case's area, else the mailbox's)."""
    return weekly_counts(session, filters=filters)[0]


def referrals_per_week(session: Session, *, filters: LogFilters) -> dict[date, dict[str, int]]:
    """New referrals (messages that opened a case) per week, by area."""
    return weekly_counts(session, filters=filters)[1]


def _hours_between(start: Any, end: Any, dialect: str) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return func.extract("epoch", end - start) / 3600.0


def median_hours_to_complete(session: Session, *, filters: LogFilters) -> float | None:
    """Median hours from receipt to completion over the completed referrals in view.

    Read from the case table alone (a referral is its case; its receipt the message that
    opened it): joining 50,000 messages to their cases costs more than the whole page may.
    """
    if filters.status not in (None, "ingested"):
        return None  # threaded replies, failures and stray mail are no referrals
    hours = _hours_between(Case.received_at, Case.completed_at, session.get_bind().dialect.name)
    statement = select(hours).where(col(Case.completed_at).is_not(None))
    if filters.since:
        statement = statement.where(Case.received_at >= day_start(filters.since))
    if filters.until:
        statement = statement.where(Case.received_at < day_after(filters.until))
    if filters.mailbox:
        statement = statement.where(Case.mailbox == filters.mailbox)
    if filters.school:
        statement = statement.where(func.lower(Case.school_name).contains(filters.school.lower()))
    if filters.flag:
        statement = statement.where(exists().where(
            Flag.case_id == Case.id, Flag.code == filters.flag, Flag.status == "open"))
    if filters.late is not None:
        statement = statement.where(col(Case.late).is_(filters.late))
    if filters.misrouted is not None:
        statement = statement.where(col(Case.misrouted).is_(filters.misrouted))
    values = sorted(float(v) for v in session.exec(statement) if v is not None)
    return statistics.median(values) if values else None


def open_flag_ageing(session: Session, *, filters: LogFilters,
                     now: datetime | None = None) -> dict[str, dict[str, int]]:
    """Open flags of the cases in view, by area and by how long they have been open."""
    now = now or utcnow()
    bucket = case(*[(Flag.created_at >= now - timedelta(days=high + 1), label)
                    for label, _, high in AGE_BUCKETS if high is not None],
                  else_=AGE_BUCKETS[-1][0]).label("bucket")
    cases_in_view = filtered(select(Message.case_id), filters).where(
        col(Message.case_id).is_not(None))
    area = func.coalesce(Case.area, "unknown").label("area")
    statement = (select(area, bucket, func.count()).select_from(Flag)
                 .join(Case, Flag.case_id == Case.id)
                 .where(Flag.status == "open", col(Flag.case_id).in_(cases_in_view))
                 .group_by(area, bucket))
    ageing: dict[str, dict[str, int]] = defaultdict(dict)
    for area_value, label, count in session.exec(statement):
        ageing[area_value][label] = count
    return dict(ageing)


def audit_rows(session: Session, since: date | datetime | None = None,
               until: date | datetime | None = None, actor: str | None = None,
               case: str | int | None = None, *, limit: int | None = None,
               offset: int = 0, newest_first: bool = False) -> list[dict[str, Any]]:
    """The audit trail, oldest first (the UI: newest first), as plain rows.

    ``until`` is inclusive when a date; ``case`` is a case reference or id.
    """
    statement = audit_statement(since=since, until=until, actor=actor, case=case)
    order = ((col(AuditEvent.at).desc(), col(AuditEvent.id).desc()) if newest_first
             else (col(AuditEvent.at), col(AuditEvent.id)))
    statement = statement.order_by(*order).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return [{"id": event.id, "at": event.at.isoformat(timespec="seconds"), "moment": event.at,
             "actor": event.actor,
             "action": event.action, "case": reference, "message": event.message_pk,
             "detail": event.full_detail()} for event, reference in session.exec(statement)]


def audit_statement(*, since: date | datetime | None = None, until: date | datetime | None = None,
                    actor: str | None = None, case: str | int | None = None) -> Select[Any]:
    statement = select(AuditEvent, Case.reference).outerjoin(Case, AuditEvent.case_id == Case.id)
    if since is not None:
        start = _aware(since) if isinstance(since, datetime) else day_start(since)
        statement = statement.where(AuditEvent.at >= start)
    if until is not None:
        end = _aware(until) if isinstance(until, datetime) else day_after(until)
        statement = statement.where(AuditEvent.at < end)
    if actor:
        statement = statement.where(AuditEvent.actor == actor)
    if case is not None and case != "":
        statement = statement.where(AuditEvent.case_id == case if isinstance(case, int)
                                    else Case.reference == case)
    return statement


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
