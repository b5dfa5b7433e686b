"""Where on a rendered page a value was read: the highlighted region of "the form beside
the record" (issue 14).

The word boxes are those of the PDF that was rendered (:mod:`intake.web.form_words`). A
form field's locator (``page 1, field Surname``) names its widget, whose rectangle is the region; otherwise the
region is the nearest text match of the value on the locator's page (dates, phone numbers
and spacing compared letters and digits only), placed by the form's label when the value
occurs more than once, else the label itself. A scan has no words: its links go to the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from intake.web.form_words import Box, PageWords, letters_of

_FIELD_IN_LOCATOR = re.compile(r"\bfield (.+?)\s*$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MAX_VALUE_WORDS = 12  # a long answer is found by its opening words
_SHORT = 3  # "Yes", "No", "10": too common to trust without the label beside them
_CLOSE = 0.15  # how far (in page fractions, see _distance) a value may be from its anchor


@dataclass(frozen=True)
class Region:
    page: int  # 1-based
    box: Box
    found_by: str  # "field" | "value" | "label"


def value_forms(value: str) -> list[tuple[str, bool]]:
    """The letters of a value as a form may show it: (letters, whole). An ISO date may be
    written 17/04/2014, 17.4.14 or 17 April 2014; a long answer is found by its opening."""
    match = _ISO_DATE.match(value.strip())
    if match:
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return [(letters_of(value), True)]
        month, short = day.strftime("%B").lower(), day.strftime("%b").lower()
        numbers = [f"{day.day:02d}{day.month:02d}{day.year}", f"{day.day}{day.month}{day.year}",
                   f"{day.day:02d}{day.month:02d}{day.year % 100:02d}",
                   f"{day.day}{day.month}{day.year % 100:02d}", f"{day.year}{day.month:02d}{day.day:02d}"]
        names = [f"{d}{m}{day.year}" for d in (str(day.day), f"{day.day}{_ordinal(day.day)}")
                 for m in (month, short)]
        return [(n, True) for n in dict.fromkeys(numbers + names)]
    words = value.split()
    if len(words) > _MAX_VALUE_WORDS:
        return [(letters_of(" ".join(words[:_MAX_VALUE_WORDS])), False)]
    return [(letters_of(value), True)]


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _label_forms(label: str) -> list[tuple[str, bool]]:
    words = re.sub(r"\(.*?\)", " ", label).split()  # "(tick all that apply)" may wrap away
    forms = [(letters_of(" ".join(words)), True)]
    if len(words) > 4:
        forms.append((letters_of(" ".join(words[:4])), False))
    return [(f, w) for f, w in forms if len(f) >= 2]


def _find_all(page: PageWords, forms: list[tuple[str, bool]]) -> list[Box]:
    for letters, whole in forms:
        if len(letters) >= 2:
            found = page.find(letters, whole=whole)
            if found:
                return found
    return []


def _distance(value: Box, label: Box) -> float:
    """How far a value sits from its label, in page fractions: right of it on its line, or
    under it, is near; above it or far to its left is far."""
    if value.x0 >= label.x0 - 0.01:
        across = max(0.0, value.x0 - label.x1) * 0.3
    else:
        across = 0.5 + label.x0 - value.x0
    down = value.top - label.top
    return across + (abs(down) * 3 if down >= -0.005 else 1.0 + abs(down) * 3)


def _same_line(a: Box, b: Box) -> bool:
    return abs((a.top + a.bottom) / 2 - (b.top + b.bottom) / 2) < max(b.bottom - b.top, 0.004)


def _anchors(page: PageWords, label: str, siblings: list[str]) -> tuple[list[Box], bool]:
    """What places a value on its page: the other values of its row (a table row's label is
    its column's header), else the form's label; and whether the anchors are row-mates."""
    found = [m for m in (_find_all(page, value_forms(v)) for v in siblings
                         if len(letters_of(v)) > _SHORT) if m]
    if found:
        return min(found, key=len), True
    return (_find_all(page, _label_forms(label)) if label else []), False


def _near(value: Box, anchor: Box, row: bool) -> float:
    if row:  # the same row of a table: the vertical offset is what counts
        return abs((value.top + value.bottom) - (anchor.top + anchor.bottom)) * 5 + \
            abs(value.x0 - anchor.x0) * 0.1
    return _distance(value, anchor)


def _on_page(page: PageWords, value: str, label: str,
             siblings: list[str]) -> tuple[int, float, Box, str] | None:
    """The best place on one page, ranked: 0 the value by its anchor, 1 the value alone
    (long enough to trust), 2 the label alone (not a table's column header)."""
    letters = letters_of(value)
    values = _find_all(page, value_forms(value)) if len(letters) >= 2 else []
    anchors, row = _anchors(page, label, siblings)
    if values and anchors:
        score, box, anchor = min(((_near(v, a, row), v, a) for v in values for a in anchors),
                                 key=lambda t: t[0])
        if score <= _CLOSE:
            if not row and (len(letters) <= _SHORT or _same_line(box, anchor)):
                box = box.union(anchor)
            return 0, score, box, "value"
    if values and len(letters) > _SHORT:
        return 1, 0.0, values[0], "value"
    if anchors and not row and not siblings:
        return 2, 0.0, anchors[0], "label"
    return None


def find_region(pages: list[PageWords], *, page: int | None, locator: str, value: str | None,
                label: str | None, siblings: list[str] | None = None) -> Region | None:
    """The region of a value on its document's pages, or None when nothing matches.

    ``page`` is the page the locator names (then searched alone); a ``field NAME`` in the
    locator is that form field's widget; ``siblings`` are the other values read from the
    same place (a table row), to tell which row a "Yes" or a repeated date is on."""
    if not pages:
        return None
    named = _FIELD_IN_LOCATOR.search(locator or "")
    if named and page and 1 <= page <= len(pages):
        widget = pages[page - 1].fields.get(named.group(1))
        if widget is not None:
            return Region(page, widget.padded(), "field")
    # A page the locator names is trusted: another page's match is more likely a namesake.
    order = [page] if page and 1 <= page <= len(pages) else range(1, len(pages) + 1)
    best: tuple[int, float, int, Box, str] | None = None
    for number in order:
        found = _on_page(pages[number - 1], value or "", label or "", siblings or [])
        if found is not None and (best is None or found[:2] < best[:2]):
            best = (found[0], found[1], number, found[2], found[3])
    return None if best is None else Region(best[2], best[3].padded(), best[4])
