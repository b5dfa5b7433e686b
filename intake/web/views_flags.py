"""Closing a selected group of flags from the case page: one action, one note (issue 14)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from intake.web.access import CaseWorker, Db, case_for
from models.store_flag_groups import close_flags
from parsers.errors import IntakeError

router = APIRouter()


@router.post("/cases/{reference}/flags")
def close_selected(request: Request, reference: str, db: Db, user: CaseWorker,
                   action: Annotated[str, Form()],
                   flag: Annotated[list[int] | None, Form()] = None,
                   note: Annotated[str, Form()] = "") -> Response:
    case = case_for(db, user, reference)
    if action not in ("resolve", "waive"):
        params = {"error": "Choose resolve or waive."}
    else:
        try:
            count = close_flags(request.app.state.engine, reference=case.reference,
                                flag_ids=flag or [], actor=user.name, note=note,
                                waive=action == "waive")
            params = {"done": "group_resolved" if action == "resolve" else "group_waived",
                      "count": str(count)}
        except IntakeError as exc:
            params = {"error": exc.reason[0].upper() + exc.reason[1:] + "."}
    return RedirectResponse(f"/cases/{quote(case.reference)}?{urlencode(params)}#flags",
                            status_code=303)
