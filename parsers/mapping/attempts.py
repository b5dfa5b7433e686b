"""Numbered enquiry attempts read as one log: "Attempt 1 / Date / Action / Outcome",
"Visit/Call 2 / Date / Method / Outcome", as boxes, tables or paragraphs.

A form that asks for each contact attempt as a small group of fields gives the same facts
as a log with a header row (Date | Action | Outcome). The reader sees separate entries; here
each run of them (a date, what was done, what came of it) becomes a row of one
:class:`~parsers.entries.Grid`, so the grid rules turn "Spoke to neighbours" on 31.10.25
into the neighbours enquiry, done, on that date.
"""

from __future__ import annotations

import re

from parsers.entries import Entry, Grid
from parsers.mapping.grids import column_roles

_ROLES = ("date", "action", "done", "person", "outcome")
_HEADERS = {"date": "Date", "action": "Action", "done": "Done", "person": "Person contacted",
            "outcome": "Outcome"}
_TRAILING_NUMBER = re.compile(r"\s*\d{1,2}\s*$")  # "Completed (Y/N) 3", "Outcome 3"
_ATTEMPT = re.compile(r"(?i)\b(attempt|visit|call|contact|enquiry|action|check)s?\b.*\d")


def attempt_grids(entries: list[Entry]) -> tuple[list[Entry], list[Grid]]:
    """The entries left once attempt groups are taken out, and those groups as a log."""
    groups: list[list[tuple[str, Entry]]] = []
    used: set[int] = set()
    index = 0
    while index < len(entries):
        group = _group_at(entries, index)
        if group is None:
            index += 1
            continue
        groups.append([(role, entries[at]) for role, at in group])
        used.update(at for _, at in group)
        index = group[-1][1] + 1
    if not groups:
        return entries, []
    numbered = any(_ATTEMPT.search(entry.section or "") for group in groups for _, entry in group)
    if len(groups) < 2 and not numbered:
        return entries, []
    headers = [_HEADERS[role] for role in _ROLES]
    rows = [[next((e.value for r, e in group if r == role), "") for role in _ROLES]
            for group in groups]
    first = groups[0][0][1]
    grid = Grid(headers=headers, rows=rows, locator=first.locator, section=first.section)
    return [entry for at, entry in enumerate(entries) if at not in used], [grid]


def _role(entry: Entry) -> str | None:
    """The one log column an entry's label names ("Date", "Method", "Outcome"), if any."""
    label = entry.label.strip()
    if _ATTEMPT.search(label):  # "Contact attempt 1 - Date": the column is after the number
        label = re.split(r"\d+\s*[-\u2013:.)]\s*", label, maxsplit=1)[-1].strip() or label
    label = _TRAILING_NUMBER.sub("", label) or label
    if entry.checked is not None or not label or len(label.split()) > 4:
        return None
    if label.lower().split()[0] in ("date", "when"):
        return "date"  # "Date of check": the first word says the column, not "check"
    roles = column_roles([label])
    return next(iter(roles)) if len(roles) == 1 and next(iter(roles)) in _ROLES else None


def _group_at(entries: list[Entry], start: int) -> list[tuple[str, int]] | None:
    """A run of entries from ``start`` naming distinct log columns, with what was done and
    when or with what outcome."""
    group: list[tuple[str, int]] = []
    seen: set[str] = set()
    for at in range(start, min(start + len(_ROLES), len(entries))):
        role = _role(entries[at])
        if role is None or role in seen:
            break
        seen.add(role)
        group.append((role, at))
    if "action" not in seen or not ({"date", "outcome"} & seen):
        return None
    action = next(entries[at] for role, at in group if role == "action")
    return group if action.value.strip() else None
