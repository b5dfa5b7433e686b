"""The one authentication module: password hashing, sessions, CSRF, throttling, idle timeout.

Identity proof and session are kept apart on purpose. :class:`LocalPasswords` proves who a
person is from a name and an argon2-hashed password; everything after that
(:meth:`WebAuth.begin_session`, the per-request user check, CSRF, the idle timeout) takes a
:class:`~models.tables.User` row and does not care how it was proven. An OIDC provider can
later replace ``LocalPasswords`` with a callback route that maps the provider's claims to a
``User`` and calls the same ``begin_session``.

Sessions live in memory (one uvicorn worker; a restart signs everyone out), keyed by the
sha256 of the cookie token. Every request reloads the user row, so disabling a user, changing
their role or areas, or changing their password takes effect on their very next request.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from sqlmodel import Session

from models.db import readonly_engine, session_scope
from models.tables import User

COOKIE_NAME = "cme_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
def credential_stamp(user: User) -> str:
    """A fingerprint of the user's credential: a new password ends every older session."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


class NotSignedIn(Exception):
    """Raised by the user dependency; the app turns it into a redirect to the login page."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(Exception):
    """The signed-in user may not see this: the app answers 403 with a plain page.

    ``case_id`` names the case refused, so the refusal becomes an audit event.
    """

    def __init__(self, case_id: int | None = None) -> None:
        super().__init__()
        self.case_id = case_id


class CsrfRejected(Exception):
    """A POST without the session's CSRF token: the app answers 403."""


@dataclass
class WebSession:
    csrf: str
    user_id: int | None
    stamp: str | None
    created: float
    last_seen: float


class SessionStore:
    """Server-side sessions with an idle timeout and an absolute lifetime."""

    def __init__(self, *, idle_seconds: float, absolute_seconds: float = 12 * 3600,
                 max_sessions: int = 20_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds = idle_seconds
        self.absolute_seconds = absolute_seconds
        self.max_sessions = max_sessions
        self.clock = clock
        self._sessions: dict[str, WebSession] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def new(self, *, user_id: int | None = None, stamp: str | None = None) -> tuple[str, WebSession]:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        web_session = WebSession(secrets.token_urlsafe(32), user_id, stamp, now, now)
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                self._prune(now)
            self._sessions[self._key(token)] = web_session
        return token, web_session

    def get(self, token: str | None) -> tuple[WebSession | None, bool]:
        """The live session for a cookie, and whether one existed but had timed out."""
        if not token:
            return None, False
        now = self.clock()
        key = self._key(token)
        with self._lock:
            web_session = self._sessions.get(key)
            if web_session is None:
                return None, False
            if self._expired(web_session, now):
                del self._sessions[key]
                return None, True
            web_session.last_seen = now
            return web_session, False

    def drop(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._sessions.pop(self._key(token), None)

    def _expired(self, web_session: WebSession, now: float) -> bool:
        return (now - web_session.last_seen > self.idle_seconds
                or now - web_session.created > self.absolute_seconds)

    def _prune(self, now: float) -> None:
        for key in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[key]
        while len(self._sessions) >= self.max_sessions:  # drop the least recently used
            oldest = min(self._sessions, key=lambda k: self._sessions[k].last_seen)
            del self._sessions[oldest]


class LoginThrottle:
    """Per client address: after ``max_failures`` failures, refuse logins for a while.

    The per-user lock is kept on the user row by :func:`models.users.verify_login`, so it
    survives a restart; this one stops one client guessing across many names.
    """

    def __init__(self, *, max_failures: int, lock_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self.clock = clock
        self._failures: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def locked(self, client: str) -> bool:
        with self._lock:
            count, since = self._failures.get(client, (0, 0.0))
            if count >= self.max_failures and self.clock() - since < self.lock_seconds:
                return True
            if count >= self.max_failures:
                del self._failures[client]
            return False

    def failure(self, client: str) -> None:
        with self._lock:
            count, _ = self._failures.get(client, (0, 0.0))
            self._failures[client] = (count + 1, self.clock())

    def success(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


@dataclass(frozen=True)
class LocalPasswords:
    """Identity proof by local name and password (the part an OIDC provider would replace)."""

    max_failures: int
    lock_minutes: int

    def authenticate(self, db: Session, *, name: str, password: str) -> User | None:
        from models.users import verify_login

        return verify_login(session=db, name=name, password=password,
                            max_failures=self.max_failures, lock_minutes=self.lock_minutes)


class WebAuth:
    """The app's auth state: sessions, client throttle, identity provider, cookie policy."""

    def __init__(self, *, idle_minutes: int, secure_cookies: bool, max_failures: int,
                 lock_minutes: int = 15, trusted_proxies: tuple[str, ...] = (),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.sessions = SessionStore(idle_seconds=idle_minutes * 60, clock=clock)
        self.throttle = LoginThrottle(max_failures=max_failures, lock_seconds=lock_minutes * 60,
                                      clock=clock)
        self.identity = LocalPasswords(max_failures=max_failures, lock_minutes=lock_minutes)
        self.secure_cookies = secure_cookies
        self.lock_minutes = lock_minutes
        self.trusted_proxies = tuple(ipaddress.ip_network(p, strict=False)
                                     for p in trusted_proxies)

    def set_clock(self, clock: Callable[[], float]) -> None:
        """For tests of the idle timeout and the lock period."""
        self.sessions.clock = clock
        self.throttle.clock = clock

    def set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="lax",
                            secure=self.secure_cookies, path="/")

    def clear_cookie(self, response: Response) -> None:
        response.delete_cookie(COOKIE_NAME, httponly=True, samesite="lax",
                               secure=self.secure_cookies, path="/")

    def begin_session(self, request: Request, response: Response, user: User) -> WebSession:
        """A fresh session (new token: no fixation) for a user whose identity is proven."""
        self.sessions.drop(request.cookies.get(COOKIE_NAME))
        token, web_session = self.sessions.new(user_id=user.id, stamp=credential_stamp(user))
        self.set_cookie(response, token)
        return web_session

    def anonymous_session(self, request: Request) -> tuple[WebSession, str | None]:
        """The session of the login form, so that its POST carries a CSRF token too.

        Gives the live session, or a new one and its token (for the caller to set as the
        cookie on the response it builds).
        """
        web_session = session_of(request)
        if web_session is not None:
            return web_session, None
        token, web_session = self.sessions.new()
        return web_session, token

    def end_session(self, request: Request, response: Response) -> None:
        self.sessions.drop(request.cookies.get(COOKIE_NAME))
        self.clear_cookie(response)


def auth_of(request: Request) -> WebAuth:
    return request.app.state.auth


def session_of(request: Request) -> WebSession | None:
    """The request's live session (cached on the request), or None."""
    if not hasattr(request.state, "web_session"):
        web_session, timed_out = auth_of(request).sessions.get(request.cookies.get(COOKIE_NAME))
        request.state.web_session = web_session
        request.state.session_timed_out = timed_out
    return request.state.web_session


def db_session(request: Request) -> Iterator[Session]:
    """A read-only session for the request: on SQLite it never takes the write lock.

    Changes go through :func:`write_session`, in short transactions of their own.
    """
    with Session(readonly_engine(request.app.state.engine), expire_on_commit=False) as db:
        yield db


def write_session(request: Request) -> AbstractContextManager[Session]:
    return session_scope(request.app.state.engine)


def signed_in_user(request: Request, db: Session) -> User:
    """The user of this request, checked against the database every time."""
    web_session = session_of(request)
    if web_session is None or web_session.user_id is None:
        raise NotSignedIn("timeout" if request.state.session_timed_out else "")
    user = db.get(User, web_session.user_id)
    if user is None or user.disabled or credential_stamp(user) != web_session.stamp:
        auth_of(request).sessions.drop(request.cookies.get(COOKIE_NAME))
        raise NotSignedIn("ended")
    request.state.user = user
    return user


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: every POST must carry this session's CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    web_session = session_of(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get(CSRF_FIELD)
    if (web_session is None or not isinstance(sent, str)
            or not hmac.compare_digest(sent.encode(), web_session.csrf.encode())):
        raise CsrfRejected()


def _trusted(address: str, proxies: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_key(request: Request) -> str:
    """The address the login throttle counts failures against.

    The connection's peer, unless it is one of the configured trusted proxies: then the
    nearest address in ``X-Forwarded-For`` that is not itself a trusted proxy (read from the
    right, so a client cannot choose its own key by sending the header). Without this, one
    person's typos behind the council's proxy would lock out the whole office.
    """
    peer = request.client.host if request.client else "unknown"
    proxies = auth_of(request).trusted_proxies
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _trusted(hop, proxies):
            return hop
    return peer
