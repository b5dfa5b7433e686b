"""Table blocks with a header row: Yes/No tick columns and grids (logs, siblings).

Part of the layout rules of :mod:`parsers.layout.table`, kept apart because deciding whether a
header-like row starts a grid or is just the first label | value row is its own problem:
the answer comes from the header cells *and* the rows below them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from parsers.entries import Entry, Grid
from parsers.layout.text import (
    choice_word,
    clean_label,
    looks_like_data,
    mark_state,
    section_heading,
)

if TYPE_CHECKING:
    from parsers.layout.cell import Cell

_HEADER_WORDS = frozenset(
    "date time action actions taken outcome outcomes response result person contacted name "
    "names dob d.o.b school schools notes comments who whom method type details relationship "
    "year group address visited telephone phone number email by am pm enquiry enquiries "
    "completed agency reason surname forename forenames gender sibling siblings age "
    "spoke speak contact made check checks step steps".split()
)


class ReaderShape:
    """What the layout mixins rely on from the table reader (declared for type checkers)."""

    locator: str
    section: str | None
    question: str | None
    paragraph_mode: bool
    known_label: Callable[[str], bool]
    entries: list[Entry]
    grids: list[Grid]
    tick_rows: dict[int, tuple[str, int]]

    if TYPE_CHECKING:

        def add(self, label: str, value: str, index: int, checked: bool | None = None) -> None: ...

        def labelish(self, cell: Cell) -> bool: ...

        def at(self, index: int) -> str: ...

        def unmarked_pairs(self, text: str) -> list[tuple[str, str]]: ...

        def stacked(self, cell: Cell) -> tuple[str, str, bool] | None: ...

        def item_detail(self, cell: Cell, index: int) -> bool: ...

        def checklist_item(self, cell: Cell, index: int) -> bool: ...

        def value_cell(self, cell: Cell, label: str, index: int) -> None: ...

        def options_cell(self, cell: Cell, label: str, index: int) -> None: ...

        def pair(self, label_cell: Cell, value_cell: Cell, index: int) -> None: ...


class BlockRules(ReaderShape):
    """Mixin for the table reader: tick-column blocks and grids."""

    def try_tick_block(self, rows: list[list[Cell]], index: int) -> int:
        """[Question | Yes | No] then [text | ☒ | ☐] rows: an entry per tick column."""
        header = rows[index]
        columns = _tick_columns(header)
        if not columns:
            return 0
        body: list[int] = []
        words = len(columns) > 1
        for pos in range(index + 1, len(rows)):
            row = rows[pos]
            if len(row) != len(header) or not all(_tickable(row[c], words) for c in columns):
                break
            body.append(pos)
        if not body:
            return 0
        names = [header[c].text.strip() for c in columns]
        question = None
        if len(columns) == 1 and any(_cell_state(rows[pos][columns[0]]) for pos in body):
            question = clean_label(header[0].text) if columns[0] else ""
            question = question or self.question or clean_label(names[0])
        extra = False
        for pos in body:
            extra |= self.tick_row(rows[pos], columns, names, pos, question)
            self.row_details(header, rows[pos], columns, pos)
        if extra:
            keep = [c for c in range(len(header)) if c not in columns]
            data = [[rows[pos][c] for c in keep] for pos in body]
            self.add_grid([header[c] for c in keep], data, index, body[-1])
        self.question = None
        return 1 + len(body)

    def tick_row(self, row: list[Cell], columns: list[int], names: list[str], pos: int,
                 question: str | None = None) -> bool:
        """Emit one row of a tick block; True when other columns hold text (kept as a grid).

        With one tick column ("Done", "✓") and some row ticked, the rows are the options of
        one question (the first heading): a row left blank is an option not ticked."""
        label = " ".join(row[c].text.strip() for c in range(columns[0]) if row[c].text.strip())
        states = [_cell_state(row[c]) for c in columns]
        explicit = any(row[c].options for c in columns)
        if question is not None and label:
            self.add(question, label, pos, checked=bool(states[0]))
        elif any(states) or explicit:
            for name, state in zip(names, states, strict=True):
                self.add(label, name, pos, checked=bool(state))
        elif label:
            self.add(label, "", pos)
        others = [c for c in range(columns[0] + 1, len(row)) if c not in columns]
        return any(row[c].text.strip() for c in others)

    def row_details(self, header: list[Cell], row: list[Cell], columns: list[int],
                    pos: int) -> None:
        """A date or notes column beside the tick columns belongs to the row's question:
        "Home visit - Date", "Home visit - Notes"."""
        label = " ".join(row[c].text.strip() for c in range(columns[0]) if row[c].text.strip())
        if not label:
            return
        for column in range(columns[0] + 1, len(row)):
            part = _detail_part(header[column].text) if column not in columns else None
            if part and row[column].text.strip():
                self.add(f"{clean_label(label)} - {part}", row[column].text, pos)

    def try_mark_column(self, rows: list[list[Cell]], index: int) -> int:
        """[☒ | option] rows (the box first, the caption beside it), maybe under an
        [(empty) | heading] row: options of one question; a blank box is not ticked."""
        start = index
        question = None
        head = rows[index]
        if len(head) == 2 and not _filled(head[0]) and _mark_of(head[0]) is None:
            text = head[1].text.strip()
            below = rows[index + 1] if index + 1 < len(rows) else head
            heading = (head[1].bold and not (below and below[-1].bold)) or text.endswith((":", "?"))
            if text and "\n" not in text and len(text) <= 80 and heading:
                question, start = clean_label(text), index + 1
        body: list[tuple[int, bool | None]] = []
        for pos in range(start, len(rows)):
            row = rows[pos]
            mark = _mark_of(row[0]) if len(row) >= 2 else None
            blank = len(row) >= 2 and not _filled(row[0])
            if (mark is None and not blank) or not row[1].text.strip() or row[1].options:
                break
            if any(_filled(cell) for cell in row[2:]):
                break
            body.append((pos, mark))
        if len(body) < 2 or not any(mark is not None for _, mark in body):
            return 0
        ticked = any(mark for _, mark in body)
        question = question or self.question or self.section or ""
        for pos, mark in body:
            checked = bool(mark) if ticked or mark is not None else None
            self.add(question, rows[pos][1].text, pos, checked=checked)
        self.question = None
        return body[-1][0] + 1 - index

    def try_grid(self, rows: list[list[Cell]], index: int) -> int:
        header = rows[index]
        width = len(header)
        if width < 2 or not all(self.header_cell(cell) for cell in header):
            return 0
        if self.label_value_header(header):
            return 0
        if all(_long_question(cell.text) for cell in header):
            return 0  # a row of yes/no questions ("Asked neighbours...?"), not column heads
        body: list[int] = []
        for pos in range(index + 1, len(rows)):
            row = rows[pos]
            if len(row) != width or self.is_section_row(row):
                break
            body.append(pos)
        data = [rows[pos] for pos in body if any(c.text.strip() for c in rows[pos])]
        if width == 2 and not _dated_log(header, data):
            return 0
        if width >= 3 and not body:
            return 0
        if self.label_value_rows(data, width):
            return 0
        self.add_grid(header, data, index, body[-1] if body else index)
        for pos in body:
            self.grid_row_options(rows[pos], pos)
        return 1 + len(body)

    def grid_row_options(self, row: list[Cell], pos: int) -> None:
        """Tick options inside a grid row ("☒ Yes ☐ No" under "Done?") answer the row's
        first cell, so they are entries as well as grid text."""
        question = row[0].text.strip()
        for cell in row[1:]:
            if question and any(caption for caption, _ in cell.options):
                self.options_cell(cell, question, pos)

    def header_cell(self, cell: Cell) -> bool:
        text = cell.text.strip()
        if not text or cell.options or len(text) > 50 or len(text.split()) > 7:
            return False
        if looks_like_data(text) or self.stacked(cell) is not None:
            return False
        return (
            cell.bold
            or text.endswith("?")
            or _has_header_word(text)
            or bool(self.known_label(clean_label(text)))
        )

    def label_value_header(self, header: list[Cell]) -> bool:
        """[Surname | EXAMPLE | First name | SAM]: labels at even places, values between."""
        if len(header) < 4 or len(header) % 2:
            return False
        known = [bool(self.known_label(clean_label(cell.text))) for cell in header]
        return all(known[0::2]) and not any(known[1::2])

    def label_value_rows(self, data: list[list[Cell]], width: int) -> bool:
        """Whether rows below a header-like row are really label | value rows."""
        if not data:
            return False
        votes = 0
        for row in data:
            first = row[0]
            strong = first.text.strip().endswith(":") or "*" in first.text
            strong |= first.bold and not any(c.bold for c in row[1:])
            if width >= 4:
                strong |= all(self.labelish(row[c]) for c in range(0, width, 2))
            votes += strong
        return votes * 2 > len(data)

    def is_section_row(self, row: list[Cell]) -> bool:
        filled = [cell for cell in row if cell.text.strip()]
        return len(filled) == 1 and section_heading(filled[0].text.strip(), strict=True)

    def add_grid(self, header: list[Cell], data: list[list[Cell]], first: int, last: int) -> None:
        width = len(header)
        rows = [[c.text.strip() for c in row] + [""] * (width - len(row)) for row in data]
        rows = [row for row in rows if any(row)]
        where = f"{self.locator}, rows {first + 1}-{last + 1}"
        headers = [clean_label(c.text) for c in header]
        self.grids.append(Grid(headers=headers, rows=rows, locator=where, section=self.section))


def _tick_columns(header: list[Cell]) -> list[int]:
    """Positions of tick-column headings (Yes, No, Y, N, Done, Not done) after a question."""
    columns = [pos for pos, cell in enumerate(header) if pos and choice_word(cell.text)]
    if not columns or any(cell.options for cell in header):
        return []
    if len(columns) == 1 and choice_word(header[columns[0]].text) != "single":
        return []
    return columns


def _tickable(cell: Cell, words: bool = True) -> bool:
    """A bare tick cell under a Yes/No heading (☒, X, ✓ or empty; not "☒ Yes ☐ No").

    Under a lone column (``words`` False) a written "No" is no tick: [Looked after? | Yes]
    over [Child protection plan? | No] are two answers, not a "Yes" column."""
    if cell.options:
        return all(not caption for caption, _ in cell.options)
    text = cell.text.strip()
    return not text or mark_state(text, words=words) is not None


def _filled(cell: Cell) -> bool:
    return bool(cell.text.strip() or cell.options)


def _mark_of(cell: Cell) -> bool | None:
    """The state of a cell that is only a tick box or mark (☒, ☐, X, ✓), else None."""
    if cell.options:
        return cell.options[0][1] if len(cell.options) == 1 and not cell.options[0][0] else None
    text = cell.text.strip()
    return mark_state(text, words=False) if 0 < len(text) <= 3 else None


def _cell_state(cell: Cell) -> bool | None:
    if cell.options:
        return any(checked for _, checked in cell.options)
    return mark_state(cell.text.strip())


def _has_header_word(text: str) -> bool:
    words = text.lower().replace("/", " ").replace("(", " ").replace(")", " ").split()
    return any(word.strip("?:.,'s") in _HEADER_WORDS or word in _HEADER_WORDS for word in words)


_WHEN_WORDS = frozenset({"date", "dates", "time", "when", "day"})
_NOTE_WORDS = frozenset(
    "notes note comments comment outcome outcomes details detail result results response "
    "remarks findings".split()
)


def _detail_part(heading: str) -> str | None:
    """ "Date" for a date column ("Date(s)", "Date completed"), "Notes" for a notes column
    ("Comments", "Outcome"), else None."""
    words = {w.strip("?:.,()*").lower() for w in heading.replace("(", " (").split()}
    if words & _WHEN_WORDS:
        return "Date"
    if words & _NOTE_WORDS:
        return "Notes"
    return None


def _dated_log(header: list[Cell], data: list[list[Cell]]) -> bool:
    """A two-column table is a log only as [Date | Action] with dates down the date column."""
    if len(data) < 2:
        return False
    for column, cell in enumerate(header):
        words = {word.strip("?:.,()").lower() for word in cell.text.split()}
        if words & _WHEN_WORDS:
            dated = sum(1 for row in data if looks_like_data(row[column].text))
            return dated * 2 >= len(data)
    return False


def _long_question(text: str) -> bool:
    text = text.strip().rstrip(" *:")
    return text.endswith("?") and len(text.split()) >= 4
