"""Suggested wording in the review UI: corrections that name the form's label become
suggestions for the admin; accept writes the council's overlay, dismiss hides it; both
audited, CSRF-checked and for admins only. Invented people only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bench.seed import FLAG_KINDS, add_case
from intake.config import Settings, WebSettings
from intake.config_parsing import ParsingSettings
from intake.web.app import create_app
from intake.web.testing import add_users, form_token, migrated_engine, sign_in
from models.tables import AuditEvent, Case
from models.wording import WordingDecision
from parsers.mapping.overlay import read_overlay

NOW = datetime.now(UTC).replace(microsecond=0)
LABEL = "Best number for mum"
NO_PARENT_CONTACT = ("missing_recommended", "part1", "parents", "warning",
                     "No telephone number or email is given for any parent/carer.",
                     "part1_contact")


@pytest.fixture()
def site(tmp_path):
    engine = migrated_engine(tmp_path / "wording.db")
    add_users(engine)
    overlay = tmp_path / "fields.local.toml"
    settings = Settings(web=WebSettings(secure_cookies=False),
                        parsing=ParsingSettings(wording_overlay=str(overlay)))
    return engine, create_app(settings, engine=engine), overlay


def _case_with_label(engine, surname: str, label: str = LABEL) -> str:
    reference = add_case(engine, surname=surname, forenames="Ivo", received_at=NOW - timedelta(
        days=1), flags=(FLAG_KINDS[0], NO_PARENT_CONTACT))
    with Session(engine) as session:
        case = session.exec(select(Case).where(Case.reference == reference)).one()
        case.record = {**case.record, "unmapped": [
            {"label": label, "value": "07700 900 318", "document": 0}]}
        session.add(case)
        session.commit()
    return reference


def _correct(client, reference, label=LABEL, path="parents.0.phone"):
    token = form_token(client, f"/cases/{reference}")
    return client.post(f"/cases/{reference}/corrections", data={
        "csrf_token": token, "path": path, "value": "07700 900 318", "reason": "On the form",
        "label": label})


def _decide(client, action, key="best number for mum", field="parents.*.phone", token=None):
    token = token or form_token(client, "/wording")
    return client.post(f"/wording/{action}", data={"csrf_token": token, "label_key": key,
                                                   "field_path": field})


def test_the_correction_form_offers_the_forms_unmapped_labels(site):
    engine, app, _ = site
    reference = _case_with_label(engine, "Marsh")
    aio = sign_in(TestClient(app), "ene-aio")
    page = aio.get(f"/cases/{reference}").text
    assert "The form&#39;s label for this" in page or "The form's label for this" in page
    assert f'<option value="{LABEL}">{LABEL}</option>' in page
    with Session(engine) as session:  # a value the reader took for another field
        case = session.exec(select(Case).where(Case.reference == reference)).one()
        case.record = {**case.record, "provenance": {**case.record.get("provenance", {}),
                       "school.phone": {"document": 0, "locator": "table 2, row 4",
                                        "label": "Office or mum", "confidence": 0.9}}}
        session.add(case)
        session.commit()
    page = aio.get(f"/cases/{reference}").text
    elsewhere = page[page.index('<optgroup label="Read into another field">'):]
    assert '<option value="Office or mum">Office or mum (read as ' in elsewhere.split("</select>")[0]
    refused = _correct(aio, reference, label="A label not on this form")
    assert "not one of this form" in refused.text
    with Session(engine) as session:
        assert session.exec(select(AuditEvent).where(
            AuditEvent.action == "field_corrected")).first() is None


def test_corrections_become_a_suggestion_with_count_and_example_cases(site):
    engine, app, _ = site
    first, second = _case_with_label(engine, "Marsh"), _case_with_label(engine, "Pell")
    aio = sign_in(TestClient(app), "ene-aio")
    assert "The correction is saved" in _correct(aio, first).text
    _correct(aio, second)
    admin = sign_in(TestClient(app), "admin")
    page = admin.get("/wording").text
    assert f"“{LABEL}”" in page and "Parent/carer&#39;s telephone" in page
    row = page[page.index("<tbody>"):page.index("</tbody>")]
    assert "<td>2</td>" in row
    assert f'href="/cases/{first}"' in row and f'href="/cases/{second}"' in row
    assert 'href="/wording"' in page  # in the admin's navigation


def test_accept_adds_the_label_to_the_overlay_audited_and_the_suggestion_goes(site):
    engine, app, overlay = site
    reference = _case_with_label(engine, "Marsh")
    _correct(sign_in(TestClient(app), "ene-aio"), reference)
    admin = sign_in(TestClient(app), "admin")
    response = _decide(admin, "accept")
    assert "The label is added" in response.text
    assert read_overlay(overlay, ["parents.*.phone"]) == {"parents.*.phone": (LABEL,)}
    assert "accepted by admin" in overlay.read_text(encoding="utf-8")
    assert f"“{LABEL}”" not in response.text.split('id="accepted"')[0].split("</p>", 3)[-1]
    assert "No suggested wording" in response.text
    assert "The council&#39;s wording" in response.text or "The council's wording" in response.text
    again = _decide(admin, "accept", token=form_token(admin, "/wording"))
    assert "no longer open" in again.text
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "wording_accepted")).one()
        assert event.actor == "admin" and event.detail["field"] == "parents.*.phone"
        assert event.detail["cases"] == [reference]
        decision = session.exec(select(WordingDecision)).one()
        assert (decision.decision, decision.label) == ("accepted", LABEL)


def test_dismiss_is_stored_audited_and_not_shown_again(site):
    engine, app, overlay = site
    _correct(sign_in(TestClient(app), "ene-aio"), _case_with_label(engine, "Marsh"))
    admin = sign_in(TestClient(app), "admin")
    response = _decide(admin, "dismiss")
    assert "dismissed and will not be shown again" in response.text
    assert "No suggested wording" in admin.get("/wording").text
    assert not overlay.exists()
    with Session(engine) as session:
        assert session.exec(select(AuditEvent).where(
            AuditEvent.action == "wording_dismissed")).one().actor == "admin"
    # a later correction with the same label for the same field stays dismissed
    _correct(sign_in(TestClient(app), "ene-aio"), _case_with_label(engine, "Pell"))
    assert "No suggested wording" in admin.get("/wording").text


def test_a_label_the_reader_already_takes_for_the_field_is_no_suggestion(site):
    engine, app, _ = site
    reference = _case_with_label(engine, "Marsh", label="Telephone number")
    _correct(sign_in(TestClient(app), "ene-aio"), reference, label="Telephone number")
    assert "No suggested wording" in sign_in(TestClient(app), "admin").get("/wording").text


@pytest.mark.parametrize("name", ["ene-aio", "manager"])
def test_only_admins_see_and_decide(site, name):
    engine, app, overlay = site
    _correct(sign_in(TestClient(app), "ene-aio"), _case_with_label(engine, "Marsh"))
    other = sign_in(TestClient(app), name)
    assert other.get("/wording").status_code == 403
    token = form_token(other, "/my")
    assert _decide(other, "accept", token=token).status_code == 403
    assert not overlay.exists()


def test_accept_and_dismiss_need_the_csrf_token(site):
    engine, app, overlay = site
    _correct(sign_in(TestClient(app), "ene-aio"), _case_with_label(engine, "Marsh"))
    admin = sign_in(TestClient(app), "admin")
    for action in ("accept", "dismiss"):
        response = admin.post(f"/wording/{action}", data={
            "label_key": "best number for mum", "field_path": "parents.*.phone"})
        assert response.status_code == 403
    assert not overlay.exists()
    with Session(engine) as session:
        assert session.exec(select(WordingDecision)).first() is None


def test_a_malformed_overlay_is_shown_and_accept_refused_without_overwriting(site):
    engine, app, overlay = site
    _correct(sign_in(TestClient(app), "ene-aio"), _case_with_label(engine, "Marsh"))
    overlay.write_text("[[field]\n", encoding="utf-8")
    admin = sign_in(TestClient(app), "admin")
    assert "The wording file cannot be used" in admin.get("/wording").text
    response = _decide(admin, "accept")
    assert "not valid TOML" in response.text and "line 1" in response.text
    assert overlay.read_text(encoding="utf-8") == "[[field]\n"
    with Session(engine) as session:
        assert session.exec(select(WordingDecision)).first() is None


def test_a_decision_is_stored_once_on_sqlite_and_postgresql(db_url):
    from models.db import make_engine, migrate
    from models.store_wording import decide, decisions

    engine = make_engine(db_url)
    migrate(engine)
    args = {"label_key": "best daytime number", "label": "Best daytime number",
            "field_path": "parents.*.phone", "actor": "admin"}
    assert decide(engine, decision="dismissed", examples=["CME-2026-000001"], **args)
    assert not decide(engine, decision="accepted", **args)
    with Session(engine) as session:
        assert decisions(session)[("best daytime number", "parents.*.phone")] == "dismissed"
        events = session.exec(select(AuditEvent).where(
            AuditEvent.action.in_(("wording_dismissed", "wording_accepted")))).all()
        assert [e.action for e in events] == ["wording_dismissed"]
