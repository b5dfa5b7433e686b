"""Correcting a misreading: the core's part (literal records) and the web app's (HTTP)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bench.seed import FLAG_KINDS, add_case
from intake.core.corrections import (
    CorrectionRefused,
    correct,
    correctable_paths,
    is_correctable,
    normalised,
)
from intake.core.rules import evaluate
from intake.web.testing import add_users, form_token, make_app, migrated_engine, sign_in
from models.tables import AuditEvent, Case, CaseVersion, Flag
from parsers.errors import IntakeError
from parsers.record import empty_record

NOW = datetime.now(UTC).replace(microsecond=0)
NO_PARENT_CONTACT = ("missing_recommended", "part1", "parents", "warning",
                     "No telephone number or email is given for any parent/carer.",
                     "part1_contact")


def _record() -> dict:
    record = empty_record()
    record["pupil"].update(surname="Quill", forenames="Ada", date_of_birth=None)
    record["parents"] = [{"name": "Rowan Quill", "relationship": "mother", "phone": None,
                          "email": None, "address": None}]
    record["provenance"] = {"pupil.surname": {"document": 0, "locator": "table 1, row 2",
                                              "label": "Surname", "confidence": 1.0}}
    record["flags"] = evaluate(record, received_on=date(2026, 3, 2))
    return record


@pytest.mark.parametrize(("path", "typed", "value"), [
    ("pupil.date_of_birth", "12/03/2015", "2015-03-12"),
    ("parents.0.phone", "01632 960 123", "01632960123"),
    ("pupil.upn", "", None),
    ("pupil.surname", "  O'Neill   Smith ", "O'Neill Smith"),
])
def test_typed_values_go_through_the_parsers_readers(path, typed, value):
    assert normalised(path, typed) == value


@pytest.mark.parametrize(("path", "typed"), [
    ("pupil.date_of_birth", "sometime in spring"), ("parents.0.email", "not an address"),
    ("pupil.no_such_field", "x"), ("enquiries.home_visit", "yes"),
])
def test_unreadable_values_and_unknown_fields_are_refused_with_a_reason(path, typed):
    with pytest.raises(CorrectionRefused) as refused:
        normalised(path, typed)
    assert isinstance(refused.value, IntakeError) and refused.value.reason
    assert typed not in refused.value.reason


def test_a_correction_settles_the_flags_it_answers_and_marks_provenance():
    record = _record()
    keys = {(f["code"], f["field"]) for f in record["flags"]}
    assert ("missing_field", "pupil.date_of_birth") in keys
    change = correct(record, "pupil.date_of_birth", "12/03/2015", received_on=date(2026, 3, 2))
    assert change.before is None and change.value == "2015-03-12"
    assert ("missing_field", "pupil.date_of_birth") in change.close
    assert change.record["provenance"]["pupil.date_of_birth"] == {
        "document": None, "locator": "corrected by the AIO", "label": None,
        "confidence": 1.0, "source": "correction"}
    assert record["pupil"]["date_of_birth"] is None  # the input record is not changed
    phone = correct(record, "parents.0.phone", "07700 900123", received_on=date(2026, 3, 2))
    assert ("missing_recommended", "parents") in phone.close


def test_a_correction_can_raise_a_new_flag_and_keeps_the_label():
    record = _record()
    change = correct(record, "pupil.date_of_birth", "01/01/2005", received_on=date(2026, 3, 2))
    assert [f["code"] for f in change.raised] == ["not_compulsory_school_age"]
    surname = correct(record, "pupil.surname", "Quillon", received_on=None)
    assert surname.label == "Surname" and surname.before == "Quill"
    with pytest.raises(CorrectionRefused):
        correct(record, "pupil.surname", "Quill", received_on=None)


def test_the_correctable_fields_cover_each_parent_and_not_part3():
    paths = dict(correctable_paths(_record()))
    assert "parents.0.phone" in paths and "pupil.date_of_birth" in paths
    assert not any(p.startswith("aio.") for p in paths)
    assert is_correctable("parents.0.phone") and not is_correctable("aio.name")


# ---------------------------------------------------------------- the web app

@pytest.fixture()
def engine(tmp_path):
    engine = migrated_engine(tmp_path / "corrections.db")
    add_users(engine)
    return engine


def _post(client, reference, **form):
    token = form_token(client, f"/cases/{reference}")
    return client.post(f"/cases/{reference}/corrections", data={"csrf_token": token, **form})


def test_correcting_a_field_closes_its_flag_and_is_audited_with_both_values(engine):
    reference = add_case(engine, received_at=NOW - timedelta(days=2),
                         flags=(FLAG_KINDS[0], NO_PARENT_CONTACT))
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    page = client.get(f"/cases/{reference}?correct=parents.0.phone")
    assert 'option value="parents.0.phone" selected' in page.text
    response = _post(client, reference, path="parents.0.phone", value="07700 900 456",
                     reason="Phoned the school office", version="1")
    assert "The correction is saved" in response.text
    assert "corrected by ene-aio: Phoned the school office" in response.text
    with Session(engine) as session:
        case = session.exec(select(Case)).one()
        assert case.record["parents"][0]["phone"] == "07700900456"
        assert case.record["provenance"]["parents.0.phone"]["source"] == "correction"
        flag = session.exec(select(Flag).where(Flag.field == "parents")).one()
        assert (flag.status, flag.closed_by) == ("resolved", "ene-aio")
        event = session.exec(select(AuditEvent).where(
            AuditEvent.action == "field_corrected")).one()
        detail = event.full_detail()  # the values are in the sealed part
        assert detail["value"] == "07700900456" and detail["reason"]
        assert event.actor == "ene-aio"
        assert [v.version for v in session.exec(select(CaseVersion))][-1] == case.version == 2
    assert "07700900456" in client.get(f"/cases/{reference}").text


def test_the_queue_csv_uses_the_corrected_value(engine):
    reference = add_case(engine, received_at=NOW, school="Misread Primry", flags=(FLAG_KINDS[0],))
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    _post(client, reference, path="school.name", value="Millbrook Primary School",
          reason="Name misread", version="1")
    csv = client.get("/queue.csv?status=").text
    assert "Millbrook Primary School" in csv and "Misread Primry" not in csv


@pytest.mark.parametrize(("form", "error"), [
    ({"path": "pupil.date_of_birth", "value": "12/03/2015", "reason": " "},
     "Write the reason for the correction."),
    ({"path": "pupil.date_of_birth", "value": "spring", "reason": "x"}, "Date of birth"),
    ({"path": "pupil.date_of_birth", "value": "12/03/2015", "reason": "x", "version": "7"},
     "the case changed while you were correcting it"),
])
def test_refused_corrections_say_why_and_change_nothing(engine, form, error):
    reference = add_case(engine, received_at=NOW, flags=(FLAG_KINDS[0],))
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    response = _post(client, reference, **form)
    assert error in response.text
    with Session(engine) as session:
        assert session.exec(select(Case)).one().version == 1


def test_an_aio_cannot_correct_another_areas_case(engine):
    reference = add_case(engine, area="South", mailbox="south", received_at=NOW,
                         flags=(FLAG_KINDS[0],))
    client = sign_in(TestClient(make_app(engine)), "ene-aio")
    token = form_token(client, "/queue")
    response = client.post(f"/cases/{reference}/corrections", data={
        "csrf_token": token, "path": "pupil.surname", "value": "X", "reason": "x"})
    assert response.status_code == 403
