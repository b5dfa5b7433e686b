"""Closing a case with an outcome, reopening it, and a reply that reopens a closed case.

A case is closed exactly when ``closed_at`` is set; ``status`` then reads ``closed`` (kept
in step at every flush, so code that recomputes open/complete from the flags cannot
silently reopen it). The outcome's code is a column (the log, CSV and figures group by it);
its particulars (the new school, the other LA and the date it was notified, a note) go in
the sealed record under ``closure``, since a note may name people. Every close and reopen is
an audit event carrying codes and ids only.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session, select

from models.db import session_scope
from models.store_rows import SYSTEM, add_audit_event, locked_case
from models.tables import Case, CaseVersion, Message, utcnow
from parsers.errors import StoreError

# code -> (label, the particulars it asks for)
DEFAULT_OUTCOMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "on_roll_new_school": ("On roll at a new school", ("school",)),
    "moved_la_notified": ("Moved to another LA and notified", ("la", "notified_on")),
    "left_country": ("Left the country", ()),
    "elective_home_education": ("Elective home education", ()),
    "missing_referred_social_care": ("Child missing: referred to children's social care", ()),
    "missing_referred_police": ("Child missing: referred to the police", ()),
    "other": ("Other", ("note",)),
}
PARTICULARS = ("school", "la", "notified_on", "note")


def close_case(
    engine: Engine,
    *,
    reference: str,
    outcome: str,
    actor: str,
    particulars: dict[str, str | None] | None = None,
    outcomes: Sequence[str] | dict[str, Any] = tuple(DEFAULT_OUTCOMES),
) -> None:
    """Close ``reference`` with ``outcome`` (one of ``outcomes``) and its particulars."""
    given = {k: " ".join(str(v).split()) for k, v in (particulars or {}).items() if v}
    if outcome not in outcomes:
        raise StoreError(f"unknown outcome {outcome!r}: use one of {', '.join(outcomes)}")
    unknown = sorted(set(given) - set(PARTICULARS))
    if unknown:
        raise StoreError(f"unknown particulars: {', '.join(unknown)}")
    needed = DEFAULT_OUTCOMES.get(outcome, ("", ()))[1]
    missing = [name for name in needed if name not in given]
    if missing:
        raise StoreError(f"outcome {outcome} needs {', '.join(missing)}")
    with session_scope(engine) as session:
        case = _case(session, reference)
        if case.closed_at is not None:
            raise StoreError(f"case {reference} is closed already")
        now = utcnow()
        _new_version(session, case, {"outcome": outcome, "closed_at": now.isoformat(),
                                     "closed_by": actor, **given})
        case.closed_at, case.outcome = now, outcome
        add_audit_event(session, action="case_closed", case=case, actor=actor,
                        detail={"outcome": outcome, "version": case.version})


def reopen_case(engine: Engine, *, reference: str, actor: str) -> None:
    """Reopen a closed case: back to open or complete as its flags say."""
    with session_scope(engine) as session:
        case = _case(session, reference)
        if case.closed_at is None:
            raise StoreError(f"case {reference} is not closed")
        reopen(session, case, actor=actor, reason="reopened")


def reopen(session: Session, case: Case, *, actor: str, reason: str,
           message: Message | None = None) -> None:
    """Clear the closure (kept in the record's history) and audit why: a user or a reply."""
    was = case.outcome
    record = copy.deepcopy(case.record)
    record.pop("closure", None)
    case.record = record
    case.closed_at, case.outcome = None, None
    case.status = "open" if case.has_blocking else "complete"
    case.updated_at = utcnow()
    add_audit_event(session, action="case_reopened", case=case, message=message, actor=actor,
                    detail={"reason": reason, "outcome_was": was})


def reopen_for_reply(session: Session, case: Case, message: Message) -> None:
    """A message that arrives for a closed case reopens it, visibly (an audit event)."""
    if case.closed_at is not None:
        reopen(session, case, actor=SYSTEM, reason="reply_received", message=message)


def _case(session: Session, reference: str) -> Case:
    case_id = session.exec(select(Case.id).where(Case.reference == reference)).first()
    if case_id is None:
        raise StoreError(f"no case {reference}")
    return locked_case(session, case_id)


def _new_version(session: Session, case: Case, closure: dict[str, Any]) -> None:
    record = copy.deepcopy(case.record)
    record["closure"] = closure
    case.record = record
    case.version += 1
    case.updated_at = utcnow()
    session.add(CaseVersion(case_id=case.id, version=case.version, record=record))


@event.listens_for(Session, "before_flush")
def _closed_stays_closed(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty):
        if isinstance(row, Case) and row.closed_at is not None and row.status != "closed":
            row.status = "closed"
