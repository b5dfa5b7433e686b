"""Closure figures for the manager's log page: outcomes and the median time to close.

Read from the case table alone, like ``models.reports.median_hours_to_complete``, over the
cases received in the view's date range and mailbox; codes only, never a name.
"""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.reports import LogFilters, day_after, day_start
from models.tables import Case


def _days_between(start: Any, end: Any, dialect: str) -> Any:
    if dialect == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return func.extract("epoch", end - start) / 86400.0


def closure_figures(session: Session, *, filters: LogFilters) -> dict[str, Any]:
    """``{"closed": n, "median_days_to_close": float | None, "outcomes": {code: n}}``."""
    conditions = [col(Case.closed_at).is_not(None)]
    if filters.since:
        conditions.append(Case.received_at >= day_start(filters.since))
    if filters.until:
        conditions.append(Case.received_at < day_after(filters.until))
    if filters.mailbox:
        conditions.append(Case.mailbox == filters.mailbox)
    if filters.school:
        conditions.append(func.lower(Case.school_name).contains(filters.school.lower()))
    days = _days_between(Case.received_at, Case.closed_at, session.get_bind().dialect.name)
    values = sorted(float(v) for v in session.exec(select(days).where(*conditions))
                    if v is not None)
    outcomes = dict(session.exec(select(Case.outcome, func.count()).where(*conditions)
                                 .group_by(Case.outcome).order_by(Case.outcome)).all())
    return {"closed": len(values), "outcomes": outcomes,
            "median_days_to_close": statistics.median(values) if values else None}


def days_to_close(received_at: Any, closed_at: Any) -> str:
    """Whole days from receipt to closure for a CSV cell ("" while open)."""
    if received_at is None or closed_at is None:
        return ""
    from models.store_rows import as_utc

    return str((as_utc(closed_at) - as_utc(received_at)).days)
