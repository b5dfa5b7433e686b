"""Ruled tables on a PDF page, read into :class:`parsers.layout.table.Cell` rows.

Form tables (Word tables saved as PDF, tables drawn by form designers) are plain ruled
grids, so the cells come straight from the rulings: a fraction of the cost of pdfplumber's
``page.find_tables()``, and no text is needed to find the columns. Rows between horizontal
rules, cells between the verticals that cross each row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.entries import Entry
from parsers.layout.table import Cell
from parsers.pdf.geometry import Token, group_lines, join_lines, line_options, separator
from parsers.pdf.strokes import Strokes, is_box, mark_strokes

_TOL = 2.5


@dataclass
class Band:
    """One row of a ruled table: its vertical extent and its cells' x-ranges."""

    top: float
    bottom: float
    cells: list[tuple[float, float]]
    tokens: list[list[Token]] = field(default_factory=list)


@dataclass
class RuledTable:
    bands: list[Band]

    @property
    def top(self) -> float:
        return self.bands[0].top

    def contains(self, token: Token) -> bool:
        return self.bands[0].top <= token.mid_y <= self.bands[-1].bottom


def page_tables(tokens: list[Token], strokes: Strokes) -> list[RuledTable]:
    """Mark struck and highlighted words (taking strikes out of the rulings), then find the
    ruled tables."""
    mark_strokes(tokens, strokes)
    return find_ruled_tables(strokes)


def _levels(segments: list[tuple[float, float, float]]) -> list[tuple[float, list[list[float]]]]:
    """Cluster segments at (nearly) one position; join the pieces that touch along it."""
    levels: list[tuple[float, list[list[float]]]] = []
    for pos, start, end in sorted(segments):
        if levels and pos - levels[-1][0] <= _TOL:
            levels[-1][1].append([start, end])
        else:
            levels.append((pos, [[start, end]]))
    joined = []
    for pos, pieces in levels:
        pieces.sort()
        merged = [pieces[0]]
        for start, end in pieces[1:]:
            if start <= merged[-1][1] + 3:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        joined.append((pos, merged))
    return joined


def _meets(level: tuple[float, list[list[float]]], columns: list[tuple[float, list[list[float]]]]
           ) -> bool:
    """Whether a horizontal rule touches or crosses any vertical rule."""
    y, pieces = level
    return any(
        _covers(pieces, x) and any(top - _TOL <= y <= bottom + _TOL for top, bottom in spans)
        for x, spans in columns
    )


def _covers(pieces: list[list[float]], x: float) -> bool:
    return any(start - _TOL <= x <= end + _TOL for start, end in pieces)


def find_ruled_tables(strokes: Strokes) -> list[RuledTable]:
    """Tables drawn with ruling lines: rows between horizontal rules, cells between verticals.

    A horizontal rule that meets no vertical (an underline, a strike-through the words did
    not give away) divides no row. A vertical counts for a row when it spans the row and
    touches the rule above or below it (so a frame around the page adds no margin cells). A
    lone cell is a box around one value and is left to the line reader; a small lone square
    is a tick box.
    """
    columns = _levels(strokes.vertical)
    rows = [level for level in _levels(strokes.horizontal) if _meets(level, columns)]
    tables: list[RuledTable] = []
    current: list[Band] = []
    for (top, above), (bottom, below) in zip(rows, rows[1:], strict=False):
        if bottom - top < 4:
            continue
        xs = [
            x for x, pieces in columns
            if any(s <= top + _TOL and e >= bottom - _TOL for s, e in pieces)
            and (_covers(above, x) or _covers(below, x))
        ]
        cells = [
            (a, b) for a, b in zip(xs, xs[1:], strict=False)
            if b - a > 3 and (_covers(above, (a + b) / 2) or _covers(below, (a + b) / 2))
        ]
        if cells and current and abs(current[-1].bottom - top) <= _TOL:
            current.append(Band(top, bottom, cells))
            continue
        _close_table(current, tables, strokes)
        current = [Band(top, bottom, cells)] if cells else []
    _close_table(current, tables, strokes)
    return tables


def _close_table(bands: list[Band], tables: list[RuledTable], strokes: Strokes) -> None:
    if not bands:
        return
    cells = [cell for band in bands for cell in band.cells]
    if len(cells) == 1:
        (x0, x1), band = cells[0], bands[0]
        if is_box(x0, band.top, x1, band.bottom):
            strokes.boxes.append((x0, band.top, x1, band.bottom))
        return
    if len(bands) == 1 and any(a[1] != b[0] for a, b in zip(cells, cells[1:], strict=False)):
        return
    tables.append(RuledTable(list(bands)))


def fill_tables(tables: list[RuledTable], tokens: list[Token]) -> list[Token]:
    """Put each token into the table cell under its centre; return the tokens left over."""
    for table in tables:
        for band in table.bands:
            band.tokens = [[] for _ in band.cells]
    rest: list[Token] = []
    for tok in tokens:
        if not _place(tables, tok):
            rest.append(tok)
    return rest


def in_table(tables: list[RuledTable], x: float, y: float) -> bool:
    """Whether a point lies in a cell of one of the tables."""
    return any(
        band.top <= y <= band.bottom and any(x0 <= x <= x1 for x0, x1 in band.cells)
        for table in tables for band in table.bands
    )


def _place(tables: list[RuledTable], tok: Token) -> bool:
    for table in tables:
        if not table.contains(tok):
            continue
        for band in table.bands:
            if band.top <= tok.mid_y <= band.bottom:
                for pos, (x0, x1) in enumerate(band.cells):
                    if x0 <= tok.mid_x <= x1:
                        band.tokens[pos].append(tok)
                        return True
    return False


def column_spans(table: RuledTable) -> list[list[int]]:
    """Per row, how many of the table's grid columns each cell covers."""
    edges = {round(x, 0) for band in table.bands for a, b in band.cells for x in (a, b)}
    return [
        [1 + sum(1 for x in edges if a + _TOL < x < b - _TOL) for a, b in band.cells]
        for band in table.bands
    ]


def shaded(strokes: Strokes, top: float, bottom: float, cell: tuple[float, float]) -> bool:
    """Whether a filled (non-white) rectangle lies behind the cell: a label cell in Word."""
    return any(
        abs(s[0] - cell[0]) <= 3 and abs(s[2] - cell[1]) <= 3 and s[1] <= top + 3
        and s[3] >= bottom - 3
        for s in strokes.shaded
    )


def table_rows(table: RuledTable, strokes: Strokes) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for band, spans in zip(table.bands, column_spans(table), strict=True):
        row = []
        for cell, cell_tokens, span in zip(band.cells, band.tokens, spans, strict=True):
            bold = shaded(strokes, band.top, band.bottom, cell)
            row.append(_cell(cell_tokens, cell, bold, span))
        rows.append(row)
    return rows


def row_fields(table: RuledTable) -> list[list[tuple[str, str]]]:
    """Per row, the form fields (name, shown value) whose widgets sit in its cells."""
    return [
        [(tok.field, tok.text) for cell in band.tokens for tok in cell if tok.field]
        for band in table.bands
    ]


def _cell(tokens: list[Token], bounds: tuple[float, float], shaded_cell: bool,
          span: int) -> Cell:
    """A table cell: its text (soft wraps joined, tick glyphs kept), tick options (a caption
    that wraps onto the next line included) and whether it reads as a label (bold, shaded)."""
    live = [tok for tok in tokens if not tok.consumed]
    lines = group_lines(live)
    right = _usable_right(live, bounds)
    options: list[tuple[str, bool | None]] = []
    wrapping = False
    for pos, line in enumerate(lines):
        parsed = line_options(line)
        if parsed is not None:
            options.extend(parsed.options)
            wrapping = not parsed.rest
        elif wrapping and options and separator(lines[pos - 1], line, right) == " ":
            caption, checked = options[-1]
            options[-1] = (f"{caption} {' '.join(tok.text for tok in line)}".strip(), checked)
        else:
            wrapping = False
    words = [tok for tok in live if tok.tick is None]
    bold = shaded_cell or (bool(words) and all(tok.bold for tok in words))
    hint = next((tok.field for tok in live if tok.field), None)
    return Cell(join_lines(lines, right), tuple(options), hint, bold, span,
                label_line=_label_line(lines))


def _label_line(lines: list[list[Token]]) -> bool:
    """A bold first line over regular lines: the box's caption above its answer."""
    words = [[tok for tok in line if tok.tick is None] for line in lines]
    words = [line for line in words if line]
    return (len(words) > 1 and all(tok.bold for tok in words[0])
            and not any(tok.bold for line in words[1:] for tok in line))


def _usable_right(tokens: list[Token], bounds: tuple[float, float]) -> float:
    """The cell's right edge less its padding (taken to match the left padding)."""
    if not tokens:
        return bounds[1]
    padding = min(max(min(tok.x0 for tok in tokens) - bounds[0], 1.0), 8.0)
    return bounds[1] - padding


def name_fields(entry: Entry, where: str, fields: list[list[tuple[str, str]]]) -> Entry:
    """Add the form field's name to the locator of an entry read from a field in a table."""
    match = re.fullmatch(re.escape(where) + r", row (\d+)", entry.locator)
    row = fields[int(match[1]) - 1] if match and int(match[1]) <= len(fields) else []
    names = [name for name, value in row if value and value == entry.value] or (
        [row[0][0]] if len(row) == 1 else [])
    if not names:
        return entry
    return Entry(entry.label, entry.value, f"{entry.locator}, field {names[0]}", entry.section,
                 entry.checked, entry.confidence)


@dataclass
class HeldTable:
    """A table that ends its page, kept until the next page shows whether it carries on."""

    rows: list[list[Cell]]
    fields: list[list[tuple[str, str]]]
    where: str
    edges: list[float]
    caption: str | None = None  # the heading printed right above the table


def column_edges(table: RuledTable, *, last: bool) -> list[float]:
    band = table.bands[-1] if last else table.bands[0]
    return [band.cells[0][0], *(cell[1] for cell in band.cells)]


def same_columns(a: list[float], b: list[float]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= 3 for x, y in zip(a, b, strict=True))


def carry_on(held: HeldTable, rows: list[list[Cell]],
             fields: list[list[tuple[str, str]]]) -> HeldTable:
    """The held table with the next page's part appended; a row that the page break split
    (its remainder starts in lower case or under an empty first cell, in cells that were
    filled above) is joined back together."""
    merged_rows, merged_fields = list(held.rows), list(held.fields)
    if merged_rows and rows and _remainder(merged_rows[-1], rows[0]):
        merged_rows[-1] = [_join_cells(a, b) for a, b in zip(merged_rows[-1], rows[0],
                                                             strict=True)]
        merged_fields[-1] = merged_fields[-1] + fields[0]
        rows, fields = rows[1:], fields[1:]
    return HeldTable(merged_rows + rows, merged_fields + fields, held.where, held.edges,
                     held.caption)


def _remainder(above: list[Cell], below: list[Cell]) -> bool:
    if len(above) != len(below):
        return False
    filled = [bool(cell.text.strip()) for cell in below]
    before = [bool(cell.text.strip()) for cell in above]
    if not any(filled) or any(f and not b for f, b in zip(filled, before, strict=True)):
        return False
    head = below[0].text.strip()
    return not head or head[:1].islower()


def _join_cells(a: Cell, b: Cell) -> Cell:
    text = f"{a.text} {b.text}" if a.text.strip() and b.text.strip() else a.text or b.text
    return Cell(text, a.options + b.options, a.hint or b.hint, a.bold, a.span)
