"""Audit look-ups the pages need: was this case viewed by this person a moment ago?

A reload within a minute is not a new view: one ``case_viewed`` event per person, case and
minute keeps the trail readable (every download and change is still recorded).
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from models.tables import AuditEvent, utcnow

VIEW_WINDOW = timedelta(minutes=1)


def viewed_lately(session: Session, *, actor: str, case_id: int,
                  window: timedelta = VIEW_WINDOW) -> bool:
    since = utcnow() - window
    found = session.exec(select(AuditEvent.id).where(
        AuditEvent.case_id == case_id, AuditEvent.action == "case_viewed",
        AuditEvent.actor == actor, col(AuditEvent.at) >= since).limit(1)).first()
    return found is not None
