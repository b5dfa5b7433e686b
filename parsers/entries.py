"""What a format reader hands to the field mapper: label/value entries and grids.

Every reader (DOCX, PDF text, PDF form fields, OCR) turns its layout into the same three
things, so that the mapping onto the record is written once:

* :class:`Entry`: one label and what was written against it, or one tick-box option and
  whether it is ticked;
* :class:`Grid`: a table with a header row (enquiry logs, siblings, home visits), kept as
  rows of cell text so the mapper can read it by column;
* the document's plain text in reading order, for free-text rules (risk indicators).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    """One label and its value, as found on the form.

    ``checked`` is ``None`` for a written value. For a tick-box or "delete as appropriate"
    option it says whether that option is selected: ``value`` is then the option's text
    (e.g. ``"Left the country"``, ``"Yes"``) and ``label`` the question it answers, or ``""``
    where the option stands alone. ``section`` is the nearest heading above the entry as
    printed (e.g. ``"PART 2 - TO BE COMPLETED BY THE DSL"``), or ``None``.
    """

    label: str
    value: str
    locator: str
    section: str | None = None
    checked: bool | None = None
    confidence: float = 1.0


@dataclass(frozen=True)
class Grid:
    """A table read by columns: ``headers`` as printed, then one list of cell text per row."""

    headers: list[str]
    rows: list[list[str]]
    locator: str
    section: str | None = None


@dataclass
class ExtractedForm:
    """Everything one reader got out of one document."""

    extraction: str
    entries: list[Entry] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    text: str = ""
    pages: int | None = None
    notes: list[str] = field(default_factory=list)
