"""Completeness and compliance rules: a record in, the spec's flags out (§4).

Pure functions over the record dict: no database, no settings lookups (thresholds come in
as :class:`RuleSettings`). ``possible_duplicate`` needs the database, so the store raises it
with :func:`duplicate_flag`. Messages name fields and people's roles, never a child's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from intake.core.evidence import possible_answer, where
from intake.core.routing import misrouted_reason
from intake.core.schooldays import of_compulsory_school_age, school_days_between
from parsers.findings import Finding
from parsers.mapping.fieldmap import field_map
from parsers.record import ENQUIRY_KEYS, get_path, is_empty

__all__ = ["Finding", "RuleSettings", "evaluate", "duplicate_flag", "is_complete", "flag"]

PART1_CONTACT = "part1_contact"
DSL = "dsl"
_CODE_ORDER = (
    "unreadable_document", "no_referral_form", "missing_field", "no_referral_ground",
    "part2_missing", "dsl_not_signed", "removed_from_roll_without_authorisation",
    "missing_recommended", "enquiry_not_done", "late_referral", "not_compulsory_school_age",
    "invalid_value", "low_confidence", "misrouted", "family_correspondence_not_attached",
    "risk_indicators_present", "possible_duplicate",
)


@dataclass(frozen=True)
class RuleSettings:
    referral_due_school_days: int = 20
    compulsory_age_min: int = 5
    compulsory_age_max: int = 16
    holidays: tuple[tuple[date, date], ...] = ()
    # The council's school register (``intake.core.schools.SchoolDirectory``), or None when
    # none is configured: the pipeline matches the form's school in it (issue 13).
    schools: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def from_settings(cls, rules: Any, schools: Any = None) -> RuleSettings:
        """From ``intake.config.RulesSettings`` (kept duck-typed so the core imports no config)."""
        return cls(
            referral_due_school_days=rules.referral_due_school_days,
            compulsory_age_min=rules.compulsory_age_min,
            compulsory_age_max=rules.compulsory_age_max,
            holidays=tuple((h.start, h.end) for h in rules.holidays),
            schools=schools,
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (for a document worker) without the school register: it can be large,
        and the parent process adds the register's view to the worker's parse
        (``intake.core.pipeline.with_register``, called by ``intake.ingest``)."""
        return {**self.__dict__, "schools": None}

    def __copy__(self) -> RuleSettings:
        return self  # immutable: copies (unlike pickles) keep the register

    def __deepcopy__(self, memo: dict[int, Any]) -> RuleSettings:
        return self


def flag(code: str, section: str, field: str | None, severity: str, message: str,
         follow_up_with: str | None) -> dict[str, Any]:
    return {"code": code, "section": section, "field": field, "severity": severity,
            "message": message, "follow_up_with": follow_up_with}


def duplicate_flag(other_reference: str) -> dict[str, Any]:
    return flag("possible_duplicate", "routing", None, "info",
                f"Another case exists for the same pupil: {other_reference}.", None)


def is_complete(flags: Sequence[dict[str, Any]]) -> bool:
    return not any(f["severity"] == "blocking" for f in flags)


def evaluate(record: dict[str, Any], *, findings: Sequence[Finding] = (),
             received_on: date | None = None, settings: RuleSettings = RuleSettings()) -> list[dict[str, Any]]:
    """Every flag a single message's record raises, in the spec table's order."""
    flags = _document_flags(record)
    if _has_form(record):
        flags += _part1_flags(record)
        flags += _part2_flags(record)
        flags += _timeliness_flags(record, received_on, settings)
        flags += _finding_flags(findings)
        flags += _routing_flags(record)
        flags += _risk_flags(record)
    order = {code: i for i, code in enumerate(_CODE_ORDER)}
    return sorted(flags, key=lambda f: order[f["code"]])


def _has_form(record: dict[str, Any]) -> bool:
    documents = record.get("documents") or []
    if not documents:
        return record.get("received") is None  # a bare record, as built by hand or in tests
    return any(d["role"] == "referral_form" for d in documents)


def _document_flags(record: dict[str, Any]) -> list[dict[str, Any]]:
    documents = record.get("documents") or []
    flags = [
        flag("unreadable_document", "document", None, "blocking",
             f"Attachment {d['filename'] or index + 1} could not be read: {d['problem']}",
             PART1_CONTACT)
        for index, d in enumerate(documents) if d.get("problem")
    ]
    if documents and not any(d["role"] == "referral_form" for d in documents) and not flags:
        flags.append(flag("no_referral_form", "document", None, "blocking",
                          "The message carries no recognisable CME referral form.", PART1_CONTACT))
    elif not documents and record.get("received") is not None:
        flags.append(flag("no_referral_form", "document", None, "blocking",
                          "The message has no attachment: no CME referral form was sent.",
                          PART1_CONTACT))
    return flags


def _missing(path: str, section: str) -> dict[str, Any]:
    title = field_map().title(path)
    part = "Part 1" if section == "part1" else "Part 2"
    if path == "parents.*.name":
        path, title = "parents", "A parent/carer's name"
    return flag("missing_field", section, path, "blocking", f"{title} is missing ({part}).",
                PART1_CONTACT if section == "part1" else DSL)


def _check(record: dict[str, Any], path: str, section: str) -> dict[str, Any] | None:
    """A "check this" flag when the form may give ``path`` under a wording not placed."""
    answer = possible_answer(record, path)
    if answer is None:
        return None
    title = "A parent/carer's name" if path == "parents" else field_map().title(path)
    return flag("low_confidence", section, path, "warning",
                f"Check '{answer.label}' in {where(record, answer)}: it may give "
                f"{title[0].lower() + title[1:]}, which the reader could not place.", None)


def _missing_or_check(record: dict[str, Any], path: str, section: str) -> dict[str, Any]:
    """``missing_field`` only when the form holds no plausible answer (a flag is a claim)."""
    shown = "parents" if path == "parents.*.name" else path
    return _check(record, shown, section) or _missing(path, section)


def _part1_flags(record: dict[str, Any]) -> list[dict[str, Any]]:
    flags = []
    for spec in field_map().required("part1"):
        if spec.path == "pupil.name":
            continue
        if _field_empty(record, spec.path):
            flags.append(_missing_or_check(record, spec.path, "part1"))
    if not record["referral"]["grounds"]:
        flags.append(_check(record, "referral.grounds", "part1") or
                     flag("no_referral_ground", "part1", "referral.grounds", "blocking",
                          "No referral ground is selected.", PART1_CONTACT))
    roll = record["roll"]
    if roll["removed"] is True and is_empty(roll["authorised_by"]):
        flags.append(flag("removed_from_roll_without_authorisation", "part1", "roll.authorised_by",
                          "blocking", "The pupil is reported off roll with no AIO/CME-team "
                          "authorisation recorded.", PART1_CONTACT))
    for spec in field_map().recommended():
        if _field_empty(record, spec.path):
            flags.append(_check(record, spec.path, "part1") or
                         flag("missing_recommended", "part1", spec.path, "warning",
                              f"{spec.title} is not given.", PART1_CONTACT))
    if not any(p.get("phone") or p.get("email") for p in record["parents"]):
        flags.append(flag("missing_recommended", "part1", "parents", "warning",
                          "No telephone number or email is given for any parent/carer.",
                          PART1_CONTACT))
    for key in ENQUIRY_KEYS:
        done = record["enquiries"][key]["done"]
        check = _check(record, f"enquiries.{key}", "part1") if done is None else None
        if check is not None:
            flags.append(check)
        elif done is not True:
            title = field_map().title(f"enquiries.{key}")
            state = "not done" if record["enquiries"][key]["done"] is False else "not recorded"
            flags.append(flag("enquiry_not_done", "part1", f"enquiries.{key}", "warning",
                              f"Enquiry {state}: {title}.", PART1_CONTACT))
    correspondence = record["family_correspondence"]
    if correspondence["held"] is True and not correspondence["attached"]:
        flags.append(flag("family_correspondence_not_attached", "attachments",
                          "family_correspondence.attached", "warning",
                          "The form says the school holds letters/emails from the family, "
                          "but none is attached.", PART1_CONTACT))
    return flags


def _field_empty(record: dict[str, Any], path: str) -> bool:
    if path == "parents.*.name":
        return not any(p.get("name") for p in record["parents"])
    if path == "pupil.address":
        address = record["pupil"]["address"]
        return not address["lines"] and is_empty(address["postcode"])
    return is_empty(get_path(record, path))


def part2_present(record: dict[str, Any]) -> bool:
    safeguarding = record["safeguarding"]
    dsl = safeguarding["dsl"]
    return any(not is_empty(v) for v in (safeguarding["concerns"], dsl["name"], dsl["role"],
                                         dsl["date"])) or dsl["signed"] is True


def _part2_flags(record: dict[str, Any]) -> list[dict[str, Any]]:
    if not part2_present(record):
        return [flag("part2_missing", "part2", None, "blocking",
                     "Part 2 (the DSL's section) is absent or blank.", DSL)]
    flags = [_missing_or_check(record, spec.path, "part2")
             for spec in field_map().required("part2") if _field_empty(record, spec.path)]
    dsl = record["safeguarding"]["dsl"]
    unsigned = dsl["signed"] is not True and is_empty(dsl["name"])
    if unsigned and any(f["field"] == "safeguarding.dsl.name" and f["code"] == "low_confidence"
                        for f in flags):
        unsigned = False  # the name may be on the form: "check", not "not signed"
    undated = is_empty(dsl["date"]) and not any(
        f["field"] == "safeguarding.dsl.date" and f["code"] == "low_confidence" for f in flags)
    if unsigned or undated:
        what = "signature or name" if unsigned else "date"
        flags.append(flag("dsl_not_signed", "part2", "safeguarding.dsl", "blocking",
                          f"Part 2 has content but no DSL {what}.", DSL))
    return flags


def _timeliness_flags(record: dict[str, Any], received_on: date | None,
                      settings: RuleSettings) -> list[dict[str, Any]]:
    if received_on is None:
        return []
    flags = []
    last = _as_date(record["attendance"]["last_attended"])
    if last is not None:
        missed = school_days_between(last, received_on, settings.holidays)
        if missed > settings.referral_due_school_days:
            flags.append(flag("late_referral", "timeliness", "attendance.last_attended", "warning",
                              f"Referral received after {missed} school days of absence "
                              f"(due by {settings.referral_due_school_days}).", PART1_CONTACT))
    born = _as_date(record["pupil"]["date_of_birth"])
    if born is not None and not of_compulsory_school_age(
        born, received_on, settings.compulsory_age_min, settings.compulsory_age_max
    ):
        flags.append(flag("not_compulsory_school_age", "part1", "pupil.date_of_birth", "warning",
                          "The date of birth puts the child outside compulsory school age.",
                          PART1_CONTACT))
    return flags


def _finding_flags(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    flags = []
    for finding in findings:
        section = "part2" if (finding.field or "").startswith("safeguarding") else "part1"
        title = field_map().title(finding.field)
        if finding.code == "invalid_value":
            flags.append(flag("invalid_value", "part1", finding.field, "warning",
                              f"{title}: {finding.reason}.", PART1_CONTACT))
        else:
            flags.append(flag("low_confidence", section, finding.field, "warning",
                              f"{title}: {finding.reason}.", None))
    return flags


def _routing_flags(record: dict[str, Any]) -> list[dict[str, Any]]:
    """``misrouted``, naming the team the form belongs to (``intake.core.routing``)."""
    why = misrouted_reason(record)
    return [flag("misrouted", "routing", "received.mailbox", "warning", why, PART1_CONTACT)] if why else []


def _risk_flags(record: dict[str, Any]) -> list[dict[str, Any]]:
    indicators = record["safeguarding"]["risk_indicators"]
    if not indicators:
        return []
    names = ", ".join(i.replace("_", " ") for i in indicators)
    return [flag("risk_indicators_present", "part2", "safeguarding.risk_indicators", "info",
                 f"Safeguarding risk indicators found: {names}.", None)]


def _as_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
