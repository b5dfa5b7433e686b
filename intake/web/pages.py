"""Rendering pages: one Jinja2 environment, the context every page needs, audit writes.

Every page gets the signed-in user and the session's CSRF token, so every form in every
template can carry the token without each view remembering to pass it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from intake.web.auth import session_of
from models import reports
from models.tables import User

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.trim_blocks = True
TEMPLATES.env.lstrip_blocks = True


def _query_with(request: Request, **changes: Any) -> str:
    """The current query string with some parameters replaced (pagination links)."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params.update({k: v for k, v in changes.items() if v not in (None, "")})
    return "?" + urlencode(params)


TEMPLATES.env.globals["query_with"] = _query_with


def local_time(moment: datetime | None, pattern: str = "%d %b %Y %H:%M") -> str:
    """A stored (UTC) timestamp as UK local time, the way staff read the clock."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(reports.LONDON).strftime(pattern)


TEMPLATES.env.filters["local"] = local_time

REVIEW_STATES = {
    "incomplete": ("blocking", "incomplete: blocking flags open"),
    "awaiting_part3": ("warning", "awaiting Part 3"),
    "reviewed": ("complete", "reviewed: Part 3 confirmed"),
}


def review_state(case: Any) -> tuple[str, str]:
    """(CSS class, words) for where a case stands in review."""
    if case.has_blocking:
        return REVIEW_STATES["incomplete"]
    if ((case.record or {}).get("aio") or {}).get("sections_complete") is True:
        return REVIEW_STATES["reviewed"]
    return REVIEW_STATES["awaiting_part3"]


TEMPLATES.env.globals["review_state"] = review_state


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           *, status_code: int = 200) -> HTMLResponse:
    web_session = session_of(request)
    page = {
        "user": getattr(request.state, "user", None),
        "csrf_token": web_session.csrf if web_session else "",
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(request, template, page, status_code=status_code)


def audit(request: Request, *, user: User | str, action: str, case_id: int | None = None,
          message_pk: int | None = None, detail: dict[str, Any] | None = None) -> None:
    """Append one audit event (who, when, what) in a short write transaction of its own."""
    from models.store import audit as append_event

    append_event(request.app.state.engine, actor=user if isinstance(user, str) else user.name,
                 action=action, case_id=case_id, message_pk=message_pk, detail=detail)


FLAG_CODES = (
    "missing_field", "missing_recommended", "enquiry_not_done", "no_referral_ground",
    "part2_missing", "dsl_not_signed", "late_referral", "not_compulsory_school_age",
    "invalid_value", "low_confidence", "misrouted", "family_correspondence_not_attached",
    "removed_from_roll_without_authorisation", "risk_indicators_present", "possible_duplicate",
    "no_referral_form", "unreadable_document",
)
PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """Which slice of a filtered list is shown, for the pagination partial."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last(self) -> int:
        return min(self.total, self.offset + self.size)


def page_of(requested: str | int | None, total: int, size: int = PAGE_SIZE) -> Page:
    try:
        number = int(requested or 1)
    except ValueError:
        number = 1
    pages = max(1, -(-total // size))
    return Page(number=min(max(1, number), pages), size=size, total=total)


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD filter value, or None when blank or not a date (the filter is dropped)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def day_start(day: date | None) -> datetime | None:
    return None if day is None else reports.day_start(day)


def day_end(day: date | None) -> datetime | None:
    """Exclusive end of an inclusive 'until' day."""
    return None if day is None else reports.day_after(day)


def csv_download(text: str, filename: str) -> Response:
    """A CSV as a download (built whole: the database session closes with the request)."""
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (``=HYPERLINK(...)``) gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(header: tuple[str, ...], rows: Any) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return buffer.getvalue()
