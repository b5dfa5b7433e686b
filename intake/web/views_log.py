"""The manager's intake log: every message received, its fate, and the figures over it.

The page, its figures and its CSV export all read the same :class:`LogFilters`; the export
link carries the filters in effect (defaults included), so the CSV has exactly the rows the
filtered view lists, unpaginated.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from intake.web.access import Db, Manager
from intake.web.charts import stacked_weekly_bars
from intake.web.pages import (
    FLAG_CODES,
    audit,
    csv_download,
    csv_text,
    page_of,
    parse_day,
    render,
)
from models import reports
from models.reports import AGE_BUCKETS, AREA_ORDER, LogFilters
from models.reports_closure import closure_figures, days_to_close
from models.tables import MESSAGE_STATUSES, Case, Flag, Message

router = APIRouter()

MAILBOXES = (("cme", "cme (central)"), ("ene", "ene (ENE)"), ("wnw", "wnw (WNW)"),
             ("south", "south (South)"))
STATUSES = tuple(s for s in MESSAGE_STATUSES if s != "processing") + ("processing",)
DEFAULT_WEEKS = 8
_YES_NO = {"yes": True, "no": False}


def filters_from(request: Request) -> LogFilters:
    """The filters of the query string; with no query at all, the last eight weeks."""
    query = request.query_params
    if not any(k != "page" for k in query):
        return LogFilters(since=date.today() - timedelta(weeks=DEFAULT_WEEKS))
    return LogFilters(
        since=parse_day(query.get("since")), until=parse_day(query.get("until")),
        mailbox=query.get("mailbox") or None, school=(query.get("school") or "").strip() or None,
        status=query.get("status") or None, flag=query.get("flag") or None,
        late=_YES_NO.get(query.get("late", "")), misrouted=_YES_NO.get(query.get("misrouted", "")))


def filters_query(filters: LogFilters) -> str:
    """The query string that gives these filters back (for CSV and pagination links)."""
    def yes_no(value: bool | None) -> str:
        return "" if value is None else ("yes" if value else "no")

    params = {"since": filters.since.isoformat() if filters.since else "",
              "until": filters.until.isoformat() if filters.until else "",
              "mailbox": filters.mailbox or "", "school": filters.school or "",
              "status": filters.status or "", "flag": filters.flag or "",
              "late": yes_no(filters.late), "misrouted": yes_no(filters.misrouted)}
    return urlencode(params)


def _row_statement(filters: LogFilters) -> Any:
    columns = select(Message, Case.reference, Case.school_name, Case.area, Case.late,
                     Case.misrouted, Case.outcome, Case.received_at, Case.closed_at)
    return reports.filtered(columns, filters, join_case=True).order_by(col(Message.received_at).desc(),
                                                       col(Message.id).desc())


def open_codes(db: Session, case_ids: list[int]) -> dict[int, list[str]]:
    codes: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(case_ids), 900):
        chunk = case_ids[start:start + 900]
        rows = db.exec(select(Flag.case_id, Flag.code).where(
            col(Flag.case_id).in_(chunk), Flag.status == "open").order_by(col(Flag.id)))
        for case_id, code in rows:
            if code not in codes[case_id]:
                codes[case_id].append(code)
    return codes


def log_rows(db: Session, rows: list[Any]) -> list[dict[str, Any]]:
    """Rows for the page and the CSV; open flags as in ``models.queries.intake_log``: the
    case's open codes, or for a message that made no case the codes it raised."""
    codes = open_codes(db, sorted({r[0].case_id for r in rows if r[0].case_id}))
    return [{"message": message, "reference": reference, "school": school,
             "area": area or message.area, "late": late, "misrouted": misrouted,
             "outcome": outcome, "days_to_close": days_to_close(opened, closed),
             "flags": codes.get(message.case_id, []) if message.case_id
             else [c for c in (message.flag_codes or "").split(",") if c]}
            for message, reference, school, area, late, misrouted, outcome, opened, closed
            in rows]


FIGURES_SECONDS = 60.0
_figures_lock = threading.Lock()


def cached_figures(request: Request, db: Session, filters: LogFilters) -> dict[str, Any]:
    """The figures for a filter set, reused for a minute.

    Paging through a filtered log must not recompute aggregates over 50,000 messages on
    every page; figures (the count included) a minute old are fine for management
    information, while the rows themselves are always read afresh.
    """
    now = time.monotonic()
    with _figures_lock:
        if not hasattr(request.app.state, "log_figures"):
            request.app.state.log_figures = {}
        cache: dict[LogFilters, tuple[float, dict[str, Any]]] = request.app.state.log_figures
        hit = cache.get(filters)
        if hit and now - hit[0] < FIGURES_SECONDS:
            return hit[1]
    figures = _figures(db, filters)
    with _figures_lock:
        if len(cache) > 256:
            cache.clear()
        cache[filters] = (now, figures)
    return figures


def _figures(db: Session, filters: LogFilters) -> dict[str, Any]:
    totals, referrals = reports.weekly_counts(db, filters=filters)
    series = tuple(a for a in AREA_ORDER if any(a in w for w in referrals.values()))
    series += tuple(sorted({a for w in referrals.values() for a in w} - set(series)))
    median = reports.median_hours_to_complete(db, filters=filters)
    return {
        "total": db.exec(reports.filtered(select(func.count()), filters)).one(),
        "totals": totals, "areas": AREA_ORDER,
        "referrals": referrals, "chart": stacked_weekly_bars(
            referrals, series or AREA_ORDER, title="New referrals per week by area"),
        "median_days": None if median is None else median / 24,
        "closure": closure_figures(db, filters=filters),
        "ageing": reports.open_flag_ageing(db, filters=filters),
        "buckets": [label for label, _, _ in AGE_BUCKETS],
    }


@router.get("/log", response_class=HTMLResponse)
def intake_log(request: Request, db: Db, user: Manager) -> HTMLResponse:
    filters = filters_from(request)
    figures = cached_figures(request, db, filters)
    page = page_of(request.query_params.get("page"), figures["total"])
    rows = list(db.exec(_row_statement(filters).offset(page.offset).limit(page.size)))
    query = filters_query(filters)
    return render(request, "log.html", {
        "nav": "log", "title": "Intake log", "filters": filters, "page": page,
        "rows": log_rows(db, rows), "mailboxes": MAILBOXES, "statuses": STATUSES,
        "flag_codes": FLAG_CODES, "export_query": query, **figures,
    })


# No subject: a school may write a child's name there, and managers see no case (issue 15).
CSV_COLUMNS = ("received_at", "mailbox", "message_id", "from", "status", "case",
               "area", "school", "open_flags", "late", "misrouted", "outcome", "days_to_close",
               "error")


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


@router.get("/log.csv")
def intake_log_csv(request: Request, db: Db, user: Manager) -> Response:
    filters = filters_from(request)
    rows = log_rows(db, list(db.exec(_row_statement(filters))))
    text = csv_text(CSV_COLUMNS, ([
        row["message"].received_at.isoformat(timespec="seconds"), row["message"].mailbox,
        row["message"].message_id, row["message"].from_addr,
        row["message"].status, row["reference"], row["area"], row["school"],
        " ".join(row["flags"]), _yes_no(row["late"]), _yes_no(row["misrouted"]),
        row["outcome"] or "", row["days_to_close"], row["message"].error] for row in rows))
    audit(request, user=user, action="log_exported",
          detail={"filters": filters_query(filters), "rows": len(rows)})
    return csv_download(text, "cme-intake-log.csv")
