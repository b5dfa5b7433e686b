"""Reading tables with a header row: enquiry logs, home-visit logs, siblings, parents.

A grid's kind is told by its column headers (and the section it stands in), so a council's
"Date | Action | Person contacted | Outcome" log and another's "Action | Date completed |
Outcome" checklist are read the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Protocol

from parsers.entries import Entry, Grid
from parsers.mapping.fieldmap import FieldMap, norm_label
from parsers.mapping.label_concepts import concept_field
from parsers.mapping.values import DATE_IN_TEXT
from parsers.values import normalise as nz

_COLUMN_WORDS: dict[str, tuple[str, ...]] = {
    "action": ("action", "actions", "enquiry", "enquiries", "check", "checks", "step", "activity",
               "contact made", "type of contact", "method", "task", "what was done"),
    "done": ("done", "completed", "yes / no", "y / n", "tick", "undertaken"),
    "date": ("date", "when", "date completed", "date of contact", "date and time"),
    "outcome": ("outcome", "outcomes", "response", "result", "notes", "comments", "findings",
                "response / outcome"),
    "person": ("person contacted", "person", "who", "who did you speak to", "name of person contacted",
               "spoke to", "contacted", "by whom", "name of person"),
    "address": ("address visited", "address"),
    "name": ("name", "names", "full name", "siblings name", "sibling name", "child name"),
    "dob": ("dob", "d o b", "date of birth"),
    "school": ("school", "school attended", "current school", "school attending"),
    "relationship": ("relationship", "relationship to child", "relation", "relationship to pupil"),
    "phone": ("telephone", "phone", "tel", "mobile", "contact number", "telephone number"),
    "email": ("email", "e mail", "email address"),
}
_PERSON_WITH_PR = re.compile(r" (?:pr|parental|parent|parents|carer|carers|guardian) ")
# "Relationship to the young person" is the relationship, not a "person contacted" column.
_ORDER = ("dob", "email", "relationship", "address", "person", "done", "outcome", "action", "date",
          "phone", "school", "name")


def column_roles(headers: list[str]) -> dict[str, int]:
    """Which column holds what, by header words (first column wins for each role)."""
    return dict(_column_roles(tuple(headers)))


@lru_cache(maxsize=512)
def _column_roles(headers: tuple[str, ...]) -> dict[str, int]:
    # Cached: a council's grids repeat their header rows form after form.
    roles: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = f" {norm_label(header)} "
        for role in _ORDER:
            if role in roles:
                continue
            if any(f" {word} " in key for word in _COLUMN_WORDS[role]):
                if role == "done" and " what " in key:
                    continue  # "What was done" names the action, not a tick column
                if role == "person" and _PERSON_WITH_PR.search(key):
                    continue  # "Name of person with PR" is the parent's name column
                if role == "done" and " date " in key:
                    roles.setdefault("date", index)
                    break
                roles[role] = index
                break
    return roles


class GridTarget(Protocol):
    """What a grid is read into: :class:`parsers.mapping.mapper.FormMapper`."""

    fmap: FieldMap
    out: Any
    document: Any

    def put(self, path: str, value: Any, confidence: float, entry: Entry) -> None: ...

    def keep_unmapped(self, label: str, value: str) -> None: ...

    def entry(self, entry: Entry) -> None: ...

    def parent_path(self, sub: str, label: str, *, new_person: bool) -> str: ...

    def add_sibling(self, sibling: dict[str, Any], entry: Entry, confidence: float) -> None: ...


class GridReader:
    """Feeds grids into a :class:`GridTarget` (the form mapper)."""

    def __init__(self, mapper: GridTarget) -> None:
        self.mapper = mapper

    def read(self, grid: Grid) -> None:
        roles = column_roles(grid.headers)
        context = self.mapper.fmap.context_of(grid.section)
        if "action" not in roles:
            roles = self.person_roles(grid, roles, context)
        header_text = norm_label(" ".join(grid.headers))
        if "address" in roles and ("person" in roles or "date" in roles) and "action" not in roles:
            return self.rows(grid, roles, self.home_visit)
        if "action" in roles:
            return self.rows(grid, roles, self.enquiry)
        if "name" in roles and ({"dob", "school"} & roles.keys()) and (
            context == "siblings" or "sibling" in header_text
            or not ({"relationship", "phone", "email"} & roles.keys())
        ):
            return self.rows(grid, roles, self.sibling)
        if "name" in roles and {"relationship", "phone", "email"} & roles.keys():
            return self.rows(grid, roles, self.parent)
        if len(grid.rows) == 1 and all(h.strip() for h in grid.headers):
            # Labels over one row of answers (Surname | Forename | DOB): each header is
            # its answer's label, read like any label | value pair.
            for header, value in zip(grid.headers, grid.rows[0], strict=False):
                self.mapper.entry(Entry(label=header, value=value, section=grid.section,
                                        locator=f"{grid.locator.split(', rows')[0]}, row 2"))
            return None
        for number, row in enumerate(grid.rows, start=1):
            for header, value in zip(grid.headers, row, strict=False):
                self.mapper.keep_unmapped(header or f"column in row {number}", value)

    def person_roles(self, grid: Grid, roles: dict[str, int],
                     context: str | None) -> dict[str, int]:
        """Columns the header words did not type, typed by the field map ("Adult with PR
        (name)" | "Connection to pupil" | "Best number to call"): a person's details."""
        fmap = self.mapper.fmap
        roles = dict(roles)
        for index, header in enumerate(grid.headers):
            if index in roles.values() or not header.strip():
                continue
            for part in dict.fromkeys((context, "parents")):
                match = fmap.match(header, part)
                spec = match.spec if match else concept_field(fmap, header, part)
                role = _PERSON_ROLES.get(spec.path) if spec is not None else None
                if role is not None and role not in roles:
                    roles[role] = index
                    break
        return roles

    def rows(self, grid: Grid, roles: dict[str, int], handle: Any) -> None:
        for number, row in enumerate(grid.rows, start=1):
            cells = {role: (nz.clean_multiline(row[i]) if i < len(row) else None)
                     for role, i in roles.items()}
            if not any(cells.values()):
                continue
            entry = Entry(label=grid.headers[0] if grid.headers else "",
                          value=" | ".join(row), locator=f"{grid.locator}, row {number + 1}",
                          section=grid.section)
            handle(cells, entry)
            used = set(roles.values())
            for index, value in enumerate(row):
                if index not in used and index < len(grid.headers):
                    self.mapper.keep_unmapped(grid.headers[index], value)

    def enquiry(self, cells: dict[str, str | None], entry: Entry) -> None:
        action = cells.get("action")
        when = _date(cells.get("date"))
        outcome = _with_person(cells.get("outcome"), cells.get("person"))
        done = nz.boolean(cells["done"]).value if cells.get("done") else None
        if done is None and outcome and _NOT_DONE.match(outcome):
            done = False
        if done is None and (when or outcome):
            done = True
        match = self.mapper.fmap.match(action, "enquiries") if action else None
        if action and (match is None or match.spec.kind != "enquiry"):
            match = self.mapper.fmap.match_concept(action) or match
        if match is not None and match.spec.kind == "enquiry":
            self.fill_enquiry(match.spec.path, done, when, outcome, entry, match.confidence)
            return
        if action:
            other = self.mapper.out.record["enquiries"]["other"]
            other.append({"action": action, "date": when, "outcome": outcome})
            self.mapper.out.provenance[f"enquiries.other.{len(other) - 1}"] = {
                "document": self.mapper.document, "locator": entry.locator,
                "label": grid_label(entry), "confidence": 1.0}

    def home_visit(self, cells: dict[str, str | None], entry: Entry) -> None:
        parts = [cells.get("address") and f"address visited: {cells['address']}",
                 cells.get("person") and f"spoke to: {cells['person']}",
                 cells.get("outcome")]
        notes = "; ".join(p for p in parts if p) or None
        self.fill_enquiry("enquiries.home_visit", True, _date(cells.get("date")), notes, entry, 0.95)

    def fill_enquiry(self, path: str, done: bool | None, when: str | None, notes: str | None,
                     entry: Entry, confidence: float) -> None:
        record = self.mapper.out.record
        key = path.split(".")[1]
        current = record["enquiries"][key]
        if current["done"] is not None and notes and current["notes"] and notes not in current["notes"]:
            current["notes"] = f"{current['notes']}; {notes}"
            return
        for sub, value in (("done", done), ("date", when), ("notes", notes)):
            if value is not None:
                self.mapper.put(f"{path}.{sub}", value, confidence, entry)

    def sibling(self, cells: dict[str, str | None], entry: Entry) -> None:
        self.mapper.add_sibling({
            "name": nz.clean_text(cells.get("name")),
            "date_of_birth": _date(cells.get("dob")),
            "school": nz.clean_text(cells.get("school")),
        }, entry, 1.0)

    def parent(self, cells: dict[str, str | None], entry: Entry) -> None:
        name_path = self.mapper.parent_path("name", "", new_person=True)
        base = name_path.rsplit(".", 1)[0]
        values = {
            "name": nz.name(cells.get("name")).value,
            "relationship": nz.clean_text(cells.get("relationship")),
            "phone": nz.phone(cells.get("phone")).value if cells.get("phone") else None,
            "email": nz.email(cells.get("email")).value if cells.get("email") else None,
            "address": nz.clean_multiline(cells.get("address")),
        }
        for sub, value in values.items():
            if value:
                self.mapper.put(f"{base}.{sub}", value, 1.0, entry)


_PERSON_ROLES = {"parents.*.name": "name", "parents.*.relationship": "relationship",
                 "parents.*.phone": "phone", "parents.*.email": "email",
                 "parents.*.address": "address", "siblings.*.name": "name",
                 "siblings.*.date_of_birth": "dob", "siblings.*.school": "school"}
_NOT_DONE = re.compile(r"^\s*(not done|not completed|not yet done|not yet|no)\s*(?:$|[.,;:\-–])",
                       re.IGNORECASE)


def grid_label(entry: Entry) -> str | None:
    return entry.label or None


def _date(text: str | None) -> str | None:
    if not text:
        return None
    found = DATE_IN_TEXT.search(text)
    return nz.date(found.group(0) if found else text).value


def _with_person(outcome: str | None, person: str | None) -> str | None:
    if person and outcome:
        return f"{outcome} (person contacted: {person})"
    return outcome or (f"person contacted: {person}" if person else None)
