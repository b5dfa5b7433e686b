"""Completeness and compliance rules on literal records (spec §4)."""

from datetime import date

import pytest

from intake.core.rules import Finding, RuleSettings, duplicate_flag, evaluate, is_complete
from parsers.record import ENQUIRY_KEYS, empty_record

RECEIVED = date(2026, 11, 2)


def complete_record() -> dict:
    record = empty_record()
    record["school"].update(name="Northfield Community Primary School", dfe_number="9999001",
                            type="maintained")
    record["school"]["contact"].update(name="Sam Teacher", phone="01632960001",
                                       email="s.teacher@example.sch.uk")
    record["pupil"].update(surname="Testperson", forenames="Alexa", date_of_birth="2014-04-03",
                           gender="female", upn="A123456789012")
    record["pupil"]["address"] = {"lines": ["12 Acacia Road"], "postcode": "NT1 2AB"}
    record["parents"] = [{"name": "Dana Testperson", "relationship": "Mother",
                          "phone": "07700900123", "email": None, "address": None}]
    record["attendance"]["last_attended"] = "2026-10-20"
    record["referral"]["grounds"] = ["left_country"]
    record["family_information"]["text"] = "Moving abroad."
    for key in ENQUIRY_KEYS:
        record["enquiries"][key]["done"] = True
    record["part1_completed_by"]["name"] = "Sam Teacher"
    record["safeguarding"]["concerns"] = "None known."
    record["safeguarding"]["dsl"].update(name="Pat Guardian", date="2026-10-30", signed=True)
    return record


def codes(flags):
    return sorted((f["code"], f["field"]) for f in flags)


def test_complete_record_raises_nothing():
    flags = evaluate(complete_record(), received_on=RECEIVED)
    assert flags == []
    assert is_complete(flags)


@pytest.mark.parametrize("path", ["school.name", "pupil.surname", "pupil.date_of_birth",
                                  "attendance.last_attended", "family_information.text",
                                  "part1_completed_by.name", "school.contact.name"])
def test_missing_required_field_is_blocking_and_chases_part1_contact(path):
    record = complete_record()
    section, *rest = path.split(".")
    target = record[section]
    for part in rest[:-1]:
        target = target[part]
    target[rest[-1]] = None
    flags = evaluate(record, received_on=RECEIVED)
    assert ("missing_field", path) in codes(flags)
    flag = next(f for f in flags if f["field"] == path)
    assert flag["severity"] == "blocking" and flag["follow_up_with"] == "part1_contact"
    assert not is_complete(flags)


def test_missing_parents_and_address_and_ground():
    record = complete_record()
    record["parents"] = []
    record["pupil"]["address"] = {"lines": [], "postcode": None}
    record["referral"]["grounds"] = []
    found = codes(evaluate(record, received_on=RECEIVED))
    assert ("missing_field", "parents") in found
    assert ("missing_field", "pupil.address") in found
    assert ("no_referral_ground", "referral.grounds") in found
    assert ("missing_recommended", "parents") in found


def test_part2_missing_versus_unsigned():
    record = complete_record()
    record["safeguarding"] = {"concerns": None, "risk_indicators": [],
                              "dsl": {"name": None, "role": None, "date": None, "signed": None}}
    flags = evaluate(record, received_on=RECEIVED)
    assert codes(flags) == [("part2_missing", None)]
    assert flags[0]["follow_up_with"] == "dsl"
    record["safeguarding"]["concerns"] = "Some concerns."
    found = codes(evaluate(record, received_on=RECEIVED))
    assert ("dsl_not_signed", "safeguarding.dsl") in found
    assert ("missing_field", "safeguarding.dsl.name") in found
    assert ("missing_field", "safeguarding.dsl.date") in found


def test_enquiry_not_done_one_flag_per_key():
    record = complete_record()
    record["enquiries"]["neighbours"]["done"] = False
    record["enquiries"]["flight_information"]["done"] = None
    found = [f for f in evaluate(record, received_on=RECEIVED) if f["code"] == "enquiry_not_done"]
    assert sorted(f["field"] for f in found) == ["enquiries.flight_information", "enquiries.neighbours"]
    assert all(f["severity"] == "warning" for f in found)


def test_late_referral_counts_school_days_and_holidays():
    record = complete_record()
    record["attendance"]["last_attended"] = "2026-10-01"  # 21 school days before 2 Nov
    assert ("late_referral", "attendance.last_attended") in codes(evaluate(record, received_on=RECEIVED))
    half_term = RuleSettings(holidays=((date(2026, 10, 26), date(2026, 10, 30)),))
    assert "late_referral" not in [f["code"] for f in evaluate(record, received_on=RECEIVED,
                                                                   settings=half_term)]
    tenth_day = RuleSettings(referral_due_school_days=10)
    record["attendance"]["last_attended"] = "2026-10-15"
    assert "late_referral" in [f["code"] for f in evaluate(record, received_on=RECEIVED,
                                                               settings=tenth_day)]


def test_not_compulsory_school_age():
    record = complete_record()
    record["pupil"]["date_of_birth"] = "2009-03-01"
    assert ("not_compulsory_school_age", "pupil.date_of_birth") in codes(
        evaluate(record, received_on=RECEIVED))


def test_findings_become_flags():
    findings = [Finding("invalid_value", "pupil.upn", "UPN check letter does not match"),
                Finding("low_confidence", "safeguarding.dsl.date", "both Yes and No are ticked")]
    flags = evaluate(complete_record(), findings=findings, received_on=RECEIVED)
    invalid = next(f for f in flags if f["code"] == "invalid_value")
    assert invalid["field"] == "pupil.upn" and invalid["follow_up_with"] == "part1_contact"
    low = next(f for f in flags if f["code"] == "low_confidence")
    assert low["section"] == "part2" and low["follow_up_with"] is None


@pytest.mark.parametrize("mailbox,school_type,misrouted", [
    ("ene", "academy", True), ("south", "independent", True), ("cme", "maintained", True),
    ("cme", "academy", False), ("wnw", "maintained", False), ("ene", "unknown", False),
])
def test_misrouted(mailbox, school_type, misrouted):
    record = complete_record()
    record["school"]["type"] = school_type
    record["received"] = {"mailbox": mailbox, "from": None, "to": None, "subject": None,
                          "date": None, "message_id": None}
    record["documents"] = [{"filename": "f.docx", "sha256": "0", "media_type": None,
                            "role": "referral_form", "extraction": "docx", "pages": None,
                            "problem": None}]
    found = [f["code"] for f in evaluate(record, received_on=RECEIVED)]
    assert ("misrouted" in found) is misrouted


def test_correspondence_roll_and_risk():
    record = complete_record()
    record["family_correspondence"] = {"held": True, "attached": False}
    record["roll"] = {"removed": True, "removal_date": "2026-10-25", "authorised_by": None}
    record["safeguarding"]["risk_indicators"] = ["forced_marriage"]
    flags = evaluate(record, received_on=RECEIVED)
    found = {f["code"]: f for f in flags}
    assert found["family_correspondence_not_attached"]["severity"] == "warning"
    assert found["removed_from_roll_without_authorisation"]["severity"] == "blocking"
    assert "forced marriage" in found["risk_indicators_present"]["message"]
    assert found["risk_indicators_present"]["severity"] == "info"
    record["roll"]["authorised_by"] = "A. Officer (CME team)"
    record["family_correspondence"]["attached"] = True
    found = [f["code"] for f in evaluate(record, received_on=RECEIVED)]
    assert "removed_from_roll_without_authorisation" not in found
    assert "family_correspondence_not_attached" not in found


def test_document_flags_replace_form_flags():
    record = empty_record()
    record["received"] = {"mailbox": "cme", "from": None, "to": None, "subject": None,
                          "date": None, "message_id": None}
    assert codes(evaluate(record, received_on=RECEIVED)) == [("no_referral_form", None)]
    record["documents"] = [{"filename": "form.docx", "sha256": "0", "media_type": None,
                            "role": "other", "extraction": "none", "pages": None,
                            "problem": "the document is password-protected"}]
    flags = evaluate(record, received_on=RECEIVED)
    assert codes(flags) == [("unreadable_document", None)]
    assert "password" in flags[0]["message"]


def test_duplicate_flag_shape():
    flag = duplicate_flag("CME-2026-000001")
    assert flag["code"] == "possible_duplicate" and flag["severity"] == "info"
    assert flag["section"] == "routing"
