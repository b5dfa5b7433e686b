"""Suggested wording's queries: corrections that name the form's label, and the decisions.

A suggestion is every ``field_corrected`` audit event whose ``label`` (plain detail: the
form's own wording, never a value) is set. The label's normal form (``label_key``) is
computed by the caller with ``parsers.mapping.labels.norm_label``: the store uses only the
parsers' public bottom.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.db import session_scope
from models.store_corrections import ACTION as CORRECTED
from models.store_rows import add_audit_event
from models.tables import AuditEvent, Case
from models.wording import DECISIONS, WordingDecision


@dataclass(frozen=True)
class LabelledCorrection:
    """One correction made from a label the form had."""

    at: datetime
    reference: str
    path: str  # concrete: parents.1.phone
    label: str


def labelled_corrections(session: Session, limit: int = 20_000) -> list[LabelledCorrection]:
    """Corrections that recorded the form's label, newest first, across every case."""
    rows = session.exec(
        select(AuditEvent.at, AuditEvent.detail, Case.reference)
        .join(Case, col(Case.id) == col(AuditEvent.case_id))
        .where(AuditEvent.action == CORRECTED)
        .order_by(col(AuditEvent.id).desc()).limit(limit)).all()
    found = []
    for at, detail, reference in rows:
        label, path = (detail or {}).get("label"), (detail or {}).get("path")
        if isinstance(label, str) and label.strip() and isinstance(path, str):
            found.append(LabelledCorrection(at=at, reference=reference, path=path,
                                            label=" ".join(label.split())))
    return found


def decisions(session: Session) -> dict[tuple[str, str], str]:
    """(label_key, field_path) → accepted | dismissed."""
    return {(row.label_key, row.field_path): row.decision
            for row in session.exec(select(WordingDecision))}


def decide(engine: Engine, *, label_key: str, label: str, field_path: str, decision: str,
           actor: str, examples: Sequence[str] = ()) -> bool:
    """Record ``decision`` and its audit event; False when this suggestion was decided."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}")
    try:
        with session_scope(engine) as session:
            earlier = session.exec(select(WordingDecision).where(
                WordingDecision.label_key == label_key,
                WordingDecision.field_path == field_path)).first()
            if earlier is not None:
                return False
            session.add(WordingDecision(label_key=label_key[:200], field_path=field_path,
                                        label=label[:200], decision=decision, actor=actor))
            add_audit_event(session, action=f"wording_{decision}", actor=actor, detail={
                "label": label[:200], "field": field_path, "cases": list(examples)[:5]})
    except IntegrityError:
        return False  # another admin decided it at the same moment
    return True
