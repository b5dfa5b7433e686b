"""End to end in a real browser: an AIO reviews a case, a manager exports the log.

Screenshots of the queue, a case page and the manager's log are saved to docs/screenshots/.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from bench.seed import FLAG_KINDS, add_case, add_message
from intake.web.testing import PASSWORD, add_users, make_app, migrated_engine

pytestmark = pytest.mark.chromium

MISSING_DOB, MISSING_LAST, DSL_UNSIGNED, NO_UPN, NO_VISIT, LATE, RISK = FLAG_KINDS
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture()
def site(tmp_path, live_server_for):
    engine = migrated_engine(tmp_path / "e2e.db")
    add_users(engine)
    refs = {
        "review": add_case(engine, surname="Hollins", forenames="Nia",
                           received_at=NOW - timedelta(days=6),
                           flags=(MISSING_DOB, DSL_UNSIGNED, NO_VISIT),
                           risk_indicators=("neglect",)),
        "other": add_case(engine, surname="Jarrow", forenames="Otis",
                          received_at=NOW - timedelta(days=2), flags=(MISSING_LAST, NO_UPN)),
        "south": add_case(engine, area="South", mailbox="south", surname="Kestrel",
                          school="Riverside Infant School", received_at=NOW - timedelta(days=3),
                          flags=(MISSING_DOB, LATE)),
        "south_late": add_case(engine, area="South", mailbox="south", surname="Lindqvist",
                               school="Southmead Community School",
                               received_at=NOW - timedelta(days=9), flags=(LATE,)),
    }
    add_message(engine, mailbox="south", received_at=NOW - timedelta(days=1), status="failed",
                error="MalformedMessage: not an email")
    add_message(engine, mailbox="wnw", received_at=NOW - timedelta(days=1),
                status="no_referral_form", flag_codes=",no_referral_form,")
    server = live_server_for(make_app(engine))
    return server, refs


def sign_in(page, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")  # keyboard only
    page.wait_for_load_state()


def test_aio_reviews_a_case_and_the_audit_trail_shows_each_step(browser, site, screenshots):
    server, refs = site
    reference = refs["review"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, server.url, "ene-aio")
    assert page.url.endswith("/my")  # an AIO's home is My cases (issue 14)
    page.goto(f"{server.url}/queue")
    assert page.get_by_role("link", name=reference).is_visible()
    assert refs["south"] not in page.content()
    page.screenshot(path=str(screenshots / "queue.png"), full_page=True)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    page.get_by_role("link", name=reference).click()
    page.wait_for_url(f"**/cases/{reference}")
    assert page.get_by_role("heading", level=1).inner_text().startswith(f"Case {reference}")
    page.get_by_text("Draft follow-up to Pat Example").click()
    draft = page.locator("pre.draft").first.inner_text()
    assert "Dear Pat Example" in draft and "date of birth is missing" in draft
    page.screenshot(path=str(screenshots / "case.png"), full_page=True)

    for message, note in (("Pupil's date of birth is missing.", "DOB confirmed by phone"),
                          ("Part 2 is not signed and dated by the DSL.", "DSL signed copy")):
        flag = page.locator("li.flag", has_text=message)
        flag.get_by_label("Note (why it can be closed)").fill(note)
        flag.get_by_role("button", name="Resolve flag").click()
        page.wait_for_load_state()
        assert "The flag is resolved." in page.get_by_role("status").inner_text()

    page.get_by_label("Allocated AIO").select_option("ene-aio")
    page.get_by_label("Yes").check()
    page.get_by_label("Follow-up notes").fill("Chased the school; all sections now complete.")
    page.get_by_role("button", name="Save Part 3").click()
    page.wait_for_load_state()
    assert "has left the queue" in page.get_by_role("status").inner_text()

    page.goto(f"{server.url}/queue")
    assert page.get_by_role("link", name=reference).count() == 0
    assert page.get_by_role("link", name=refs["other"]).is_visible()
    context.close()

    admin = browser.new_context().new_page()
    sign_in(admin, server.url, "admin")
    admin.goto(f"{server.url}/audit?case={reference}")
    trail = admin.locator("table tbody").inner_text()
    for step in ("case viewed", "flag resolved", "part3 updated"):
        assert step in trail, step
    assert trail.count("flag resolved") == 2
    admin.goto(f"{server.url}/audit?actor=ene-aio")
    assert "login" in admin.locator("table tbody").inner_text()


def test_manager_filters_the_log_and_downloads_matching_csv(browser, site, screenshots):
    server, refs = site
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                               accept_downloads=True).new_page()
    sign_in(page, server.url, "manager")
    assert page.url.endswith("/log")
    assert page.locator("svg.chart").is_visible()
    page.screenshot(path=str(screenshots / "log.png"), full_page=True)

    page.get_by_label("Mailbox (area)").select_option("south")
    page.get_by_label("Late referral").select_option("yes")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_load_state()
    listed = set(re.findall(r"CME-\d{4}-\d{6}", page.locator("table").last.inner_text()))
    assert listed == {refs["south"], refs["south_late"]}

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download these 2 messages as CSV")).click()
    download = download_info.value
    rows = list(csv.DictReader(io.StringIO(open(download.path(), encoding="utf-8").read())))
    assert {row["case"] for row in rows} == listed
    assert all(row["mailbox"] == "south" and row["late"] == "yes" for row in rows)
