"""Tables with a column per person: [ | Parent/carer 1 | Parent/carer 2] over
[Name | Ann | Ben], [Telephone | 07... | 07...] rows.

Part of the layout rules of :mod:`parsers.layout.table`. Each person's column is read top
to bottom as label | value pairs, one person after the other, so the mapper sees a whole
person (name, relationship, phone ...) before the next one starts; read across, the second
parent's values had no label and were lost.
"""

from __future__ import annotations

import re

from parsers.layout.blocks import ReaderShape
from parsers.layout.cell import Cell
from parsers.layout.text import looks_like_data

_PERSON_HEAD = re.compile(
    r"(?i)\b(parents?|carers?|guardians?|mother|father|mum|dad|adults?|persons?|"
    r"step-?parent|grand(?:mother|father|parent)|relative|contact)\b|\b\d\b\s*$")
_CORNER = re.compile(r"(?i)^(details?|questions?|fields?|information|person|)\s*:?$")


class ColumnRules(ReaderShape):
    """Mixin for the table reader: a column per person."""

    def try_person_columns(self, rows: list[list[Cell]], index: int) -> int:
        header = rows[index]
        if not _person_header(header):
            return 0
        body: list[int] = []
        for pos in range(index + 1, len(rows)):
            row = rows[pos]
            if len(row) != len(header) or not self._person_row(row):
                break
            body.append(pos)
        if len(body) < 2:
            return 0
        for column in range(1, len(header)):
            for pos in body:
                row = rows[pos]
                if row[column].text.strip() or row[column].options:
                    self.pair(row[0], row[column], pos)
        return 1 + len(body)

    def _person_row(self, row: list[Cell]) -> bool:
        """[label | value | value]: a printed label, answers that are not labels."""
        if not row[0].text.strip() or row[0].options or not self.labelish(row[0]):
            return False
        return not any(_asks_like(cell) for cell in row[1:])


def _person_header(header: list[Cell]) -> bool:
    if len(header) < 3 or not _CORNER.match(header[0].text.strip()) or header[0].options:
        return False
    heads = [cell.text.strip() for cell in header[1:]]
    return all(heads) and len(set(heads)) == len(heads) and all(
        len(head) <= 40 and _PERSON_HEAD.search(head) and not looks_like_data(head)
        for head in heads) and not any(cell.options for cell in header[1:])


def _asks_like(cell: Cell) -> bool:
    """An answer cell printed as a prompt ("Name:") is a label, not an answer."""
    return cell.text.strip().rstrip(" *").endswith((":", "?"))
