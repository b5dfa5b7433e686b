"""Which case a message goes to: the case it replies to, a new one, or none.

A reply is found by In-Reply-To/References (the Message-IDs as stored, in angle brackets)
or by a case reference quoted in its subject.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models.casework import add_version, open_case
from models.db import session_scope
from models.store_headers import Headers, quoted_references
from models.store_rows import locked_case, london_date
from models.tables import Case, Message, utcnow


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


def place_message(
    session: Session,
    message: Message,
    parsed: Any,
    headers: Headers,
    *,
    judged_on: date,
    settings: Any,
) -> tuple[Case | None, int | None, dict[str, Any]]:
    """File a parsed message under its case and set its status.

    Returns the case (None when the message has no referral form and replies to no case),
    the case version its form made (None for a reply without a form), and the record the
    case was given. ``judged_on`` is the day the pipeline judged the record on.
    """
    record = parsed.record
    has_form = _has_referral_form(parsed)
    case = thread_target(session, headers, lock=True)
    if case is not None:
        message.status, message.case_id = "threaded", case.id
        case.updated_at = utcnow()
        version = add_version(session, case, message, record) if has_form else None
        return case, version, record
    if has_form:
        case = open_case(session, message, record)
        message.status, message.case_id = "ingested", case.id
        return case, 1, record
    return None, None, record


def _has_referral_form(parsed: Any) -> bool:
    codes = {flag.get("code") for flag in parsed.record.get("flags", [])}
    if "no_referral_form" in codes:
        return False
    return any(document.role == "referral_form" for document in parsed.documents)
