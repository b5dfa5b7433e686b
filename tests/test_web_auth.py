"""Sign-in, sessions, CSRF, throttling, idle timeout and security headers of the web app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from intake.web.testing import PASSWORD, add_users, form_token, make_app, migrated_engine, sign_in
from models.tables import AuditEvent
from models.users import disable_user, set_password


@pytest.fixture()
def engine(tmp_path):
    engine = migrated_engine(tmp_path / "web.db")
    add_users(engine)
    return engine


@pytest.fixture()
def app(engine):
    return make_app(engine, login_attempts_before_lock=3)


def client_for(app, address: str = "testclient") -> TestClient:
    return TestClient(app, client=(address, 50000))


def test_pages_need_a_signed_in_user(app):
    client = client_for(app)
    for path in ("/", "/queue", "/log", "/audit", "/cases/CME-2026-000001", "/log.csv"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


def test_sign_in_sets_a_strict_http_only_cookie_and_sends_each_role_home(app):
    client = client_for(app)
    token = form_token(client, "/login")
    response = client.post("/login", data={"name": "manager", "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/log"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert client.get("/", follow_redirects=False).headers["location"] == "/log"


def test_secure_cookie_flag_is_on_by_default(engine):
    client = TestClient(make_app(engine, secure_cookies=True), base_url="https://testserver")
    response = client.get("/login")
    assert "secure" in response.headers["set-cookie"].lower()


def test_session_id_changes_at_sign_in(app):
    client = client_for(app)
    client.get("/login")
    before = client.cookies.get("cme_session")
    sign_in(client, "manager")
    assert client.cookies.get("cme_session") not in (None, before)


def test_wrong_password_is_refused_and_audited(app, engine):
    client = client_for(app)
    token = form_token(client, "/login")
    response = client.post("/login", data={"name": "manager", "password": "not it",
                                           "csrf_token": token})
    assert response.status_code == 401
    assert "Sign-in failed" in response.text
    with Session(engine) as db:
        assert [e.actor for e in db.exec(select(AuditEvent).where(
            AuditEvent.action == "login_failed"))] == ["manager"]


def test_post_without_csrf_token_is_refused(app):
    client = sign_in(client_for(app), "manager")
    response = client.post("/logout", data={})
    assert response.status_code == 403
    assert "Form expired" in response.text
    response = client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert client.get("/log").status_code == 200  # still signed in


def test_login_post_without_csrf_token_is_refused(app):
    client = client_for(app)
    client.get("/login")
    response = client.post("/login", data={"name": "manager", "password": PASSWORD})
    assert response.status_code == 403


def test_csrf_token_of_another_session_is_refused(app):
    first = sign_in(client_for(app), "manager")
    second = sign_in(client_for(app), "admin")
    token = form_token(first, "/log")
    assert second.post("/logout", data={"csrf_token": token}).status_code == 403


def test_logout_ends_the_session(app):
    client = sign_in(client_for(app), "manager")
    cookie = client.cookies.get("cme_session")
    response = client.post("/logout", data={"csrf_token": form_token(client, "/log")},
                           follow_redirects=False)
    assert response.headers["location"] == "/login?reason=signed_out"
    replay = client_for(app)
    replay.cookies.set("cme_session", cookie)
    assert replay.get("/log", follow_redirects=False).status_code == 303


def test_disabled_user_session_stops_working_at_once(app, engine):
    client = sign_in(client_for(app), "ene-aio")
    assert client.get("/queue").status_code == 200
    with Session(engine) as db:
        disable_user(session=db, name="ene-aio", actor="admin")
    response = client.get("/queue", follow_redirects=False)
    assert response.status_code == 303
    assert "reason=ended" in response.headers["location"]


def test_password_change_ends_older_sessions(app, engine):
    client = sign_in(client_for(app), "manager")
    with Session(engine) as db:
        set_password(session=db, name="manager", password="another long passphrase")
    assert client.get("/log", follow_redirects=False).status_code == 303


def test_per_user_throttle_locks_the_account(app):
    attacker = client_for(app, "192.0.2.66")
    token = form_token(attacker, "/login")
    for _ in range(3):
        attacker.post("/login", data={"name": "admin", "password": "guess",
                                      "csrf_token": token})
    # The real user, from another client, is locked out for the lock period too.
    owner = client_for(app, "192.0.2.10")
    token = form_token(owner, "/login")
    response = owner.post("/login", data={"name": "admin", "password": PASSWORD,
                                          "csrf_token": token})
    assert response.status_code == 401


def test_per_client_throttle_stops_guessing_across_names(app):
    client = client_for(app)
    token = form_token(client, "/login")
    for name in ("a", "b", "c"):
        client.post("/login", data={"name": name, "password": "guess", "csrf_token": token})
    response = client.post("/login", data={"name": "manager", "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.text


def test_client_lock_expires(app):
    now = [1000.0]
    app.state.auth.set_clock(lambda: now[0])
    client = client_for(app)
    token = form_token(client, "/login")
    for name in ("a", "b", "c"):
        client.post("/login", data={"name": name, "password": "guess", "csrf_token": token})
    now[0] += 16 * 60
    token = form_token(client, "/login")
    response = client.post("/login", data={"name": "manager", "password": PASSWORD,
                                           "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303


def test_idle_timeout_signs_out(app):
    now = [1000.0]
    app.state.auth.set_clock(lambda: now[0])
    client = sign_in(client_for(app), "manager")
    now[0] += 29 * 60
    assert client.get("/log").status_code == 200  # activity keeps the session alive
    now[0] += 29 * 60
    assert client.get("/log").status_code == 200
    now[0] += 31 * 60
    response = client.get("/log", follow_redirects=False)
    assert response.status_code == 303
    assert "reason=timeout" in response.headers["location"]
    assert "inactivity" in client.get(response.headers["location"]).text


def test_next_parameter_never_leaves_the_site(app):
    client = client_for(app)
    token = form_token(client, "/login")
    response = client.post("/login", data={"name": "manager", "password": PASSWORD,
                                           "csrf_token": token, "next": "//evil.example/x"},
                           follow_redirects=False)
    assert response.headers["location"] == "/log"


def test_security_headers_on_every_response(app):
    client = client_for(app)
    for path in ("/login", "/static/site.css", "/nope"):
        headers = client.get(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
    assert client.get("/login").headers["cache-control"] == "no-store"


def test_login_and_logout_are_audited(app, engine):
    client = sign_in(client_for(app), "admin")
    client.post("/logout", data={"csrf_token": form_token(client, "/audit")})
    with Session(engine) as db:
        actions = [(e.actor, e.action) for e in db.exec(select(AuditEvent))]
    assert ("admin", "login") in actions and ("admin", "logout") in actions
