"""Sign-in with the council's Microsoft account, in a real browser (issue 14 item 7).

The provider is the loopback one of tests/services/oidc_provider.py: the browser follows
the app's redirect to it and its redirect back, as with Entra ID.
"""

from __future__ import annotations

import pytest

from bench.seed import add_case
from intake.web.testing import add_users, make_app, migrated_engine
from tests.services.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.test_web_oidc import GROUPS

pytestmark = pytest.mark.chromium


@pytest.fixture()
def site(tmp_path, live_server_for, monkeypatch):
    monkeypatch.setenv("CME_TEST_OIDC", CLIENT_SECRET)
    engine = migrated_engine(tmp_path / "oidc-e2e.db")
    add_users(engine)
    refs = {"ene": add_case(engine, surname="Brindle", forenames="Kai", area="ENE",
                            mailbox="ene"),
            "south": add_case(engine, surname="Corrow", forenames="Lia", area="South",
                              mailbox="south")}
    with OidcProvider() as op:
        oidc = {"issuer": op.issuer, "client_id": CLIENT_ID,
                "client_secret_env": "CME_TEST_OIDC", "groups": GROUPS}
        server = live_server_for(make_app(engine, oidc=oidc, password_login=False))
        yield server, op, refs


def test_oidc_sign_in_lands_on_my_cases_and_the_queue_shows_only_the_area(browser, site,
                                                                          screenshots):
    server, op, refs = site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{server.url}/queue")
    assert page.get_by_label("Password").count() == 0  # local passwords turned off
    page.screenshot(path=str(screenshots / "login-oidc.png"))
    page.get_by_role("link", name="Sign in with Microsoft").click()
    page.wait_for_url(f"{server.url}/queue")  # back where the person was going
    assert "/authorize" in op.state.requests and "/token" in op.state.requests
    text = page.content()
    assert refs["ene"] in text and refs["south"] not in text
    page.goto(f"{server.url}/")
    page.wait_for_url(f"{server.url}/my")
    page.get_by_role("button", name="Sign out").click()  # sign-out ends both
    page.get_by_role("link", name="Sign out of your Microsoft account too").click()
    page.wait_for_url(f"{server.url}/login?reason=signed_out")
    assert op.state.signed_out
    page.goto(f"{server.url}/queue")
    assert page.url.startswith(f"{server.url}/login")
    context.close()


def test_a_person_whose_groups_give_no_role_is_refused(browser, site):
    server, op, _ = site
    op.state.identity = {"sub": "00000000-test-0000-cook", "groups": ["grp-canteen"],
                         "preferred_username": "sam.oakes@council.test"}
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.get_by_role("link", name="Sign in with Microsoft").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Sign-in refused"
    page.goto(f"{server.url}/queue")
    assert page.url.startswith(f"{server.url}/login")
    context.close()
