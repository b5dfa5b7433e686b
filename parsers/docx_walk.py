"""One pass over a Word body in document order: paragraphs, tables, controls, fields.

The walk builds format-free :class:`~parsers.layout.Cell` values and hands them to the
shared layout rules. It reads what python-docx loses (pitfalls §3): content controls at
every level, legacy form fields, text boxes (once), the accepted view of tracked changes,
merged and nested tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from parsers import docx_xml as x
from parsers.entries import Entry, Grid
from parsers.layout import Cell, paragraphs_to_entries, table_to_entries
from parsers.layout_text import clean_label, is_placeholder_hint, section_heading


@dataclass(frozen=True)
class StyleInfo:
    """What the reader needs from a paragraph or character style."""

    name: str
    bold: bool | None
    heading: bool


@dataclass
class _Inline:
    """Runs collected from one paragraph: (text, bold, struck, highlighted) and extras."""

    parts: list[tuple[str, bool, bool, bool]] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    boxes: list[object] = field(default_factory=list)


@dataclass
class _Field:
    kind: str
    phase: str = "instr"
    has_text: bool = False


@dataclass(frozen=True)
class _Para:
    text: str
    options: tuple[tuple[str, bool | None], ...]
    bold: bool
    heading: bool
    hints: tuple[str, ...]
    boxes: tuple[object, ...]


class BodyWalker:
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
        self._fields: list[_Field] = []
        self._pending: list[Cell] = []
        self._pending_at: list[str] = []
        self._paragraphs = 0
        self._tables = 0

    # -- body ------------------------------------------------------------------------------

    def walk(self, body: object) -> None:
        self._blocks(body, 0)
        self._flush()

    def _blocks(self, parent: object, depth: int) -> None:
        for child in parent:  # type: ignore[attr-defined]
            tag = child.tag
            if tag == x.P:
                self._body_paragraph(child, depth)
            elif tag == x.TBL:
                self._flush()
                self._table(child, depth + 1)
            elif tag == x.SDT:
                info = x.sdt_info(child)
                content = child.find(x.SDT_CONTENT)
                if content is not None and not info.placeholder:
                    self._blocks(content, depth)
            elif tag in (x.CUSTOM_XML, x.INS, x.MOVE_TO):
                self.revisions |= tag != x.CUSTOM_XML
                self._blocks(child, depth)
            elif tag in (x.DEL, x.MOVE_FROM):
                self.revisions = True
            elif tag == x.ALT:
                choice = child.find(x.CHOICE)
                if choice is not None:
                    self._blocks(choice, depth)

    def _body_paragraph(self, p: object, depth: int) -> None:
        para = self._paragraph(p)
        text = para.text.strip()
        if text or para.options:
            self._paragraphs += 1
            self.lines.append(" ".join(text.split()))
            if para.heading and not para.options:
                self._flush()
                self.section = " ".join(text.split())
            else:
                hint = _first_hint(para.hints)
                self._pending.append(Cell(text, para.options, hint, para.bold))
                self._pending_at.append(f"paragraph {self._paragraphs}")
        for box in para.boxes:
            self._blocks(box, depth)

    def _flush(self) -> None:
        if not self._pending:
            return
        entries, self.section = paragraphs_to_entries(
            self._pending,
            locators=self._pending_at,
            section=self.section,
            known_label=self.known_label,
        )
        self.entries.extend(entries)
        self._pending, self._pending_at = [], []

    # -- tables ----------------------------------------------------------------------------

    def _table(self, tbl: object, depth: int) -> None:
        if depth > self.max_table_depth:
            note = f"tables nested more than {self.max_table_depth} deep were not read"
            if note not in self.notes:
                self.notes.append(note)
            return
        self._tables += 1
        locator = f"table {self._tables}"
        rows: list[list[Cell]] = []
        nested: list[tuple[int, object]] = []
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
        )
        self.entries.extend(entries)
        self.grids.extend(grids)
        for index, table in nested:
            self.section = sections[index] if index < len(sections) else end_section
            self._table(table, depth + 1)
        self.section = end_section

    def _rows(self, tbl: object) -> list[object]:
        rows = []
        for child in tbl:  # type: ignore[attr-defined]
            tag = child.tag
            if tag == x.TR:
                trpr = child.find(x.TRPR)
                if trpr is not None and trpr.find(x.DEL) is not None:
                    self.revisions = True
                    continue
                rows.append(child)
            elif tag in (x.SDT, x.CUSTOM_XML):
                content = child.find(x.SDT_CONTENT) if tag == x.SDT else child
                if content is not None:
                    rows.extend(self._rows(content))
        return rows

    def _row(self, tr: object, above: dict[int, Cell]) -> tuple[list[Cell], list[object]]:
        """One table row: a Cell per ``w:tc`` (merges known), plus nested tables to read."""
        row: list[Cell] = []
        nested: list[object] = []
        trpr = tr.find(x.TRPR)  # type: ignore[attr-defined]
        before = trpr.find(x.GRID_BEFORE) if trpr is not None else None
        column = _int(before.get(x.VAL)) if before is not None else 0
        for tc, hint in _cells(tr):
            tcpr = tc.find(x.TCPR)
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
        self, tc: object, hint: str | None, span: int, shaded: bool, nested: list[object]
    ) -> Cell:
        paras: list[_Para] = []
        self._cell_blocks(tc, paras, nested)
        texts = [p.text.strip() for p in paras if p.text.strip()]
        options = tuple(option for p in paras for option in p.options)
        hints = [h for p in paras for h in p.hints]
        hint = hint if hint and not is_placeholder_hint(hint) else _first_hint(hints)
        bold = shaded or (bool(texts) and all(p.bold for p in paras if p.text.strip()))
        return Cell("\n".join(texts), options, hint, bold, span)

    def _cell_blocks(self, parent: object, paras: list[_Para], nested: list[object]) -> None:
        for child in parent:  # type: ignore[attr-defined]
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
                content = child.find(x.SDT_CONTENT)
                if content is not None and not info.placeholder:
                    self._cell_blocks(content, paras, nested)
            elif tag in (x.CUSTOM_XML, x.INS, x.MOVE_TO):
                self._cell_blocks(child, paras, nested)

    # -- paragraphs and runs ---------------------------------------------------------------

    def _paragraph(self, p: object) -> _Para:
        style, outline = self._paragraph_props(p)
        acc = _Inline()
        self._inline(p, acc, bool(style and style.bold))
        text = "".join(part[0] for part in acc.parts)
        inked = [part for part in acc.parts if part[0].strip()]
        bold = bool(inked) and all(part[1] for part in inked)
        heading = (bool(style and style.heading) or outline) and len(text.strip()) <= 150
        if not heading and bold and len(text) <= 80 and not text.rstrip().endswith(":"):
            heading = section_heading(text)
        options = x.formatting_choices(acc.parts) if "/" in text else ()
        return _Para(text, options, bold, heading, tuple(acc.hints), tuple(acc.boxes))

    def _paragraph_props(self, p: object) -> tuple[StyleInfo | None, bool]:
        """The paragraph's style and whether it carries an outline (heading) level."""
        ppr = p.find(x.PPR)  # type: ignore[attr-defined]
        if ppr is None:
            return None, False
        style, outline = None, False
        for prop in ppr:
            if prop.tag == x.PSTYLE:
                style = self.styles.get(prop.get(x.VAL) or "")
            elif prop.tag == x.OUTLINE:
                outline = _int(prop.get(x.VAL), 9) < 9
        return style, outline

    def _inline(self, parent: object, acc: _Inline, bold: bool) -> None:
        for child in parent:  # type: ignore[attr-defined]
            tag = child.tag
            if tag == x.R:
                self._run(child, acc, bold)
            elif tag in x.INLINE_CONTAINERS:
                self._inline(child, acc, bold)
            elif tag in (x.INS, x.MOVE_TO):
                self.revisions = True
                self._inline(child, acc, bold)
            elif tag in (x.DEL, x.MOVE_FROM):
                self.revisions = True
            elif tag == x.SDT:
                self._inline_sdt(child, acc, bold)
            elif tag == x.ALT:
                choice = child.find(x.CHOICE)
                if choice is not None:
                    self._inline(choice, acc, bold)

    def _inline_sdt(self, sdt: object, acc: _Inline, bold: bool) -> None:
        info = x.sdt_info(sdt)
        if info.hint:
            acc.hints.append(info.hint)
        if info.checkbox is not None:
            acc.parts.append((x.TICKED if info.checkbox else x.UNTICKED, bold, False, False))
            self.control_values += 1
            return
        if info.placeholder:
            return
        if info.date:
            acc.parts.append((info.date, bold, False, False))
            self.control_values += 1
            return
        content = sdt.find(x.SDT_CONTENT)  # type: ignore[attr-defined]
        if content is None:
            return
        start = len(acc.parts)
        self._inline(content, acc, bold)
        added = "".join(part[0] for part in acc.parts[start:])
        if x.is_placeholder(added):
            del acc.parts[start:]
        elif added.strip():
            self.control_values += 1

    def _run(self, r: object, acc: _Inline, bold: bool) -> None:
        bold, struck, lit, hidden, font = self._run_format(r.find(x.RPR), bold)  # type: ignore[attr-defined]
        for child in r:  # type: ignore[attr-defined]
            tag = child.tag
            if tag == x.T:
                text = child.text or ""
                if font:
                    text = x.symbol_text(font, text)
                if text and not hidden and self._showing():
                    acc.parts.append((text, bold, struck, lit))
            elif tag == x.TAB:
                acc.parts.append(("\t", bold, struck, lit))
            elif tag in (x.BR, x.CR):
                acc.parts.append(("\n", bold, False, False))
            elif tag == x.SYM:
                acc.parts.append((x.sym_glyph(child), bold, struck, lit))
            elif tag == x.FLDCHAR:
                self._field_char(child, acc, bold)
            elif tag == x.NOBREAK_HYPHEN:
                acc.parts.append(("-", bold, struck, lit))
            elif tag in (x.DRAWING, x.PICT):
                acc.boxes.extend(_text_boxes(child))
            elif tag == x.ALT:
                choice = child.find(x.CHOICE)
                if choice is not None:
                    acc.boxes.extend(_text_boxes(choice))

    def _run_format(
        self, rpr: object | None, bold: bool
    ) -> tuple[bool, bool, bool, bool, str | None]:
        """(bold, struck, highlighted, hidden, symbol font) from direct run formatting."""
        if rpr is None:
            return bold, False, False, False, None
        struck = lit = hidden = False
        font = None
        for prop in rpr:  # type: ignore[attr-defined]
            tag = prop.tag
            if tag == x.B:
                bold = x.on(prop)
            elif tag == x.RSTYLE:
                style = self.styles.get(prop.get(x.VAL) or "")
                bold = bool(style.bold) if style and style.bold is not None else bold
            elif tag in (x.STRIKE, x.DSTRIKE):
                struck = struck or x.on(prop)
            elif tag == x.HIGHLIGHT:
                lit = lit or (prop.get(x.VAL) or "none").lower() != "none"
            elif tag == x.SHD:
                lit = lit or (prop.get(x.FILL) or "auto").upper() not in ("AUTO", "FFFFFF", "")
            elif tag == x.VANISH:
                hidden = x.on(prop)
            elif tag == x.RFONTS:
                name = (prop.get(x.w("ascii")) or prop.get(x.w("hAnsi")) or "").lower()
                font = name if name.startswith(("wingdings", "symbol")) else None
        return bold, struck, lit, hidden, font

    def _showing(self) -> bool:
        """Text is visible unless it is a field's code or a dropdown field's stale result."""
        for fld in self._fields:
            if fld.phase == "instr" or fld.kind == "dropdown":
                return False
        if self._fields and self._fields[-1].kind == "text":
            self._fields[-1].has_text = True
        return True

    def _field_char(self, fld_char: object, acc: _Inline, bold: bool) -> None:
        kind = fld_char.get(x.w("fldCharType"))  # type: ignore[attr-defined]
        if kind == "begin":
            form = x.form_field(fld_char)
            if form.name:
                acc.hints.append(form.name)
            if form.shown and self._showing():
                acc.parts.append((form.shown, bold, False, False))
            if form.kind in ("checkbox", "dropdown") and form.shown:
                self.control_values += 1
            self._fields.append(_Field(form.kind))
        elif kind == "separate" and self._fields:
            self._fields[-1].phase = "result"
            self._fields[-1].has_text = False
        elif kind == "end" and self._fields:
            done = self._fields.pop()
            self.control_values += done.kind == "text" and done.has_text


def _cells(tr: object) -> list[tuple[object, str | None]]:
    """The ``w:tc`` of a row with the hint of a content control wrapping a whole cell."""
    found: list[tuple[object, str | None]] = []
    for child in tr:  # type: ignore[attr-defined]
        tag = child.tag
        if tag == x.TC:
            found.append((child, None))
        elif tag == x.SDT:
            content = child.find(x.SDT_CONTENT)
            if content is not None:
                hint = x.sdt_info(child).hint
                found.extend((tc, hint or inner) for tc, inner in _cells(content))
        elif tag == x.CUSTOM_XML:
            found.extend(_cells(child))
    return found


def _cell_props(tcpr: object | None) -> tuple[int, str | None, bool]:
    """(grid span, vertical merge "restart"/"continue"/None, shaded) of a cell."""
    span, merge, shaded = 1, None, False
    if tcpr is None:
        return span, merge, shaded
    for prop in tcpr:  # type: ignore[attr-defined]
        tag = prop.tag
        if tag == x.GRID_SPAN:
            span = max(1, _int(prop.get(x.VAL), 1))
        elif tag == x.VMERGE:
            merge = "restart" if prop.get(x.VAL) == "restart" else "continue"
        elif tag == x.SHD:
            shaded = (prop.get(x.FILL) or "auto").upper() not in ("AUTO", "FFFFFF", "")
    return span, merge, shaded


def _continued(top: Cell | None, span: int) -> Cell:
    """A vertically merged continuation: repeat a short label-like top cell, else empty."""
    if top is None or len(top.text) > 60 or "\n" in top.text or top.options or top.hint:
        return Cell("", span=span)
    return Cell(top.text, bold=top.bold, span=span)


def _text_boxes(element: object) -> list[object]:
    """Top-level ``w:txbxContent`` under a drawing (not boxes nested inside boxes)."""
    boxes = []
    for box in element.iter(x.TXBX):  # type: ignore[attr-defined]
        outer = box.getparent()
        while outer is not None and outer is not element and outer.tag != x.TXBX:
            outer = outer.getparent()
        if outer is None or outer is element:
            boxes.append(box)
    return boxes


def _first_hint(hints: list[str] | tuple[str, ...]) -> str | None:
    return next((hint for hint in hints if not is_placeholder_hint(hint)), None)


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


__all__ = ["BodyWalker", "StyleInfo", "clean_label"]
