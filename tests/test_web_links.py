"""Links that keep you signed in: Lax cookie, /login keeps a live session, the throttle
behind trusted proxies, the lock time as a setting, refused cases audited (issue 14 item 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bench.seed import FLAG_KINDS, add_case
from intake.config import WebSettings, load_settings
from intake.web.testing import PASSWORD, add_users, form_token, make_app, migrated_engine, sign_in
from models.tables import AuditEvent
from parsers.errors import ConfigError

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture()
def engine(tmp_path):
    engine = migrated_engine(tmp_path / "links.db")
    add_users(engine)
    return engine


def _fail(client: TestClient, name: str = "ene-aio", headers: dict | None = None):
    token = form_token(client, "/login")
    return client.post("/login", data={"name": name, "password": "wrong", "csrf_token": token},
                       headers=headers or {}, follow_redirects=False)


def test_login_page_with_a_live_session_keeps_it_and_goes_on(engine):
    reference = add_case(engine, received_at=NOW - timedelta(days=1), flags=(FLAG_KINDS[0],))
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    token = client.cookies.get("cme_session")
    response = client.get(f"/login?next=/cases/{reference}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/cases/{reference}"
    assert "set-cookie" not in response.headers
    assert client.cookies.get("cme_session") == token
    assert client.get(f"/cases/{reference}").status_code == 200
    assert client.get("/login?next=//evil.example", follow_redirects=False
                      ).headers["location"] == "/"


def test_the_lock_time_is_a_setting_and_the_message_says_it(engine):
    client = TestClient(make_app(engine, login_attempts_before_lock=2, login_lock_minutes=40))
    assert "for 40 minutes after 2 failed attempts" in _fail(client).text
    _fail(client)
    refused = _fail(client)
    assert refused.status_code == 429
    assert "Try again in 40 minutes." in refused.text


def test_forwarded_for_counts_only_from_a_trusted_proxy(engine):
    app = make_app(engine, login_attempts_before_lock=2, trusted_proxies=["10.0.0.0/24"])
    proxy = TestClient(app, client=("10.0.0.7", 40000))
    for _ in range(2):
        _fail(proxy, headers={"X-Forwarded-For": "192.0.2.10"})
    assert _fail(proxy, headers={"X-Forwarded-For": "192.0.2.10"}).status_code == 429
    # Another person behind the same proxy is not locked out by the first one's typos.
    assert _fail(proxy, headers={"X-Forwarded-For": "192.0.2.11"}).status_code == 401
    # A client spoofing the header in front of the proxy is still the address the proxy saw.
    assert _fail(proxy, headers={"X-Forwarded-For": "192.0.2.11, 192.0.2.10"}
                 ).status_code == 429
    # Not a trusted proxy: its header is ignored, the peer is counted.
    direct = TestClient(app, client=("198.51.100.4", 40000))
    for spoof in ("203.0.113.1", "203.0.113.2"):
        _fail(direct, headers={"X-Forwarded-For": spoof})
    assert _fail(direct, headers={"X-Forwarded-For": "203.0.113.3"}).status_code == 429


def test_trusted_proxies_are_validated_and_read_from_the_environment():
    assert WebSettings(trusted_proxies=["10.0.0.1", "fd00::/8"]).trusted_proxies
    with pytest.raises(ValueError):
        WebSettings(trusted_proxies=["proxy.council.example"])
    settings = load_settings(environ={"CME_WEB_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16",
                                      "CME_WEB_LOGIN_LOCK_MINUTES": "20"})
    assert settings.web.trusted_proxies == ["10.0.0.5", "10.1.0.0/16"]
    assert settings.web.login_lock_minutes == 20
    with pytest.raises(ConfigError):
        load_settings(environ={"CME_WEB_TRUSTED_PROXIES": "not-an-address"})


def test_a_refused_case_is_an_audit_event(engine):
    reference = add_case(engine, area="South", mailbox="south", received_at=NOW,
                         flags=(FLAG_KINDS[0],))
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    assert client.get(f"/cases/{reference}").status_code == 403
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(
            AuditEvent.action == "case_access_refused")).all()
    assert [(e.actor, e.detail["path"]) for e in events] == [("ene-aio", f"/cases/{reference}")]
    assert events[0].case_id is not None
    assert PASSWORD  # the standard cast signs in with it
