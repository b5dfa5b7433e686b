"""Checklist lines on a PDF page: a box, the item, and its details beside and under it.

The PDF side of :mod:`parsers.layout.checklist`: "[X] Home visit      Date: ___ 3/9/26" with
"Outcome: ..." set in under it. The box answers the checklist's question; the details get
labels naming the item ("Home visit - Date"), so that each item keeps its own date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parsers.layout.text import clean_label, clean_value
from parsers.pdf.draft import Draft
from parsers.pdf.geometry import LineOptions, Token, segments

_PAIR = re.compile(r"^(?P<label>[^:\d][^:]{0,40}?)\s*[:：]\s*(?P<value>.*)$")


@dataclass
class Item:
    """The checklist item last read, and where its line was."""

    caption: str
    x0: float
    bottom: float
    size: float
    labels: set[str] = field(default_factory=set)


class ChecklistLines:
    """Mixin for the line reader: checklist items and the detail lines that follow them."""

    item: Item | None = None

    if TYPE_CHECKING:

        def add(self, label: str, value: str, where: str, line: list[Token],
                **extra: object) -> Draft: ...

    def checklist_item(self, live: list[Token], parsed: LineOptions, question: str,
                       where: str) -> bool:
        """A line starting with its one box, its text after a column gap all "Label: value":
        the option, then the details. A box and caption alone are remembered as the item
        (its details may follow on lines of their own); False unless the line was read."""

        if live[0].tick is None or len(parsed.options) != 1 or not parsed.options[0][0]:
            self.item = None
            return False
        details = [_PAIR.match(_text(part)) for part in segments(parsed.rest)]
        caption, checked = parsed.options[0]
        size = max(tok.size for tok in live)
        labels = set(self.item.labels) if self.item and self.near(live) else set()
        if not details or not all(details):
            self.item = None if details else Item(caption, live[0].x0, live[-1].bottom, size,
                                                  labels)
            return False
        self.add(question, caption, where, live, checked=checked)
        self.item = Item(caption, live[0].x0, live[-1].bottom, size, labels)
        for match in details:
            if match is not None:
                self.detail(match["label"], match["value"], where, live)
        return True

    def item_detail(self, live: list[Token], where: str) -> bool:
        """A "Label: value" line right under an item: set in from the item's box, or a
        label an earlier item of the list had ("Outcome:" under each one)."""
        item = self.item
        if item is None or not self.near(live):
            return False
        match = _PAIR.match(_text(live))
        if match is None:
            return False
        indented = live[0].x0 > item.x0 + 0.5 * item.size
        if not indented and clean_label(match["label"]).casefold() not in item.labels:
            return False
        self.detail(match["label"], match["value"], where, live)
        return True

    def near(self, live: list[Token]) -> bool:
        item = self.item
        return item is not None and live[0].top - item.bottom < 2.0 * item.size

    def detail(self, label: str, value: str, where: str, live: list[Token]) -> None:
        assert self.item is not None
        name = clean_label(label)
        self.add(f"{self.item.caption} - {name}", clean_value(value), where, live)
        self.item.labels.add(name.casefold())
        self.item.bottom = live[-1].bottom


def _text(tokens: list[Token]) -> str:
    return " ".join(tok.shown() for tok in tokens).strip()
