"""Local logins: add, disable, change a password, check a password with a per-user lock.

Keyword-only data functions in the full-stack-fastapi-template style; the CLI's
``cme-intake users ...`` and the web login both call these. Passwords are hashed by
:mod:`intake.web.auth` (argon2id), the one place that knows how. Every change is an audit
event with who made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from models.tables import ROLES, AuditEvent, User, utcnow
from parsers.errors import IntakeError

AREAS = ("central", "ENE", "WNW", "South")
MIN_PASSWORD_LENGTH = 12


class UserError(IntakeError):
    """A user change that cannot be made (unknown name, duplicate, bad role/area, weak password)."""


def _area_list(areas: Iterable[str]) -> list[str]:
    canonical = {area.lower(): area for area in AREAS}
    chosen: list[str] = []
    for area in areas:
        key = canonical.get(area.strip().lower())
        if key is None:
            raise UserError(f"unknown area {area!r}: expected one of {', '.join(AREAS)}")
        if key not in chosen:
            chosen.append(key)
    return chosen


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")


@contextmanager
def _using(db: Engine | Session | None, session: Session | None) -> Iterator[Session]:
    """The session to work in: the caller's, or a new one on the engine (committed)."""
    chosen = session if session is not None else db
    if isinstance(chosen, Session):
        yield chosen
        return
    if chosen is None:
        raise UserError("no database given")
    from models.db import session_scope

    with session_scope(chosen) as own:
        yield own


def _audit(session: Session, *, actor: str, action: str, detail: dict) -> None:
    session.add(AuditEvent(actor=actor, action=action, detail=detail))


def user_areas(user: User) -> list[str]:
    return [area for area in user.areas.split(",") if area]


def get_user(*, session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name)).first()


def add_user(db: Engine | Session | None = None, /, *, session: Session | None = None,
             name: str, role: str, password: str, areas: Iterable[str] = (),
             actor: str = "cli") -> User:
    """Create a login. An AIO must be given at least one area; others see every area.

    ``db`` is an engine (one transaction of its own) or an open session.
    """
    with _using(db, session) as work:
        return _add_user(work, name=name, role=role, password=password, areas=areas,
                         actor=actor)


def _add_user(session: Session, *, name: str, role: str, password: str,
              areas: Iterable[str], actor: str) -> User:
    name = name.strip()
    if not name or len(name) > 120:
        raise UserError("a user name must be 1 to 120 characters")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    area_list = _area_list(areas)
    if role == "aio" and not area_list:
        raise UserError("an AIO needs at least one --area")
    _check_password(password)
    if get_user(session=session, name=name) is not None:
        raise UserError(f"user {name!r} already exists")
    from models.passwords import hash_password

    user = User(name=name, role=role, areas=",".join(area_list),
                password_hash=hash_password(password))
    session.add(user)
    _audit(session, actor=actor, action="user_added",
           detail={"user": name, "role": role, "areas": area_list})
    session.commit()
    session.refresh(user)
    return user


def _existing(session: Session, name: str) -> User:
    user = get_user(session=session, name=name)
    if user is None:
        raise UserError(f"no user {name!r}")
    return user


def disable_user(db: Engine | Session | None = None, /, *, session: Session | None = None,
                 name: str, actor: str = "cli") -> User:
    """Disable a login; the web app checks the user on every request, so it stops at once."""
    with _using(db, session) as work:
        user = _existing(work, name)
        user.disabled = True
        work.add(user)
        _audit(work, actor=actor, action="user_disabled", detail={"user": name})
        work.commit()
        return user


def set_password(db: Engine | Session | None = None, /, *, session: Session | None = None,
                 name: str, password: str, actor: str = "cli") -> User:
    """Set a new password, clear any lock; sessions signed in with the old one end."""
    from models.passwords import hash_password

    _check_password(password)
    with _using(db, session) as work:
        user = _existing(work, name)
        user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        work.add(user)
        _audit(work, actor=actor, action="password_set", detail={"user": name})
        work.commit()
        return user


def verify_login(db: Engine | Session | None = None, /, *, session: Session | None = None,
                 name: str, password: str, max_failures: int = 5,
                 lock_minutes: int = 15) -> User | None:
    """The user when the password is right and the account usable, else None.

    After ``max_failures`` wrong passwords in a row the account is locked for
    ``lock_minutes``; during the lock even the right password fails. Unknown names cost a
    hash too, so timing does not tell which names exist.
    """
    with _using(db, session) as work:
        return _verify_login(work, name=name, password=password, max_failures=max_failures,
                             lock_minutes=lock_minutes)


def _verify_login(session: Session, *, name: str, password: str, max_failures: int,
                  lock_minutes: int) -> User | None:
    from models.passwords import hash_password, needs_rehash, verify_password

    user = get_user(session=session, name=name.strip())
    now = utcnow()
    if user is None:
        verify_password(None, password)
        return None
    if user.locked_until is not None and user.locked_until > now:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            _audit(session, actor=user.name, action="login_locked", detail={"user": user.name})
        session.add(user)
        session.commit()
        return None
    if user.disabled:
        return None
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.add(user)
    session.commit()
    return user
