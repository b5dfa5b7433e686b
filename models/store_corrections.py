"""Storing an AIO's correction of a misread field, and reading a case's corrections back.

The new record and the flags it settles are decided by the core
(``intake.core.corrections``); this module writes them in one transaction: the case's new
version (so every earlier record stays in :class:`~models.tables.CaseVersion`), the flags
closed "corrected by …", any newly raised, and one ``field_corrected`` audit event holding
the parser's value, the value before and after, who, when and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models.casework import _apply_record, _flag_row, close_flag
from models.db import session_scope
from models.store_rows import add_audit_event, locked_case
from models.tables import AuditEvent, Case, CaseVersion, Flag
from parsers.errors import StoreError

ACTION = "field_corrected"


@dataclass(frozen=True)
class CorrectionRow:
    """One correction as the case page and the wording suggestions show it."""

    at: datetime
    actor: str
    path: str
    parser_value: Any
    before: Any
    value: Any
    reason: str
    label: str | None


def _rows(events: Sequence[AuditEvent]) -> list[CorrectionRow]:
    rows = []
    for event in events:
        detail = event.full_detail()  # values sealed since issue 15, plain before
        rows.append(CorrectionRow(
            at=event.at, actor=event.actor, path=detail.get("path", ""),
            parser_value=detail.get("parser_value"), before=detail.get("before"),
            value=detail.get("value"), reason=detail.get("reason", ""),
            label=detail.get("label")))
    return rows


def corrections_of(session: Session, case_id: int) -> list[CorrectionRow]:
    """A case's corrections, newest first."""
    events = session.exec(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                   AuditEvent.action == ACTION)
                          .order_by(col(AuditEvent.id).desc())).all()
    return _rows(events)


def _parser_value(session: Session, case_id: int, path: str, before: Any) -> Any:
    """What the form gave: the value before this field's first correction."""
    earlier = [row for row in corrections_of(session, case_id) if row.path == path]
    return earlier[-1].parser_value if earlier else before


def save_correction(
    engine: Engine, *, reference: str, version: int, actor: str, path: str,
    record: dict[str, Any], before: Any, value: Any, label: str | None, reason: str,
    close: Sequence[tuple[str, str | None]], raised: Sequence[dict[str, Any]],
) -> int:
    """Write a corrected record made from case version ``version``; returns the new version.

    Refused (StoreError) when the case changed since (another edit or a reply): the caller
    reads it again, so a correction never overwrites a record it did not see.
    """
    reason = " ".join(reason.split())
    if not reason:
        raise StoreError("a correction needs a reason")
    with session_scope(engine) as session:
        case_id = session.exec(select(Case.id).where(Case.reference == reference)).first()
        if case_id is None:
            raise StoreError(f"no case {reference}")
        case = locked_case(session, case_id)
        if case.version != version:
            raise StoreError("the case changed while you were correcting it: check the "
                             "field again")
        note = f"corrected by {actor}: {reason}"
        _settle_flags(session, case, actor, note, set(close), raised)
        case.version += 1
        open_codes = [{"code": f.code} for f in session.exec(
            select(Flag).where(Flag.case_id == case_id, Flag.status == "open"))]
        _apply_record(session, case, record, open_codes)
        session.add(CaseVersion(case_id=case_id, version=case.version, record=case.record))
        private = {"parser_value": _parser_value(session, case_id, path, before),
                   "before": before, "value": value, "reason": reason}
        add_audit_event(session, action=ACTION, case=case, actor=actor, private=private,
                        detail={"path": path, "label": label, "version": case.version})
        return case.version


def _settle_flags(session: Session, case: Case, actor: str, note: str,
                  close: set[tuple[str, str | None]], raised: Sequence[dict[str, Any]]) -> None:
    """Close the open flags the correction settles; open the new ones a reviewer has not
    already closed for the same field."""
    flags = session.exec(select(Flag).where(Flag.case_id == case.id)).all()
    closed_by_reviewer = {(f.code, f.field) for f in flags if f.status != "open"}
    open_keys = {(f.code, f.field) for f in flags if f.status == "open"}
    for flag in flags:
        if flag.status == "open" and (flag.code, flag.field) in close:
            close_flag(flag, status="resolved", actor=actor, note=note)
            add_audit_event(session, action="flag_resolved", case=case, actor=actor, detail={
                "flag_id": flag.id, "code": flag.code, "field": flag.field},
                private={"note": note})
    for new in raised:
        key = (new["code"], new["field"])
        if key not in open_keys and key not in closed_by_reviewer:
            session.add(_flag_row(case, None, new))
