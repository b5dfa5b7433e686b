"""The strokes of a PDF page: ruled tables, tick-box squares and struck-out words.

Form tables (Word tables saved as PDF, tables drawn by form designers) are plain ruled
grids, so the cells come straight from the rulings pdfplumber has already parsed
(``page.lines``, ``page.rects``): a fraction of the cost of ``page.find_tables()``, and no
text is needed to find the columns. The same strokes give drawn tick boxes and the rules
through "delete as appropriate" options.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from parsers.pdf_geometry import Token

_MARKS_IN_BOX = frozenset({"x", "X", "✓", "✔", "✗", "✘", "/", "•", "●", "■", "v", "V"})
_BOX_MIN, _BOX_MAX = 5.0, 16.0
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


@dataclass
class Strokes:
    """A page's ruling segments, small square boxes and diagonal marks."""

    horizontal: list[tuple[float, float, float]] = field(default_factory=list)  # y, x0, x1
    vertical: list[tuple[float, float, float]] = field(default_factory=list)  # x, top, bottom
    boxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    marks: list[tuple[float, float, float, float]] = field(default_factory=list)
    shaded: list[tuple[float, float, float, float]] = field(default_factory=list)


def page_strokes(lines: list[dict[str, Any]], rects: list[dict[str, Any]],
                 curves: list[dict[str, Any]]) -> Strokes:
    """Sort the page's drawn objects into rulings, tick-box squares and marks inside boxes."""
    strokes = Strokes()
    for obj in lines:
        x0, x1, top, bottom = obj["x0"], obj["x1"], obj["top"], obj["bottom"]
        if bottom - top <= 1.5 and x1 - x0 >= 3:
            strokes.horizontal.append(((top + bottom) / 2, x0, x1))
        elif x1 - x0 <= 1.5 and bottom - top >= 3:
            strokes.vertical.append(((x0 + x1) / 2, top, bottom))
        else:
            strokes.marks.append((x0, top, x1, bottom))
    for obj in rects:
        _add_rect(strokes, obj)
    for obj in curves:
        strokes.marks.append((obj["x0"], obj["top"], obj["x1"], obj["bottom"]))
    return strokes


def _add_rect(strokes: Strokes, obj: dict[str, Any]) -> None:
    x0, x1, top, bottom = obj["x0"], obj["x1"], obj["top"], obj["bottom"]
    width, height = x1 - x0, bottom - top
    if height <= 2.5 and width > 3:
        strokes.horizontal.append(((top + bottom) / 2, x0, x1))
    elif width <= 2.5 and height > 3:
        strokes.vertical.append(((x0 + x1) / 2, top, bottom))
    elif is_box(x0, top, x1, bottom):
        strokes.boxes.append((x0, top, x1, bottom))
        if obj.get("fill") and _dark(obj.get("non_stroking_color")) and not obj.get("stroke"):
            strokes.marks.append((x0 + 1, top + 1, x1 - 1, bottom - 1))
    elif width > 3 and height > 3:
        if obj.get("stroke") or not obj.get("fill"):
            strokes.horizontal += [(top, x0, x1), (bottom, x0, x1)]
            strokes.vertical += [(x0, top, bottom), (x1, top, bottom)]
        if obj.get("fill") and not _white(obj.get("non_stroking_color")):
            strokes.shaded.append((x0, top, x1, bottom))


def is_box(x0: float, top: float, x1: float, bottom: float) -> bool:
    width, height = x1 - x0, bottom - top
    return _BOX_MIN <= width <= _BOX_MAX and _BOX_MIN <= height <= _BOX_MAX and abs(
        width - height
    ) <= 2.5


def _white(color: Any) -> bool:
    values = color if isinstance(color, (tuple, list)) else (color,)
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return True
    if len(numbers) == 4:
        return all(v <= 0.05 for v in numbers)
    return all(v >= 0.95 for v in numbers)


def _dark(color: Any) -> bool:
    values = color if isinstance(color, (tuple, list)) else (color,)
    try:
        numbers = [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    if len(numbers) == 4:
        return numbers[3] >= 0.5 or sum(numbers[:3]) >= 1.5
    return bool(numbers) and max(numbers) <= 0.5


def box_tokens(strokes: Strokes, tokens: list[Token]) -> list[Token]:
    """Each small drawn square becomes a tick token; an X, tick or mark inside checks it.

    Returns the tokens with each box added and each mark that was inside a box removed, so
    the mark is not read again as text.
    """
    found: list[Token] = []
    used: set[int] = set()
    seen: list[tuple[float, float, float, float]] = []
    for box in strokes.boxes:
        if any(abs(box[0] - s[0]) < 1 and abs(box[1] - s[1]) < 1 for s in seen):
            continue
        seen.append(box)
        if any(tok.tick is not None and _inside(tok.mid_x, tok.mid_y, box) for tok in tokens):
            continue
        x0, top, x1, bottom = box
        checked = False
        for tok in tokens:
            if tok.tick is None and tok.text in _MARKS_IN_BOX and _inside(tok.mid_x, tok.mid_y, box):
                used.add(id(tok))
                checked = True
        if any(_within(mark, box) for mark in strokes.marks):
            checked = True
        size = max(bottom - top, 8.0)
        found.append(Token("", x0, x1, top, bottom, size=size, tick=checked))
    return [tok for tok in tokens if id(tok) not in used] + found


def _inside(x: float, y: float, box: tuple[float, float, float, float]) -> bool:
    return box[0] - 1 <= x <= box[2] + 1 and box[1] - 1 <= y <= box[3] + 1


def _within(inner: tuple[float, float, float, float], box: tuple[float, ...]) -> bool:
    return (inner[0] >= box[0] - 1.5 and inner[2] <= box[2] + 1.5 and inner[1] >= box[1] - 1.5
            and inner[3] <= box[3] + 1.5 and (inner[2] - inner[0]) + (inner[3] - inner[1]) > 2)


def page_tables(tokens: list[Token], strokes: Strokes) -> list[RuledTable]:
    """Mark struck and highlighted words, then find the ruled tables.

    Strike-through rules are taken out of the rulings first: inside a table cell they would
    otherwise split its row in two.
    """
    strikes = _mark_struck(tokens, strokes.horizontal)
    if strikes:
        strokes.horizontal = [seg for pos, seg in enumerate(strokes.horizontal)
                              if pos not in strikes]
    _mark_highlighted(tokens, strokes.shaded)
    return find_ruled_tables(strokes)


def _mark_struck(tokens: list[Token], horizontal: list[tuple[float, float, float]]) -> set[int]:
    """A short rule through the middle of a word strikes it out ("YES / ~~NO~~")."""
    strikes: set[int] = set()
    if not horizontal or not tokens:
        return strikes
    ordered = sorted(tokens, key=lambda t: t.mid_y)
    mids = [t.mid_y for t in ordered]
    for pos, (y, x0, x1) in enumerate(horizontal):
        if x1 - x0 > 250:
            continue
        for tok in ordered[bisect_left(mids, y - 10) : bisect_right(mids, y + 10)]:
            height = tok.bottom - tok.top
            width = max(tok.x1 - tok.x0, 0.1)
            if tok.tick is None and tok.top + 0.25 * height <= y <= tok.bottom - 0.18 * height and (
                min(x1, tok.x1) - max(x0, tok.x0) >= 0.6 * width
            ):
                tok.struck = True
                strikes.add(pos)
    return strikes


def _mark_highlighted(tokens: list[Token],
                      shaded_rects: list[tuple[float, float, float, float]]) -> None:
    """A coloured patch hugging a word (Word's highlighter) marks it as the chosen option."""
    patches = [r for r in shaded_rects if r[3] - r[1] <= 24]
    for x0, top, x1, bottom in patches:
        for tok in tokens:
            if (tok.tick is None and x0 - 1 <= tok.mid_x <= x1 + 1 and top - 1 <= tok.mid_y
                    <= bottom + 1 and x1 - x0 <= (tok.x1 - tok.x0) + 3 * tok.size
                    and bottom - top <= 2 * (tok.bottom - tok.top)):
                tok.highlighted = True


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
