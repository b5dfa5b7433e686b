"""Format-independent reading of a form table into label/value entries and grids.

Every reader (DOCX, PDF text, PDF form fields) meets the same table shapes: label | value
rows, label|value|label|value rows, a label row with its value in the row below, tick-box
option cells, Yes/No tick columns, and logs with a header row (Date | Action | Outcome).
The readers turn their own cells into :class:`Cell` values and call
:func:`table_to_entries`, so the layout rules live once and are judged on forms nobody has
seen yet. The rules are split by concern: one-cell rows and running paragraphs in
:mod:`parsers.layout.single`, header-row blocks (Yes/No columns, grids) in
:mod:`parsers.layout.blocks`, and text helpers (ticks, labels, headings) in
:mod:`parsers.layout.text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from parsers.entries import Entry, Grid
from parsers.layout.blocks import BlockRules
from parsers.layout.cell import Cell
from parsers.layout.cells import StackedRules
from parsers.layout.checklist import ChecklistRules, mark_unticked
from parsers.layout.columns import ColumnRules
from parsers.layout.pairs import PairRules
from parsers.layout.rows import (
    is_sentence,
    leading_mark,
    prepare_row,
    with_text_options,
)
from parsers.layout.single import SingleCellRules
from parsers.layout.text import (
    clean_label,
    clean_value,
    looks_like_data,
    mark_state,
    options_from_text,
    section_heading,
)

__all__ = [
    "Cell",
    "clean_label",
    "options_from_text",
    "paragraphs_to_entries",
    "section_heading",
    "table_to_entries",
]

KnownLabel = Callable[[str], bool]
_BRACKET_MARK = re.compile(r"\[\s*[xX✓✔]?\s*\]")
_YES_NO_HEADING = re.compile(r"(?i)(yes|y)\s*/\s*(no|n)(\s*/\s*(n/?a|unknown))?")


def table_to_entries(
    rows: list[list[Cell]],
    *,
    locator: str,
    section: str | None,
    known_label: KnownLabel,
    merge_duplicates: bool = True,
    row_sections: list[str | None] | None = None,
    caption: str | None = None,
) -> tuple[list[Entry], list[Grid], str | None]:
    """Read one table: entries, grids and the last section heading seen in it.

    ``locator`` names the table ("table 2"); entries get ", row N" (1-based) appended.
    ``merge_duplicates`` folds a cell repeated at each grid position of a horizontal merge
    (python-docx, pdfplumber); a reader that already yields one cell per merge passes False.
    ``row_sections``, when given, receives the section in force at each row (for tables
    nested in a row). ``caption`` is a heading printed right above the table: a table that
    opens with one unlabelled box of free text is that heading's answer ("What the family
    have said" over a box the school wrote in).
    """
    reader = _TableReader(locator=locator, section=section, known_label=known_label)
    reader.caption = caption
    prepared = [prepare_row(row, merge_duplicates) for row in rows]
    reader.read(prepared)
    if row_sections is not None:
        row_sections.extend(reader.row_sections)
    return reader.entries, reader.grids, reader.section


def paragraphs_to_entries(
    paragraphs: list[Cell],
    *,
    locators: list[str],
    section: str | None,
    known_label: KnownLabel,
) -> tuple[list[Entry], str | None]:
    """Read running paragraphs (outside tables) with the one-cell row rules.

    "Label: value", "Label:" over the value paragraph(s), "Question ☒ Yes ☐ No", bold or
    capitalised headings; ``locators`` names each paragraph ("paragraph 7").
    """
    reader = _TableReader(locator="", section=section, known_label=known_label)
    reader.locators = locators
    reader.paragraph_mode = True
    reader.read([[with_text_options(cell)] for cell in mark_unticked(paragraphs)])
    return reader.entries, reader.section


class _TableReader(SingleCellRules, PairRules, ColumnRules, BlockRules, StackedRules, ChecklistRules):
    """Walks the rows of one table, keeping the current section and the pending question."""

    def __init__(self, *, locator: str, section: str | None, known_label: KnownLabel) -> None:
        self.locator = locator
        self.section = section
        self.known_label = known_label
        self.entries: list[Entry] = []
        self.grids: list[Grid] = []
        self.question: str | None = None
        self.locators: list[str] | None = None
        self.paragraph_mode = False
        self.row_sections: list[str | None] = []
        self.tick_rows: dict[int, tuple[str, int]] = {}
        self.caption: str | None = None

    # -- helpers ---------------------------------------------------------------------------

    def at(self, index: int) -> str:
        if self.locators is not None:
            return self.locators[index]
        return f"{self.locator}, row {index + 1}"

    def add(self, label: str, value: str, index: int, checked: bool | None = None) -> None:
        self.entries.append(
            Entry(
                label=clean_label(label),
                value=clean_value(value),
                locator=self.at(index),
                section=self.section,
                checked=checked,
            )
        )

    def labelish(self, cell: Cell) -> bool:
        """A cell that reads as a printed label rather than something the school wrote."""
        text = cell.text.strip()
        if not text or len(text) > 150 or (cell.options and not leading_mark(cell)):
            return False
        if text.endswith((":", "?")) or "*" in text or cell.bold:
            return True
        if is_sentence(text) or looks_like_data(text):
            return False
        return bool(self.known_label(clean_label(text)))

    # -- walking ---------------------------------------------------------------------------

    def read(self, rows: list[list[Cell]]) -> None:
        index = 0
        while index < len(rows):
            start = self.section
            consumed = self.try_tick_block(rows, index) or self.try_mark_column(rows, index)
            consumed = consumed or self.try_person_columns(rows, index)
            consumed = consumed or self.try_label_row(rows, index)
            consumed = consumed or self.try_grid(rows, index)
            consumed = consumed or self.read_row(rows, index)
            self.row_sections.extend([start] + [self.section] * (consumed - 1))
            index += consumed
        self.untick_blank_options()

    def try_label_row(self, rows: list[list[Cell]], index: int) -> int:
        """[Label: | Label: | Label:] over one row of answers: each label over its answer.

        Taken only when every filled cell of the row is a printed prompt ("Label:" or a
        question), none of the row below is, and the row after that is not a third row of the same shape (then
        the table is a log with a header row, read as a grid).
        """
        if index + 1 >= len(rows):
            return 0
        row, below = rows[index], rows[index + 1]
        labels = [cell for cell in row if cell.text.strip()]
        if len(row) < 2 or len(below) != len(row) or len(labels) < 2:
            return 0
        if not all(self._header_label(cell) for cell in labels):
            return 0
        if not all(_asks(cell) for cell in labels) or any(_asks(cell) for cell in below):
            # Unprompted headers (Name | Date of birth | School) are a grid's, read by
            # column; "Year group: | Year 5" over "Address: | ..." is two label|value rows.
            return 0
        filled = [cell for cell in below if cell.text.strip() or cell.options]
        if not filled or (all(self.labelish(cell) and not cell.bold for cell in filled)
                          and not any(looks_like_data(cell.text) for cell in filled)):
            # A second row of labels: a grid's header, not answers. A short answer that
            # happens to be a label's words ("Mother", "Year 2") does not make it one.
            return 0
        after = rows[index + 2] if index + 2 < len(rows) else None
        if after is not None and len(after) == len(row) and any(c.text.strip() for c in after) \
                and not all(self._header_label(c) for c in after if c.text.strip()):
            return 0
        for label_cell, value_cell in zip(row, below, strict=True):
            if label_cell.text.strip():
                self.pair(label_cell, value_cell, index + 1)
        return 2

    def _header_label(self, cell: Cell) -> bool:
        return self.labelish(cell) and not cell.options

    def label_at(self, row: int) -> str:
        return self.entries[self.tick_rows[row][1]].label

    def untick_blank_options(self) -> None:
        """[option | ✓] rows beside [option | (empty)] rows: the empty ones are unticked
        options of the same question, not labels with a blank answer."""
        rows = sorted(self.tick_rows)
        run: list[int] = []
        for row in rows + [-2]:
            if run and row == run[-1] + 1:
                run.append(row)
                continue
            marks = [r for r in run if self.tick_rows[r][0] == "mark"]
            if marks:
                question = self.entries[self.tick_rows[marks[0]][1]].label
                last = max(
                    [r for r in run if r <= marks[-1] or not self.known_label(self.label_at(r))]
                )
                for r in run:
                    kind, at = self.tick_rows[r]
                    if kind == "blank" and r <= last:
                        blank = self.entries[at]
                        self.entries[at] = replace(
                            blank, label=question, value=blank.label, checked=False
                        )
            run = [row]

    def read_row(self, rows: list[list[Cell]], index: int) -> int:
        """Read one ordinary row; returns how many rows it used (2 when the value is below)."""
        row = rows[index]
        filled = [cell for cell in row if cell.text.strip() or cell.options]
        if not filled:
            return 1
        if len(filled) == 1:
            return self.read_single(rows, index, filled[0])
        if self.read_stacked_row(row, index):
            return 1
        if self.yes_no_heading(rows, index):
            return 1
        if len(row) == 2 or (len(row) % 2 == 0 and self.positional(row)):
            for pos in range(0, len(row) - 1, 2):
                self.pair(row[pos], row[pos + 1], index)
            return 1
        self.read_loose(row, index)
        return 1

    def yes_no_heading(self, rows: list[list[Cell]], index: int) -> bool:
        """[Question | Yes/No] over rows answered in writing: a heading, not an answer."""
        row = rows[index]
        last = row[-1]
        if len(row) < 2 or not _YES_NO_HEADING.fullmatch(last.text.strip()):
            return False
        if any(checked is not None for _, checked in last.options) or index + 1 >= len(rows):
            return False
        below = rows[index + 1]
        return len(below) == len(row) and mark_state(below[-1].text) is not None

    def positional(self, row: list[Cell]) -> bool:
        """label|value|label|value holds unless a value slot reads as a label beside data."""
        for pos in range(1, len(row), 2):
            if self.labelish(row[pos]) and not self.labelish(row[pos - 1]):
                return False
        return True

    def read_loose(self, row: list[Cell], index: int) -> None:
        """Pair each label cell with the value cell after it; keep every other cell."""
        pos = 0
        if len(row) == 3 and self.labelish(row[0]) and self.labelish(row[1]):
            group = clean_label(row[0].text)
            row = [Cell(f"{group} {row[1].text.strip()}", bold=True), row[2]]
        while pos < len(row):
            cell = row[pos]
            nxt = row[pos + 1] if pos + 1 < len(row) else None
            if self.labelish(cell) and nxt is not None and not self.labelish(nxt):
                self.pair(cell, nxt, index)
                pos += 2
                continue
            if self.labelish(cell) and not cell.options:
                self.add(cell.text, "", index)
            elif cell.text.strip() or cell.options:
                self.value_cell(cell, "", index)
            pos += 1


# "Q3", "2.1", "4)", "b)" before words; not a phone number, a date or a house number
# ("0113 496 0402", "24 Aug 2014", "93 Fernbank Road").
_NUMBERED = re.compile(
    r"(?i)^(?:q\s?\d{1,3}|\d{1,2}(?:\.\d{1,2})+[.)]?|\d{1,2}[.)]|[a-h][.)])\s+[a-z(]")


def _asks(cell: Cell) -> bool:
    """A cell printed as a prompt: it ends with ":", "?" or a mandatory "*", or it is
    numbered as a question ("Q3 Contact name", "2.1 Surname", "b) School")."""
    text = cell.text.strip()
    return text.rstrip(" *").endswith((":", "?")) or text.endswith("*") or \
        bool(_NUMBERED.match(text))
