"""The AIO's working day in a real browser (issue 14): links that keep the session,
correcting a misreading, allocation and My cases, flags at scale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bench.seed import FLAG_KINDS, add_case
from intake.web.testing import add_users, make_app, migrated_engine
from tests.e2e.test_review_flow import sign_in

pytestmark = pytest.mark.chromium

MISSING_DOB, MISSING_LAST, DSL_UNSIGNED, NO_UPN, NO_VISIT, LATE, RISK = FLAG_KINDS
NOW = datetime.now(UTC).replace(microsecond=0)
ELSEWHERE = "http://teams.elsewhere.example"
NO_PARENT_CONTACT = ("missing_recommended", "part1", "parents", "warning",
                     "No telephone number or email is given for any parent/carer.",
                     "part1_contact")


def fits(page, width: int = 1280) -> bool:
    """No horizontal scroll at this width."""
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture()
def site(tmp_path, live_server_for):
    engine = migrated_engine(tmp_path / "aio-day.db")
    add_users(engine)
    refs = {
        "review": add_case(engine, surname="Hollins", forenames="Nia",
                           received_at=NOW - timedelta(days=6),
                           flags=(MISSING_DOB, DSL_UNSIGNED, NO_VISIT, NO_PARENT_CONTACT)),
        "other": add_case(engine, surname="Jarrow", forenames="Otis",
                          received_at=NOW - timedelta(days=2), flags=(MISSING_LAST, NO_UPN)),
    }
    server = live_server_for(make_app(engine))
    return server, refs, engine


def test_a_cross_site_link_lands_on_the_case_with_the_session_intact(browser, site):
    server, refs, _ = site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    first_tab = context.new_page()
    sign_in(first_tab, server.url, "ene-aio")
    case_url = f"{server.url}/cases/{refs['review']}"

    def chat_message(route) -> None:
        route.fulfill(status=200, content_type="text/html", body=(
            f'<!doctype html><title>Chat</title><a href="{case_url}">the case</a>'))

    context.route(f"{ELSEWHERE}/**", chat_message)
    link_tab = context.new_page()
    link_tab.goto(f"{ELSEWHERE}/chat")
    link_tab.get_by_role("link", name="the case").click()
    link_tab.wait_for_url(case_url)
    assert link_tab.get_by_role("heading", level=1).inner_text().startswith(
        f"Case {refs['review']}")
    # Visiting the sign-in page again keeps the session; the first tab is still signed in.
    link_tab.goto(f"{server.url}/login?next=/cases/{refs['other']}")
    assert link_tab.url == f"{server.url}/cases/{refs['other']}"
    first_tab.goto(f"{server.url}/queue")
    assert first_tab.url == f"{server.url}/queue"
    assert first_tab.get_by_role("link", name=refs["review"]).is_visible()
    context.close()


def test_throttle_behind_a_trusted_proxy_locks_one_person_not_the_office(
        browser, tmp_path, live_server_for):
    engine = migrated_engine(tmp_path / "proxy.db")
    add_users(engine)
    # The browser connects from 127.0.0.1: here that is the council's proxy.
    server = live_server_for(make_app(engine, login_attempts_before_lock=2,
                                      login_lock_minutes=25, trusted_proxies=["127.0.0.1"]))
    context = browser.new_context(extra_http_headers={"X-Forwarded-For": "192.0.2.10"})
    page = context.new_page()
    for _ in range(3):
        page.goto(f"{server.url}/login")
        page.get_by_label("User name").fill("nobody")
        page.get_by_label("Password").fill("wrong")
        page.get_by_label("Password").press("Enter")
        page.wait_for_load_state()
    assert "Try again in 25 minutes." in page.content()
    colleague = browser.new_context(extra_http_headers={"X-Forwarded-For": "192.0.2.11"})
    other = colleague.new_page()
    sign_in(other, server.url, "ene-aio")
    assert other.url.endswith("/my")
    context.close()
    colleague.close()


def test_an_aio_corrects_a_parents_phone_and_the_flag_closes(browser, site, screenshots):
    server, refs, _ = site
    reference = refs["review"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, server.url, "ene-aio")
    page.goto(f"{server.url}/cases/{reference}")
    page.get_by_role("link", name="correct parents.0.phone").click()
    assert page.get_by_label("Field to correct").input_value() == "parents.0.phone"
    page.get_by_label("Correct value").fill("07700 900 731")
    page.get_by_label("Reason for the correction").fill("Number read from the wrong box")
    page.get_by_role("button", name="Save correction").click()
    page.wait_for_load_state()
    assert "The correction is saved" in page.get_by_role("status").inner_text()
    assert "No telephone number or email" not in page.locator("#flags ~ section").all_inner_texts()
    corrections = page.locator("table#corrections").inner_text()
    assert "07700900731" in corrections and "Number read from the wrong box" in corrections
    closed = page.locator("details", has_text="Closed flags")
    closed.locator("summary").click()
    assert "corrected by ene-aio" in closed.inner_text()
    assert fits(page)
    page.locator("#correcting").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "case-correction.png"), full_page=True)
    context.close()

    admin = browser.new_context().new_page()
    sign_in(admin, server.url, "admin")
    admin.goto(f"{server.url}/audit?case={reference}")
    trail = admin.locator("table tbody").inner_text()
    assert "field corrected" in trail


def test_allocation_in_bulk_and_my_cases(browser, site, screenshots):
    server, refs, _ = site
    manager = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = manager.new_page()
    sign_in(page, server.url, "manager")
    page.goto(f"{server.url}/my")
    assert "ENE" in page.locator("#unallocated ~ table").inner_text()
    page.screenshot(path=str(screenshots / "my-cases-manager.png"), full_page=True)
    page.goto(f"{server.url}/queue")
    for reference in refs.values():
        page.get_by_label(f"Select {reference}").check()
    page.get_by_label("Allocate the selected cases to").select_option("ene-aio")
    page.get_by_role("button", name="Allocate selected").click()
    page.wait_for_load_state()
    assert "2 cases allocated." in page.get_by_role("status").inner_text()
    assert fits(page)
    page.screenshot(path=str(screenshots / "queue-allocation.png"), full_page=True)
    page.get_by_label("Allocated AIO").select_option("ene-aio")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    assert page.locator("tbody tr").count() == 2
    manager.close()

    aio = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = aio.new_page()
    sign_in(page, server.url, "ene-aio")
    assert page.url.endswith("/my")
    assert page.get_by_role("heading", level=1).inner_text() == "My cases"
    for reference in refs.values():
        assert page.get_by_role("link", name=reference).is_visible()
    assert fits(page)
    page.screenshot(path=str(screenshots / "my-cases.png"), full_page=True)
    page.get_by_role("link", name=refs["other"]).click()
    page.get_by_label("Allocate to").select_option("")
    page.get_by_role("button", name="Allocate", exact=True).click()
    page.wait_for_load_state()
    assert "Allocated AIO:</strong> not yet" in page.content()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB",
                                storage_state=aio.storage_state())
    small = phone.new_page()
    small.goto(f"{server.url}/my")
    assert fits(small, 390)
    aio.close()
    phone.close()


def test_eighteen_flags_grouped_collapsed_and_closed_in_one_go(browser, site, screenshots):
    server, _, engine = site
    enquiries = tuple(("enquiry_not_done", "part1", f"enquiries.{key}", "warning",
                       f"Enquiry not recorded: {key.replace('_', ' ')}.", "part1_contact")
                      for key in ("home_visit", "neighbours", "contacts_telephoned",
                                  "school_friends", "flight_information", "forwarding_address",
                                  "new_school_check", "parent_contact_details"))
    dsl = tuple(("missing_field", "part2", f"safeguarding.dsl.{key}", "blocking",
                 f"DSL {key} is missing (Part 2).", "dsl") for key in ("name", "role", "date"))
    reference = add_case(engine, surname="Marlowe", forenames="Ivo",
                         received_at=NOW - timedelta(days=4),
                         flags=(MISSING_DOB, MISSING_LAST, NO_UPN, LATE, RISK, DSL_UNSIGNED,
                                NO_PARENT_CONTACT, *enquiries, *dsl))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, server.url, "ene-aio")
    page.goto(f"{server.url}/cases/{reference}")
    assert page.locator(".pupil-summary").inner_text().startswith("Pupil: Ivo Marlowe")
    assert page.locator("li.flag:visible").count() < 18
    part1 = page.locator("section", has=page.get_by_role("heading", name="Chase: Part 1 contact"))
    part1.locator("details.more-flags > summary").click()
    for key in ("home visit", "neighbours", "school friends", "forwarding address"):
        part1.get_by_label(f"Select: Enquiry not recorded: {key}.").check()
    part1.get_by_label("Note for the selected flags").fill("Enquiries made by phone today")
    assert fits(page)
    page.screenshot(path=str(screenshots / "case-flags-at-scale.png"), full_page=False)
    part1.get_by_role("button", name="Resolve selected").click()
    page.wait_for_load_state()
    assert "The selected flags are resolved." in page.get_by_role("status").inner_text()
    page.locator("details", has_text="Closed flags").locator("summary").click()
    assert page.locator("details", has_text="Closed flags").inner_text().count(
        "Enquiries made by phone today") == 4
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB",
                                storage_state=context.storage_state())
    small = phone.new_page()
    small.goto(f"{server.url}/cases/{reference}")
    assert fits(small, 390)
    small.screenshot(path=str(screenshots / "case-phone.png"), full_page=False)
    context.close()
    phone.close()


# The form beside the record (rendered pages, highlighted regions): tests/e2e/test_form_highlight.py
