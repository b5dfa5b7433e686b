"""What a referral form does to a case: open it, add a version, reconcile its flags.

The record is the case's truth; the columns the queue and the intake log filter on (area,
school, pupil keys, blocking, lateness) are filled from it here and nowhere else. Open
flags live in their own rows so reviewers can resolve them one by one; :func:`refresh_case`
copies them back into the record and decides whether the case is complete.
"""

from __future__ import annotations

import copy
import json
import re
import secrets
from collections import defaultdict
from datetime import date
from typing import Any, Protocol

from sqlalchemy import and_, insert, or_
from sqlmodel import Session, col, select

from models.store_rows import MAILBOX_AREA, SYSTEM, add_audit_event, clip, lock, london_date
from models.tables import Case, CaseVersion, Flag, Message, utcnow

MAX_DUPLICATES = 5


def pupil_keys(record: dict[str, Any]) -> dict[str, str | None]:
    """The case-folded identity used to spot a second referral for the same pupil."""
    pupil = record.get("pupil") or {}

    def folded(value: Any) -> str | None:
        return " ".join(str(value).split()).casefold()[:120] or None if value else None

    dob = pupil.get("date_of_birth")
    upn = "".join(str(pupil.get("upn") or "").split()).upper()
    return {
        "upn": upn[:32] or None,
        "surname": folded(pupil.get("surname")),
        "forenames": folded(pupil.get("forenames")),
        "dob": dob if isinstance(dob, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", dob) else None,
    }


def _find_duplicates(session: Session, keys: dict[str, str | None], exclude: int) -> list[str]:
    matches: list[Any] = []
    if keys["upn"]:
        matches.append(col(Case.upn) == keys["upn"])
    if keys["surname"] and keys["forenames"] and keys["dob"]:
        matches.append(
            and_(
                col(Case.surname_key) == keys["surname"],
                col(Case.forenames_key) == keys["forenames"],
                col(Case.date_of_birth) == keys["dob"],
            )
        )
    if not matches:
        return []
    statement = (
        select(Case.reference)
        .where(or_(*matches), col(Case.id) != exclude)
        .order_by(col(Case.id))
        .limit(MAX_DUPLICATES)
    )
    return list(session.exec(statement).all())


class CaseRules(Protocol):
    """The decisions the store asks of the core (``intake.core.case_rules``) and persists."""

    def judged_on_arrival(self, parsed: Any, *, was: date, now: date) -> dict[str, Any]: ...

    def duplicate_flag(self, other_reference: str) -> dict[str, Any]: ...


def _duplicate_flags(session: Session, record: dict[str, Any], case_id: int,
                     rules: CaseRules) -> list[dict]:
    keys = pupil_keys(record)
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(k for k in (keys["upn"], _name_key(keys)) if k):
            lock(session, f"pupil|{key}")
    return [rules.duplicate_flag(reference) for reference in _find_duplicates(session, keys, case_id)]


def _name_key(keys: dict[str, str | None]) -> str | None:
    if keys["surname"] and keys["forenames"] and keys["dob"]:
        return f"{keys['surname']}|{keys['forenames']}|{keys['dob']}"
    return None


def _flag_values(case: Case, message: Message | None, flag: dict[str, Any]) -> dict[str, Any]:
    """A raised flag as the values of a new, open flag row."""
    return {
        "case_id": int(case.id or 0),
        "message_pk": message.id if message else None,
        "code": str(flag.get("code"))[:48],
        "section": str(flag.get("section") or "")[:16],
        "field": clip(flag.get("field"), 120),
        "severity": str(flag.get("severity") or "warning")[:16],
        "message": str(flag.get("message") or ""),
        "follow_up_with": clip(flag.get("follow_up_with"), 16),
        "status": "open",
        "created_at": utcnow(),
    }


def _flag_row(case: Case, message: Message | None, flag: dict[str, Any]) -> Flag:
    return Flag(**_flag_values(case, message, flag))


def _private_copy(record: dict[str, Any]) -> dict[str, Any]:
    """A copy the case may change; records are JSON, and a JSON round trip is ~5x deepcopy."""
    try:
        return json.loads(json.dumps(record))  # type: ignore[no-any-return]
    except (TypeError, ValueError):
        return copy.deepcopy(record)


def open_case(session: Session, message: Message, record: dict[str, Any], *,
              rules: CaseRules) -> Case:
    """A new case; its reference comes from its id, so it is unique under concurrency."""
    record = _private_copy(record)
    case = Case(
        reference=f"pending-{secrets.token_hex(12)}",
        mailbox=message.mailbox,
        received_at=message.received_at,
        record={},
    )
    session.add(case)
    session.flush()
    case.reference = f"CME-{london_date(message.received_at).year}-{case.id:06d}"
    record["reference"] = case.reference
    raised = list(record.get("flags", [])) + _duplicate_flags(session, record, int(case.id or 0), rules)
    rows = [_flag_values(case, message, flag) for flag in raised]
    if rows:
        session.execute(insert(Flag), rows)  # one executemany: a new case has many flags
    _apply_record(session, case, record, raised, new_flags=rows)
    session.add(
        CaseVersion(case_id=int(case.id or 0), version=1, message_pk=message.id, record=case.record)
    )
    return case


def add_version(session: Session, case: Case, message: Message, record: dict[str, Any], *,
                rules: CaseRules) -> int:
    """A reply's form becomes the case's record; flags it no longer raises are closed."""
    record = _private_copy(record)
    record["reference"] = case.reference
    part3 = (case.record or {}).get("aio") or {}
    if any(value is not None for value in part3.values()):
        record["aio"] = part3  # Part 3 is written here, never by the school
    raised = list(record.get("flags", [])) + _duplicate_flags(session, record, int(case.id or 0), rules)
    _reconcile_flags(session, case, message, raised)
    case.version += 1
    _apply_record(session, case, record, raised)
    session.add(
        CaseVersion(
            case_id=int(case.id or 0),
            version=case.version,
            message_pk=message.id,
            record=case.record,
        )
    )
    return case.version


def _flag_key(code: Any, field: Any) -> tuple[str, str | None]:
    return str(code), field


def _reconcile_flags(
    session: Session, case: Case, message: Message, raised: list[dict[str, Any]]
) -> None:
    """Keep open flags still raised, close the rest (by "system"), add the new ones.

    A flag a reviewer resolved or waived is not raised again for the same field.
    """
    existing = session.exec(select(Flag).where(Flag.case_id == case.id).order_by(col(Flag.id)))
    open_flags: dict[tuple, list[Flag]] = defaultdict(list)
    closed_by_reviewer: set[tuple] = set()
    for flag in existing:
        key = _flag_key(flag.code, flag.field)
        if flag.status == "open":
            open_flags[key].append(flag)
        elif flag.closed_by != SYSTEM:
            closed_by_reviewer.add(key)
    new_flags: dict[tuple, list[dict]] = defaultdict(list)
    for raised_flag in raised:
        new_flags[_flag_key(raised_flag.get("code"), raised_flag.get("field"))].append(raised_flag)
    for key, olds in open_flags.items():
        news = new_flags.get(key, [])
        for old, new in zip(olds, news, strict=False):
            old.message = str(new.get("message") or old.message)
        for old in olds[len(news) :]:
            close_flag(old, status="resolved", actor=SYSTEM, note="not raised by the new form")
            detail = {"flag_id": old.id, "code": old.code, "field": old.field}
            add_audit_event(
                session, action="flag_auto_resolved", message=message, case=case, detail=detail
            )
    for key, news in new_flags.items():
        have = len(open_flags.get(key, []))
        if have == 0 and key in closed_by_reviewer:
            continue
        session.add_all(_flag_row(case, message, flag) for flag in news[have:])


def close_flag(flag: Flag, *, status: str, actor: str, note: str | None) -> None:
    """Mark one flag resolved or waived, by whom and why (the caller refreshes the case)."""
    flag.status = status
    flag.closed_by = actor[:120]
    flag.closed_at = utcnow()
    flag.note = note


def _apply_record(
    session: Session,
    case: Case,
    record: dict[str, Any],
    raised: list[dict[str, Any]],
    new_flags: list[dict[str, Any]] | None = None,
) -> None:
    """Fill the columns the queue and the log filter on from the record (our own copy)."""
    school = record.get("school") or {}
    keys = pupil_keys(record)
    codes = {flag.get("code") for flag in raised}
    mailbox = case.mailbox or ""
    case.area = "central" if mailbox == "cme" else school.get("area") or MAILBOX_AREA.get(mailbox)
    # The school register's name and type when the form's school matched it (issue 13): the
    # queue and the log filter by the name the council knows the school by.
    register = school.get("register") or {}
    case.school_name = clip(register.get("name") or school.get("name"), 255)
    case.school_type = clip(register.get("type") if register.get("type") not in (None, "unknown")
                            else school.get("type"), 16)
    case.upn, case.date_of_birth = keys["upn"], keys["dob"]
    case.surname_key, case.forenames_key = keys["surname"], keys["forenames"]
    case.risk_count = len((record.get("safeguarding") or {}).get("risk_indicators") or [])
    case.late, case.misrouted = "late_referral" in codes, "misrouted" in codes
    case.aio_name = clip((record.get("aio") or {}).get("name"), 120)
    refresh_case(session, case, record, new_flags=new_flags)


def refresh_case(
    session: Session,
    case: Case,
    record: dict[str, Any] | None = None,
    *,
    new_flags: list[dict[str, Any]] | None = None,
) -> None:
    """Open flags into the record; complete when no open blocking flag remains.

    ``new_flags`` are the rows of a case just opened (all its flags, all open, in id order):
    no need to read them back, and ``record`` is then the caller's own copy.
    """
    session.flush()
    if new_flags is not None and record is not None:
        flags = [{key: row[key] for key in FLAG_KEYS} for row in new_flags]
    else:
        record = _private_copy(record if record is not None else case.record)
        open_flags = session.exec(
            select(Flag).where(Flag.case_id == case.id, Flag.status == "open")
            .order_by(col(Flag.id))
        ).all()
        flags = [flag_dict(flag) for flag in open_flags]
    record["flags"] = flags
    blocking = any(flag["severity"] == "blocking" for flag in flags)
    record["complete"] = not blocking
    if case.status != "complete" and not blocking:
        case.completed_at = utcnow()
    elif blocking:
        case.completed_at = None
    case.has_blocking = blocking
    case.status = "open" if blocking else "complete"
    case.record = record
    case.updated_at = utcnow()


FLAG_KEYS = ("code", "section", "field", "severity", "message", "follow_up_with")


def flag_dict(flag: Flag) -> dict[str, Any]:
    """A flag row as the spec's flag object."""
    return {key: getattr(flag, key) for key in FLAG_KEYS}
