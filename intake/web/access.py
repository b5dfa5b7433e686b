"""Who may see what: role checks and the area scope of an AIO.

An AIO sees only the cases of their areas, everywhere (queue, case page, downloads,
exports); managers and admins see every area. A case outside an AIO's areas is a 403, never
a silent empty page, so a wrong link is noticed rather than mistaken for "no case".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from intake.web.auth import Forbidden, db_session, signed_in_user
from models.tables import Case, User
from models.users import AREAS, user_areas

AREA_OF_MAILBOX = {"cme": "central", "ene": "ENE", "wnw": "WNW", "south": "South"}
MAILBOX_OF_AREA = {area: mailbox for mailbox, area in AREA_OF_MAILBOX.items()}
CASE_ROLES = ("aio", "manager", "admin")
LOG_ROLES = ("manager", "admin")
AUDIT_ROLES = ("admin",)

Db = Annotated[Session, Depends(db_session)]


def current_user(request: Request, db: Db) -> User:
    return signed_in_user(request, db)


CurrentUser = Annotated[User, Depends(current_user)]


def require_roles(*roles: str) -> Callable[..., User]:
    """A dependency giving the signed-in user when their role is one of ``roles``."""

    def dependency(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden()
        return user

    return dependency


CaseWorker = Annotated[User, Depends(require_roles(*CASE_ROLES))]
Manager = Annotated[User, Depends(require_roles(*LOG_ROLES))]
Admin = Annotated[User, Depends(require_roles(*AUDIT_ROLES))]


def visible_areas(user: User) -> tuple[str, ...] | None:
    """The areas a user's lists are limited to, or None for every area."""
    if user.role in ("manager", "admin"):
        return None
    return tuple(user_areas(user))


def area_choices(user: User) -> tuple[str, ...]:
    areas = visible_areas(user)
    return AREAS if areas is None else areas


def scope_cases(statement: Select[Any], user: User) -> Select[Any]:
    """Limit a statement over ``Case`` to the user's areas."""
    areas = visible_areas(user)
    if areas is None:
        return statement
    return statement.where(Case.area.in_(areas))  # type: ignore[union-attr]


def may_see_case(user: User, case: Case) -> bool:
    areas = visible_areas(user)
    return areas is None or case.area in areas


def case_for(db: Session, user: User, reference: str) -> Case:
    """The case by reference, or 404; a case outside the user's areas is 403."""
    from fastapi import HTTPException

    case = db.exec(select(Case).where(Case.reference == reference)).first()
    if case is None:
        raise HTTPException(status_code=404, detail="no such case")
    if not may_see_case(user, case):
        raise Forbidden(case_id=case.id)
    return case
