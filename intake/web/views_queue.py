"""The AIO review queue: open blocking cases first, then oldest, then most risk indicators.

The queue proper is the open cases (an open blocking flag: the spec's "incomplete"), found
through the ``(status, has_blocking, received_at)`` index. Complete cases still waiting for
Part 3 are a filter of their own, on the ``part3_confirmed`` column kept from the record.

Filters are plain GET parameters, so a filtered queue is a link that can be bookmarked, and
the CSV export takes the very same parameters and gives the very same rows (unpaginated).
Lists are always limited to the user's areas.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import ColumnElement, exists, func, true
from sqlmodel import Session, col, select

from intake.web.access import CaseWorker, Db, area_choices, scope_cases, visible_areas
from intake.web.pages import (
    FLAG_CODES,
    audit,
    csv_download,
    csv_text,
    day_end,
    day_start,
    page_of,
    parse_day,
    render,
)
from models.tables import Case, Flag, User

router = APIRouter()

STATUSES = (("open", "Incomplete: blocking flags open"),
            ("part3", "Complete, Part 3 not confirmed"), ("done", "Part 3 confirmed"))


@dataclass(frozen=True)
class QueueFilters:
    area: str = ""
    status: str = "open"
    school: str = ""
    flag: str = ""
    received_from: str = ""
    received_to: str = ""
    aio: str = ""  # an AIO's name, "none" for unallocated cases

    @classmethod
    def from_request(cls, request: Request) -> QueueFilters:
        """From the query string; a missing ``status`` means open, a blank one any."""
        query = request.query_params
        return cls(**{f.name: query.get(f.name, f.default).strip() for f in fields(cls)})


def part3_confirmed() -> ColumnElement[bool]:
    """Part 3's "all sections satisfactorily completed" is ticked: the case has left the queue.

    A column kept from the record (the record itself is sealed, see ``models.crypto``).
    """
    return col(Case.part3_confirmed) == true()


def _filtered(statement: Any, filters: QueueFilters, user: User) -> Any:
    statement = scope_cases(statement, user)
    if filters.area:
        statement = statement.where(Case.area == filters.area)
    if filters.status == "open":
        statement = statement.where(Case.status == "open")
    elif filters.status == "part3":
        statement = statement.where(Case.status == "complete", ~part3_confirmed())
    elif filters.status == "done":
        statement = statement.where(part3_confirmed())
    if filters.aio == "none":
        statement = statement.where(col(Case.aio_name).is_(None))
    elif filters.aio:
        statement = statement.where(Case.aio_name == filters.aio)
    if filters.school:
        statement = statement.where(func.lower(Case.school_name).contains(filters.school.lower()))
    if filters.flag:
        statement = statement.where(exists().where(
            Flag.case_id == Case.id, Flag.code == filters.flag, Flag.status == "open"))
    since, until = day_start(parse_day(filters.received_from)), day_end(parse_day(filters.received_to))
    if since:
        statement = statement.where(Case.received_at >= since)
    if until:
        statement = statement.where(Case.received_at < until)
    return statement


def _ordered(statement: Any) -> Any:
    return statement.order_by(col(Case.has_blocking).desc(), col(Case.received_at).asc(),
                              col(Case.risk_count).desc(), col(Case.id).asc())


def open_flag_counts(db: Session, case_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per case: open flags per severity (blocking, warning, info)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if not case_ids:
        return counts
    rows = db.exec(select(Flag.case_id, Flag.severity, func.count())
                   .where(col(Flag.case_id).in_(case_ids), Flag.status == "open")
                   .group_by(Flag.case_id, Flag.severity))
    for case_id, severity, count in rows:
        counts[case_id][severity] = count
    return counts


def pupil_name(case: Case) -> str:
    pupil = (case.record or {}).get("pupil") or {}
    names = [pupil.get("forenames"), pupil.get("surname")]
    return " ".join(n for n in names if n) or "(name not given)"


def queue_rows(db: Session, cases: list[Case]) -> list[dict[str, Any]]:
    counts = open_flag_counts(db, [c.id for c in cases if c.id is not None])
    return [{"case": c, "pupil": pupil_name(c), "flags": counts.get(c.id or 0, {})}
            for c in cases]


@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, db: Db, user: CaseWorker) -> HTMLResponse:
    filters = QueueFilters.from_request(request)
    total = db.exec(_filtered(select(func.count()).select_from(Case), filters, user)).one()
    page = page_of(request.query_params.get("page"), total)
    cases = list(db.exec(_ordered(_filtered(select(Case), filters, user))
                         .offset(page.offset).limit(page.size)))
    return render(request, "queue.html", {
        "nav": "queue", "title": "Review queue", "filters": filters, "page": page,
        "rows": queue_rows(db, cases), "areas": area_choices(user), "statuses": STATUSES,
        "flag_codes": FLAG_CODES, "export_query": request.url.query, "today": date.today(),
        **allocation_context(request, db, user),
    })


def allocation_context(request: Request, db: Session, user: User) -> dict[str, Any]:
    """The AIO filter's choices, the bulk allocation form's, and its outcome."""
    from intake.web.views_allocate import aio_names

    query = request.query_params
    names = aio_names(db, visible_areas(user))
    allocated = query.get("allocated")
    return {
        "aio_filter": [("none", "Not allocated"), *((n, n) for n in names)],
        "aio_names": names,
        "back_query": "&".join(f"{k}={quote(v)}" for k, v in query.items()
                               if k not in ("allocated", "allocate_error")),
        "notice": f"{allocated} case{'s' if allocated != '1' else ''} allocated."
        if allocated else None,
        "error": query.get("allocate_error"),
    }


CSV_COLUMNS = ("reference", "received_at", "area", "school", "status", "blocking_flags",
               "warning_flags", "risk_indicators", "late", "misrouted", "aio")


def _csv_rows(db: Session, cases: list[Case]) -> Iterator[list[Any]]:
    for start in range(0, len(cases), 500):
        chunk = cases[start:start + 500]
        counts = open_flag_counts(db, [c.id for c in chunk if c.id is not None])
        for c in chunk:
            flags = counts.get(c.id or 0, {})
            yield [c.reference, c.received_at.isoformat(timespec="seconds"), c.area,
                   c.school_name, c.status, flags.get("blocking", 0), flags.get("warning", 0),
                   c.risk_count, c.late, c.misrouted, c.aio_name]


@router.get("/queue.csv")
def queue_csv(request: Request, db: Db, user: CaseWorker) -> Response:
    filters = QueueFilters.from_request(request)
    cases = list(db.exec(_ordered(_filtered(select(Case), filters, user))))
    audit(request, user=user, action="queue_exported", detail={"filters": filters.__dict__})
    return csv_download(csv_text(CSV_COLUMNS, _csv_rows(db, cases)), "cme-queue.csv")
