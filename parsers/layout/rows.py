"""Row and cell helpers of the table reader: one row made ready, marks at a cell's ends.

Pure functions over :class:`parsers.layout.cell.Cell` values.
"""

from __future__ import annotations

import re
from dataclasses import replace

from parsers.layout.cell import Cell
from parsers.layout.text import clean_label, mark_state, options_from_text, strip_instructions

_BRACKET_MARK = re.compile(r"\[\s*[xX✓✔]?\s*\]")


def prepare_row(row: list[Cell], merge_duplicates: bool) -> list[Cell]:
    """Fold adjacent repeats of one merged cell; tick marks and short answers stay apart."""
    cells = [with_text_options(cell) for cell in row]
    if not merge_duplicates:
        return cells
    merged: list[Cell] = []
    for cell in cells:
        if merged and cell == merged[-1] and len(cell.text.strip()) > 3 and not cell.options:
            last = merged[-1]
            merged[-1] = replace(last, span=last.span + 1)
            continue
        merged.append(cell)
    return merged


def with_text_options(cell: Cell) -> Cell:
    """Give a cell whose text holds tick glyphs (☐ Yes ☒ No) its options."""
    if cell.options:
        return cell
    _, options = options_from_text(cell.text)
    if not options:
        return cell
    return replace(cell, options=options)


def leading_mark(cell: Cell) -> str:
    """The question written in a cell before its options ("Left the UK? ☐ Yes ☐ No")."""
    leading, _ = options_from_text(cell.text)
    if leading:
        return clean_label(leading)
    first = next((text for text, _ in cell.options if text), "")
    text = cell.text.strip()
    if first and first in text:
        before = _BRACKET_MARK.sub(" ", text[: text.index(first)])
        return clean_label(before.strip(" ☐☒☑✓✔✗✘■□|/"))
    return ""


def trailing_mark(cell: Cell) -> str:
    """Text in an option cell that belongs to no option (e.g. "If other, say: Spain")."""
    rest = cell.text
    for option, _ in cell.options:
        if option:
            rest = rest.replace(option, " ", 1)
    leading = leading_mark(cell)
    if leading:
        rest = rest.replace(leading, " ", 1)
    rest = " ".join(strip_instructions(rest).split()).strip(" ☐☒☑✓✔✗✘■□|/:*-")
    return rest if len(rest) > 1 else ""


def lone_mark(cell: Cell) -> bool | None:
    """The state of a cell that is nothing but one tick box (the caption is beside it)."""
    if len(cell.options) == 1 and not cell.options[0][0]:
        return cell.options[0][1]
    if not cell.options and len(cell.text.strip()) <= 3:
        return mark_state(cell.text, words=False)
    return None


def is_sentence(text: str) -> bool:
    """Written prose ("The school has had no concerns.") rather than a printed label."""
    text = _NUMBERED.sub("", text)  # "19. Name of parent or carer" is a numbered label
    return (text.endswith(".") and len(text.split()) >= 4) or ". " in text


_NUMBERED = re.compile(r"^\s*(?:q\s*)?\d{1,2}(?:\.\d{1,2})*[.)]\s+", re.IGNORECASE)
