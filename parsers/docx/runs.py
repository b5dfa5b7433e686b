"""Paragraph and run level of a Word body: text, ticks, controls, fields, formatting.

What python-docx drops inside a paragraph (pitfalls §3) is read here: inline content
controls (text, checkbox, date, placeholder), legacy form fields between their begin,
separate and end marks, symbol-font tick boxes, tracked insertions (deletions skipped),
and the strike-through or highlight that answers "delete as appropriate".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

from parsers.docx import xml as x
from parsers.layout.text import section_heading


@dataclass(frozen=True)
class StyleInfo:
    """What the reader needs from a paragraph or character style."""

    name: str
    bold: bool | None
    heading: bool


class _Inline:
    """Runs collected from one paragraph: (text, bold, struck, highlighted) and extras.

    A plain slotted class: one is made per paragraph, and a dataclass's default factories
    cost more than the runs of a short paragraph take to read."""

    __slots__ = ("parts", "hints", "boxes")

    def __init__(self) -> None:
        self.parts: list[tuple[str, bool, bool, bool]] = []
        self.hints: list[str] = []
        self.boxes: list[etree._Element] = []


@dataclass
class FieldState:
    kind: str
    phase: str = "instr"
    has_text: bool = False


class ParaRead(NamedTuple):
    """One paragraph as read (a named tuple: one is made per paragraph, cheaply)."""

    text: str
    options: tuple[tuple[str, bool | None], ...]
    bold: bool
    heading: bool
    hints: tuple[str, ...]
    boxes: tuple[etree._Element, ...]
    marked: str = ""  # "struck" or "lit" when most of the paragraph's letters are
    indented: bool = False  # set in from the margin (a tab, or paragraph indentation)


_NO_PROPS: tuple[StyleInfo | None, bool, bool] = (None, False, False)


class RunReader:
    """Mixin for the body walker: reads one paragraph's runs, keeping field state across
    paragraphs (a field may span them) and counting values that came from form controls."""

    styles: dict[str, StyleInfo]
    known_label: Callable[[str], bool]
    revisions: bool
    control_values: int
    control_boxes: int
    _fields: list[FieldState]
    _props: dict[str, dict[etree._Element, etree._Element]] | None = None

    def _property(self, element: etree._Element, tag: str) -> etree._Element | None:
        """``element.find(tag)``, from the map of the body's properties when there is one."""
        if self._props is None:
            return x.child(element, tag)  # type: ignore[no-any-return]
        return self._props[tag].get(element)

    def _paragraph(self, p: etree._Element) -> ParaRead:
        ppr = self._property(p, x.PPR)
        style, outline, indented = self._paragraph_props(ppr) if ppr is not None else _NO_PROPS
        acc = _Inline()
        self._inline(p, acc, bool(style and style.bold))
        parts = acc.parts
        text = _bold_key(parts) or "".join([part[0] for part in parts])
        inked = False
        bold = True
        for part in parts:
            if part[0].strip():
                inked = True
                if not part[1]:
                    bold = False
                    break
        bold = bold and inked
        heading = (bool(style and style.heading) or outline) and len(text.strip()) <= 150
        if not heading and bold and len(text) <= 80 and not text.rstrip().endswith(":"):
            heading = section_heading(text)
        options = x.formatting_choices(parts) if "/" in text else ()
        hints = tuple(acc.hints) if acc.hints else ()
        boxes = tuple(acc.boxes) if acc.boxes else ()
        indented = indented or text[:1] == "\t"
        return ParaRead(text, options, bold, heading, hints, boxes, _marked(parts), indented)

    def _paragraph_props(self, ppr: etree._Element) -> tuple[StyleInfo | None, bool, bool]:
        """The paragraph's style, whether it carries an outline (heading) level, and whether
        it is indented, from its ``w:pPr``."""
        style, outline, indented = None, False, False
        for prop in ppr:
            if prop.tag == x.PSTYLE:
                style = self.styles.get(prop.get(x.VAL) or "")
            elif prop.tag == x.OUTLINE:
                outline = int_value(prop.get(x.VAL), 9) < 9
            elif prop.tag == x.IND:
                start = prop.get(x.w("start")) or prop.get(x.w("left"))
                indented = int_value(start) > 0 or int_value(prop.get(x.w("firstLine"))) > 0
        return style, outline, indented

    def _inline(self, parent: etree._Element, acc: _Inline, bold: bool) -> None:
        for child in parent:
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
                choice = x.child(child, x.CHOICE)
                if choice is not None:
                    self._inline(choice, acc, bold)

    def _inline_sdt(self, sdt: etree._Element, acc: _Inline, bold: bool) -> None:
        info = x.sdt_info(sdt)
        if info.hint:
            acc.hints.append(info.hint)
        if info.checkbox is not None:
            acc.parts.append((x.TICKED if info.checkbox else x.UNTICKED, bold, False, False))
            self.control_boxes += 1
            return
        if info.placeholder:
            return
        if info.date:
            acc.parts.append((info.date, bold, False, False))
            self.control_values += 1
            return
        content = x.child(sdt, x.SDT_CONTENT)
        if content is None:
            return
        start = len(acc.parts)
        self._inline(content, acc, bold)
        added = "".join(part[0] for part in acc.parts[start:])
        if x.is_placeholder(added):
            del acc.parts[start:]
        elif added.strip():
            self.control_values += 1

    def _run(self, r: etree._Element, acc: _Inline, bold: bool) -> None:
        rpr = self._property(r, x.RPR)
        struck = lit = hidden = False
        font: str | None = None
        if rpr is not None:
            bold, struck, lit, hidden, font = self._run_format(rpr, bold)
        for child in r:
            tag = child.tag
            if tag == x.T:
                text = child.text or ""
                if font:
                    text = x.symbol_text(font, text)
                if text and not hidden and (not self._fields or self._showing()):
                    acc.parts.append((text, bold, struck, lit))
                    if self._fields and text.strip():
                        self._fields[-1].has_text = True
            elif tag == x.RPR:
                continue
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
                choice = x.child(child, x.CHOICE)
                if choice is not None:
                    acc.boxes.extend(_text_boxes(choice))

    def _run_format(
        self, rpr: etree._Element | None, bold: bool
    ) -> tuple[bool, bool, bool, bool, str | None]:
        """(bold, struck, highlighted, hidden, symbol font) from direct run formatting."""
        if rpr is None:
            return bold, False, False, False, None
        struck = lit = hidden = False
        font = None
        for prop in rpr:
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
        return True

    def _field_char(self, fld_char: etree._Element, acc: _Inline, bold: bool) -> None:
        kind = fld_char.get(x.w("fldCharType"))
        if kind == "begin":
            form = x.form_field(fld_char)
            if form.name:
                acc.hints.append(form.name)
            if form.shown and self._showing():
                acc.parts.append((form.shown, bold, False, False))
            if form.kind == "checkbox":
                self.control_boxes += 1
            elif form.kind == "dropdown" and form.shown:
                self.control_values += 1
            self._fields.append(FieldState(form.kind))
        elif kind == "separate" and self._fields:
            self._fields[-1].phase = "result"
            self._fields[-1].has_text = False
        elif kind == "end" and self._fields:
            done = self._fields.pop()
            self.control_values += done.kind == "text" and done.has_text


def _text_boxes(element: etree._Element) -> list[etree._Element]:
    """Top-level ``w:txbxContent`` under a drawing (not boxes nested inside boxes)."""
    boxes = []
    for box in element.iter(x.TXBX):
        outer = box.getparent()
        while outer is not None and outer is not element and outer.tag != x.TXBX:
            outer = outer.getparent()
        if outer is None or outer is element:
            boxes.append(box)
    return boxes


def int_value(value: str | None, default: int = 0) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


def _bold_key(parts: list[tuple[str, bool, bool, bool]]) -> str | None:
    """ "**Surname*** BRANNIGAN" (a bold label, then the answer typed or in a form field on
    the same line) as "Surname*: BRANNIGAN", so the label and its answer part like any pair."""
    at = 0
    while at < len(parts) and (parts[at][1] or not parts[at][0].strip()):
        at += 1
    key = "".join(part[0] for part in parts[:at]).strip()
    rest = "".join(part[0] for part in parts[at:]).strip()
    if not key or not rest or at == len(parts) or ":" in key or "\n" in key or "\t" in key:
        return None
    words = key.rstrip("*?").split()
    if not 1 <= len(words) <= 6 or not any(ch.isalpha() for ch in key) or key.endswith((".", ",")):
        return None
    if rest.startswith((":", "-", "(")) or len(rest) > 200 or "\n" in rest:
        return None
    if rest.split()[0] in _CARRIES_ON:  # "**Please note** that the form must ..." is a sentence
        return None
    return f"{key}: {rest}"


_CARRIES_ON = frozenset("that the to and or if you your a an of in for is are be will must "
                        "should can may with by on at this these".split())


def _marked(parts: list[tuple[str, bool, bool, bool]]) -> str:
    """ "struck" / "lit" when most letters of the paragraph are struck through / highlighted."""
    for part in parts:
        if part[2] or part[3]:
            break
    else:
        return ""
    letters = struck = lit = 0
    for text, _bold, is_struck, is_lit in parts:
        count = sum(1 for ch in text if ch.isalnum())
        letters += count
        struck += count if is_struck else 0
        lit += count if is_lit else 0
    if letters and struck * 2 > letters:
        return "struck"
    if letters and lit * 2 > letters:
        return "lit"
    return ""
