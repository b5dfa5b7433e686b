"""Edits reviewers make to cases: resolving or waiving flags, writing Part 3, and audit
events the web UI and CLI append (a follow-up email sent, an export).

Each edit locks its case, writes a new state and an audit event naming the reviewer, in
one transaction. Bad input raises :class:`~parsers.errors.StoreError` with a reason safe to
show.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from models.casework import close_flag, refresh_case
from models.db import session_scope
from models.store_rows import add_audit_event, locked_case
from models.tables import AuditEvent, Case, CaseVersion, Flag
from parsers.errors import StoreError


def audit(
    engine: Engine,
    *,
    actor: str,
    action: str,
    case_id: int | None = None,
    message_pk: int | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one audit event (e.g. a follow-up email sent, an export); returns its id."""
    with session_scope(engine) as session:
        event = AuditEvent(
            actor=actor[:120],
            action=action[:64],
            case_id=case_id,
            message_pk=message_pk,
            detail=detail or {},
        )
        session.add(event)
        session.flush()
        return int(event.id or 0)


def resolve_flag(
    engine: Engine, *, flag_id: int, actor: str, note: str | None, waive: bool = False
) -> dict[str, Any]:
    """Resolve (or waive) one open flag; the case becomes complete with its last blocking flag.

    A waiver needs a note saying why. Returns the flag's new state and its case's.
    """
    note = (note or "").strip() or None
    if waive and note is None:
        raise StoreError("a waived flag needs a note saying why")
    with session_scope(engine) as session:
        found = session.get(Flag, flag_id)
        if found is None:
            raise StoreError(f"no flag {flag_id}")
        case = locked_case(session, found.case_id)
        flag = session.get(Flag, flag_id, populate_existing=True)
        assert flag is not None
        if flag.status != "open":
            raise StoreError(f"flag {flag_id} is already {flag.status}")
        close_flag(flag, status="waived" if waive else "resolved", actor=actor, note=note)
        refresh_case(session, case)
        detail = {"flag_id": flag.id, "code": flag.code, "field": flag.field}
        action = "flag_waived" if waive else "flag_resolved"
        add_audit_event(session, action=action, case=case, actor=actor, detail=detail,
                        private={"note": note} if note else None)
        return {
            "flag_id": flag.id,
            "status": flag.status,
            "case": case.reference,
            "case_status": case.status,
        }


def _iso_date(value: date | str | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise StoreError("date_allocated must be a date, YYYY-MM-DD") from None


def update_part3(
    engine: Engine,
    *,
    reference: str,
    actor: str,
    aio_name: str | None,
    date_allocated: date | str | None,
    sections_complete: bool | None,
    notes: str | None,
) -> int:
    """Write Part 3 (the AIO's section) into the record as a new case version; returns it."""
    name = " ".join((aio_name or "").split()) or None
    if name is not None and len(name) > 120:
        raise StoreError("the AIO name is longer than 120 characters")
    part3: dict[str, Any] = {
        "name": name,
        "date_allocated": _iso_date(date_allocated),
        "sections_complete": None if sections_complete is None else bool(sections_complete),
        "notes": (notes or "").strip() or None,
    }
    with session_scope(engine) as session:
        case_id = session.exec(select(Case.id).where(Case.reference == reference)).first()
        if case_id is None:
            raise StoreError(f"no case {reference}")
        case = locked_case(session, case_id)
        record = copy.deepcopy(case.record)
        before = record.get("aio") or {}
        record["aio"] = part3
        case.aio_name = name
        case.version += 1
        refresh_case(session, case, record)
        session.add(CaseVersion(case_id=case_id, version=case.version, record=case.record))
        changed = sorted(key for key in part3 if before.get(key) != part3[key])
        detail = {"version": case.version, "changed": changed}
        add_audit_event(session, action="part3_updated", case=case, actor=actor, detail=detail)
        return case.version
