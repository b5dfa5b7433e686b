"""OCR words cleaned and turned into layout tokens: tick-box outlines read as letters
dropped, captions unglued from their boxes, type sizes and bold lines evened out, page
rules and boxes as PDF strokes, and each entry's confidence from its words'.

Part of :mod:`parsers.ocr.reader`; pure functions on Tesseract's words and the page mask.
"""

from __future__ import annotations

import re
from dataclasses import replace
from statistics import median
from typing import Any

from parsers.entries import Entry
from parsers.ocr import layout as pic
from parsers.ocr.tesseract import Word
from parsers.pdf.geometry import Token
from parsers.pdf.strokes import Strokes

_WORD = re.compile(r"[A-Za-z]{3,}")


def stroke_height(dark: Any) -> float:
    """Typical height of a letter's vertical stroke, in pixels (sizes tick boxes)."""
    _, tops, bottoms = pic.column_runs(dark)
    lengths = bottoms - tops
    lengths = lengths[(lengths >= 6) & (lengths <= 120)]
    return float(median(lengths.tolist())) * 1.3 if lengths.size else 30.0


def inside(word: Word, box: pic.Box) -> bool:
    """A word that is the box itself, read as junk ("Kl", "LJ"); a longer word over the box
    is a caption glued to it (see unglued)."""
    x, y = word.left + word.width / 2, word.top + word.height / 2
    return (box.x0 - 3 <= x <= box.x1 + 3 and box.top - 3 <= y <= box.bottom + 3
            and word.width <= 1.6 * (box.x1 - box.x0))


def same_size(boxes: list[pic.Box]) -> list[pic.Box]:
    """A form prints its tick boxes at one size; a much smaller "box" is a letter or digit
    (o, 0) that passed the shape tests."""
    if len(boxes) < 3:
        return boxes
    typical = median(b.x1 - b.x0 for b in boxes)
    return [b for b in boxes if b.x1 - b.x0 >= 0.8 * typical]


def part_of_word(box: pic.Box, word: Word) -> bool:
    """A "box" inside a confidently read longer word is a letter (o, D, 0) or two (E next
    to d), not a tick box. A real box is read, if at all, as junk of its own size ("Kl") or
    glued to its caption with a low confidence ("YesQO")."""
    if word.confidence < 0.75 or sum(ch.isalnum() for ch in word.text) < 3:
        return False
    middle_x, middle_y = (box.x0 + box.x1) / 2, (box.top + box.bottom) / 2
    return (word.left <= middle_x <= word.left + word.width
            and word.top <= middle_y <= word.top + word.height
            and word.width > 1.6 * (box.x1 - box.x0))


_BOX_JUNK = ".,:;'`|()[]{}QO0@&®©"  # what Tesseract makes of a box's outline


def unglued(word: Word, boxes: list[pic.Box]) -> list[Word]:
    """The parts of a word outside the boxes it overlaps: "X.No" -> "No", "YesQO" -> "Yes",
    "YesQO)No" -> "Yes", "No" (letters cut in proportion to the width the box covers)."""
    for box in boxes:
        if not (box.top - 3 <= word.top + word.height / 2 <= box.bottom + 3):
            continue
        right = word.left + word.width
        if box.x1 < word.left or box.x0 > right:
            continue
        per_char = word.width / max(len(word.text), 1)
        before = word.text[: max(0, round((box.x0 - 2 - word.left) / per_char))]
        after = word.text[min(len(word.text), round((box.x1 + 2 - word.left) / per_char)):]
        before, after = before.rstrip(_BOX_JUNK), after.lstrip(_BOX_JUNK)
        parts = []
        if before:
            parts.append(replace(word, text=before, width=max(1, box.x0 - 2 - word.left)))
        if after:
            parts.append(replace(word, text=after, left=box.x1 + 2,
                                 width=max(1, right - box.x1 - 2)))
        return [piece for part in parts for piece in unglued(part, boxes)]
    return [word]


def trimmed(word: Word) -> Word:
    """A word without the underscores a writing line under it was read as
    ("_n.pennock@example.org"): no answer on a form begins or ends with one."""
    text = word.text.strip("_")
    return word if text == word.text else replace(word, text=text)


def kept(word: Word) -> bool:
    """Speckles read as stray quotes and dots are dropped, and so is a ``|``: the stub of
    a table rule the picture search did not find whole (noise breaks it into pieces) read
    as a glyph; no answer on a form is a bar."""
    if not word.text.strip("|"):
        return False
    return any(ch.isalnum() for ch in word.text) or word.confidence >= 0.6


def reads_badly(words: list[Word]) -> bool:
    real = [w for w in words if _WORD.search(w.text)]
    if len(real) < 8:
        return True
    return median(w.confidence for w in real) < 0.45


_ASCENDING = frozenset("bdfhijklt0123456789()[]{}/|!?'\"%&#@$£")  # i, j: their dots
_DESCENDING = frozenset("gjpqy()[]{}|;,@")


def _em(word: Word) -> float:
    """The font size a word's box implies: "of", "days" and "Exbridge" have different
    heights in the same type, so divide by the share of the em its letters reach."""
    text = word.text
    up = any(ch in _ASCENDING or ch.isupper() for ch in text)
    down = any(ch in _DESCENDING for ch in text)
    return word.height / (0.56 + 0.2 * up + 0.22 * down)


BEARING = 0.07  # em: the blank a glyph's advance leaves at each side of its ink


def page_tokens(words: list[Word], dark: Any) -> tuple[list[Token], float]:
    """OCR words as layout tokens in points (the typical type size = 10 pt)."""
    sizes = [_em(w) for w in words if _WORD.search(w.text)] or [30.0]
    scale = 10.0 / median(sizes)
    strokes = [pic.stroke_width(dark, w.left, w.top, w.left + w.width, w.top + w.height)
               for w in words]
    widths = sorted(x for x in strokes if x > 0) or [0.0]
    regular = widths[len(widths) // 5]  # most words on a form are regular type
    tokens = []
    weight: dict[int, float] = {}
    for word, stroke in zip(words, strokes, strict=True):
        token = Token(word.text, word.left * scale, (word.left + word.width) * scale,
                      word.top * scale, (word.top + word.height) * scale,
                      size=_em(word) * scale)
        weight[id(token)] = stroke / regular if regular else 0.0
        tokens.append(token)
    _even_lines(tokens, weight)
    for token in tokens:  # Tesseract's boxes are ink-tight; a PDF word spans its advance
        token.x0, token.x1 = token.x0 - BEARING * token.size, token.x1 + BEARING * token.size
    return tokens, scale


def _even_lines(tokens: list[Token], weight: dict[int, float]) -> None:
    """A word's box height depends on its letters ("of" vs "days") and a speckle can make
    a word tall: give every word on a printed line the median height of its real words.
    A line is bold when most of its words have strokes half as thick again as regular type
    (a lone word needs more, since one blot can thicken it); lines mixing a bold label and
    a regular value are left regular, as the layout code expects."""
    from parsers.pdf.geometry import group_lines

    for line in group_lines(tokens):
        real = [tok for tok in line if _WORD.search(tok.text)] or line
        size = median(tok.size for tok in real)
        need = 1.5 if len(real) > 1 else 1.8
        bold = sum(weight.get(id(tok), 0.0) >= need for tok in real) * 2 > len(real)
        for tok in line:
            tok.size, tok.bold = size, bold


def page_strokes(horizontal: list[pic.Segment], vertical: list[pic.Segment], boxes: list[pic.Box],
             scale: float) -> Strokes:
    strokes = Strokes()
    strokes.horizontal = [(y * scale, x0 * scale, x1 * scale) for y, x0, x1 in horizontal]
    strokes.vertical = [(x * scale, t * scale, b * scale) for x, t, b in vertical]
    for box in boxes:
        rect = (box.x0 * scale, box.top * scale, box.x1 * scale, box.bottom * scale)
        strokes.boxes.append(rect)
        if box.checked:
            inset = (rect[2] - rect[0]) / 4
            strokes.marks.append((rect[0] + inset, rect[1] + inset, rect[2] - inset,
                                  rect[3] - inset))
    return strokes


LOW_CONFIDENCE = 0.75  # the mapper's default threshold for ``low_confidence``


def with_confidence(entry: Entry, words: list[Word], scale: float = 1.0) -> Entry:
    """Half the weakest and half the mean of the value's word confidences. A doubtful
    value also names its place on the page (pixels of the straightened sheet), so the
    reviewer can look at the picture rather than trust the reading."""
    best: dict[str, Word] = {}
    for word in words:
        if word.text not in best or word.confidence > best[word.text].confidence:
            best[word.text] = word
    text = entry.value if entry.checked is None else f"{entry.label} {entry.value}"
    found = [best[w] for w in text.split() if w in best]
    if not found:
        return entry
    scores = [w.confidence for w in found]
    confidence = min(entry.confidence, round(0.5 * min(scores) + 0.5 * sum(scores) / len(scores), 3))
    locator = entry.locator
    if confidence < LOW_CONFIDENCE:
        weakest = min(found, key=lambda w: w.confidence)
        near = [w for w in found if abs(w.top - weakest.top) <= 3 * max(weakest.height, 1)]
        x0, top = min(w.left for w in near), min(w.top for w in near)
        x1 = max(w.left + w.width for w in near)
        bottom = max(w.top + w.height for w in near)
        locator = f"{locator}, region {x0},{top}-{x1},{bottom} px"
    return replace(entry, confidence=confidence, locator=locator)
