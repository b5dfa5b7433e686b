"""The strokes of a PDF page: rulings, tick-box squares, strike-throughs and highlights.

Everything comes from what pdfplumber has already parsed for the page (``page.lines``,
``page.rects``, ``page.curves``), so it costs next to nothing beside reading the words.
The rulings become tables in :mod:`parsers.pdf.tables`; the small squares become tick
boxes; a rule through a word or a coloured patch behind it answers a "delete as
appropriate" choice.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from parsers.pdf.geometry import Token

_MARKS_IN_BOX = frozenset({"x", "X", "✓", "✔", "✗", "✘", "/", "•", "●", "■", "v", "V"})
_BOX_MIN, _BOX_MAX = 5.0, 16.0


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


def mark_strokes(tokens: list[Token], strokes: Strokes) -> None:
    """Mark struck and highlighted words.

    Strike-through rules are then taken out of the rulings: inside a table cell they would
    otherwise split its row in two.
    """
    strikes = _mark_struck(tokens, strokes.horizontal)
    if strikes:
        strokes.horizontal = [seg for pos, seg in enumerate(strokes.horizontal)
                              if pos not in strikes]
    _mark_highlighted(tokens, strokes.shaded)


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
