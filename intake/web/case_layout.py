"""How the case page lays out a record: by form Part, section by section.

Declared once as data (record path, label) so the page template is one loop, and each value
can be linked to the document it was read from through ``record["provenance"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intake.core.corrections import is_correctable
from parsers.record import ENQUIRY_KEYS, get_path, is_empty


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[tuple[str, str], ...]


PUPIL = Section("Pupil", (
    ("pupil.surname", "Surname"), ("pupil.forenames", "Forenames"),
    ("pupil.known_as", "Known as"), ("pupil.date_of_birth", "Date of birth"),
    ("pupil.gender", "Gender"), ("pupil.upn", "UPN"), ("pupil.year_group", "Year group"),
    ("pupil.address", "Address"), ("pupil.sen", "Special educational needs"),
    ("pupil.looked_after", "Looked after"),
    ("pupil.child_protection_plan", "Child protection plan"),
    ("pupil.social_care_involved", "Social care involved"),
))
SCHOOL = Section("School", (
    ("school.name", "School"), ("school.dfe_number", "DfE number"), ("school.urn", "URN"),
    ("school.type", "Type"), ("school.area", "Area"),
    ("school.contact.name", "Contact (Part 1)"), ("school.contact.role", "Contact role"),
    ("school.contact.phone", "Contact phone"), ("school.contact.email", "Contact email"),
))
ATTENDANCE = Section("Attendance", (
    ("attendance.last_attended", "Last attended"),
    ("attendance.consecutive_days_absent", "Consecutive days absent"),
    ("attendance.absence_type", "Absence type"),
    ("attendance.authorised_absence_end", "Authorised absence ended"),
    ("attendance.attendance_percent", "Attendance (%)"),
))
GROUNDS = Section("Referral grounds", (
    ("referral.grounds", "Grounds"), ("referral.details", "Details"),
    ("referral.date", "Date of referral"),
))
FAMILY = Section("Information provided by the family", (
    ("family_information.text", "What the family said"),
    ("family_information.destination_country", "Destination country"),
    ("family_information.new_address", "New address"),
    ("family_information.new_la", "New local authority"),
    ("family_information.expected_school", "Expected school"),
    ("family_information.date_left", "Date left"),
    ("family_correspondence.held", "School holds letters/emails from the family"),
    ("family_correspondence.attached", "Copies attached"),
))
ROLL = Section("Roll", (
    ("roll.removed", "Taken off roll"), ("roll.removal_date", "Date taken off roll"),
    ("roll.authorised_by", "Authorised by"),
    ("part1_completed_by.name", "Part 1 completed by"),
    ("part1_completed_by.role", "Role"), ("part1_completed_by.date", "Date"),
))
SAFEGUARDING = Section("Safeguarding (Part 2)", (
    ("safeguarding.concerns", "Safeguarding concerns"),
    ("safeguarding.risk_indicators", "Risk indicators"),
    ("safeguarding.dsl.name", "DSL name"), ("safeguarding.dsl.role", "DSL role"),
    ("safeguarding.dsl.date", "Date"), ("safeguarding.dsl.signed", "Signed"),
))
AIO = Section("Part 3 (AIO)", (
    ("aio.name", "Allocated AIO"), ("aio.date_allocated", "Date allocated"),
    ("aio.sections_complete", "All sections satisfactorily completed"),
    ("aio.notes", "Follow-up notes"),
))
PART1_BEFORE_LISTS = (PUPIL,)
PART1_AFTER_LISTS = (SCHOOL, ATTENDANCE, GROUNDS, FAMILY)
PARENT_COLUMNS = (("name", "Name"), ("relationship", "Relationship"), ("phone", "Phone"),
                  ("email", "Email"), ("address", "Address"))
SIBLING_COLUMNS = (("name", "Name"), ("date_of_birth", "Date of birth"), ("school", "School"))
ENQUIRY_LABELS = {
    "home_visit": "Home visit(s) made",
    "neighbours": "Neighbours spoken to",
    "contacts_telephoned": "All known contacts telephoned",
    "school_friends": "School friends and their parents spoken to",
    "flight_information": "Flight information requested",
    "forwarding_address": "Family asked for their new address",
    "new_school_check": "Checked which school the child will attend",
    "parent_contact_details": "Working parent contact details requested",
}
assert set(ENQUIRY_LABELS) == set(ENQUIRY_KEYS)


def show(value: Any) -> str:
    """A record value as a person reads it; empty values say so rather than show nothing."""
    if isinstance(value, dict) and "lines" in value:
        parts = [*(value.get("lines") or []), value.get("postcode") or ""]
        value = ", ".join(p for p in parts if p)
    if is_empty(value):
        return ""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, list):
        return ", ".join(show(v) for v in value)
    if isinstance(value, str) and value.replace("_", "").isalpha() and "_" in value:
        return value.replace("_", " ")
    return str(value)


def source_of(record: dict[str, Any], path: str) -> dict[str, Any] | None:
    """Provenance of a path, or of the first filled path under it (an address's lines)."""
    provenance = record.get("provenance") or {}
    if path in provenance:
        return provenance[path]
    prefix = path + "."
    return next((v for k, v in sorted(provenance.items()) if k.startswith(prefix)), None)


def cell(record: dict[str, Any], path: str) -> dict[str, Any]:
    """What the template needs for one value: the text and where it came from."""
    return {"text": show(get_path(record, path)), "source": source_of(record, path),
            "path": path, "correctable": is_correctable(path)}


def section_rows(record: dict[str, Any], section: Section) -> list[dict[str, Any]]:
    return [{"label": label, **cell(record, path)} for path, label in section.fields]


def list_rows(record: dict[str, Any], key: str,
              columns: tuple[tuple[str, str], ...]) -> list[list[dict[str, Any]]]:
    return [[cell(record, f"{key}.{index}.{name}") for name, _ in columns]
            for index, _ in enumerate(record.get(key) or [])]


def enquiry_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"label": ENQUIRY_LABELS[key], "done": cell(record, f"enquiries.{key}.done"),
             "date": cell(record, f"enquiries.{key}.date"),
             "notes": cell(record, f"enquiries.{key}.notes")} for key in ENQUIRY_KEYS]


def layout(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "part1_before": [(s.title, section_rows(record, s)) for s in PART1_BEFORE_LISTS],
        "parents": list_rows(record, "parents", PARENT_COLUMNS),
        "siblings": list_rows(record, "siblings", SIBLING_COLUMNS),
        "part1_after": [(s.title, section_rows(record, s)) for s in PART1_AFTER_LISTS],
        "enquiries": enquiry_rows(record),
        "other_enquiries": (record.get("enquiries") or {}).get("other") or [],
        "roll": section_rows(record, ROLL),
        "part2": section_rows(record, SAFEGUARDING),
        "part3": section_rows(record, AIO),
        "parent_columns": PARENT_COLUMNS, "sibling_columns": SIBLING_COLUMNS,
    }
