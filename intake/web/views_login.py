"""Sign in, sign out, and the home page that sends each role to its first page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from intake.web.access import CurrentUser
from intake.web.auth import auth_of, client_key, session_of, write_session
from intake.web.pages import audit, render
from models.users import get_user

router = APIRouter()

HOME_OF_ROLE = {"aio": "/my", "manager": "/log", "admin": "/audit"}  # an AIO's: My cases
REASONS = {
    "timeout": "You were signed out after a period of inactivity.",
    "ended": "Your session has ended. Please sign in again.",
    "signed_out": "You have signed out.",
}


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an absolute or protocol-relative URL."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


def login_options(request: Request) -> dict[str, object]:
    """What the login page offers: the provider's button, the password form, or both."""
    web = request.app.state.settings.web
    return {"oidc_label": web.oidc.label if getattr(request.app.state, "oidc", None) else "",
            "password_login": web.password_login}


def _minutes(count: int) -> str:
    return "1 minute" if count == 1 else f"{count} minutes"


@router.get("/")
def home(user: CurrentUser) -> Response:
    return RedirectResponse(HOME_OF_ROLE.get(user.role, "/queue"), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, reason: str | None = None) -> Response:
    """The sign-in form; with a live signed-in session, straight on (the session is kept).

    A case link clicked in Outlook or Teams may land here; replacing the session would sign
    the person out of their other tabs too.
    """
    auth = auth_of(request)
    live = session_of(request)
    if live is not None and live.user_id is not None and reason != "ended":
        return RedirectResponse(safe_next(next) or "/", status_code=303)
    web_session, new_token = auth.anonymous_session(request)
    response = render(request, "login.html", {
        "next": safe_next(next) or "", "notice": REASONS.get(reason or ""),
        "csrf_token": web_session.csrf, **login_options(request)})
    if new_token:
        auth.set_cookie(response, new_token)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, name: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "") -> Response:
    auth = auth_of(request)
    client = client_key(request)
    options = login_options(request)
    if not options["password_login"]:
        return render(request, "login.html", {**options, "error": "Sign-in with a password "
                      "is turned off here."}, status_code=403)
    if auth.throttle.locked(client):
        return render(request, "login.html", {
            "next": safe_next(next) or "", **options,
            "error": "Too many failed sign-in attempts from this computer. Try again in "
                     f"{_minutes(auth.lock_minutes)}."}, status_code=429)
    with write_session(request) as db:
        user = auth.identity.authenticate(db, name=name, password=password)
        known = user or get_user(session=db, name=name.strip())
    if user is None:
        auth.throttle.failure(client)
        audit(request, user=known.name if known else "unknown", action="login_failed")
        return render(request, "login.html", {
            "next": safe_next(next) or "", "name": name, **options,
            "error": "Sign-in failed: wrong name or password, or the account is locked "
                     f"(for {_minutes(auth.lock_minutes)} after "
                     f"{auth.identity.max_failures} failed attempts) or disabled."},
            status_code=401)
    auth.throttle.success(client)
    response = RedirectResponse(safe_next(next) or HOME_OF_ROLE.get(user.role, "/queue"),
                                status_code=303)
    auth.begin_session(request, response, user)
    audit(request, user=user, action="login")
    return response


@router.post("/logout")
def logout(request: Request, user: CurrentUser) -> Response:
    """End the session; a provider's user is also offered the provider's own sign-out.

    A link, not a redirect: the page's CSP (``form-action 'self'``) blocks a form POST
    redirected to another site.
    """
    provider = getattr(request.app.state, "oidc", None)
    end_url = (provider.logout_url(str(request.url_for("login_form")) + "?reason=signed_out")
               if provider is not None and user.password_hash.startswith("oidc:") else None)
    if end_url:
        request.state.user = None  # the page after sign-out shows no one signed in
        response: Response = render(request, "login.html", {
            "notice": REASONS["signed_out"], "provider_logout": end_url,
            "oidc_label": "", "password_login": False})
    else:
        response = RedirectResponse("/login?reason=signed_out", status_code=303)
    auth_of(request).end_session(request, response)
    audit(request, user=user, action="logout")
    return response
