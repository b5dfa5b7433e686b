"""The original form's pages as images, for the case page's "The form" section (issue 14).

Rendered on the first view of the case (or the first request for a page) and cached by
document hash with the pages' word boxes (:mod:`intake.web.form_pages`); the case page waits
a few seconds at most for that, once per document, then finds each value's region there.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response
from sqlmodel import Session

from intake.web.access import CaseWorker, Db, case_for
from intake.web.form_pages import PageCache, default_cache_dir, renderable
from intake.web.form_places import FormView
from models.db import readonly_engine
from models.tables import Blob, Case
from parsers.errors import UnreadableDocument

router = APIRouter()


def page_cache(request: Request) -> PageCache:
    state = request.app.state
    if not hasattr(state, "page_cache"):
        folder = state.settings.web.page_cache_dir
        state.page_cache = PageCache(Path(folder) if folder else default_cache_dir())
    return state.page_cache  # type: ignore[no-any-return]


def form_view(request: Request, case: Case) -> FormView:
    """The case's form view; a document not rendered yet is rendered on its first view
    (read from the database in a session of its own), so its regions can be found."""
    engine = request.app.state.engine

    def content(sha256: str) -> bytes | None:
        with Session(readonly_engine(engine)) as db:
            blob = db.get(Blob, sha256)
            return blob.content if blob is not None else None

    record = case.record or {}
    return FormView(page_cache(request), list(record.get("documents") or []), content=content,
                    record=record)


@router.get("/cases/{reference}/documents/{index}/pages/{number}.png")
def form_page(request: Request, reference: str, index: int, number: int, db: Db,
              user: CaseWorker) -> Response:
    case = case_for(db, user, reference)
    documents = (case.record or {}).get("documents") or []
    if not 0 <= index < len(documents) or not renderable(documents[index]):
        raise HTTPException(status_code=404, detail="This document has no pages to show.")
    document = documents[index]
    cache = page_cache(request)
    try:
        if cache.count(document["sha256"]) is None:
            blob = db.get(Blob, document["sha256"])
            if blob is None:
                raise HTTPException(status_code=404, detail="The original file is not stored.")
            content = blob.content
        else:
            content = b""
        path = cache.page(document["sha256"], number, content, document.get("media_type") or "")
    except UnreadableDocument as exc:
        raise HTTPException(status_code=404, detail=exc.reason) from None
    return FileResponse(path, media_type="image/png")
