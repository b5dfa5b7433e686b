"""Cells that hold a label and its answer together: the label printed above the value.

Part of the layout rules of :mod:`parsers.layout.table`. Many house styles draw one box per field
with a bold caption on top and the answer under it ("DfE number" / "938/4905"), several
boxes to a row and no column of labels at all. Read as label | value pairs, such a row pairs
one box with the next ("School name Kestrel Vale" => "DfE number 938/4905"), so a row made
of such boxes is read box by box instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parsers.layout.blocks import ReaderShape
from parsers.layout.rows import is_sentence
from parsers.layout.text import clean_label, looks_like_data, options_from_text

if TYPE_CHECKING:
    from parsers.layout.cell import Cell

_MAX_LABEL = 80


class StackedRules(ReaderShape):
    """Mixin for the table reader: boxes whose first line labels the lines under it."""

    def stacked(self, cell: Cell) -> tuple[str, str, bool] | None:
        """(label, value, strong) when the cell's first line is a label over its answer.

        ``strong`` when the form itself says so (the first line is bold over regular text,
        or it repeats the name of the content control under it); otherwise the first line
        must be a known label and no line under it may read as one.
        """
        if cell.options:
            return None
        lines = [line.strip() for line in cell.text.splitlines() if line.strip()]
        if len(lines) < 2:
            return None
        first, rest = lines[0], lines[1:]
        label = clean_label(first)
        if not label or len(first) > _MAX_LABEL or is_sentence(first) or looks_like_data(first):
            return None
        if options_from_text(first)[1] or all(_aside(line) for line in rest):
            return None
        hint = clean_label(cell.hint or "").casefold()
        if cell.label_line or (hint and hint == label.casefold()):
            return first, "\n".join(rest), True
        if not self.known_label(label):
            return None
        if any(self.known_label(clean_label(line)) for line in rest):
            return None
        return first, "\n".join(rest), False

    def read_stacked_row(self, row: list[Cell], index: int) -> bool:
        """A row of boxes, each a label over its answer (a box left blank shows only its
        label): one entry per box. Needs the form's own mark on some box, or a box of
        that kind first in the row, so that [label | answer] rows keep their reading."""
        filled = [cell for cell in row if cell.text.strip() or cell.options]
        if len(filled) < 2:
            return False
        parts = [self.stacked(cell) for cell in filled]
        found = [part for part in parts if part is not None]
        if not found or not (parts[0] is not None or any(part[2] for part in found)):
            return False
        for cell, part in zip(filled, parts, strict=True):
            if part is None and not self.bare_label(cell):
                return False
        for cell, part in zip(filled, parts, strict=True):
            if part is None:
                self.add(cell.text, "", index)
            else:
                self.add(part[0], part[1], index)
        self.question = None
        return True

    def bare_label(self, cell: Cell) -> bool:
        """A box showing only its caption: the answer was left blank."""
        text = cell.text.strip()
        return "\n" not in text and not cell.options and self.labelish(cell)


def _aside(line: str) -> bool:
    """A printed note under a caption ("(include postcode)"), not an answer."""
    return line.startswith("(") and line.endswith(")")
