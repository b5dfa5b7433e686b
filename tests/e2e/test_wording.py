"""Learning the council's wording in a real browser (issue 14, item 3).

A school's form prints the parent's phone under a label the reader does not know ("Best
daytime number"), so the value is left unmapped. An AIO corrects the phone and names that
label; the admin accepts the suggestion; the next ``cme-intake parse`` of a form with that
label fills the field. Invented people only; the form is built here with python-docx.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from intake.config import Settings, WebSettings
from intake.config_parsing import ParsingSettings
from intake.core.rules import RuleSettings
from intake.ingest import ingest_message
from intake.web.app import create_app
from intake.web.testing import add_users, migrated_engine
from models.store import SourceRef
from parsers.mapping.overlay import ENVIRONMENT
from tests.e2e.test_aio_day import fits
from tests.e2e.test_review_flow import sign_in
from tests.fixtures.gen_docx import label_tables

pytestmark = pytest.mark.chromium

LABEL = "Best daytime number"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def referral_form() -> bytes:
    """A small referral form whose parent phone sits under an unknown label."""
    return label_tables([
        ("Pupil details", [("Surname", "Okafor"), ("Forename(s)", "Lumi"),
                           ("Date of birth", "12/03/2015"), ("Gender", "Female"),
                           ("Address", "4 Larch Row, Exampleton EX1 2AB")]),
        ("Parent/carer details", [("Name", "Tamsin Okafor"), ("Relationship", "Mother"),
                                  (LABEL, "07700 900 318")]),
    ], title="Children Missing Education referral form")


def _mail(form: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = "office@larch-primary.example"
    message["To"] = "cme-ene@council.example"
    message["Subject"] = "CME referral"
    message["Date"] = "Mon, 07 Dec 2026 09:00:00 +0000"
    message["Message-ID"] = "<wording-e2e@larch-primary.example>"
    message.set_content("Please find the referral attached.")
    maintype, subtype = DOCX.split("/")
    message.add_attachment(form, maintype=maintype, subtype=subtype, filename="referral.docx")
    return message.as_bytes()


def parse_with_config(config: Path, form: Path) -> dict:
    """``cme-intake parse --json`` in its own process, as an officer would run it."""
    environment = {k: v for k, v in os.environ.items() if k != ENVIRONMENT}
    done = subprocess.run(
        [sys.executable, "-m", "intake.cli", "parse", str(form), "--json", "--config", str(config)],
        capture_output=True, text=True, timeout=120, env=environment, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_accepted_wording_suggestion_fills_the_field_on_the_next_parse(
        browser, tmp_path, live_server_for, screenshots):
    form = tmp_path / "referral.docx"
    form.write_bytes(referral_form())
    config = tmp_path / "cme.toml"
    config.write_text("# the overlay defaults to fields.local.toml beside this file\n",
                      encoding="utf-8")
    before = parse_with_config(config, form)
    assert before["parents"][0]["phone"] is None
    assert {"label": LABEL, "value": "07700 900 318", "document": 0} in before["unmapped"]

    engine = migrated_engine(tmp_path / "wording.db")
    add_users(engine)
    source = SourceRef(mailbox="ene", source="file", account="tests", folder="INBOX")
    reference = ingest_message(engine, raw=_mail(form.read_bytes()), source=source,
                               settings=RuleSettings()).case_reference
    assert reference
    overlay = tmp_path / "fields.local.toml"
    settings = Settings(web=WebSettings(secure_cookies=False),
                        parsing=ParsingSettings(wording_overlay=str(overlay)))
    server = live_server_for(create_app(settings, engine=engine))

    aio = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = aio.new_page()
    sign_in(page, server.url, "ene-aio")
    page.goto(f"{server.url}/cases/{reference}")
    page.get_by_label("Field to correct").select_option("parents.0.phone")
    page.get_by_label("Correct value").fill("07700 900 318")
    page.get_by_label("The form's label for this (optional)").select_option(LABEL)
    page.get_by_label("Reason for the correction").fill("The phone is under the school's own label")
    page.get_by_role("button", name="Save correction").click()
    page.wait_for_load_state()
    assert "The correction is saved" in page.get_by_role("status").inner_text()
    aio.close()

    admin_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    admin = admin_context.new_page()
    sign_in(admin, server.url, "admin")
    admin.get_by_role("link", name="Suggested wording").click()
    row = admin.locator("#suggestions tbody tr", has_text=LABEL)
    assert "Parent/carer's telephone" in row.inner_text()
    assert row.get_by_role("link", name=reference).is_visible()
    assert fits(admin)
    admin.screenshot(path=str(screenshots / "wording-suggestions.png"), full_page=True)
    row.get_by_role("button", name=f"Accept “{LABEL}” as Parent/carer's telephone").click()
    admin.wait_for_load_state()
    assert "next parse uses it" in admin.get_by_role("status").inner_text()
    assert LABEL in admin.locator("#accepted ~ table").inner_text()
    admin.goto(f"{server.url}/audit")
    assert "wording accepted" in admin.locator("table tbody").inner_text()
    admin_context.close()

    after = parse_with_config(config, form)
    assert after["parents"][0]["phone"] == "07700900318"
    assert after["provenance"]["parents.0.phone"]["label"] == LABEL
    assert not any(entry["label"] == LABEL for entry in after["unmapped"])
