"""Suggested wording, for admins: labels the council's forms use that the field map lacks.

When an AIO corrects a field and names the label the form printed it under (the case's
unmapped entries, or another field's label), that correction is evidence the label means
the field. This page counts them (label → field, how many times, example cases); *Accept*
appends the label to the council's wording overlay (``[parsing] wording_overlay``, see
:mod:`parsers.mapping.overlay`), used from the next parse on, and *Dismiss* stores the
answer so the suggestion is not shown again. Both are audited (``wording_accepted``,
``wording_dismissed``). Only a label that corrections gave can be accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from intake.web.access import Admin, Db
from intake.web.pages import render
from models.store_wording import LabelledCorrection, decide, decisions, labelled_corrections
from parsers.errors import ConfigError
from parsers.mapping.fieldmap import FieldSpec, field_map, overlay_additions
from parsers.mapping.labels import norm_label

router = APIRouter()
_INDEX = re.compile(r"\.\d+\.")
EXAMPLES = 5
NOTICES = {"accepted": "The label is added to the council's wording: the next parse uses it.",
           "dismissed": "The suggestion is dismissed and will not be shown again."}


@dataclass(frozen=True)
class Suggestion:
    """A label the forms printed, the field corrections put its value in, and the evidence."""

    key: str
    label: str  # as the latest correction recorded it
    field_path: str  # the field map's path (parents.*.phone)
    title: str
    count: int
    examples: tuple[str, ...]  # case references, newest first
    last_at: datetime
    taken_by: str | None  # the title of another field this exact label already means


def spec_for(path: str) -> FieldSpec | None:
    fmap = field_map()
    return fmap.by_path.get(path) or fmap.by_path.get(_INDEX.sub(".*.", path))


def suggestions(corrections: Iterable[LabelledCorrection], decided: set[tuple[str, str]],
                overlay: dict[str, tuple[str, ...]]) -> list[Suggestion]:
    """Corrections grouped by (label, field), leaving out labels the map already reads as
    that field (``fields.toml`` or the overlay) and those an admin decided; most often first."""
    fmap = field_map()
    known = {(norm_label(label), path) for path, labels in overlay.items() for label in labels}
    groups: dict[tuple[str, str], list[LabelledCorrection]] = {}
    specs: dict[str, FieldSpec] = {}
    for row in corrections:
        spec, key = spec_for(row.path), norm_label(row.label)
        if spec is None or not key or (key, spec.path) in decided or (key, spec.path) in known:
            continue
        if _already_read(row.label, spec):
            continue  # the parser already reads this label as this field: a value was misread
        specs[spec.path] = spec
        groups.setdefault((key, spec.path), []).append(row)
    listed = []
    for (key, path), rows in groups.items():
        rows.sort(key=lambda r: r.at, reverse=True)
        found = fmap.match(rows[0].label)
        taken = found.spec.title if found and found.how == "exact" else None
        listed.append(Suggestion(
            key=key, label=rows[0].label, field_path=path, title=specs[path].title,
            count=len(rows), examples=tuple(dict.fromkeys(r.reference for r in rows))[:EXAMPLES],
            last_at=rows[0].at, taken_by=taken))
    return sorted(listed, key=lambda s: (-s.count, -s.last_at.timestamp(), s.label))


def _already_read(label: str, spec: FieldSpec) -> bool:
    """Whether the map takes ``label`` for ``spec`` anywhere, or under one of its headings."""
    fmap = field_map()
    for context in (None, *spec.contexts):
        found = fmap.match(label, context)
        if found is not None and found.spec.path == spec.path:
            return True
    return False


def _overlay_file(request: Request) -> Path | None:
    configured = request.app.state.settings.parsing.wording_overlay
    return Path(configured) if configured else None


def _overlay_state(path: Path | None) -> tuple[dict[str, tuple[str, ...]], str | None]:
    """What the overlay adds, and its problem (malformed) if any."""
    if path is None:
        return {}, None
    try:
        return overlay_additions(path), None
    except ConfigError as exc:
        return {}, exc.reason


def _current(db: Db, request: Request) -> tuple[list[Suggestion], dict[str, tuple[str, ...]],
                                                str | None]:
    additions, problem = _overlay_state(_overlay_file(request))
    decided = set(decisions(db))
    return suggestions(labelled_corrections(db), decided, additions), additions, problem


@router.get("/wording", response_class=HTMLResponse)
def wording_page(request: Request, db: Db, user: Admin, done: str | None = None,
                 error: str | None = None) -> HTMLResponse:
    listed, additions, problem = _current(db, request)
    fmap = field_map()
    accepted = [(fmap.title(path), path, label) for path, labels in sorted(additions.items())
                for label in labels]
    return render(request, "wording.html", {
        "nav": "wording", "title": "Suggested wording", "suggestions": listed,
        "accepted": accepted, "overlay_file": _overlay_file(request), "overlay_problem": problem,
        "notice": NOTICES.get(done or ""), "error": error,
    })


@router.post("/wording/accept")
def accept(request: Request, db: Db, user: Admin, label_key: Annotated[str, Form()],
           field_path: Annotated[str, Form()]) -> Response:
    """Add the suggested label to the overlay, then record the decision."""
    chosen = _chosen(db, request, label_key, field_path)
    if isinstance(chosen, Response):
        return chosen
    path = _overlay_file(request)
    if path is None:
        return _back(error="Set [parsing] wording_overlay in the configuration to accept wording.")
    if chosen.taken_by:
        return _back(error=f"That label already means {chosen.taken_by} in fields.toml: "
                           "change fields.toml to move it.")
    known = [spec.path for spec in field_map().fields]
    note = (f"accepted by {user.name} on {date.today().isoformat()} from {chosen.count} "
            f"correction(s), e.g. {', '.join(chosen.examples[:3])}")
    try:
        from parsers.mapping.overlay import add_label

        add_label(path, chosen.field_path, chosen.label, known, note=note)
    except (ConfigError, OSError) as exc:
        reason = exc.reason if isinstance(exc, ConfigError) else f"cannot write {path}"
        return _back(error=reason)
    return _decided(request, chosen, user.name, "accepted")


@router.post("/wording/dismiss")
def dismiss(request: Request, db: Db, user: Admin, label_key: Annotated[str, Form()],
            field_path: Annotated[str, Form()]) -> Response:
    """Remember that this label is not this field, so it is not suggested again."""
    chosen = _chosen(db, request, label_key, field_path)
    if isinstance(chosen, Response):
        return chosen
    return _decided(request, chosen, user.name, "dismissed")


def _decided(request: Request, chosen: Suggestion, actor: str, decision: str) -> RedirectResponse:
    """Record the admin's decision (stored and audited), then back to the list."""
    decide(request.app.state.engine, label_key=chosen.key, label=chosen.label,
           field_path=chosen.field_path, decision=decision, actor=actor,
           examples=chosen.examples)
    return _back(done=decision)


def _chosen(db: Db, request: Request, label_key: str, field_path: str) -> Suggestion | Response:
    listed, _, _ = _current(db, request)
    found = next((s for s in listed if s.key == label_key and s.field_path == field_path), None)
    return found or _back(error="That suggestion is no longer open (decided already, or no "
                                "correction gives it).")


def _back(**params: str) -> RedirectResponse:
    return RedirectResponse(f"/wording?{urlencode(params)}", status_code=303)
