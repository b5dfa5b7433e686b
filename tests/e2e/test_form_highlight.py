"""The form beside the record in a real browser (issue 14): an AIO opens a case, clicks a
flag and a field value, and the highlighted region is over the value on the rendered page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intake.core.rules import RuleSettings
from intake.ingest import ingest_message
from intake.web.testing import add_users, make_app, migrated_engine
from models.store import SourceRef
from models.tables import Blob, Case
from tests.e2e.test_aio_day import fits
from tests.e2e.test_review_flow import sign_in

pytestmark = pytest.mark.chromium

MAIL = Path(__file__).parents[1] / "fixtures" / "golden" / "e04_inline_pdf_cme.eml"


@pytest.fixture()
def form_case(tmp_path, live_server_for):
    engine = migrated_engine(tmp_path / "form.db")
    add_users(engine)
    reference = ingest_message(engine, raw=MAIL.read_bytes(), settings=RuleSettings(),
                               source=SourceRef(mailbox="cme", source="file", account="t",
                                                folder="INBOX")).case_reference
    with Session(engine) as db:
        case = db.exec(select(Case).where(Case.reference == reference)).one()
        pdf = db.get(Blob, case.record["documents"][0]["sha256"]).content
    server = live_server_for(make_app(engine, page_cache_dir=str(tmp_path / "pages")))
    return server, reference, pdf


def _word_centre(pdf: bytes, page: int, text: str) -> tuple[float, float]:
    """Where the form has ``text`` (fractions of the page), read independently of the app."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        sheet = document.pages[page - 1]
        word = next(w for w in sheet.extract_words() if w["text"] == text)
        return ((word["x0"] + word["x1"]) / 2 / sheet.width,
                (word["top"] + word["bottom"]) / 2 / sheet.height)


def _assert_highlighted(page, link, pdf: bytes, number: int, text: str, name: str) -> object:
    anchor = link.get_attribute("href")
    assert anchor.startswith(f"#doc-0-page-{number}-at-")
    link.click()
    mark = page.locator(f"rect{anchor}")
    image = page.locator(f"#doc-0-page-{number} img")
    image.evaluate("img => img.decode()")
    assert mark.evaluate("r => r.matches(':target')")
    assert mark.evaluate("r => getComputedStyle(r).fill") != "none"
    assert mark.evaluate("r => getComputedStyle(r).stroke") == "rgb(179, 38, 30)"
    assert mark.get_attribute("aria-label") == f"highlighted: ‘{name}’ on page {number}"
    assert page.locator(f"#doc-0-page-{number}").evaluate("f => f.matches(':has(:target)')")
    box, picture = mark.bounding_box(), image.bounding_box()
    viewport = page.viewport_size
    assert 0 <= box["y"] < viewport["height"] and box["height"] > 4  # scrolled to, not a dot
    x, y = _word_centre(pdf, number, text)
    x, y = picture["x"] + x * picture["width"], picture["y"] + y * picture["height"]
    assert box["x"] <= x <= box["x"] + box["width"], (box, x)
    assert box["y"] <= y <= box["y"] + box["height"], (box, y)
    assert box["width"] < picture["width"] / 2 and box["height"] < picture["height"] / 10
    return mark


def test_a_flag_and_a_field_are_highlighted_where_the_form_has_them(
        browser, form_case, screenshots):
    server, reference, pdf = form_case
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, server.url, "central-aio")
    page.goto(f"{server.url}/cases/{reference}")
    # The late-referral flag is about the date last attended: 16/10/2026 on page 1.
    flag = page.locator("li.flag", has_text="Referral received after").locator("a.on-form")
    assert flag.inner_text() == "See it on the form (page 1, highlighted)"
    _assert_highlighted(page, flag, pdf, 1, "16/10/2026", "Date last attended")
    # A field value: the pupil's surname, beside its label on page 1.
    surname = page.locator("tr:has(th:text-is('Surname')) a.on-form").first
    assert surname.inner_text().startswith("on the form, page 1")
    mark = _assert_highlighted(page, surname, pdf, 1, "Vexley", "Surname")
    # Only the linked region shows: the flag's is no longer the target.
    assert page.locator("rect[id$='-at-attendance-last-attended']").evaluate(
        "r => getComputedStyle(r).fill") == "rgba(0, 0, 0, 0)"
    assert fits(page)
    mark.evaluate("r => r.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(screenshots / "case-form.png"), full_page=False)
    context.close()
