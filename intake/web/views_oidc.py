"""Sign-in through the OpenID provider: off to it, and back with a code.

``/login/oidc`` starts a pending sign-in bound to the browser's (anonymous) session and
sends the browser to the provider; ``/login/oidc/callback`` checks the state against that
session, exchanges the code, checks the ID token, maps its groups to a role and areas and
starts the same session a password sign-in gets. A person whose groups give no role gets a
403 page and no session; the refusal is audited with the provider's subject id only.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from intake.web.auth import auth_of, session_of, write_session
from intake.web.oidc import OidcClient, OidcError, binding_of, role_for, sync_user
from intake.web.pages import audit, render
from intake.web.views_login import HOME_OF_ROLE, safe_next

log = logging.getLogger(__name__)
router = APIRouter()


def _client(request: Request) -> OidcClient:
    from fastapi import HTTPException

    client = getattr(request.app.state, "oidc", None)
    if client is None:
        raise HTTPException(status_code=404, detail="sign-in with a provider is not set up")
    return client


def _refused(request: Request, explanation: str, status_code: int = 403) -> Response:
    return render(request, "error.html", {"title": "Sign-in refused",
                                          "explanation": explanation}, status_code=status_code)


@router.get("/login/oidc")
def oidc_start(request: Request, next: str | None = None) -> Response:
    client = _client(request)
    auth = auth_of(request)
    web_session, new_token = auth.anonymous_session(request)
    redirect_uri = client.settings.redirect_uri or str(request.url_for("oidc_callback"))
    try:
        url = client.begin(binding=binding_of(web_session.csrf),
                           next_path=safe_next(next) or "", redirect_uri=redirect_uri)
    except OidcError as exc:
        log.warning("oidc sign-in could not start: %s", exc)
        return _refused(request, "The sign-in service cannot be reached. Try again later.",
                        status_code=502)
    response = RedirectResponse(url, status_code=303)
    if new_token:
        auth.set_cookie(response, new_token)
    return response


@router.get("/login/oidc/callback", name="oidc_callback", response_class=HTMLResponse)
def oidc_callback(request: Request, state: str = "", code: str = "",
                  error: str = "") -> Response:
    client = _client(request)
    web_session = session_of(request)
    if error or not code or web_session is None:
        log.info("oidc callback without a code or session (error=%s)", error[:40])
        return _refused(request, "Sign-in did not finish. Go back to the sign-in page and "
                                 "try again.")
    try:
        pending = client.take_pending(state, binding_of(web_session.csrf))
        claims = client.finish(code=code, pending=pending)
    except OidcError as exc:
        log.warning("oidc sign-in refused: %s", exc)
        audit(request, user="oidc", action="login_refused", detail={"reason": str(exc)})
        return _refused(request, "Sign-in could not be verified. Go back to the sign-in page "
                                 "and try again.")
    subject = str(claims["sub"])
    granted = role_for(claims, client.settings)
    if granted is None:
        audit(request, user="oidc", action="login_refused",
              detail={"subject": subject, "reason": "no role from groups"})
        return _refused(request, "Your account signed in, but it is not in a group that gives "
                                 "access to CME intake. Ask your administrator to add you.")
    try:
        with write_session(request) as db:
            user = sync_user(db, claims=claims, settings=client.settings, role=granted[0],
                             areas=granted[1])
    except OidcError as exc:
        audit(request, user="oidc", action="login_refused",
              detail={"subject": subject, "reason": str(exc)})
        return _refused(request, "Your account cannot be used here: a local account has the "
                                 "same name. Ask your administrator.")
    if user.disabled:
        audit(request, user="oidc", action="login_refused",
              detail={"subject": subject, "reason": "disabled"})
        return _refused(request, "Your account has been disabled here.")
    response = RedirectResponse(pending.next or HOME_OF_ROLE.get(user.role, "/queue"),
                                status_code=303)
    auth_of(request).begin_session(request, response, user)
    audit(request, user=user, action="login", detail={"via": "oidc"})
    return response
