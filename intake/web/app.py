"""The review web app: ``create_app(settings, engine)`` and ``serve(settings, host, port)``.

Server-rendered Jinja2 pages, one view module per page type, no JavaScript. Every response
carries a strict Content-Security-Policy and ``nosniff``; pages with case data are never
cached. Mail HTML is never rendered: originals are only ever downloads.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import HTTPException
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intake.config import Settings
from intake.web import (
    views_allocate,
    views_audit,
    views_case,
    views_correct,
    views_flags,
    views_form,
    views_log,
    views_login,
    views_my,
    views_oidc,
    views_queue,
    views_wording,
)
from intake.web.auth import CsrfRejected, Forbidden, NotSignedIn, WebAuth, csrf_protect
from intake.web.pages import audit, render
from models.db import make_engine

log = logging.getLogger(__name__)

SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; object-src 'none'; base-uri 'none'; "
                                 b"frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Pure ASGI middleware: the same headers on every response, static files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in {name for name, _ in SECURITY_HEADERS}]
                headers.extend(SECURITY_HEADERS)
                if not is_static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        """Back to the login page; after it, to the page asked for (GETs only)."""
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        params = [f"next={quote(target, safe='')}"] if request.method == "GET" else []
        params += [f"reason={exc.reason}"] if exc.reason else []
        return RedirectResponse("/login" + ("?" + "&".join(params) if params else ""),
                                status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        user = getattr(request.state, "user", None)
        if exc.case_id is not None and user is not None:
            audit(request, user=user, action="case_access_refused", case_id=exc.case_id,
                  detail={"path": request.url.path})
        return render(request, "error.html", {"title": "Not allowed",
                      "explanation": "Your account does not give access to this page."},
                      status_code=403)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, exc: CsrfRejected) -> Response:
        return render(request, "error.html", {"title": "Form expired", "explanation":
                      "This form is out of date. Go back, reload the page and try again."},
                      status_code=403)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        titles = {404: "Not found", 405: "Not allowed", 429: "Too many attempts"}
        return render(request, "error.html", {"title": titles.get(exc.status_code, "Error"),
                      "explanation": str(exc.detail)}, status_code=exc.status_code)


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The app, over ``engine`` (default: the configured database, already migrated)."""
    app = FastAPI(title="CME intake review", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(csrf_protect)])
    web = settings.web
    app.state.settings = settings
    app.state.engine = engine if engine is not None else make_engine(settings.database.url)
    app.state.auth = WebAuth(idle_minutes=web.session_idle_minutes,
                             secure_cookies=web.secure_cookies,
                             max_failures=web.login_attempts_before_lock,
                             lock_minutes=web.login_lock_minutes,
                             trusted_proxies=tuple(web.trusted_proxies))
    if web.oidc is not None:
        from intake.web.oidc import OidcClient, read_secret

        app.state.oidc = OidcClient(web.oidc, read_secret(web.oidc))
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")),
              name="static")
    for module in (views_login, views_oidc, views_queue, views_my, views_allocate, views_case,
                   views_correct, views_flags, views_form, views_log, views_audit,
                   views_wording):
        app.include_router(module.router)
    _install_error_pages(app)
    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the app under uvicorn, one worker (sessions are held in this process).

    The schema is brought up to date first (safe while the daemon runs: see models.db).
    """
    import uvicorn

    from models.db import migrate

    engine = make_engine(settings.database.url)
    migrate(engine)
    app = create_app(settings, engine=engine)
    log.info("serving the review UI on %s:%s", host, port)
    uvicorn.run(app, host=host, port=port, workers=1, proxy_headers=False,
                server_header=False, log_level="info")
