"""Rows with one filled cell: headings, a label over its value, lone lines and options.

Part of the layout rules of :mod:`parsers.layout.table`. The same rules read running paragraphs
(each paragraph is a one-cell row), where "Label:" is followed by its value paragraph(s).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from parsers.layout.blocks import ReaderShape
from parsers.layout.text import (
    clean_label,
    clean_value,
    label_value_lines,
    looks_like_data,
    mark_state,
    section_heading,
)

if TYPE_CHECKING:
    from parsers.layout.cell import Cell


class SingleCellRules(ReaderShape):
    """Mixin for the table reader: what a row with a single filled cell means."""

    continued_at: int = -1
    caption: str | None = None

    def read_single(self, rows: list[list[Cell]], index: int, cell: Cell) -> int:
        """A row with one filled cell: heading, label over its value, lines, or options."""
        if self.item_detail(cell, index) or (cell.options and self.checklist_item(cell, index)):
            return 1
        text = cell.text.strip()
        below = self.value_below(rows, index)
        heading = not cell.options and self.heading_cell(rows[index], cell, below)
        if heading and _options_follow(rows, index) and not section_heading(text, strict=True):
            self.question = clean_label(text)
            return 1
        if heading:
            self.section = text
        if below is not None and not cell.options and (heading or self.label_over(cell, below)):
            self.question = None
            used = 2
            while self.paragraph_mode and self.value_below(rows, index + used - 1) is not None:
                extra = rows[index + used][0].text.strip()
                below = type(below)(f"{below.text.strip()}\n{extra}", hint=below.hint)
                used += 1
            self.value_cell(below, text, index + 1)
            return used
        if heading:
            self.question = clean_label(text)
            return 1
        if cell.options:
            self.options_cell(cell, "", index)
            return 1
        stacked = self.stacked(cell)
        if stacked is not None and stacked[2]:  # a bold caption over its answer, one box
            self.question = None
            self.add(stacked[0], stacked[1], index)
            return 1
        if len(rows[index]) > 1 and (self.labelish(cell) or self.blank_label(rows[index], cell)):
            if _asks_for_choice(text):
                self.question = clean_label(text)
            self.add(text, "", index)
            if rows[index][0] is cell:
                self.tick_rows[index] = ("blank", len(self.entries) - 1)
            return 1
        if self.labelish(cell) and _asks_for_choice(text) and not _answered(text):
            self.question = clean_label(text)
            nxt = rows[index + 1] if index + 1 < len(rows) else []
            if text.endswith(":") and not any(c.options for c in nxt):
                self.add(text, "", index)
            return 1
        self.question = None
        if self.paragraph_mode and self.continues_previous(index, cell):
            return 1
        self.value_cell(cell, self.captioned(index, cell), index)
        return 1

    def captioned(self, index: int, cell: Cell) -> str:
        """The heading above the table, for free text opening it in a box of its own."""
        text = cell.text.strip()
        if index or not self.caption or cell.options or self.labelish(cell):
            return ""
        if self.stacked(cell) is not None:
            return ""
        return self.caption if len(text) > 60 or text.endswith((".", "!")) else ""

    def continues_previous(self, index: int, cell: Cell) -> bool:
        """An unlabelled paragraph right after "Address: 1 Example Road" carries on that value
        (the next address line, the next paragraph of free text)."""
        text = cell.text.strip()
        if not self.entries or index == 0 or cell.hint or label_value_lines(text, self.known_label):
            return False
        last = self.entries[-1]
        after = last.locator == self.at(index - 1) or self.continued_at == index - 1
        if not after or not last.label or last.checked is not None or not last.value:
            return False
        if len(last.value) <= 40 and looks_like_data(last.value):
            return False
        self.entries[-1] = replace(last, value=f"{last.value}\n{text}")
        self.continued_at = index
        return True

    def blank_label(self, row: list[Cell], cell: Cell) -> bool:
        """A short first cell beside empty cells: a printed label whose answer is blank."""
        text = cell.text.strip()
        return (
            row[0] is cell
            and not cell.hint
            and len(text) <= 150
            and "\n" not in text
            and not looks_like_data(text)
        )

    def heading_cell(self, row: list[Cell], cell: Cell, below: Cell | None) -> bool:
        text = cell.text.strip()
        whole_row = len(row) == 1 or cell.span > 1
        if section_heading(text, strict=not whole_row) and (
            whole_row or not self.known_label(clean_label(text))
        ):
            return True
        if whole_row and cell.bold and _NUMBERED.match(text) and len(text) <= 120:
            return "\n" not in text  # "6. What has the family told you?" starts a section
        return (
            whole_row
            and cell.bold
            and below is None
            and len(text) <= 60
            and "\n" not in text
            and not text.endswith((":", "?"))
        )

    def label_over(self, cell: Cell, below: Cell) -> bool:
        """Whether a lone cell labels the free text in the row below it."""
        text = cell.text.strip()
        lines = label_value_lines(text, self.known_label)
        if cell.hint or any(value for _, value in lines) or len(lines) > 1 or len(text) > 150:
            return False
        if self.unmarked_pairs(text) or self.unmarked_pairs(below.text.strip()):
            return False
        if self.stacked(cell) is not None:
            return False
        if self.labelish(cell):
            return True
        long_below = len(below.text.strip()) > 60 or "\n" in below.text.strip()
        return long_below and len(text.split()) <= 12 and not text.endswith(".")

    def value_below(self, rows: list[list[Cell]], index: int) -> Cell | None:
        """The next row's free-text value, if that row holds just one unlabelled cell."""
        if index + 1 >= len(rows):
            return None
        nxt = rows[index + 1]
        filled = [cell for cell in nxt if cell.text.strip() or cell.options]
        if len(filled) != 1:
            return None
        cell = filled[0]
        text = cell.text.strip()
        if cell.options or section_heading(text, strict=True):
            return None
        asked = any(c.text.strip().endswith(":") for c in rows[index])
        strong = text.endswith((":", "?")) or "*" in text or cell.bold
        if self.labelish(cell) and (strong or not asked):
            return None
        if label_value_lines(text, self.known_label) and not self.paragraph_mode:
            return None
        if self.paragraph_mode and (label_value_lines(text) or cell.bold):
            if not (_prompt(rows[index]) and _prose(text)) or cell.bold:
                return None
        if len(nxt) > 1 and nxt[0] is cell and cell.span == 1 and not cell.continued:
            return None
        if len(nxt) == 1 or cell.span > 1 or len(text) > 60 or "\n" in text:
            return cell
        return cell if text.endswith((".", "!")) else None


def _prompt(row: list[Cell]) -> bool:
    """A long request ending in a colon ("Please record any safeguarding concerns, ...:"):
    the paragraph under it is the answer, even if the answer has a colon of its own."""
    text = " ".join(cell.text.strip() for cell in row)
    return text.endswith(":") and len(text.split()) >= 6


def _prose(text: str) -> bool:
    """One written sentence or more: "Early Help involvement for neglect: poor hygiene."."""
    return "\n" not in text and text.endswith((".", "!")) and len(text.split()) >= 6


_NUMBERED = re.compile(r"^\s*(?:\d{1,2}|[A-H])[.)]\s+[A-Z]")


def _asks_for_choice(text: str) -> bool:
    lowered = text.lower()
    return text.endswith(("?", ":")) or any(
        phrase in lowered for phrase in ("tick", "indicate", "delete as appropriate", "select")
    )


def _answered(text: str) -> bool:
    """ "Letters held: NO (delete as appropriate)": the other option was deleted, and what
    is left after the colon is the answer, not a question still to be answered."""
    pairs = label_value_lines(text)
    return len(pairs) == 1 and bool(clean_value(pairs[0][1]))


def _options_follow(rows: list[list[Cell]], index: int) -> bool:
    """Whether the rows under a one-cell row are [option | ✓/☐/X/empty] rows, so that row
    is the question they answer rather than a section heading."""
    for row in rows[index + 1 : index + 8]:
        filled = [cell for cell in row if cell.text.strip() or cell.options]
        if len(row) < 2 or not filled or len(filled) > 2 or row[0] is not filled[0]:
            return False
        if len(filled) == 2:
            box = filled[1]
            lone = len(box.options) == 1 and not box.options[0][0]
            return lone or mark_state(box.text, words=False) is not None
    return False
