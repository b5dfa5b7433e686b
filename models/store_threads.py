"""Which case a message goes to: the case it replies to, a new one, or none.

A reply is found by In-Reply-To/References (the Message-IDs as stored, in angle brackets)
or by a case reference quoted in its subject. A school replying on an old thread with a
form about another child must not overwrite the first child's record: such a form opens a
case of its own, and the old case's audit trail says where it went.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models.casework import CaseRules, add_version, open_case, pupil_keys
from models.db import session_scope
from models.lifecycle import reopen_for_reply
from models.store_headers import Headers, quoted_references
from models.store_rows import add_audit_event, locked_case, london_date
from models.tables import Case, Message, utcnow

log = logging.getLogger(__name__)


def thread_target(session: Session, headers: Headers, *, lock: bool) -> Case | None:
    """The case a reply belongs to: by In-Reply-To/References, else a reference in the subject."""
    case_id = None
    if headers.thread_ids:
        case_id = session.exec(
            select(Message.case_id)
            .where(
                col(Message.message_id).in_(headers.thread_ids), col(Message.case_id).is_not(None)
            )
            .order_by(col(Message.id).desc())
            .limit(1)
        ).first()
    if case_id is None:
        for reference in quoted_references(headers.subject):
            case_id = session.exec(select(Case.id).where(Case.reference == reference)).first()
            if case_id is not None:
                break
    if case_id is None:
        return None
    return locked_case(session, case_id) if lock else session.get(Case, case_id)


def thread_received_on(engine: Engine, headers: Headers) -> date | None:
    """A reply is judged (lateness, age) on the date its case was first received."""
    if not headers.thread_ids and not quoted_references(headers.subject):
        return None
    with session_scope(engine, readonly=True) as session:
        case = thread_target(session, headers, lock=False)
        return london_date(case.received_at) if case is not None else None


def other_pupil(case: Case, record: dict[str, Any]) -> str | None:
    """Why a reply's form is about a different pupil than its case, or None.

    "surname" when the case-folded surnames differ, "date_of_birth" when the dates of birth
    differ; each is compared only when both the case and the form give it, so a form that
    leaves a field blank (or fills one the case lacked) still updates the case.
    """
    keys, known = pupil_keys(record), pupil_keys(case.record)  # columns hold blind indexes
    if keys["surname"] and known["surname"] and keys["surname"] != known["surname"]:
        return "surname"
    if keys["dob"] and known["dob"] and keys["dob"] != known["dob"]:
        return "date_of_birth"
    return None


def place_message(
    session: Session,
    message: Message,
    parsed: Any,
    headers: Headers,
    *,
    judged_on: date,
    rules: CaseRules,
) -> tuple[Case | None, int | None, dict[str, Any]]:
    """File a parsed message under its case and set its status.

    Returns the case (None when the message has no referral form and replies to no case),
    the case version its form made (None for a reply without a form), and the record the
    case was given: ``parsed.record``, or, when a reply opens a case of its own, a copy
    judged on the message's own day. ``judged_on`` is the day the pipeline judged it on.
    """
    record = parsed.record
    has_form = _has_referral_form(parsed)
    case = thread_target(session, headers, lock=True)
    if case is not None and has_form:
        differs = other_pupil(case, record)
        if differs is not None:
            return _open_for_other_pupil(
                session, message, parsed, case, differs, judged_on=judged_on, rules=rules
            )
    if case is not None:
        message.status, message.case_id = "threaded", case.id
        case.updated_at = utcnow()
        reopen_for_reply(session, case, message)
        version = add_version(session, case, message, record, rules=rules) if has_form else None
        return case, version, record
    if has_form:
        case = open_case(session, message, record, rules=rules)
        message.status, message.case_id = "ingested", case.id
        return case, 1, record
    return None, None, record


def _has_referral_form(parsed: Any) -> bool:
    codes = {flag.get("code") for flag in parsed.record.get("flags", [])}
    if "no_referral_form" in codes:
        return False
    return any(document.role == "referral_form" for document in parsed.documents)


def _open_for_other_pupil(
    session: Session,
    message: Message,
    parsed: Any,
    threaded: Case,
    differs: str,
    *,
    judged_on: date,
    rules: CaseRules,
) -> tuple[Case, int, dict[str, Any]]:
    """A new case for a reply whose form names another pupil than the case it replies to."""
    record = rules.judged_on_arrival(parsed, was=judged_on, now=london_date(message.received_at))
    case = open_case(session, message, record, rules=rules)
    message.status, message.case_id = "ingested", case.id
    detail = {"new_case": case.reference, "differs": differs}
    add_audit_event(
        session, action="thread_pupil_mismatch", message=message, case=threaded, detail=detail
    )
    log.info(
        "message %s replies to case %s about another pupil (%s): opened case %s",
        message.id,
        threaded.id,
        differs,
        case.id,
    )
    return case, 1, record
