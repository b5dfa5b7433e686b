"""Reading the printed text of one PDF page as a form.

A Word form saved as PDF keeps its look but loses its structure: what was a table cell, a
tick box or a "Label: value" paragraph is now words and strokes at positions. This module
puts a page's blocks in reading order: ruled tables (:mod:`parsers.pdf.tables`, read by
:func:`parsers.layout.table.table_to_entries` like Word tables, and carried over a page break)
and the lines between them (:mod:`parsers.pdf.lines`), leaving running headers and footers
to the text alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

from parsers.entries import Entry, Grid
from parsers.pdf.geometry import Token, group_lines
from parsers.pdf.lines import KnownLabel, LineReader
from parsers.pdf.strokes import Strokes, box_tokens
from parsers.pdf.tables import HeldTable, RuledTable, fill_tables, page_tables, table_rows

_MARGIN = 0.045  # of the page height: running headers and footers live there


@dataclass
class PageText:
    """What the printed layer of one page gave: entries, grids, its text and the section."""

    entries: list[Entry] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    text: str = ""
    section: str | None = None
    headings: list[tuple[float, str]] = field(default_factory=list)  # (top, heading)
    held: HeldTable | None = None  # a table ending the page, maybe carried on overleaf


def read_page(
    page_no: int,
    tokens: list[Token],
    strokes: Strokes,
    *,
    section: str | None,
    known_label: KnownLabel,
    tables: list[RuledTable] | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    held: HeldTable | None = None,
) -> PageText:
    """Read one page's tokens (words, glyph ticks; ``consumed`` ones only go to the text).

    ``tables`` are the page's ruled tables from :func:`parsers.pdf.tables.page_tables`
    when the caller has found them already (to put form fields that sit in table cells into
    those cells). With the page's ``bounds`` (x0, top, x1, bottom), lines in the top and
    bottom margins (running headers and footers such as "OFFICIAL - SENSITIVE", "Page 1 of
    3") go to the text only, so that a footer never becomes the next page's section. A
    table that ends the page is returned as ``held`` rather than read, and is passed to the
    next page's call: when that page starts with the same columns, the two are one table.
    """
    tokens = _without_action_links(tokens)
    tables = page_tables(tokens, strokes) if tables is None else tables
    tokens = box_tokens(strokes, tokens)
    rest = fill_tables(tables, tokens)
    sizes = [tok.size for tok in tokens if tok.tick is None]
    body = median(sizes) if sizes else 10.0
    blocks: list[tuple[float, list[Token] | RuledTable]] = [(line[0].top, line) for line in
                                                            group_lines(rest)]
    blocks += [(table.top, table) for table in tables]
    blocks.sort(key=lambda block: block[0])
    reader = LineReader(page_no, section, known_label, body, _text_right(rest, bounds))
    body_blocks = [b for _, b in blocks if isinstance(b, RuledTable) or bounds is None
                   or _in_body(b[0].top, bounds)]
    in_body = {id(b) for b in body_blocks}
    texts: list[str] = []
    table_no = line_no = 0
    for _, block in blocks:
        if isinstance(block, RuledTable):
            table_no += 1
            rows = table_rows(block, strokes)
            texts.extend(" | ".join(cell.text.replace("\n", " ") for cell in row) for row in rows)
            held = reader.table_block(block, rows, table_no, held,
                                      first=block is body_blocks[0],
                                      last=block is body_blocks[-1])
        else:
            line_no += 1
            texts.append(" ".join(tok.shown() for tok in block))
            if id(block) in in_body:
                reader.release(held)
                held = None
                reader.line(block, line_no)
    reader.finish()
    return PageText(reader.entries, reader.grids, "\n".join(texts), reader.section,
                    reader.headings, held)


def release_held(held: HeldTable | None, section: str | None,
                 known_label: KnownLabel) -> PageText:
    """Read a table still held after the last page."""
    reader = LineReader(0, section, known_label, 10.0, 0.0)
    reader.release(held)
    return PageText(reader.entries, reader.grids, "", reader.section, reader.headings)


_ACTION_LINKS = frozenset({"change", "edit", "amend"})


def _without_action_links(tokens: list[Token]) -> list[Token]:
    """An online form's "Check your answers" page prints a "Change" link at the end of
    every answer row, in one column: it is neither label nor answer."""
    links = [tok for tok in tokens if tok.text.strip().lower() in _ACTION_LINKS]
    if len(links) < 3:
        return tokens
    column = median(tok.x0 for tok in links)
    aligned = [tok for tok in links if abs(tok.x0 - column) <= 4]
    if len(aligned) < 3 or len(aligned) * 2 < len(links):
        return tokens
    right = {id(tok) for tok in aligned
             if not any(other.x0 > tok.x1 and abs(other.top - tok.top) < 3 for other in tokens)}
    return [tok for tok in tokens if id(tok) not in right]


def _in_body(top: float, bounds: tuple[float, float, float, float]) -> bool:
    margin = _MARGIN * (bounds[3] - bounds[1])
    return bounds[1] + margin < top < bounds[3] - margin


def _text_right(tokens: list[Token], bounds: tuple[float, float, float, float] | None) -> float:
    """The right edge of the page's text column, to tell a wrapped line from a short one."""
    right = max((tok.x1 for tok in tokens), default=0.0)
    if bounds is not None:
        right = max(right, bounds[0] + 0.8 * (bounds[2] - bounds[0]))
    return right


