"""Subject access export: everything held about one child, in one zip, audited.

The child is found by UPN or by surname, forenames and date of birth, through the blind
indexes (the same normalisation as the duplicate check, :func:`models.casework.pupil_keys`),
so only that child's cases are read. For each case the zip holds every record version as
JSON and as a readable HTML page, every original email (``.eml``) and attachment, the
flags and the audit trail; ``index.html`` lists the cases. Writing the export is itself an
audit event on each case (who, how the child was looked up; never the search terms).
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from typing import Any

from sqlalchemy import Engine, and_, or_, select
from sqlmodel import Session, col

from models.casework import pupil_keys
from models.db import session_scope
from models.store_rows import add_audit_event
from models.tables import AuditEvent, Blob, Case, CaseVersion, Document, Flag, Message
from parsers.errors import StoreError


def find_child_cases(session: Session, *, upn: str | None = None, surname: str | None = None,
                     forenames: str | None = None, date_of_birth: str | None = None
                     ) -> list[Case]:
    keys = pupil_keys({"pupil": {"upn": upn, "surname": surname, "forenames": forenames,
                                 "date_of_birth": date_of_birth}})
    matches: list[Any] = []
    if keys["upn"]:
        matches.append(col(Case.upn) == keys["upn"])
    if keys["surname"] and keys["forenames"] and keys["dob"]:
        matches.append(and_(col(Case.surname_key) == keys["surname"],
                            col(Case.forenames_key) == keys["forenames"],
                            col(Case.date_of_birth) == keys["dob"]))
    if not matches:
        raise StoreError("give a UPN, or surname, forenames and date of birth (YYYY-MM-DD)")
    return list(session.scalars(select(Case).where(or_(*matches)).order_by(col(Case.id))))


def export_subject(engine: Engine, *, actor: str, **lookup: str | None) -> tuple[bytes, list[str]]:
    """The zip's bytes and the references it holds; audited on each case exported."""
    by = "upn" if lookup.get("upn") else "name_and_date_of_birth"
    buffer = io.BytesIO()
    with session_scope(engine) as session, zipfile.ZipFile(buffer, "w",
                                                           zipfile.ZIP_DEFLATED) as archive:
        cases = find_child_cases(session, **lookup)
        for case in cases:
            _write_case(session, archive, case)
        archive.writestr("index.html", _index_html(cases))
        for case in cases:
            add_audit_event(session, action="subject_exported", case=case, actor=actor,
                            detail={"lookup": by, "cases": len(cases)})
    return buffer.getvalue(), [case.reference for case in cases]


def _write_case(session: Session, archive: zipfile.ZipFile, case: Case) -> None:
    folder = case.reference
    versions = session.scalars(select(CaseVersion).where(CaseVersion.case_id == case.id)
                               .order_by(col(CaseVersion.version))).all()
    for version in versions:
        name = f"{folder}/records/version-{version.version}"
        archive.writestr(f"{name}.json", json.dumps(version.record, indent=1,
                                                    ensure_ascii=False))
        archive.writestr(f"{name}.html", _record_html(case.reference, version))
    messages = session.scalars(select(Message).where(Message.case_id == case.id)
                               .order_by(col(Message.id))).all()
    for message in messages:
        raw = session.get(Blob, message.raw_sha256)
        archive.writestr(f"{folder}/emails/message-{message.id}.eml", raw.content if raw else b"")
        documents = session.scalars(select(Document).where(Document.message_pk == message.id)
                                    .order_by(col(Document.position))).all()
        for document in documents:
            blob = session.get(Blob, document.sha256)
            safe = re.sub(r"[^\w.\- ]", "_", document.filename or "document")[:120]
            archive.writestr(f"{folder}/documents/message-{message.id}-{document.position}-"
                             f"{safe}", blob.content if blob else b"")
    flags = session.scalars(select(Flag).where(Flag.case_id == case.id)).all()
    archive.writestr(f"{folder}/flags.json", _rows_json(flags))
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                             .order_by(col(AuditEvent.id))).all()
    archive.writestr(f"{folder}/audit.json", _rows_json(events))


def _rows_json(rows: Any) -> str:
    return json.dumps([row.model_dump(mode="json") for row in rows], indent=1,
                      ensure_ascii=False)


def _flatten(value: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for key, item in value.items()
                for pair in _flatten(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list):
        return [pair for n, item in enumerate(value, 1) for pair in _flatten(item, f"{path}[{n}]")]
    return [(path, "" if value is None else str(value))]


def _record_html(reference: str, version: CaseVersion) -> str:
    rows = "\n".join(f"<tr><th>{html.escape(path)}</th><td>{html.escape(text)}</td></tr>"
                     for path, text in _flatten(version.record))
    title = html.escape(f"{reference}, record version {version.version}")
    return (f"<!doctype html><meta charset='utf-8'><title>{title}</title><h1>{title}</h1>"
            f"<p>Recorded {html.escape(version.created_at.isoformat())}</p>"
            f"<table border='1' cellpadding='4'>{rows}</table>\n")


def _index_html(cases: list[Case]) -> str:
    items = "\n".join(
        f"<li>{html.escape(case.reference)}: received {case.received_at.date().isoformat()}, "
        f"status {html.escape(case.status)}</li>" for case in cases)
    return ("<!doctype html><meta charset='utf-8'><title>Subject access export</title>"
            f"<h1>Subject access export</h1><ul>{items}</ul>\n")
