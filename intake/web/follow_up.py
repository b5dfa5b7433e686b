"""Draft follow-up messages: one per person to chase, listing exactly what is missing.

Open flags are grouped by ``follow_up_with``: the Part 1 contact (the school staff member
who filled in Part 1) or the DSL (Part 2). Flags nobody outside the team can fix (routing,
timeliness, information) are the AIO's own and get no draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from intake.web.pages import local_time
from models.tables import Case, Flag

PARTY_TITLES = {"part1_contact": "Part 1 contact", "dsl": "Designated Safeguarding Lead"}


@dataclass(frozen=True)
class FollowUp:
    party: str  # part1_contact | dsl | "" (the AIO's own)
    title: str
    name: str | None
    email: str | None
    flags: list[Flag]
    subject: str
    body: str

    @property
    def mailto(self) -> str | None:
        if not self.email:
            return None
        return f"mailto:{quote(self.email)}?subject={quote(self.subject)}&body={quote(self.body)}"


def _addressee(record: dict[str, Any], party: str) -> tuple[str | None, str | None]:
    if party == "part1_contact":
        contact = (record.get("school") or {}).get("contact") or {}
        return contact.get("name"), contact.get("email")
    dsl = (record.get("safeguarding") or {}).get("dsl") or {}
    contact_email = ((record.get("school") or {}).get("contact") or {}).get("email")
    return dsl.get("name"), contact_email


def _pupil(record: dict[str, Any]) -> str:
    pupil = record.get("pupil") or {}
    name = " ".join(n for n in (pupil.get("forenames"), pupil.get("surname")) if n)
    return name or "the pupil"


def draft_body(case: Case, party: str, flags: list[Flag], sender: str) -> str:
    record = case.record or {}
    name, _ = _addressee(record, party)
    school = (record.get("school") or {}).get("name") or "your school"
    part = "Part 2 (safeguarding)" if party == "dsl" else "Part 1"
    missing = "\n".join(f"- {flag.message}" for flag in flags)
    return (
        f"Dear {name or PARTY_TITLES[party]},\n\n"
        f"Thank you for the Children Missing Education referral from {school} for "
        f"{_pupil(record)} (our reference {case.reference}), received on "
        f"{local_time(case.received_at, '%d %B %Y')}.\n\n"
        f"Before we can progress it, we need the following in {part} of the form:\n\n"
        f"{missing}\n\n"
        "Please reply to this email with the missing information, or send an updated "
        "referral form, quoting our reference.\n\n"
        f"Kind regards,\n{sender}\nAttendance Improvement Officer\n"
    )


def follow_ups(case: Case, open_flags: list[Flag], sender: str) -> list[FollowUp]:
    """One draft per party with open flags, Part 1 contact first, then the DSL."""
    drafts = []
    for party, title in PARTY_TITLES.items():
        flags = [f for f in open_flags if f.follow_up_with == party]
        if not flags:
            continue
        name, email = _addressee(case.record or {}, party)
        subject = f"CME referral {case.reference}: information needed"
        drafts.append(FollowUp(party, title, name, email, flags, subject,
                               draft_body(case, party, flags, sender)))
    own = [f for f in open_flags if f.follow_up_with not in PARTY_TITLES]
    if own:
        drafts.append(FollowUp("", "The review team (no one to chase)", None, None, own, "", ""))
    return drafts
