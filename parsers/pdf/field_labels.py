"""The label a person sees beside a fillable PDF field, and the entries the fields give.

Field names are designer's shorthand ("Text12"), so the label is, in order: the tooltip
(``/TU``), the words printed just left of the widget on its line, the words printed just
above it, else the field name made readable. A check box whose caption is printed right of
it ("☐ Left the country") is an option: its label is the question printed above the stack
of boxes. The printed words used here are marked ``consumed`` so that the page's text
reader does not read "Surname:" again as a label with no value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral
from pdfminer.utils import decode_text

from parsers.entries import Entry
from parsers.layout.table import clean_label
from parsers.layout.text import is_placeholder_hint
from parsers.pdf.fields import Widget, readable_field_name
from parsers.pdf.geometry import Token, group_lines
from parsers.pdf.tables import RuledTable, in_table

Box = tuple[float, float, float, float]  # x0, top, x1, bottom (pdfplumber page space)
_CHOICE_WORDS = frozenset({"yes", "no", "y", "n", "n/a", "unknown"})
_BUTTONS = ("checkbox", "radio")
_FAR = 400.0
# "Looked after child - Yes", "Type of school: Academy": a button named question + option.
_OPTION_NAME = re.compile(r"^(?P<question>.*\S)\s+[-–:]\s+(?P<option>[^-–:]+)$")  # a label may sit a long way left of its field, with nothing between


@dataclass(frozen=True)
class PageFrame:
    """A page as pdfplumber shows it (size after ``/Rotate``), to place widgets on it."""

    width: float
    height: float
    rotation: int = 0

    def box(self, rect: tuple[float, float, float, float] | None) -> Box | None:
        """A widget's ``/Rect`` in pdfplumber's space, turned as pdfplumber turns annots."""
        if rect is None:
            return None
        (ax, ay), (bx, by) = self._turn(rect[0], rect[1]), self._turn(rect[2], rect[3])
        x0, x1 = sorted((ax, bx))
        y0, y1 = sorted((ay, by))
        return (x0, self.height - y1, x1, self.height - y0)

    def _turn(self, x: float, y: float) -> tuple[float, float]:
        turns = (self.rotation % 360) // 90
        for step in range(turns):
            span = self.width if step == turns % 2 else self.height
            x, y = y, span - x
        return x, y


@dataclass
class FieldEntry:
    """An entry from a field, with its position so the caller can give it a section."""

    entry: Entry
    top: float


def field_entries(widgets: list[Widget], tokens: list[Token], page_no: int,
                  page: PageFrame) -> list[FieldEntry]:
    """Entries for the fields on one page, in reading order (by widget position)."""
    placed = _reading_order([(w, page.box(w.rect)) for w in widgets])
    words = [tok for tok in tokens if tok.tick is None]
    boxes = [box for _, box in placed if box]
    buttons = [box for w, box in placed if box and w.kind in _BUTTONS]
    out: list[FieldEntry] = []
    memory: dict[str, str] = {}
    columns: list[tuple[Box, str]] = []  # labelled text fields, for the rows below them
    for widget, box in placed:
        where = f"page {page_no}, field {widget.name}"
        top = box[1] if box else 0.0
        if widget.kind in _BUTTONS:
            entry = _button_entry(widget, box, words, boxes, buttons, where, memory)
        else:
            label = _printed_label(box, words, boxes, widget.tooltip) or _column_label(
                box, widget.name, columns)
            if label and box:
                columns.append((box, label))
            entry = Entry(clean_label(label or readable_field_name(widget.name)), widget.value,
                          where)
        out.append(FieldEntry(entry, top))
    return out


def _column_label(box: Box | None, name: str, columns: list[tuple[Box, str]]) -> str:
    """A field with no words of its own ("Text22") under a labelled field of the same width
    and column: the next row of a fillable log (Date | Action | Outcome) takes its header."""
    if box is None or not is_placeholder_hint(name):
        return ""
    for above, label in reversed(columns):
        if abs(above[0] - box[0]) <= 3 and abs(above[2] - box[2]) <= 3 and above[1] < box[1]:
            return label
    return ""


def widgets_in_tables(widgets: list[Widget], tables: list[RuledTable],
                      page: PageFrame) -> tuple[list[Widget], list[Token]]:
    """Split off the fields drawn inside ruled table cells, as tokens showing their values.

    A fillable grid (Date | Action | Outcome, one field per cell) or a label | field table
    is then read by the table rules like its printed twin; the rest stay fields.
    """
    outside: list[Widget] = []
    shown: list[Token] = []
    for widget in widgets:
        box = page.box(widget.rect)
        if box is None or not in_table(tables, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2):
            outside.append(widget)
            continue
        size = min(10.0, max(box[3] - box[1], 4.0))
        if widget.kind in _BUTTONS:
            side = min(box[2] - box[0], box[3] - box[1])
            shown.append(Token("", box[0], box[0] + side, box[1], box[1] + side, size=size,
                               tick=bool(widget.checked), field=widget.name))
        elif widget.value:
            lines = widget.value.splitlines() or [widget.value]
            for number, line in enumerate(lines):
                top = box[1] + number * size * 1.2
                shown.append(Token(line, box[0], box[2], top, top + size, size=size,
                                   field=widget.name))
    return outside, shown


def _reading_order(placed: list[tuple[Widget, Box | None]]) -> list[tuple[Widget, Box | None]]:
    """Rows top to bottom (widgets that overlap vertically share a row), then left to right,
    so a row's check boxes take their captions before a taller field beside them looks."""
    rows: list[list[tuple[Widget, Box]]] = []
    for widget, box in sorted(((w, b) for w, b in placed if b), key=lambda pair: pair[1][1]):
        if rows and _overlaps(rows[-1][0][1], box):
            rows[-1].append((widget, box))
        else:
            rows.append([(widget, box)])
    ordered: list[tuple[Widget, Box | None]] = [
        pair for row in rows for pair in sorted(row, key=lambda pair: pair[1][0])
    ]
    return ordered + [(w, b) for w, b in placed if b is None]


def _text(tokens: list[Token]) -> str:
    return " ".join(tok.text for tok in tokens).strip()


def _consume(tokens: list[Token]) -> str:
    for tok in tokens:
        tok.consumed = True
    return _text(tokens)


def _button_entry(widget: Widget, box: Box | None, words: list[Token], boxes: list[Box],
                  buttons: list[Box], where: str, memory: dict[str, str]) -> Entry:
    """A check box or radio option: (question, option text, checked).

    ``memory`` keeps each radio group's question and each row's question, so the second box
    on a row ("Looked after?  ☐ Yes  ☒ No") gets the question the first one found.
    """
    caption, beside = _caption(box, words, boxes) if box else ("", "")
    named = _OPTION_NAME.match(widget.tooltip or widget.name)
    if named and caption and named["option"].strip().lower() == caption.lower() and box:
        _row_question(box, words, boxes, memory)  # the printed (maybe clipped) question
        return Entry(clean_label(named["question"]), caption, where, checked=widget.checked)
    if widget.kind == "radio":
        key = f"group:{widget.name}"
        if key not in memory:
            memory[key] = clean_label(
                widget.tooltip or beside or (box and _row_question(box, words, boxes, memory))
                or (box and _question(box, words, buttons)) or readable_field_name(widget.name)
            )
        return Entry(memory[key], caption or widget.value, where, checked=widget.checked)
    if caption and box:
        question = (beside or _row_question(box, words, boxes, memory)
                    or _question(box, words, buttons))
        return Entry(clean_label(question), caption, where, checked=widget.checked)
    if named:
        return Entry(clean_label(named["question"]), named["option"], where,
                     checked=widget.checked)
    label = _printed_label(box, words, boxes, widget.tooltip)
    label = label or readable_field_name(widget.name)
    return Entry(clean_label(label), widget.value, where, checked=widget.checked)


def _row_question(box: Box, words: list[Token], boxes: list[Box], memory: dict[str, str]) -> str:
    """The question printed at the start of the box's row, found once per row."""
    key = f"row:{round((box[1] + box[3]) / 6)}"
    if key not in memory:
        memory[key] = _consume(_run(box, words, boxes, leftwards=True, first_gap=_FAR))
    return memory[key]


def _caption(box: Box, words: list[Token], boxes: list[Box]) -> tuple[str, str]:
    """An option's own text, and the question printed left of it on the same line.

    A Yes/No word just left of the box is its caption ("Off roll?  Yes ☐  No ☒"), else the
    words right of it are ("☐ Left the country").
    """
    left = _run(box, words, boxes, leftwards=True, first_gap=12.0)
    if left and left[-1].text.lower().strip(":") in _CHOICE_WORDS:
        word = left[-1]
        caption = _consume([word])
        edge = (word.x0, box[1], word.x0, box[3])
        before = _run(edge, words, boxes, leftwards=True, first_gap=_FAR)
        question = before if before and before[-1].text.lower() not in _CHOICE_WORDS else []
        return caption, _consume(question)
    right = _run(box, words, boxes, leftwards=False, first_gap=15.0)
    return (_consume(right), "") if right else ("", "")


def _printed_label(box: Box | None, words: list[Token], boxes: list[Box],
                   tooltip: str | None = None) -> str:
    """The tooltip, else the words printed left of the box, else above it.

    With a tooltip the printed words are only taken (so not read again as a label of their
    own) when they are the tooltip's words: a field's neighbour may be another's caption.
    """
    if box is None:
        return tooltip or ""
    printed = _run(box, words, boxes, leftwards=True, first_gap=_FAR) or _above(box, words)
    if tooltip is None:
        return _consume(printed)
    if printed and _text(printed).lower().strip(" :*") in tooltip.lower():
        _consume(printed)
    return tooltip


def _same_line(tok: Token, box: Box) -> bool:
    """On the widget's first text line (a tall multi-line box is labelled at its top)."""
    top, bottom = box[1], min(box[3], box[1] + max(2 * tok.size, 14.0))
    return top - 2 <= tok.mid_y <= bottom + 2


def _run(box: Box, words: list[Token], boxes: list[Box], *, leftwards: bool,
         first_gap: float) -> list[Token]:
    """The contiguous words beside the box on its line, up to a column gap or another box."""
    if leftwards:
        stop = max((b[2] for b in boxes if b[2] <= box[0] + 1 and _overlaps(b, box)), default=-1e9)
        near = [t for t in words if not t.consumed and _same_line(t, box)
                and t.x1 <= box[0] + 2 and t.x0 >= stop]
        near.sort(key=lambda t: -t.x1)
        edge = box[0]
    else:
        stop = min((b[0] for b in boxes if b[0] >= box[2] - 1 and _overlaps(b, box)), default=1e9)
        near = [t for t in words if not t.consumed and _same_line(t, box)
                and t.x0 >= box[2] - 2 and t.x1 <= stop]
        near.sort(key=lambda t: t.x0)
        edge = box[2]
    run: list[Token] = []
    for tok in near:
        gap = (edge - tok.x1) if leftwards else (tok.x0 - edge)
        if gap > (first_gap if not run else 0.8 * max(tok.size, 6.0)):
            break
        run.append(tok)
        edge = tok.x0 if leftwards else tok.x1
    return run[::-1] if leftwards else run


def _overlaps(a: Box, b: Box) -> bool:
    return min(a[3], b[3]) - max(a[1], b[1]) > 0.3 * min(a[3] - a[1], b[3] - b[1])


def _above(box: Box, words: list[Token]) -> list[Token]:
    """The words printed on the line just above the widget, over its width."""
    near = [t for t in words if not t.consumed and box[1] - 3 * t.size <= t.bottom <= box[1] + 2
            and t.x1 >= box[0] - 5 and t.x0 <= box[2] + 5]
    if not near:
        return []
    lowest = max(t.bottom for t in near)
    line = [t for t in near if t.bottom >= lowest - 0.5 * t.size]
    return sorted(line, key=lambda t: t.x0)


def _question(box: Box, words: list[Token], buttons: list[Box]) -> str:
    """The line above a stack of option boxes: skip the rows that hold boxes themselves."""
    lines = group_lines([t for t in words if t.bottom <= box[1] + 2])
    edge = box[1]
    for line in reversed(lines):
        size = max(t.size for t in line)
        if edge - line[-1].bottom > 2.5 * size:
            return ""
        row = (line[0].x0, min(t.top for t in line), line[-1].x1, max(t.bottom for t in line))
        if any(_overlaps(b, row) for b in buttons):
            edge = row[1]
            continue
        live = [t for t in line if not t.consumed]
        if not live and not all(t.asked for t in line):
            return ""  # another field's label ("URN" above "☐ Maintained"), not a question
        live = live or line
        for tok in live:
            tok.consumed = tok.asked = True
        return _text(live)
    return ""


def typed_annotations(annots: Any, page: PageFrame) -> list[Token]:
    """Text typed onto the PDF with a viewer's text-box tool (FreeText annotations).

    Read from the raw annotation dictionaries, one line per token at the box's place, so
    that a damaged annotation is skipped rather than failing the page.
    """
    tokens: list[Token] = []
    for ref in resolve1(annots) or []:
        annot = resolve1(ref)
        if not isinstance(annot, dict) or not _is_free_text(annot.get("Subtype")):
            continue
        contents, rect = resolve1(annot.get("Contents")), resolve1(annot.get("Rect"))
        if not isinstance(contents, (bytes, str)) or not isinstance(rect, list) or len(rect) != 4:
            continue
        try:
            corners = tuple(float(resolve1(v)) for v in rect)
        except (TypeError, ValueError):
            continue
        box = page.box((corners[0], corners[1], corners[2], corners[3]))
        text = decode_text(contents) if isinstance(contents, bytes) else contents
        if box is None:
            continue
        height = min(box[3] - box[1], 14.0)
        lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        for offset, line in enumerate(lines):
            top = box[1] + offset * height
            tokens.append(Token(line, box[0], box[2], top, top + height, size=height * 0.8))
    return tokens


def _is_free_text(subtype: Any) -> bool:
    subtype = resolve1(subtype)
    return isinstance(subtype, PSLiteral) and subtype.name == "FreeText"
