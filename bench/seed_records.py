"""The benchmark seed's invented cases: names, schools, flag kinds and the referral record
JSON of one case, built from a template (split from :mod:`bench.seed`, which writes them)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from parsers.record import empty_record

FORENAMES = ("Ava", "Noah", "Maya", "Leo", "Isla", "Ezra", "Nia", "Kai", "Zara", "Otis",
             "Lena", "Remy", "Tara", "Idris", "Mila", "Arlo", "Esme", "Jude", "Suki", "Omar")
SURNAMES = ("Ashdown", "Brightwell", "Calloway", "Dunmore", "Everleigh", "Fairbank",
            "Greythorn", "Hollins", "Ivesley", "Jarrow", "Kestrel", "Lindqvist", "Marwood",
            "Northcote", "Oakhurst", "Pellow", "Quarrie", "Rushmere", "Stanwick", "Thorley")
SCHOOLS = (  # invented schools: (name, type, area, mailbox it should send to)
    ("Brookfield Primary School", "maintained", "ENE", "ene"),
    ("Hillcrest Primary School", "maintained", "ENE", "ene"),
    ("Larkspur Junior School", "maintained", "WNW", "wnw"),
    ("Meadowbank Primary School", "maintained", "WNW", "wnw"),
    ("Riverside Infant School", "maintained", "South", "south"),
    ("Southmead Community School", "maintained", "South", "south"),
    ("Oakridge Academy", "academy", None, "cme"),
    ("St Aldhelm's Free School", "academy", None, "cme"),
    ("Harrowgate House School", "independent", None, "cme"),
)
FLAG_KINDS = (  # code, section, field, severity, message, follow_up_with
    ("missing_field", "part1", "pupil.date_of_birth", "blocking",
     "Pupil's date of birth is missing.", "part1_contact"),
    ("missing_field", "part1", "attendance.last_attended", "blocking",
     "Date last attended is missing.", "part1_contact"),
    ("dsl_not_signed", "part2", "safeguarding.dsl.date", "blocking",
     "Part 2 is not signed and dated by the DSL.", "dsl"),
    ("missing_recommended", "part1", "pupil.upn", "warning", "Pupil's UPN is missing.",
     "part1_contact"),
    ("enquiry_not_done", "part1", "enquiries.home_visit", "warning",
     "No home visit is recorded.", "part1_contact"),
    ("late_referral", "timeliness", None, "warning",
     "Referred more than 20 school days after the pupil last attended.", None),
    ("risk_indicators_present", "part2", "safeguarding.risk_indicators", "info",
     "Safeguarding risk indicators: neglect.", None),
)
MAILBOX_AREA = {"cme": "central", "ene": "ENE", "wnw": "WNW", "south": "South"}
FORM_BYTES = b"%PDF-1.4\n% invented referral form used by the benchmark seed\n%%EOF\n"


@dataclass
class CaseSpec:
    """What a test wants of one case; everything else is generated."""

    area: str | None = "ENE"
    school: str = "Brookfield Primary School"
    school_type: str = "maintained"
    mailbox: str = "ene"
    forenames: str = "Ava"
    surname: str = "Ashdown"
    received_at: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    flags: tuple[tuple[str, str, str | None, str, str, str | None], ...] = FLAG_KINDS[:1]
    risk_indicators: tuple[str, ...] = ()
    part3_confirmed: bool = False
    closed_flags: int = 0  # how many of ``flags`` are already resolved
    message_status: str = "ingested"
    document: bytes = FORM_BYTES
    completed_after: timedelta | None = None


_EMPTY_JSON = json.dumps(empty_record())


def referral_record(spec: CaseSpec, reference: str, document_sha: str) -> dict[str, Any]:
    """A plausible spec record for an invented pupil, with provenance into document 0."""
    record = json.loads(_EMPTY_JSON)  # a fresh copy, far faster than deepcopy
    record["reference"] = reference
    record["received"] = {"mailbox": spec.mailbox, "from": "attendance@school.example.org",
                          "to": f"{spec.mailbox}@council.example.org",
                          "subject": "CME referral", "date": None, "message_id": None}
    record["documents"] = [{"filename": "CME referral form.pdf", "sha256": document_sha,
                            "media_type": "application/pdf", "role": "referral_form",
                            "extraction": "pdf_form_fields", "pages": 3, "problem": None}]
    record["school"].update(name=spec.school, type=spec.school_type, area=spec.area
                            if spec.area in ("ENE", "WNW", "South") else None,
                            dfe_number="999/1234")
    record["school"]["contact"].update(name="Pat Example", role="Attendance officer",
                                       phone="01632 960001",
                                       email="attendance@school.example.org")
    record["pupil"].update(surname=spec.surname, forenames=spec.forenames, gender="female",
                           date_of_birth="2015-05-14", year_group="Year 5")
    record["pupil"]["address"] = {"lines": ["1 Invented Road", "Exampletown"],
                                  "postcode": "ZZ99 9ZZ"}
    record["parents"] = [{"name": "Sam " + spec.surname, "relationship": "mother",
                          "phone": "07700 900123", "email": None, "address": None}]
    record["attendance"].update(last_attended="2026-01-30", consecutive_days_absent=21,
                                absence_type="unauthorised")
    record["referral"]["grounds"] = ["unauthorised_absence_20_days"]
    record["family_information"]["text"] = "Neighbour said the family moved away."
    record["part1_completed_by"].update(name="Pat Example", role="Attendance officer")
    record["safeguarding"].update(concerns="None known.",
                                  risk_indicators=list(spec.risk_indicators))
    record["safeguarding"]["dsl"].update(name="Robin Sample", role="DSL", signed=True)
    if spec.part3_confirmed:
        record["aio"].update(name="seed-aio", date_allocated="2026-03-03",
                             sections_complete=True, notes="Reviewed.")
    record["provenance"] = {
        path: {"document": 0, "locator": f"page 1, field {label}", "label": label,
               "confidence": 0.95}
        for path, label in (("pupil.surname", "Surname"), ("pupil.forenames", "Forename(s)"),
                            ("school.name", "School name"),
                            ("school.contact.name", "Name of person completing"),
                            ("pupil.address.lines", "Address"))
    }
    record["flags"] = [dict(zip(("code", "section", "field", "severity", "message",
                                 "follow_up_with"), kind, strict=True)) for kind in spec.flags]
    return record


_MARKER = re.compile(r'"@@(area|flags|risk|aio)@@"|@@([a-z]+)@@')
_TEMPLATE: list[tuple[list[str], list[str]]] = []
_WHOLE_JSON: dict[tuple[str, Any], str] = {}


def _record_template() -> tuple[list[str], list[str]]:
    """The record as JSON cut at ``@@name@@`` markers, where generated cases differ."""
    if not _TEMPLATE:
        marker = CaseSpec(school="@@school@@", school_type="@@type@@", mailbox="@@mailbox@@",
                          forenames="@@forenames@@", surname="@@surname@@", flags=())
        record = referral_record(marker, "@@reference@@", "@@sha@@")
        record["school"]["area"] = "@@area@@"
        record["flags"] = "@@flags@@"
        record["safeguarding"]["risk_indicators"] = "@@risk@@"
        record["aio"] = "@@aio@@"
        text = json.dumps(record, separators=(",", ":"))
        pieces, names, last = [], [], 0
        for found in _MARKER.finditer(text):
            pieces.append(text[last:found.start()])
            names.append(found.group(1) or found.group(2))
            last = found.end()
        pieces.append(text[last:])
        _TEMPLATE.append((pieces, names))
    return _TEMPLATE[0]


def _whole(name: str, key: Any, value: Any) -> str:
    cached = _WHOLE_JSON.get((name, key))
    if cached is None:
        cached = _WHOLE_JSON[(name, key)] = json.dumps(value, separators=(",", ":"))
    return cached


def record_json(spec: CaseSpec, reference: str, document_sha: str) -> str:
    """:func:`referral_record` serialised, by filling the template (for 50,000 cases at a
    time: building and dumping a dict per case was half of the seeding time)."""
    pieces, names = _record_template()
    area = spec.area if spec.area in ("ENE", "WNW", "South") else None
    aio = ({"name": "seed-aio", "date_allocated": "2026-03-03", "sections_complete": True,
            "notes": "Reviewed."} if spec.part3_confirmed else
           {"name": None, "date_allocated": None, "sections_complete": None, "notes": None})
    flags = [dict(zip(("code", "section", "field", "severity", "message", "follow_up_with"),
                      kind, strict=True)) for kind in spec.flags]
    values = {
        "area": _whole("area", area, area), "flags": _whole("flags", spec.flags, flags),
        "risk": _whole("risk", spec.risk_indicators, list(spec.risk_indicators)),
        "aio": _whole("aio", spec.part3_confirmed, aio),
        "reference": reference, "sha": document_sha, "school": _in_text(spec.school),
        "type": _in_text(spec.school_type), "mailbox": _in_text(spec.mailbox),
        "forenames": _in_text(spec.forenames), "surname": _in_text(spec.surname),
    }
    out = [pieces[0]]
    for name, piece in zip(names, pieces[1:], strict=True):
        out.append(values[name])
        out.append(piece)
    return "".join(out)


def _in_text(value: str) -> str:
    return encode_basestring(value)[1:-1]
