"""Checklists written as lines: a tick, the item, and its details beside and under it.

Part of the layout rules of :mod:`parsers.layout`. A form laid out in paragraphs lists the
enquiries made as "[x]  Home visit<tab>Date: ______ 3rd Sept 2026", with "Outcome: ..." on
the (indented) line below. The tick answers the checklist's question; the date and outcome
belong to the item, so they are given labels that say so ("Home visit - Date"), which is
how a mapper tells one item's date from the next one's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from parsers.layout_blocks import ReaderShape
from parsers.layout_text import clean_label, label_value_lines, options_from_text

if TYPE_CHECKING:
    from parsers.layout import Cell

_COLUMN_GAP = re.compile(r"\t+| {3,}")
_LEADING_MARK = re.compile(r"^\s*(?:\[\s*[xX✓✔]?\s*\]|[☒☑✓✔✗✘■☐□❑❒▢])")


class ChecklistRules(ReaderShape):
    """Mixin for the table reader: checklist items and the detail lines that follow them."""

    item: str | None = None
    item_row: int = -2
    item_labels: frozenset[str] = frozenset()

    def checklist_item(self, cell: Cell, index: int) -> bool:
        """A line that is one ticked or unticked item, maybe with "Label: value" details
        after a column gap: the option, then one entry per detail named after the item."""
        head, details = item_details(cell.text)
        if not _LEADING_MARK.match(head):
            return False
        _, options = options_from_text(head)
        if len(options) != 1 or not options[0][0]:
            return False
        caption, checked = options[0]
        if self.item_row != index - 1:
            self.item_labels = frozenset()
        self.add(self.question or "", caption, index, checked=bool(checked))
        self.item, self.item_row = caption, index
        for label, value in details:
            self.item_detail_entry(label, value, index)
        return True

    def item_detail(self, cell: Cell, index: int) -> bool:
        """A "Label: value" line right under an item: indented, or a label that an item of
        this checklist already had ("Outcome:" under each one)."""
        if self.item is None or self.item_row != index - 1 or cell.options:
            return False
        pairs = label_value_lines(cell.text)
        if len(pairs) != 1 or "\n" in cell.text.strip():
            return False
        label, value = pairs[0]
        if not (cell.indent or clean_label(label).casefold() in self.item_labels):
            return False
        self.item_detail_entry(label, value, index)
        return True

    def item_detail_entry(self, label: str, value: str, index: int) -> None:
        name = clean_label(label)
        self.add(f"{self.item} - {name}", value, index)
        self.item_labels = self.item_labels | {name.casefold()}
        self.item_row = index


def item_details(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split "[x] Home visit<tab>Date: ___ 3/9/26" into the item and its labelled details.

    The details are the "Label: value" pieces that end the line, each after a column gap.
    """
    pieces = [piece.strip() for piece in _COLUMN_GAP.split(text.strip()) if piece.strip()]
    details: list[tuple[str, str]] = []
    while len(pieces) > 1:
        pairs = label_value_lines(pieces[-1])
        if len(pairs) != 1 or options_from_text(pieces[-1])[1]:
            break
        details.insert(0, pairs[0])
        pieces.pop()
    return " ".join(pieces), details
