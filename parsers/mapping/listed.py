"""Answers an online form's summary gives under a key the field map does not know: a
list of the enquiries made, one a line, or a person's name as the key of her details.

"Enquiries made before referral | Home visit made / Neighbours spoken to / ..." lists what
was done; "Danielle Crowther | Mother, 07700 900879, d.c@example.com" is a parent. Read
here rather than left unmapped, so the case does not ask the school for what it listed.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from parsers.entries import Entry
from parsers.layout.ticks import joined_lines
from parsers.values import normalise as nz

_MARK = re.compile(r"(?:^\s*(?:\[\s*[xX✓✔]\s*\]|[☒☑■✓✔])\s*|\s+(?:[xX✓✔]|\[\s*[xX✓✔]\s*\]|[☒☑■])\s*$)")
_NAME = re.compile(r"^[A-Z][a-z'’-]+(?:\s+[A-Z][A-Za-z'’-]+){1,3}$")


class ListTarget(Protocol):
    fmap: Any

    def entry(self, entry: Entry) -> None: ...

    def parents_text(self, entry: Entry, confidence: float) -> None: ...


def read_listed(mapper: ListTarget, entry: Entry, context: str | None) -> bool:
    """True when the entry was read as a list of enquiries or as a named person."""
    return _enquiry_list(mapper, entry) or _named_person(mapper, entry, context)


def _enquiry_list(mapper: ListTarget, entry: Entry) -> bool:
    lines = joined_lines(entry.value)
    if len(lines) < 2:
        return False
    marks = [_MARK.search(line) for line in lines]
    marked = any(marks)
    items = [(_MARK.sub("", line).strip(), mark is not None) for line, mark in zip(lines, marks,
                                                                                 strict=True)]
    matched = [(text, ticked) for text, ticked in items if _is_enquiry(mapper, text)]
    if len(matched) < 2 or len(matched) * 2 < len(lines):
        return False
    for text, ticked in matched:
        # A list with marks beside some lines ticks those; a plain list lists what was done.
        mapper.entry(Entry(label=text, value="Yes" if ticked or not marked else "No",
                           locator=entry.locator, section=entry.section,
                           confidence=entry.confidence * 0.9))
    return True


def _is_enquiry(mapper: ListTarget, line: str) -> bool:
    match = mapper.fmap.match_concept(line)
    return match is not None and match.spec.kind == "enquiry"


def _named_person(mapper: ListTarget, entry: Entry, context: str | None) -> bool:
    if context != "parents" or not _NAME.match(entry.label.strip()):
        return False
    details = " ".join(entry.value.split())
    if not (nz.phones(details) or nz.find_emails(details)):
        return False
    person = Entry(label="parent or carer", value=f"{entry.label.strip()}, {details}",
                   locator=entry.locator, section=entry.section, confidence=entry.confidence)
    mapper.parents_text(person, entry.confidence * 0.9)
    return True


_ACCOUNT = re.compile(r"(?i)\b(family|families|parents?|carers?|mum|dad|mother|father)\b.*"
                      r"\b(said|say|says|told|tell|inform\w*|info|account|explanation|reported)\b|"
                      r"\b(said|told|inform\w*|info|account|explanation)\b.*\b(family|parents?|"
                      r"carers?|mum|dad)\b")
_SHORT_KINDS = frozenset({"name", "parent_name", "phone", "email", "date", "text", "postcode"})


def prose_answer(fmap: Any, entry: Entry, match: Any) -> Any:
    """The family's account under a question that names the parents ("Information from
    parents/carers"): matched by containment to a person's field, but a paragraph of prose
    is not a name or a number; it is what the family said."""
    if match.how not in ("contains", "spelling") or match.spec.kind not in _SHORT_KINDS:
        return match
    value = entry.value.strip()
    if len(value.split()) < 6 or not re.search(r"[a-z]{3,}[.,;]", value):
        return match
    if not _ACCOUNT.search(entry.label):
        return match
    spec = fmap.by_path.get("family_information.text")
    return match if spec is None else type(match)(spec, 0.85, "concept")
