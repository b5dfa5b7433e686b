"""Checklists written as lines: a tick, the item, and its details beside and under it.

Part of the layout rules of :mod:`parsers.layout.table`. A form laid out in paragraphs lists the
enquiries made as "[x]  Home visit<tab>Date: ______ 3rd Sept 2026", with "Outcome: ..." on
the (indented) line below. The tick answers the checklist's question; the date and outcome
belong to the item, so they are given labels that say so ("Home visit - Date"), which is
how a mapper tells one item's date from the next one's.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from parsers.layout.blocks import ReaderShape
from parsers.layout.text import clean_label, label_value_lines, options_from_text

if TYPE_CHECKING:
    from parsers.layout.cell import Cell

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


_TICK_ONLY = re.compile(r"^\s*(?:\[\s*[xX✓✔]\s*\]|[☒☑✓✔✗✘■])\s*\S")
_EMPTY_BOX = re.compile(r"\[\s*\]|[☐□❑❒▢]")


def mark_unticked(cells: list[Cell]) -> list[Cell]:
    """Give the unmarked lines of a ticks-only list an empty box of their own.

    Some forms print a list with no boxes and mark only the chosen lines ("✓  Moved house"):
    the other lines of that list are options not chosen. A list is a run of item lines
    (ticked, or plain: not bold, not "Label: value", not prose), with indented detail lines
    allowed between them; anything else ends it. A document that prints empty boxes is left
    as it is, and so is a run with no tick.
    """
    if any(_EMPTY_BOX.search(cell.text) for cell in cells):
        return cells
    out = list(cells)
    run: list[int] = []
    for i, cell in enumerate([*cells, None]):
        if cell is not None and (_TICK_ONLY.match(cell.text) or _item_like(cell)):
            run.append(i)
            continue
        if cell is not None and cell.indent and run:
            continue  # "Outcome: ..." set in under an item
        if any(_TICK_ONLY.match(cells[j].text) for j in run):
            for j in run:
                if not _TICK_ONLY.match(cells[j].text):
                    out[j] = replace(cells[j], text=f"☐  {cells[j].text.strip()}", options=())
        run = []
    return out


def _item_like(cell: Cell) -> bool:
    """A plain line that could be one item of a list ("Moved house, whereabouts unknown")."""
    text = cell.text.strip()
    head = _COLUMN_GAP.split(text, maxsplit=1)[0].strip()
    if not head or cell.bold or cell.indent or cell.options or "\n" in text:
        return False
    if _TICK_ONLY.match(text) or ":" in head or len(head) > 120 or head.endswith("?"):
        return False
    return not (head.endswith(".") and len(head.split()) >= 6)
