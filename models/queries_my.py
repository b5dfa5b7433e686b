"""Queries behind "My cases": an AIO's allocated cases, and the unallocated ones by area and age.

Both read the ``(aio_name, status)`` index; the unallocated summary is one grouped query
(counts per area in age bands), so a manager's overview costs the same at 50,000 cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from models.tables import Case

AGE_BANDS = ((0, 5, "0–5 days"), (6, 10, "6–10 days"), (11, 20, "11–20 days"),
             (21, None, "over 20 days"))


@dataclass(frozen=True)
class UnallocatedRow:
    area: str
    counts: tuple[int, ...]  # one per AGE_BANDS

    @property
    def total(self) -> int:
        return sum(self.counts)


def _scoped(statement: Any, areas: Sequence[str] | None) -> Any:
    return statement if areas is None else statement.where(col(Case.area).in_(areas))


def my_cases(session: Session, *, aio_name: str, areas: Sequence[str] | None,
             offset: int = 0, limit: int = 50) -> tuple[int, list[Case]]:
    """(total, one page) of the cases allocated to ``aio_name``: open ones first, oldest first."""
    where = _scoped(select(Case).where(Case.aio_name == aio_name), areas)
    total = session.exec(_scoped(select(func.count()).select_from(Case)
                                 .where(Case.aio_name == aio_name), areas)).one()
    page = session.exec(where.order_by(col(Case.status).desc(), col(Case.has_blocking).desc(),
                                       col(Case.received_at), col(Case.id))
                        .offset(offset).limit(limit)).all()
    return int(total), list(page)


def unallocated(session: Session, *, areas: Sequence[str] | None,
                now: datetime) -> list[UnallocatedRow]:
    """Per area, how many cases nobody is allocated to, by days since they arrived."""
    bands = []
    for low, high, _ in AGE_BANDS:
        newest = now - timedelta(days=low)
        condition = Case.received_at <= newest
        if high is not None:
            condition = condition & (Case.received_at > now - timedelta(days=high + 1))
        bands.append(func.sum(case((condition, 1), else_=0)))
    statement = _scoped(select(Case.area, *bands).where(col(Case.aio_name).is_(None))
                        .group_by(Case.area).order_by(Case.area), areas)
    return [UnallocatedRow(area or "no area", tuple(int(n or 0) for n in counts))
            for area, *counts in session.exec(statement).all()]
