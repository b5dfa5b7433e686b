"""Correcting a misread field from the case page (issue 14).

The core decides (``intake.core.corrections``: the parser's own reader for the field's kind,
then the rules judged again); the store writes the new version, the flags and the audit
event in one transaction. Queue, CSV and log read the case's record and columns, so they
show the corrected value from the next request on.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from intake.core.corrections import CorrectionRefused, correct, correctable_paths
from intake.core.rules import RuleSettings
from intake.web.access import CaseWorker, Db, case_for
from models.store_corrections import save_correction
from models.store_rows import london_date
from models.tables import Case
from parsers.errors import IntakeError
from parsers.mapping.fieldmap import field_map
from parsers.record import get_path

router = APIRouter()
MAX_LABEL = 160  # longer "labels" are prose, not wording
MAX_LABELS = 100


def form_labels(record: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The form's labels an AIO may name as where a corrected value stands: the unmapped
    entries' (read into no field, title None), then those read into a field (its title)."""
    found: dict[str, str | None] = {}
    for entry in record.get("unmapped") or []:
        text = " ".join(str(entry.get("label") or "").split())
        if text and len(text) <= MAX_LABEL:
            found.setdefault(text, None)
    fmap = field_map()
    for path, source in sorted((record.get("provenance") or {}).items()):
        text = " ".join(str((source or {}).get("label") or "").split())
        if text and len(text) <= MAX_LABEL and (source or {}).get("source") != "correction":
            found.setdefault(text, fmap.title(path))
    return list(found.items())[:MAX_LABELS]


def correction_context(case: Case, correct_path: str | None) -> dict[str, Any]:
    """What the case page's correction form needs (the caller adds the corrections list)."""
    record = case.record or {}
    paths = correctable_paths(record)
    chosen = correct_path if any(p == correct_path for p, _ in paths) else None
    current = get_path(record, chosen) if chosen else None
    return {"correctable": paths, "correct_path": chosen,
            "correct_current": "" if current is None else str(current)}


@router.post("/cases/{reference}/corrections")
def correct_field(request: Request, reference: str, db: Db, user: CaseWorker,
                  path: Annotated[str, Form()], value: Annotated[str, Form()] = "",
                  reason: Annotated[str, Form()] = "",
                  version: Annotated[int, Form()] = 0,
                  label: Annotated[str, Form()] = "") -> Response:
    """Set one field to the AIO's value, with a reason; flags are judged again at once.

    ``label`` is the form's label the value stands under, when the reader did not take it
    for this field: it must be one the case's form has, and it feeds the wording
    suggestions (``intake.web.views_wording``)."""
    case = case_for(db, user, reference)
    if not reason.strip():
        return _back(case.reference, path, error="Write the reason for the correction.")
    if label and label not in {text for text, _ in form_labels(case.record or {})}:
        return _back(case.reference, path, error="That label is not one of this form's.")
    settings = RuleSettings.from_settings(request.app.state.settings.rules)
    try:
        change = correct(case.record or {}, path, value,
                         received_on=london_date(case.received_at), settings=settings)
        save_correction(request.app.state.engine, reference=case.reference,
                        version=version or case.version, actor=user.name, path=path,
                        record=change.record, before=change.before, value=change.value,
                        label=label or change.label, reason=reason, close=change.close,
                        raised=change.raised)
    except CorrectionRefused as exc:
        return _back(case.reference, path, error=exc.reason)
    except IntakeError as exc:
        return _back(case.reference, path, error=exc.reason)
    return _back(case.reference, None, done="corrected")


def _back(reference: str, path: str | None, **params: str) -> RedirectResponse:
    if path:
        params["correct"] = path
    anchor = "correct" if "error" in params else "corrections"
    return RedirectResponse(f"/cases/{quote(reference)}?{urlencode(params)}#{anchor}",
                            status_code=303)


def _register_template_helpers() -> None:
    from intake.core.corrections import is_correctable
    from intake.web.pages import TEMPLATES

    TEMPLATES.env.globals["is_correctable"] = is_correctable
    TEMPLATES.env.globals["form_labels"] = form_labels


_register_template_helpers()
