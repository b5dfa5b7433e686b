"""The word boxes of a rendered document's pages, read once per document hash.

pdfplumber reads them from the PDF that was rendered (the LibreOffice PDF of a Word form),
with the form fields' widgets, and they are kept as ``words.json`` beside the page images so
a case page only reads a small file (:mod:`intake.web.form_regions` finds values in them).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORDS_FILE = "words.json"
_ALNUM = re.compile(r"[^0-9a-z]+")


def letters_of(text: str) -> str:
    """Only the letters and digits, lower case: how words are compared."""
    return _ALNUM.sub("", text.lower())


@dataclass(frozen=True)
class Box:
    """A region as fractions (0..1) of the page's width and height, top-left origin."""

    x0: float
    top: float
    x1: float
    bottom: float

    def union(self, other: Box) -> Box:
        return Box(min(self.x0, other.x0), min(self.top, other.top),
                   max(self.x1, other.x1), max(self.bottom, other.bottom))

    def padded(self, by: float = 0.004) -> Box:
        return Box(max(0.0, self.x0 - by), max(0.0, self.top - by),
                   min(1.0, self.x1 + by), min(1.0, self.bottom + by))

    def permille(self) -> tuple[int, int, int, int]:
        """x, y, width, height in thousandths of the page (the overlay's SVG viewBox)."""
        x, y = round(self.x0 * 1000), round(self.top * 1000)
        return x, y, max(4, round(self.x1 * 1000) - x), max(4, round(self.bottom * 1000) - y)


@dataclass
class PageWords:
    """One page's words (text and box, in reading order) and form-field widgets."""

    width: float
    height: float
    words: list[tuple[str, Box]]
    fields: dict[str, Box] = field(default_factory=dict)
    _index: tuple[str, list[int], set[int], set[int]] | None = None

    def index(self) -> tuple[str, list[int], set[int], set[int]]:
        """Letters and digits of the page run together, the word of each character, and
        where words start and end (so "Ann" is not found inside "Joanna")."""
        if self._index is None:
            text, owner, starts, ends = [], [], set(), set()
            position = 0
            for number, (word, _) in enumerate(self.words):
                letters = letters_of(word)
                if not letters:
                    continue
                starts.add(position)
                text.append(letters)
                owner.extend([number] * len(letters))
                position += len(letters)
                ends.add(position)
            self._index = ("".join(text), owner, starts, ends)
        return self._index

    def find(self, wanted: str, *, whole: bool = True) -> list[Box]:
        """Each place the letters ``wanted`` start a word (and end one when ``whole``): in
        reading order, else down a wrapped table cell (:meth:`flow`)."""
        return self._run_on(wanted, whole) or self.flow(wanted, whole)

    def flow(self, wanted: str, whole: bool) -> list[Box]:
        """Where ``wanted`` runs on within one cell: the page's reading order goes across
        the columns of a table, so a cell's second line comes after its neighbours' first."""
        letters = [letters_of(w) for w, _ in self.words]
        found = []
        for start, first in enumerate(letters):
            if not first or not (wanted.startswith(first) or (not whole and first.startswith(wanted))):
                continue
            boxes, done, current = [self.words[start][1]], len(first), start
            while done < len(wanted):
                nxt = self._continuation(letters, current, boxes[0], wanted[done:], whole)
                if nxt is None:
                    break
                boxes.append(self.words[nxt][1])
                done, current = done + len(letters[nxt]), nxt
            if done >= len(wanted) and (done == len(wanted) or not whole):
                box = boxes[0]
                for other in boxes[1:]:
                    box = box.union(other)
                found.append(box)
        return found

    def _continuation(self, letters: list[str], current: int, first: Box, rest: str,
                      whole: bool) -> int | None:
        here = self.words[current][1]
        line = max(here.bottom - here.top, 0.005)
        for number in range(current + 1, min(len(letters), current + 60)):
            box, part = self.words[number][1], letters[number]
            if not part:
                continue
            same_line = abs(box.top - here.top) < line / 2 and box.x0 >= here.x1 - 0.002
            below = 0 < box.top - here.top < 2.5 * line and abs(box.x0 - first.x0) < 0.02
            fits = rest.startswith(part) or (not whole and part.startswith(rest))
            if (same_line or below) and fits:
                return number
            if box.top - here.top > 2.5 * line:
                return None
        return None

    def _run_on(self, wanted: str, whole: bool) -> list[Box]:
        text, owner, starts, ends = self.index()
        found, at = [], text.find(wanted)
        while at >= 0 and wanted:
            end = at + len(wanted)
            if at in starts and (end in ends or not whole):
                boxes = [self.words[n][1] for n in range(owner[at], owner[end - 1] + 1)]
                box = boxes[0]
                for other in boxes[1:]:
                    box = box.union(other)
                found.append(box)
            at = text.find(wanted, at + 1)
        return found

    def to_json(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height,
                "words": [[t, *_round(b)] for t, b in self.words],
                "fields": {n: _round(b) for n, b in self.fields.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageWords:
        return cls(float(data["width"]), float(data["height"]),
                   [(str(w[0]), Box(*map(float, w[1:5]))) for w in data.get("words") or []],
                   {str(n): Box(*map(float, b)) for n, b in (data.get("fields") or {}).items()})


def _round(box: Box) -> list[float]:
    return [round(box.x0, 5), round(box.top, 5), round(box.x1, 5), round(box.bottom, 5)]


def read_words(pdf: Path, pages: int) -> list[PageWords]:
    """Word boxes of the first ``pages`` pages of a PDF, and its form fields' widgets (with
    their values as words: pdfplumber's text does not include what was typed in a field)."""
    import pdfplumber

    from parsers.pdf.field_labels import PageFrame
    from parsers.pdf.fields import read_form_fields

    try:
        widgets = read_form_fields(pdf.read_bytes()).widgets
    except Exception:  # noqa: BLE001 - a broken AcroForm only loses the field regions
        widgets = []
    result = []
    with pdfplumber.open(pdf) as document:
        for number, page in enumerate(document.pages[:pages], start=1):
            width, height = float(page.width), float(page.height)
            frame = PageFrame(width, height, int(page.rotation or 0))

            def scaled(x0: float, top: float, x1: float, bottom: float,
                       w: float = width, h: float = height) -> Box:
                return Box(x0 / w, top / h, x1 / w, bottom / h)

            words = [(str(w["text"]), scaled(w["x0"], w["top"], w["x1"], w["bottom"]))
                     for w in page.extract_words(keep_blank_chars=False)]
            fields: dict[str, Box] = {}
            for widget in (w for w in widgets if w.page == number):
                placed = frame.box(widget.rect)
                if placed is None:
                    continue
                fields.setdefault(widget.name, scaled(*placed))
                if widget.kind in ("text", "choice") and widget.value:
                    words.append((widget.value, scaled(*placed)))
            result.append(PageWords(width, height, words, fields))
    return result


def save_words(pages: list[PageWords], path: Path) -> None:
    path.write_text(json.dumps([p.to_json() for p in pages], separators=(",", ":")),
                    encoding="utf-8")


def load_words(path: Path) -> list[PageWords] | None:
    if not path.exists():
        return None
    try:
        return [PageWords.from_json(p) for p in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, KeyError, TypeError, IndexError):
        return None
