"""Label | value pairs and what one value cell holds (options, "Label: value" lines, text).

Part of the layout rules of :mod:`parsers.layout.table`: once a row is known to pair a label
with a value, these rules decide which entries the value cell gives.
"""

from __future__ import annotations

import re
from dataclasses import replace

from parsers.layout.blocks import ReaderShape
from parsers.layout.cell import Cell
from parsers.layout.rows import is_sentence, leading_mark, lone_mark, trailing_mark
from parsers.layout.text import (
    clean_label,
    clean_value,
    is_placeholder_hint,
    label_value_lines,
    options_from_text,
)


class PairRules(ReaderShape):
    """Mixin for the table reader: a label cell with its value cell."""

    continued_at: int = -1

    def pair(self, label_cell: Cell, value_cell: Cell, index: int) -> None:
        label = label_cell.text.strip()
        if not label and not value_cell.text.strip() and not value_cell.options:
            return
        if label_cell.options and not value_cell.text.strip():
            self.value_cell(label_cell, "", index)
            return
        if not label and label_cell.hint and not is_placeholder_hint(label_cell.hint):
            label = label_cell.hint
        mark = lone_mark(value_cell)
        if label and mark is not None:
            self.add(self.question or "", label, index, checked=mark)
            self.tick_rows[index] = ("mark", len(self.entries) - 1)
            return
        self.question = None
        if label_cell.continued and self.repeats_label(label, value_cell, index):
            return
        self.value_cell(value_cell, label, index)

    def repeats_label(self, label: str, value_cell: Cell, index: int) -> bool:
        """A label merged down over several rows (Address | line 1, | line 2, ...) gives one
        value: each row's text joins the entry of the row above."""
        text = value_cell.text.strip()
        if not self.entries or not text or value_cell.options or index == 0:
            return False
        last = self.entries[-1]
        follows = last.locator == self.at(index - 1) or self.continued_at == index - 1
        if not follows or last.checked is not None or last.label != clean_label(label):
            return False
        joined = f"{last.value}\n{clean_value(text)}" if last.value else clean_value(text)
        self.entries[-1] = replace(last, value=joined)
        self.continued_at = index
        return True

    def value_cell(self, cell: Cell, label: str, index: int) -> None:
        """Emit what one value cell holds: options, "Label: value" lines, or its text."""
        text = cell.text.strip()
        lines = [] if cell.options else label_value_lines(text, self.known_label)
        if lines and (len(lines) > 1 or not label):
            for line_label, line_value in lines:
                self.add(line_label, line_value, index)
            return
        stacked = None if label else self.stacked(cell)
        if stacked is not None:
            self.add(stacked[0], stacked[1], index)
            return
        if not label and not cell.options:
            for pair_label, pair_value in self.unmarked_pairs(text):
                self.add(pair_label, pair_value, index)
            if self.unmarked_pairs(text):
                return
        if not label and cell.hint and not is_placeholder_hint(cell.hint):
            label = cell.hint
        if cell.options:
            self.options_cell(cell, label, index)
            return
        self.add(label, text, index)

    def unmarked_pairs(self, text: str) -> list[tuple[str, str]]:
        """Labels without a colon: "Surname<tab>Smith<tab>Forename<tab>Jo", or a label on
        the first line of a box with the value under it ("Surname" / "Smith")."""
        pieces = [piece.strip() for piece in re.split(r"\t+", text) if piece.strip()]
        if len(pieces) >= 2 and len(pieces) % 2 == 0 and "\n" not in text:
            labels, values = pieces[0::2], pieces[1::2]
            if all(self.known_label(clean_label(x)) for x in labels) and not any(
                self.known_label(clean_label(v)) for v in values
            ):
                return list(zip(labels, values, strict=True))
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) >= 2 and len(lines[0]) <= 60 and not is_sentence(lines[0]):
            rest = lines[1:]
            if self.known_label(clean_label(lines[0])) and not any(
                self.known_label(clean_label(line)) for line in rest
            ):
                return [(lines[0], "\n".join(rest))]
        return []

    def options_cell(self, cell: Cell, label: str, index: int) -> None:
        if self.options_by_line(cell, label, index):
            return
        question = label or leading_mark(cell) or self.question or ""
        for option, checked in cell.options:
            self.add(question, option, index, checked=checked)
        rest = trailing_mark(cell)
        if rest:
            self.add(question, rest, index)

    def options_by_line(self, cell: Cell, label: str, index: int) -> bool:
        """A cell of several "Question ☐ Yes ☒ No" lines: each line answers its own question."""
        lines = [line for line in cell.text.splitlines() if line.strip()]
        if len(lines) < 2:
            return False
        parsed = [options_from_text(line) for line in lines]
        if sum(1 for leading, options in parsed if leading and options) < 2:
            return False
        for line, (leading, options) in zip(lines, parsed, strict=True):
            question = clean_label(leading) or label
            if options:
                for option, checked in options:
                    self.add(question, option, index, checked=checked)
            else:
                self.value_cell(Cell(line), label, index)
        return True

