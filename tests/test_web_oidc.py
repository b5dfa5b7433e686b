"""Sign-in with an OpenID provider (issue 14 item 7), against a real provider on loopback.

The browser's trips are made by hand: the app's redirect goes to the provider (a real HTTP
server, tests/services/oidc_provider.py), whose redirect comes back to the app's callback.
"""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bench.seed import add_case
from intake.config import load_settings
from intake.web.oidc import role_for
from intake.web.testing import PASSWORD, add_users, form_token, make_app, migrated_engine
from models.tables import AuditEvent, User
from parsers.errors import ConfigError
from tests.services.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider

GROUPS = [{"group": "grp-aio-ene", "role": "aio", "areas": ["ENE"]},
          {"group": "grp-aio-south", "role": "aio", "areas": ["South"]},
          {"group": "grp-managers", "role": "manager"},
          {"group": "grp-admins", "role": "admin"}]


@pytest.fixture(scope="module")
def provider():
    with OidcProvider() as op:
        yield op


@pytest.fixture()
def op(provider):
    provider.state.faults.clear()
    provider.state.requests.clear()
    provider.state.identity = {"sub": "00000000-test-0000-aio1", "groups": ["grp-aio-ene"],
                               "preferred_username": "ada.lovelace@council.test"}
    return provider


def oidc_settings(issuer: str, **changes: object) -> dict[str, object]:
    return {"issuer": issuer, "client_id": CLIENT_ID, "client_secret_env": "CME_TEST_OIDC",
            "groups": GROUPS, **changes}


@pytest.fixture()
def engine(tmp_path):
    engine = migrated_engine(tmp_path / "oidc.db")
    add_users(engine)
    return engine


@pytest.fixture()
def app(engine, op, monkeypatch):
    monkeypatch.setenv("CME_TEST_OIDC", CLIENT_SECRET)
    return make_app(engine, oidc=oidc_settings(op.issuer))


def via_provider(client: TestClient, next_path: str = "") -> httpx.Response:
    """Button -> provider -> callback; the callback's response."""
    start = client.get("/login/oidc" + (f"?next={next_path}" if next_path else ""),
                       follow_redirects=False)
    assert start.status_code == 303, start.text
    back = httpx.get(start.headers["location"], follow_redirects=False)
    assert back.status_code == 302, back.text
    location = back.headers["location"]
    assert location.startswith("http://testserver/login/oidc/callback?")
    return client.get(location.removeprefix("http://testserver"), follow_redirects=False)


def events(engine, action: str) -> list[AuditEvent]:
    with Session(engine) as db:
        return list(db.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_login_page_offers_the_provider_button(app):
    page = TestClient(app).get("/login").text
    assert 'href="/login/oidc"' in page and "Sign in with Microsoft" in page
    assert 'name="password"' in page  # local passwords still on unless turned off


def test_good_sign_in_maps_groups_to_role_and_area(app, engine, op):
    ene = add_case(engine, surname="Brindle", forenames="Kai", area="ENE", mailbox="ene")
    south = add_case(engine, surname="Corrow", forenames="Lia", area="South", mailbox="south")
    client = TestClient(app)
    response = via_provider(client)
    assert response.status_code == 303 and response.headers["location"] == "/my"
    with Session(engine) as db:
        user = db.exec(select(User).where(User.name == "ada.lovelace@council.test")).one()
    assert (user.role, user.areas) == ("aio", "ENE")
    assert user.password_hash.startswith("oidc:")
    queue = client.get("/queue").text
    assert ene in queue and south not in queue
    assert client.get(f"/cases/{south}").status_code == 403
    token = form_token(client, "/queue")  # the session has CSRF like a password session
    signed_out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert signed_out.status_code == 200 and "Signed in as" not in signed_out.text
    assert f'href="{op.issuer}/logout?client_id=' in signed_out.text  # sign-out ends both
    assert client.get("/queue", follow_redirects=False).status_code == 303
    assert [e.detail for e in events(engine, "login")] == [{"via": "oidc"}]


def test_the_next_page_is_kept_and_groups_change_the_role(app, engine, op):
    assert via_provider(TestClient(app)).status_code == 303
    op.state.identity["groups"] = ["grp-aio-ene", "grp-managers"]
    response = via_provider(TestClient(app), next_path="/log")
    assert response.headers["location"] == "/log"
    with Session(engine) as db:
        users = db.exec(select(User).where(User.password_hash.startswith("oidc:"))).all()
    assert [(u.role, u.areas) for u in users] == [("manager", "")]
    assert len(events(engine, "user_updated")) == 1


def test_an_oidc_user_has_no_password(app, engine):
    via_provider(TestClient(app))
    client = TestClient(app)
    response = client.post("/login", data={"name": "ada.lovelace@council.test",
                                           "password": PASSWORD,
                                           "csrf_token": form_token(client, "/login")})
    assert response.status_code == 401


def test_no_role_is_refused_without_a_session(app, engine, op):
    op.state.identity["groups"] = ["grp-canteen"]
    client = TestClient(app)
    response = via_provider(client)
    assert response.status_code == 403 and "not in a group" in response.text
    assert client.get("/queue", follow_redirects=False).status_code == 303
    with Session(engine) as db:
        assert db.exec(select(User).where(User.password_hash.startswith("oidc:"))).all() == []
    refused = events(engine, "login_refused")
    assert [(e.actor, e.detail) for e in refused] == [
        ("oidc", {"subject": "00000000-test-0000-aio1", "reason": "no role from groups"})]


@pytest.mark.parametrize("fault", ["bad_signature", "wrong_nonce", "wrong_audience", "expired"])
def test_an_untrustworthy_id_token_is_refused(app, engine, op, fault):
    op.state.faults.add(fault)
    client = TestClient(app)
    response = via_provider(client)
    assert response.status_code == 403 and "could not be verified" in response.text
    assert client.get("/queue", follow_redirects=False).status_code == 303
    assert len(events(engine, "login_refused")) == 1 and not events(engine, "login")


def test_a_key_rollover_is_followed(app, op):
    assert via_provider(TestClient(app)).status_code == 303
    op.roll_key("test-key-2")
    later = time.time() + 120  # the keys are fetched again at most once a minute
    app.state.oidc.clock = lambda: later
    assert via_provider(TestClient(app)).status_code == 303
    assert op.state.requests.count("/jwks") == 2


def test_a_callback_in_another_browser_is_refused(app):
    start = TestClient(app).get("/login/oidc", follow_redirects=False)
    back = httpx.get(start.headers["location"], follow_redirects=False)
    other = TestClient(app)
    other.get("/login")
    response = other.get(back.headers["location"].removeprefix("http://testserver"))
    assert response.status_code == 403
    assert other.get("/queue", follow_redirects=False).status_code == 303


def test_password_sign_in_can_be_turned_off(engine, op, monkeypatch):
    monkeypatch.setenv("CME_TEST_OIDC", CLIENT_SECRET)
    app = make_app(engine, oidc=oidc_settings(op.issuer, label="Sign in with Council ID"),
                   password_login=False)
    client = TestClient(app)
    page = client.get("/login").text
    assert "Sign in with Council ID" in page and 'name="password"' not in page
    csrf = app.state.auth.sessions.get(client.cookies.get("cme_session"))[0].csrf
    response = client.post("/login", data={"name": "manager", "password": PASSWORD,
                                           "csrf_token": csrf})
    assert response.status_code == 403 and "turned off" in response.text
    assert via_provider(client).status_code == 303


def test_role_mapping_takes_the_highest_role_and_all_aio_areas():
    from intake.config_oidc import OidcSettings

    settings = OidcSettings(**oidc_settings("https://login.example/tenant/v2.0"))
    assert role_for({"groups": ["grp-aio-ene", "grp-aio-south"]}, settings) == (
        "aio", ["ENE", "South"])
    assert role_for({"groups": ["grp-admins", "grp-aio-ene"]}, settings) == ("admin", [])
    assert role_for({"groups": "grp-managers"}, settings) == ("manager", [])
    assert role_for({}, settings) is None
    roles = OidcSettings(**oidc_settings("https://x.example", group_claim="roles"))
    assert role_for({"roles": ["grp-managers"], "groups": []}, roles) == ("manager", [])


def test_config_refuses_an_inline_secret_and_a_plain_http_issuer(tmp_path):
    config = tmp_path / "cme.toml"
    config.write_text('[web.oidc]\nissuer = "https://login.example/t/v2.0"\n'
                      'client_id = "x"\nclient_secret = "s3cret"\n')
    with pytest.raises(ConfigError, match="never put the client secret"):
        load_settings(config, environ={})
    config.write_text('[web.oidc]\nissuer = "http://login.example/t/v2.0"\n'
                      'client_id = "x"\nclient_secret_file = "secret"\n'
                      '[[web.oidc.groups]]\ngroup = "g"\nrole = "aio"\nareas = ["ENE"]\n')
    with pytest.raises(ConfigError, match="https"):
        load_settings(config, environ={})
    config.write_text('[web.oidc]\nissuer = "https://login.example/t/v2.0"\n'
                      'client_id = "x"\nclient_secret_file = "secret"\ngroup_clam = "roles"\n')
    with pytest.raises(ConfigError, match="did you mean group_claim"):
        load_settings(config, environ={})
    config.write_text("[web]\npassword_login = false\n")
    with pytest.raises(ConfigError, match="needs \\[web.oidc\\]"):
        load_settings(config, environ={})
