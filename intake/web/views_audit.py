"""The audit trail, for admins: every view, download, change and login, with who and when."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from intake.web.access import Admin, Db
from intake.web.pages import audit, csv_download, csv_text, page_of, parse_day, render
from models.reports import audit_rows, audit_statement

router = APIRouter()

CSV_COLUMNS = ("id", "at", "actor", "action", "case", "message", "detail")


def _filters(request: Request) -> dict[str, object]:
    query = request.query_params
    return {"since": parse_day(query.get("since")), "until": parse_day(query.get("until")),
            "actor": (query.get("actor") or "").strip() or None,
            "case": (query.get("case") or "").strip() or None}


@router.get("/audit", response_class=HTMLResponse)
def audit_trail(request: Request, db: Db, user: Admin) -> HTMLResponse:
    filters = _filters(request)
    matching = audit_statement(**filters).subquery()  # type: ignore[arg-type]
    total = db.execute(select(func.count()).select_from(matching)).scalar_one()
    page = page_of(request.query_params.get("page"), total)
    rows = audit_rows(db, **filters, limit=page.size, offset=page.offset,  # type: ignore[arg-type]
                      newest_first=True)
    return render(request, "audit.html", {
        "nav": "audit", "title": "Audit trail", "filters": filters, "page": page, "rows": rows,
        "export_query": request.url.query,
    })


@router.get("/audit.csv")
def audit_csv(request: Request, db: Db, user: Admin) -> Response:
    filters = _filters(request)
    rows = audit_rows(db, **filters)  # type: ignore[arg-type]
    text = csv_text(CSV_COLUMNS, ([r["id"], r["at"], r["actor"], r["action"], r["case"],
                                   r["message"], json.dumps(r["detail"], sort_keys=True)]
                                  for r in rows))
    audit(request, user=user, action="audit_exported", detail={"rows": len(rows)})
    return csv_download(text, "cme-audit.csv")



