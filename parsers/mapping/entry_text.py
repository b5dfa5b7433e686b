"""What one entry's own text says: an echoed label, an answer-like value, an enquiry part.

Small pure tests the form mapper applies to each entry before it decides which field the
entry fills.
"""

from __future__ import annotations

import re
from dataclasses import replace

from parsers.entries import Entry
from parsers.layout.text import mark_state
from parsers.values import normalise as nz

_NUMBER_FIRST = re.compile(r"^(?:q\s*)?\d{1,2}(?:\.\d{1,2})*[.)]?\s+(?=[A-Za-z])", re.IGNORECASE)


def without_echoed_label(entry: Entry) -> Entry:
    """"Surname: Smith" given as the value of the label "Surname" is just "Smith"."""
    label = entry.label.strip().rstrip(":").strip()
    value = _NUMBER_FIRST.sub("", entry.value.lstrip())  # "7.1 NAME OF ... Priya Lal"
    if label and value[: len(label)].lower() == label.lower():
        rest = value[len(label):].lstrip()
        if rest.startswith((":", "-", "–")):
            return replace(entry, value=rest[1:].strip())
        if rest and (label[-1] in "?*)" or len(label.split()) >= 2) \
                and not value[len(label)].isalnum():
            return replace(entry, value=rest)  # "Any letters from the family? N" in one paragraph
    return entry


def unanswered_choices(entries: list[Entry]) -> set[tuple[str, str]]:
    """Labels printed with all their options and none chosen ("YES / NO" left as it is)."""
    seen: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        if entry.checked is None and entry.label.strip():
            seen.setdefault((entry.label, entry.locator), []).append(entry.value)
    return {
        key for key, values in seen.items()
        if len(values) > 1 and all(nz.boolean(v).value is not None for v in values)
        and len({nz.boolean(v).value for v in values}) > 1
    }


ENQUIRY_PARTS = {"notes": "notes", "note": "notes", "comments": "notes", "comment": "notes",
                  "outcome": "notes", "details": "notes", "detail": "notes", "response": "notes",
                  "result": "notes", "date": "date", "dates": "date", "when": "date",
                  "date completed": "date", "date done": "date"}


# The part of the form a specific label's field belongs to, for the generic labels after it
# ("Completed by | X | Role | Y | Date | Z": Role and Date are the completer's).
FIELD_CONTEXT = {"part1_completed_by": "part1_signoff", "safeguarding": "part2", "aio": "part3",
                  "parents": "parents", "siblings": "siblings", "pupil": "pupil", "school": "school"}


def glyph_label_as_option(entry: Entry) -> Entry:
    """A row "☒ | The child has left the country" is a ticked option, not a label "☒"."""
    if entry.checked is not None or not entry.label.strip() or not entry.value.strip():
        return entry
    state = mark_state(entry.label, words=False)
    if state is None:
        return entry
    return replace(entry, label="", checked=state)


def reads_as_answer(value: str) -> bool:
    """A value that answers a yes/no question ("Yes", "No - 3/9/26", "Done")."""
    head = (value.split(None, 1) or [""])[0].strip(",.;:-").lower()
    return head in {"yes", "no", "y", "n", "done", "not", "completed", "ticked"}


def enquiry_part(label: str) -> str | None:
    """"Home visit made - Notes" / "... - Date" fill one part of the enquiry, not "done"."""
    words = label.lower().replace("–", "-").rsplit("-", 1)
    if len(words) == 2:
        last = words[1].strip(" :?").split()
        if len(last) == 1 and last[0] in ENQUIRY_PARTS:
            return ENQUIRY_PARTS[last[0]]
    return None


def join_path(base: str, sub: str) -> str:
    return f"{base}.{sub}" if sub else base
