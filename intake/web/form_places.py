"""The case page's links to the form beside the record: page and highlighted region.

A :class:`FormView` is made per case page. Each value or flag link asks it for a
:class:`Place` (the page its locator names, else the page whose words hold the value, and
the region there when one is found); the place is remembered, so the page images further
down the page get one overlay per place linked to (an SVG rectangle shown by ``:target``
in the stylesheet: no script, and no inline style, which the CSP forbids).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from intake.web.case_layout import (
    AIO,
    ATTENDANCE,
    FAMILY,
    GROUNDS,
    PUPIL,
    ROLL,
    SAFEGUARDING,
    SCHOOL,
    show,
    source_of,
)
from intake.web.form_pages import PageCache, renderable
from intake.web.form_regions import Region, find_region
from intake.web.form_words import PageWords
from parsers.record import get_path

PAGE_WIDTH = 661  # the page images' width in pixels (A4 at 80 dpi)
RENDER_WAIT = 8.0  # seconds the first view of a case waits for its pages to be rendered
_PAGE_IN_LOCATOR = re.compile(r"\bpage (\d+)\b", re.IGNORECASE)
_NOT_ID = re.compile(r"[^a-z0-9]+")
FIELD_LABELS = {path: label for section in (PUPIL, SCHOOL, ATTENDANCE, GROUNDS, FAMILY, ROLL,
                                            SAFEGUARDING, AIO) for path, label in section.fields}


@dataclass(frozen=True)
class Place:
    """Where a link goes: ``anchor`` is the overlay's id when a region was found, else the
    page's; ``alt`` is the overlay's text alternative."""

    document: int
    page: int
    anchor: str
    region: Region | None
    alt: str
    missing: bool = False  # the field's label: nothing was read for it

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return self.region.box.permille() if self.region else (0, 0, 0, 0)


@dataclass
class FormView:
    """Pages and places of one case's rendered documents."""

    cache: PageCache
    documents: list[dict[str, Any]]
    content: Callable[[str], bytes | None] | None = None
    record: dict[str, Any] = field(default_factory=dict)
    wait: float = RENDER_WAIT
    _rows: dict[tuple[int, str], list[tuple[str, str]]] | None = None
    _words: dict[int, list[PageWords]] = field(default_factory=dict)
    _marks: dict[tuple[int, int], dict[str, Place]] = field(default_factory=dict)

    def shown(self) -> list[int]:
        return [i for i, d in enumerate(self.documents) if renderable(d)]

    def pages(self, index: int) -> int:
        document = self.documents[index]
        cached = self.cache.count(document["sha256"])
        return cached or int(document.get("pages") or 1)

    def height(self, index: int, page: int) -> int:
        """The page image's height in pixels (so a lazy image keeps its place)."""
        words = self.words(index)
        if words and 1 <= page <= len(words) and words[page - 1].width:
            return round(PAGE_WIDTH * words[page - 1].height / words[page - 1].width)
        return 935  # A4

    def words(self, index: int) -> list[PageWords]:
        """The document's word boxes, rendering it first (briefly) when a loader is given."""
        if index not in self._words:
            document = self.documents[index]
            sha256 = document["sha256"]
            words = self.cache.words(sha256)
            if words is None and self.content is not None:
                load = self.content
                self.cache.prepare(sha256, lambda: load(sha256), document.get("media_type") or "",
                                   self.wait)
                words = self.cache.words(sha256)
            self._words[index] = words or []
        return self._words[index]

    def place(self, source: Any, text: str | None, path: str = "",
              label: str | None = None) -> Place | None:
        """The place a value links to, or None when it was not read from a shown page."""
        if not isinstance(source, dict) or source.get("document") is None:
            return None
        index = int(source["document"])
        if not 0 <= index < len(self.documents) or not renderable(self.documents[index]):
            return None
        locator = str(source.get("locator") or "")
        named = _PAGE_IN_LOCATOR.search(locator)
        page = min(int(named.group(1)), self.pages(index)) if named else None
        region = find_region(self.words(index), page=page, locator=locator, value=text,
                             label=source.get("label"), siblings=self._siblings(index, locator, path))
        if region is None:
            return Place(index, page or 1, f"doc-{index}-page-{page or 1}", None, "")
        name = label or _readable(path, source.get("label"))
        anchor = f"doc-{index}-page-{region.page}-at-{_NOT_ID.sub('-', path.lower()).strip('-')}"
        found = Place(index, region.page, anchor, region,
                      f"highlighted: ‘{name}’ on page {region.page}")
        return self._marks.setdefault((index, region.page), {}).setdefault(anchor, found)

    def _siblings(self, index: int, locator: str, path: str) -> list[str]:
        """The other values read from the same table row (one locator serves them all)."""
        if "row" not in locator:
            return []
        if self._rows is None:
            self._rows = {}
            for key, where in (self.record.get("provenance") or {}).items():
                if isinstance(where, dict) and where.get("document") is not None:
                    self._rows.setdefault((int(where["document"]), str(where.get("locator"))),
                                          []).append((key, show(get_path(self.record, key))))
        return [text for key, text in self._rows.get((index, locator), []) if key != path and text]

    def marks(self, index: int, page: int) -> list[Place]:
        """The places linked to on one page so far (the images come after the links)."""
        return list(self._marks.get((index, page), {}).values())

    def page_of(self, source: Any, text: str | None) -> int | None:
        found = self.place(source, text)
        return found.page if found else None

    def flag_place(self, path: str, record: dict[str, Any], label: str | None = None) -> Place | None:
        """The place a flag is about: its field, or the first field read under it
        (``safeguarding.dsl`` → the DSL's name); None when nothing was read."""
        provenance = record.get("provenance") or {}
        key = path if path in provenance else next(
            (k for k in sorted(provenance) if k.startswith(path + ".")), None)
        if key is None:
            return self._where_it_goes(path, label or FIELD_LABELS.get(path))
        return self.place(source_of(record, key), show(get_path(record, key)), key, label)

    def _where_it_goes(self, path: str, label: str | None) -> Place | None:
        """A field nothing was read for (a "missing" flag): its label on the form, so the
        AIO sees the empty box; None when the form has no such label."""
        if not label or len(label) < 3:
            return None
        for index in self.shown():
            region = find_region(self.words(index), page=None, locator="", value=None,
                                 label=label)
            if region is not None:
                anchor = f"doc-{index}-page-{region.page}-at-{_NOT_ID.sub('-', path.lower())}"
                found = Place(index, region.page, anchor.strip("-"), region,
                              f"highlighted: ‘{label}’ (not filled in) on page {region.page}",
                              missing=True)
                return self._marks.setdefault((index, region.page), {}).setdefault(
                    found.anchor, found)
        return None

    def flag_page(self, path: str, record: dict[str, Any]) -> tuple[int, int] | None:
        found = self.flag_place(path, record)
        return None if found is None else (found.document, found.page)


def _readable(path: str, form_label: Any) -> str:
    """A name for the text alternative: the form's label for a single field, the path for
    one of a list ("parents 1 phone": a table's label is its first column's)."""
    parts = path.split(".")
    if form_label and not any(p.isdigit() for p in parts):
        return str(form_label)
    return " ".join(str(int(p) + 1) if p.isdigit() else p.replace("_", " ") for p in parts) \
        or "this value"
