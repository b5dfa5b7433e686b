"""Allocating cases to an AIO: from the case page, and in bulk from the queue.

Anyone who works cases may allocate within their own areas, to an active AIO who covers
the case's area; the store checks every case against that before changing any.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from intake.web.access import CaseWorker, Db, case_for, visible_areas
from models.store_allocation import allocate
from models.tables import User
from models.users import AREAS, user_areas
from parsers.errors import IntakeError

router = APIRouter()


def aio_names(db: Session, areas: tuple[str, ...] | None) -> list[str]:
    """Active AIOs who cover at least one of ``areas`` (every AIO when None)."""
    aios = db.exec(select(User).where(User.role == "aio", col(User.disabled).is_(False))
                   .order_by(col(User.name)))
    return [u.name for u in aios if areas is None or set(user_areas(u)) & set(areas)]


def _allowed_areas(db: Session, user: User, aio_name: str) -> tuple[str, ...] | None:
    """Where ``user`` may allocate to ``aio_name``: both must cover the area."""
    mine = visible_areas(user)
    if not aio_name:
        return mine
    target = db.exec(select(User).where(User.name == aio_name, User.role == "aio",
                                        col(User.disabled).is_(False))).first()
    if target is None:
        return ()
    theirs = tuple(user_areas(target))
    return tuple(a for a in (mine or AREAS) if a in theirs)


@router.post("/cases/{reference}/allocate")
def allocate_case(request: Request, reference: str, db: Db, user: CaseWorker,
                  aio_name: Annotated[str, Form()] = "") -> Response:
    case = case_for(db, user, reference)
    params: dict[str, str] = {"done": "allocated"}
    try:
        allocate(request.app.state.engine, references=[case.reference], aio_name=aio_name,
                 actor=user.name, areas=_allowed_areas(db, user, aio_name))
    except IntakeError:
        params = {"error": "That AIO does not cover this case's area."}
    return RedirectResponse(f"/cases/{quote(case.reference)}?{urlencode(params)}",
                            status_code=303)


@router.post("/queue/allocate")
def allocate_many(request: Request, db: Db, user: CaseWorker,
                  reference: Annotated[list[str] | None, Form()] = None,
                  aio_name: Annotated[str, Form()] = "",
                  back: Annotated[str, Form()] = "") -> Response:
    """Allocate every ticked case of the queue page; all or none."""
    query = back if back and not back.startswith(("/", "\\")) and "://" not in back else ""
    try:
        changed = allocate(request.app.state.engine, references=reference or [],
                           aio_name=aio_name, actor=user.name,
                           areas=_allowed_areas(db, user, aio_name))
        notice = {"allocated": str(len(changed))}
    except IntakeError as exc:
        notice = {"allocate_error": exc.reason}
    separator = "&" if query else ""
    return RedirectResponse(f"/queue?{query}{separator}{urlencode(notice)}", status_code=303)
