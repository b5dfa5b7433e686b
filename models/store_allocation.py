"""Allocating cases to an AIO: one case from its page, or many at once from the queue.

The allocated AIO is Part 3's "Allocated AIO" (``record["aio"]["name"]``, mirrored in the
indexed ``case.aio_name`` column), so allocation and Part 3 can never disagree. Each case
allocated gets a new version and an audit event naming who allocated it to whom.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date

from sqlalchemy import Engine
from sqlmodel import col, select

from models.casework import refresh_case
from models.db import session_scope
from models.store_rows import add_audit_event, locked_case
from models.tables import Case, CaseVersion
from parsers.errors import StoreError

MAX_BULK = 500


def allocate(engine: Engine, *, references: Sequence[str], aio_name: str | None, actor: str,
             areas: Sequence[str] | None, today: date | None = None) -> list[str]:
    """Allocate each case to ``aio_name`` (None: unallocate); returns the references changed.

    ``areas`` limits which cases may be touched (an AIO's areas; None for every area): a
    reference outside them, or unknown, raises StoreError and nothing is changed.
    """
    name = " ".join((aio_name or "").split()) or None
    wanted = list(dict.fromkeys(r.strip() for r in references if r.strip()))
    if not wanted:
        raise StoreError("choose at least one case")
    if len(wanted) > MAX_BULK:
        raise StoreError(f"allocate at most {MAX_BULK} cases at once")
    day = (today or date.today()).isoformat()
    changed: list[str] = []
    with session_scope(engine) as session:
        rows = session.exec(select(Case.id, Case.reference, Case.area)
                            .where(col(Case.reference).in_(wanted))).all()
        if len(rows) != len(wanted) or (areas is not None
                                        and any(area not in areas for _, _, area in rows)):
            raise StoreError("some of these cases do not exist or are outside your areas")
        for case_id, reference, _ in sorted(rows, key=lambda row: row[0]):
            case = locked_case(session, case_id)
            if case.aio_name == name:
                continue
            record = copy.deepcopy(case.record)
            part3 = dict(record.get("aio") or {})
            before = part3.get("name")
            part3["name"] = name
            part3["date_allocated"] = day if name else None
            part3.setdefault("sections_complete", None)
            part3.setdefault("notes", None)
            record["aio"] = part3
            case.aio_name = name
            case.version += 1
            refresh_case(session, case, record)
            session.add(CaseVersion(case_id=case_id, version=case.version, record=case.record))
            add_audit_event(session, action="case_allocated", case=case, actor=actor,
                            detail={"from": before, "to": name, "version": case.version})
            changed.append(reference)
    return changed
