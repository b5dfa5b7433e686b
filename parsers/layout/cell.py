"""One table cell as a reader saw it: what every reader hands the layout rules.

Its own module so that the rule modules and :mod:`parsers.layout.table` share it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """One table cell as a reader saw it.

    ``options`` are the tick-box options in the cell, in order, as (option text, checked);
    ``hint`` a name the format attaches to the value (content-control tag, form-field name);
    ``bold`` marks a label-ish cell (bold text or shading); ``span`` how many grid columns
    the cell covers, when the reader knows (a full-width row is a heading or a free-text row);
    ``continued`` marks a cell merged down from the row above (its text repeated), so a label
    spanning several rows gathers their values into one entry. ``label_line`` says the
    cell's first line is set apart from the rest (bold over regular text): a label printed
    above its value inside the one box. ``indent`` marks a paragraph set in from the margin
    (a detail line under a checklist item).
    """

    text: str
    options: tuple[tuple[str, bool | None], ...] = ()
    hint: str | None = None
    bold: bool = False
    span: int = 1
    continued: bool = False
    label_line: bool = False
    indent: bool = False
