"""My cases: the cases allocated to the signed-in AIO (their home page), and the cases
nobody is allocated to yet, per area and age, for whoever shares them out."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from intake.web.access import CaseWorker, Db, visible_areas
from intake.web.pages import page_of, render
from intake.web.views_queue import queue_rows
from models.queries_my import AGE_BANDS, my_cases, unallocated

router = APIRouter()


@router.get("/my", response_class=HTMLResponse)
def my_page(request: Request, db: Db, user: CaseWorker) -> HTMLResponse:
    areas = visible_areas(user)
    total, _ = my_cases(db, aio_name=user.name, areas=areas, limit=0)
    page = page_of(request.query_params.get("page"), total)
    _, cases = my_cases(db, aio_name=user.name, areas=areas, offset=page.offset,
                        limit=page.size)
    return render(request, "my.html", {
        "nav": "my", "title": "My cases", "rows": queue_rows(db, cases), "page": page,
        "unallocated": unallocated(db, areas=areas, now=datetime.now(UTC)),
        "bands": [label for _, _, label in AGE_BANDS], "today": date.today(),
    })
