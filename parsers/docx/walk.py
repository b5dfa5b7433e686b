"""One pass over a Word body in document order: paragraphs, tables, controls, fields.

The walk builds format-free :class:`~parsers.layout.table.Cell` values and hands them to the
shared layout rules. It reads what python-docx loses (pitfalls §3): content controls at
every level, legacy form fields, text boxes (once), the accepted view of tracked changes,
merged and nested tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from lxml import etree

from parsers.docx import xml as x
from parsers.docx.runs import FieldState, ParaRead, RunReader, StyleInfo, int_value
from parsers.entries import Entry, Grid
from parsers.layout.table import Cell, paragraphs_to_entries, table_to_entries
from parsers.layout.text import is_placeholder_hint


class BodyWalker(RunReader):
    """Reads a document body into entries, grids, plain text lines and notes."""

    def __init__(
        self,
        *,
        styles: dict[str, StyleInfo],
        known_label: Callable[[str], bool],
        max_table_depth: int,
    ) -> None:
        self.styles = styles
        self.known_label = known_label
        self.max_table_depth = max_table_depth
        self.entries: list[Entry] = []
        self.grids: list[Grid] = []
        self.lines: list[str] = []
        self.notes: list[str] = []
        self.section: str | None = None
        self.revisions = False
        self.control_values = 0
        self.control_boxes = 0
        self._fields: list[FieldState] = []
        self._pending: list[Cell] = []
        self._pending_at: list[str] = []
        self._pending_marks: list[ParaRead] = []
        self._caption: str | None = None  # a heading with nothing after it yet
        self._paragraphs = 0
        self._tables = 0

    # -- body ------------------------------------------------------------------------------

    def walk(self, body: etree._Element) -> None:
        self._props = x.first_children(body, (x.PPR, x.RPR, x.TRPR))
        self._blocks(body, 0)
        self._flush()

    def _blocks(self, parent: etree._Element, depth: int) -> None:
        for child in parent:
            tag = child.tag
            if tag == x.P:
                self._body_paragraph(child, depth)
            elif tag == x.TBL:
                self._flush()
                self._table(child, depth + 1)
            elif tag == x.SDT:
                info = x.sdt_info(child)
                content = x.child(child, x.SDT_CONTENT)
                if content is not None and not info.placeholder:
                    self._blocks(content, depth)
            elif tag in (x.CUSTOM_XML, x.INS, x.MOVE_TO):
                self.revisions |= tag != x.CUSTOM_XML
                self._blocks(child, depth)
            elif tag in (x.DEL, x.MOVE_FROM):
                self.revisions = True
            elif tag == x.ALT:
                choice = x.child(child, x.CHOICE)
                if choice is not None:
                    self._blocks(choice, depth)

    def _body_paragraph(self, p: etree._Element, depth: int) -> None:
        para = self._paragraph(p)
        text = para.text.strip()
        if text or para.options:
            self._paragraphs += 1
            self.lines.append(" ".join(text.split()))
            if para.heading and not para.options:
                self._flush()
                self.section = " ".join(text.split())
                self._caption = self.section
            else:
                self._caption = None
                hint = _first_hint(para.hints)
                self._pending.append(
                    Cell(text, para.options, hint, para.bold, indent=para.indented)
                )
                self._pending_at.append(f"paragraph {self._paragraphs}")
                self._pending_marks.append(para)
        for box in para.boxes:
            self._blocks(box, depth)

    def _flush(self) -> None:
        if not self._pending:
            return
        entries, self.section = paragraphs_to_entries(
            _struck_runs(self._pending, self._pending_marks),
            locators=self._pending_at,
            section=self.section,
            known_label=self.known_label,
        )
        self.entries.extend(entries)
        if self.section == " ".join(self._pending[-1].text.split()):
            self._caption = self.section  # the last paragraph read as a heading
        self._pending, self._pending_at, self._pending_marks = [], [], []

    # -- tables ----------------------------------------------------------------------------

    def _table(self, tbl: etree._Element, depth: int) -> None:
        if depth > self.max_table_depth:
            note = f"tables nested more than {self.max_table_depth} deep were not read"
            if note not in self.notes:
                self.notes.append(note)
            return
        self._tables += 1
        locator = f"table {self._tables}"
        rows: list[list[Cell]] = []
        nested: list[tuple[int, etree._Element]] = []
        above: dict[int, Cell] = {}
        for tr in self._rows(tbl):
            row, inner = self._row(tr, above)
            nested.extend((len(rows), table) for table in inner)
            rows.append(row)
            self.lines.append(" | ".join(" ".join(c.text.split()) for c in row))
        sections: list[str | None] = []
        entries, grids, end_section = table_to_entries(
            rows,
            locator=locator,
            section=self.section,
            known_label=self.known_label,
            merge_duplicates=False,
            row_sections=sections,
            caption=self._caption,
        )
        self._caption = None
        self.entries.extend(entries)
        self.grids.extend(grids)
        for index, table in nested:
            self.section = sections[index] if index < len(sections) else end_section
            self._table(table, depth + 1)
        self.section = end_section

    def _rows(self, tbl: etree._Element) -> list[etree._Element]:
        rows = []
        for child in tbl:
            tag = child.tag
            if tag == x.TR:
                trpr = self._property(child, x.TRPR)
                if trpr is not None and x.child(trpr, x.DEL) is not None:
                    self.revisions = True
                    continue
                rows.append(child)
            elif tag in (x.SDT, x.CUSTOM_XML):
                content = x.child(child, x.SDT_CONTENT) if tag == x.SDT else child
                if content is not None:
                    rows.extend(self._rows(content))
        return rows

    def _row(
        self, tr: etree._Element, above: dict[int, Cell]
    ) -> tuple[list[Cell], list[etree._Element]]:
        """One table row: a Cell per ``w:tc`` (merges known), plus nested tables to read."""
        row: list[Cell] = []
        nested: list[etree._Element] = []
        trpr = self._property(tr, x.TRPR)
        before = x.child(trpr, x.GRID_BEFORE) if trpr is not None else None
        column = int_value(before.get(x.VAL)) if before is not None else 0
        for tc, hint in _cells(tr):
            tcpr = x.child(tc, x.TCPR)
            span, merge, shaded = _cell_props(tcpr)
            if merge == "continue":
                cell = _continued(above.get(column), span)
            else:
                cell = self._cell(tc, hint, span, shaded, nested)
                above[column] = cell
            row.append(cell)
            column += span
        return row, nested

    def _cell(
        self,
        tc: etree._Element,
        hint: str | None,
        span: int,
        shaded: bool,
        nested: list[etree._Element],
    ) -> Cell:
        paras: list[ParaRead] = []
        self._cell_blocks(tc, paras, nested)
        texts: list[str] = []
        inked: list[ParaRead] = []
        options: tuple[tuple[str, bool | None], ...] = ()
        hints: list[str] = []
        for para in paras:
            text = para.text.strip()
            if text:
                texts.append(text)
                inked.append(para)
            if para.options:
                options += para.options
            if para.hints:
                hints.extend(para.hints)
        if not options and len(inked) > 1:
            options = line_choices(paras)
        if not hint or is_placeholder_hint(hint):
            hint = _first_hint(hints) if hints else None
        bold = shaded or (bool(inked) and all(p.bold for p in inked))
        label_line = len(inked) > 1 and inked[0].bold and not any(p.bold for p in inked[1:])
        return Cell("\n".join(texts), options, hint, bold, span, label_line=label_line)

    def _cell_blocks(
        self, parent: etree._Element, paras: list[ParaRead], nested: list[etree._Element]
    ) -> None:
        for child in parent:
            tag = child.tag
            if tag == x.P:
                para = self._paragraph(child)
                paras.append(para)
                for box in para.boxes:
                    self._cell_blocks(box, paras, nested)
            elif tag == x.TBL:
                nested.append(child)
            elif tag == x.SDT:
                info = x.sdt_info(child)
                content = x.child(child, x.SDT_CONTENT)
                if content is not None and not info.placeholder:
                    self._cell_blocks(content, paras, nested)
            elif tag in (x.CUSTOM_XML, x.INS, x.MOVE_TO):
                self._cell_blocks(child, paras, nested)


def _cells(tr: etree._Element) -> list[tuple[etree._Element, str | None]]:
    """The ``w:tc`` of a row with the hint of a content control wrapping a whole cell."""
    found: list[tuple[etree._Element, str | None]] = []
    for child in tr:
        tag = child.tag
        if tag == x.TC:
            found.append((child, None))
        elif tag == x.SDT:
            content = x.child(child, x.SDT_CONTENT)
            if content is not None:
                hint = x.sdt_info(child).hint
                found.extend((tc, hint or inner) for tc, inner in _cells(content))
        elif tag == x.CUSTOM_XML:
            found.extend(_cells(child))
    return found


def _cell_props(tcpr: etree._Element | None) -> tuple[int, str | None, bool]:
    """(grid span, vertical merge "restart"/"continue"/None, shaded) of a cell."""
    span, merge, shaded = 1, None, False
    if tcpr is None:
        return span, merge, shaded
    for prop in tcpr:
        tag = prop.tag
        if tag == x.GRID_SPAN:
            span = max(1, int_value(prop.get(x.VAL), 1))
        elif tag == x.VMERGE:
            merge = "restart" if prop.get(x.VAL) == "restart" else "continue"
        elif tag == x.SHD:
            shaded = (prop.get(x.FILL) or "auto").upper() not in ("AUTO", "FFFFFF", "")
    return span, merge, shaded


def _continued(top: Cell | None, span: int) -> Cell:
    """A vertically merged continuation: repeat a short label-like top cell, else empty."""
    if top is None or len(top.text) > 60 or "\n" in top.text or top.options or top.hint:
        return Cell("", span=span)
    return Cell(top.text, bold=top.bold, span=span, continued=True)


def line_choices(paras: list[ParaRead]) -> tuple[tuple[str, bool | None], ...]:
    """Options listed one per line where some lines are struck through (deleted) or
    highlighted (chosen): "LEFT THE COUNTRY" / ~~"MOVED AWAY"~~ / ~~"20 DAYS ABSENT"~~."""
    lines = [p for p in paras if p.text.strip()]
    if len(lines) < 2 or any(p.options for p in lines):
        return ()
    marks = [p.marked for p in lines]
    for kind, chosen in (("struck", False), ("lit", True)):
        if kind in marks and any(mark != kind for mark in marks):
            return tuple(
                (" ".join(p.text.split()), chosen if p.marked == kind else not chosen)
                for p in lines
            )
    return ()


def _struck_runs(cells: list[Cell], paras: list[ParaRead]) -> list[Cell]:
    """Body paragraphs listed as options, some struck through or highlighted, become
    option cells (one option each) so the question above them gets checked states."""
    out = list(cells)
    start = 0
    while start < len(cells):
        end = start
        while end < len(cells) and _short_choice(cells[end], paras[end]):
            end += 1
        group = range(start, end)
        if end - start >= 2:
            choices = line_choices([paras[i] for i in group])
            for i, option in zip(group, choices, strict=False):
                out[i] = replace(cells[i], options=(option,))
        start = max(end, start + 1)
    return out


def _short_choice(cell: Cell, para: ParaRead) -> bool:
    text = cell.text
    return not cell.options and 0 < len(text) <= 100 and "\n" not in text and ":" not in text


def _first_hint(hints: list[str] | tuple[str, ...]) -> str | None:
    return next((hint for hint in hints if not is_placeholder_hint(hint)), None)


__all__ = ["BodyWalker", "StyleInfo"]
