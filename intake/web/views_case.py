"""The case page: the record by form Part, its flags and drafts, Part 3, the originals.

Every view of a case and every download is an audit event. Originals (attachments and the
raw email) are only ever served as downloads (``Content-Disposition: attachment``,
``application/octet-stream``, ``nosniff``): mail HTML is never rendered in the app.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from intake.web.access import CaseWorker, Db, case_for
from intake.web.case_layout import layout
from intake.web.follow_up import follow_ups
from intake.web.pages import audit, render
from intake.web.views_correct import correction_context
from intake.web.views_form import form_view
from models import store
from models.queries_audit import viewed_lately
from models.store_corrections import corrections_of
from models.tables import Blob, Case, Flag, Message, User
from models.users import user_areas
from parsers.errors import IntakeError

router = APIRouter()

NOTICES = {
    "resolved": "The flag is resolved.", "waived": "The flag is waived.",
    "part3": "Part 3 is saved.",
    "complete": "Part 3 is saved: all sections are complete and the case has left the queue.",
    "corrected": "The correction is saved and the flags are checked again.",
    "allocated": "The allocation is saved.",
    "group_resolved": "The selected flags are resolved.",
    "group_waived": "The selected flags are waived.",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def _flags(db: Session, case: Case) -> list[Flag]:
    severity_order = {"blocking": 0, "warning": 1, "info": 2}
    flags = list(db.exec(select(Flag).where(Flag.case_id == case.id).order_by(col(Flag.id))))
    return sorted(flags, key=lambda f: (f.status != "open", severity_order.get(f.severity, 3)))


def _messages(db: Session, case: Case) -> list[Message]:
    return list(db.exec(select(Message).where(Message.case_id == case.id)
                        .order_by(col(Message.received_at))))


def _aio_choices(db: Session, case: Case) -> list[str]:
    """Active AIOs who cover the case's area (any AIO when the case has no area)."""
    aios = db.exec(select(User).where(User.role == "aio", col(User.disabled).is_(False))
                   .order_by(col(User.name)))
    names = [u.name for u in aios if case.area is None or case.area in user_areas(u)]
    if case.aio_name and case.aio_name not in names:
        names.insert(0, case.aio_name)
    return names


@router.get("/cases/{reference}", response_class=HTMLResponse)
def case_page(request: Request, reference: str, db: Db, user: CaseWorker,
              done: str | None = None, error: str | None = None,
              correct: str | None = None) -> HTMLResponse:
    case = case_for(db, user, reference)
    flags = _flags(db, case)
    open_flags = [f for f in flags if f.status == "open"]
    record = case.record or {}
    if not viewed_lately(db, actor=user.name, case_id=int(case.id or 0)):
        audit(request, user=user, action="case_viewed", case_id=case.id)
    return render(request, "case.html", {
        "title": f"Case {case.reference}", "case": case, "record": record,
        "layout": layout(record), "documents": record.get("documents") or [],
        "messages": _messages(db, case), "follow_ups": follow_ups(case, open_flags, user.name),
        "closed_flags": [f for f in flags if f.status != "open"],
        "notice": NOTICES.get(done or ""), "error": error, "aio_choices": _aio_choices(db, case),
        "today": date.today().isoformat(), "unmapped": record.get("unmapped") or [],
        "corrections": corrections_of(db, int(case.id or 0)),
        **correction_context(case, correct), "form": form_view(request, case),
    })


def _download(content: bytes, filename: str) -> Response:
    safe = _UNSAFE.sub("_", filename).strip(" .") or "download"
    disposition = f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type="application/octet-stream", headers={
        "Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"})


def _blob(db: Session, sha256: str | None) -> bytes:
    blob = db.get(Blob, sha256) if sha256 else None
    if blob is None:
        raise HTTPException(status_code=404, detail="The original file is not stored.")
    return blob.content


@router.get("/cases/{reference}/documents/{index}")
def download_document(request: Request, reference: str, index: int, db: Db,
                      user: CaseWorker) -> Response:
    case = case_for(db, user, reference)
    documents = (case.record or {}).get("documents") or []
    if not 0 <= index < len(documents):
        raise HTTPException(status_code=404, detail="No such document on this case.")
    document = documents[index]
    content = _blob(db, document.get("sha256"))
    audit(request, user=user, action="document_downloaded", case_id=case.id,
          detail={"document": index, "sha256": document.get("sha256")})
    return _download(content, document.get("filename") or f"document-{index + 1}")


@router.get("/cases/{reference}/messages/{message_pk}/original")
def download_email(request: Request, reference: str, message_pk: int, db: Db,
                   user: CaseWorker) -> Response:
    case = case_for(db, user, reference)
    message = db.get(Message, message_pk)
    if message is None or message.case_id != case.id:
        raise HTTPException(status_code=404, detail="No such email on this case.")
    content = _blob(db, message.raw_sha256)
    audit(request, user=user, action="email_downloaded", case_id=case.id, message_pk=message.id)
    return _download(content, f"{case.reference}-message-{message.id}.eml")


@router.post("/cases/{reference}/flags/{flag_id}")
def close_flag(request: Request, reference: str, flag_id: int, db: Db, user: CaseWorker,
               action: Annotated[str, Form()], note: Annotated[str, Form()] = "") -> Response:
    """Resolve or waive one open flag of this case; either needs a note saying why."""
    case = case_for(db, user, reference)
    flag = db.get(Flag, flag_id)
    if flag is None or flag.case_id != case.id:
        raise HTTPException(status_code=404, detail="No such flag on this case.")
    if action not in ("resolve", "waive"):
        raise HTTPException(status_code=400, detail="Choose resolve or waive.")
    if not note.strip():
        return _back(case.reference, "flags", error="Write a note saying why the flag is closed.")
    try:
        store.resolve_flag(request.app.state.engine, flag_id=flag_id, actor=user.name,
                           note=note, waive=action == "waive")
    except IntakeError as exc:
        return _back(case.reference, "flags", error=exc.reason)
    return _back(case.reference, "flags", done="resolved" if action == "resolve" else "waived")


@router.post("/cases/{reference}/part3")
def save_part3(request: Request, reference: str, db: Db, user: CaseWorker,
               aio_name: Annotated[str, Form()] = "", date_allocated: Annotated[str, Form()] = "",
               sections_complete: Annotated[str, Form()] = "",
               notes: Annotated[str, Form()] = "") -> Response:
    """Allocate an AIO, confirm the sections, keep notes. Confirming needs no open blocker."""
    case = case_for(db, user, reference)
    confirmed = {"yes": True, "no": False}.get(sections_complete)
    if not aio_name.strip():
        return _back(case.reference, "part3", error="Choose the AIO allocated to this case.")
    if confirmed and case.has_blocking:
        return _back(case.reference, "part3", error="Resolve or waive the blocking flags "
                     "before confirming that all sections are complete.")
    try:
        store.update_part3(request.app.state.engine, reference=case.reference, actor=user.name,
                           aio_name=aio_name, date_allocated=date_allocated or None,
                           sections_complete=confirmed, notes=notes)
    except IntakeError as exc:
        return _back(case.reference, "part3", error=exc.reason)
    return _back(case.reference, "part3", done="complete" if confirmed else "part3")


def _back(reference: str, anchor: str, **params: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{quote(reference)}?{urlencode(params)}#{anchor}",
                            status_code=303)
