"""Closing a selected group of a case's flags in one action, with one note.

All or none: every flag must be open and belong to the case, else nothing changes. One
audit event per flag (the trail reads the same as closing them one by one), one refresh of
the case at the end.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine
from sqlmodel import col, select

from models.casework import close_flag, refresh_case
from models.db import session_scope
from models.store_rows import add_audit_event, locked_case
from models.tables import Case, Flag
from parsers.errors import StoreError


def close_flags(engine: Engine, *, reference: str, flag_ids: Sequence[int], actor: str,
                note: str, waive: bool) -> int:
    """Resolve (or waive) the flags ``flag_ids`` of case ``reference``; returns how many."""
    note = " ".join(note.split())
    if not note:
        raise StoreError("write a note saying why these flags are closed")
    wanted = sorted(set(flag_ids))
    if not wanted:
        raise StoreError("choose at least one flag")
    with session_scope(engine) as session:
        case_id = session.exec(select(Case.id).where(Case.reference == reference)).first()
        if case_id is None:
            raise StoreError(f"no case {reference}")
        case = locked_case(session, case_id)
        flags = session.exec(select(Flag).where(col(Flag.id).in_(wanted))
                             .execution_options(populate_existing=True)).all()
        if len(flags) != len(wanted) or any(f.case_id != case_id or f.status != "open"
                                            for f in flags):
            raise StoreError("some of these flags are already closed or not on this case: "
                             "reload the page")
        status = "waived" if waive else "resolved"
        for flag in flags:
            close_flag(flag, status=status, actor=actor, note=note)
            add_audit_event(session, action=f"flag_{status}", case=case, actor=actor, detail={
                "flag_id": flag.id, "code": flag.code, "field": flag.field, "note": note,
                "group": len(flags)})
        refresh_case(session, case)
        return len(flags)
