"""The words of a PDF page as tokens and printed lines, and the tick options on a line.

A PDF has no paragraphs or check boxes, only glyphs at positions. Tick boxes arrive as
glyphs (☐ ☒ ✓, Wingdings codes from Word), as "[X]" / "[ ]", or as drawn squares
(:mod:`parsers.pdf.strokes`); all become :class:`Token` values with ``tick`` set, so that
the options on a line are read one way whatever drew them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

TICKED_GLYPHS = frozenset("☒☑✓✔✗✘⊠⮽🗹")
EMPTY_GLYPHS = frozenset("☐□❏❑⬜")
# Word's Wingdings boxes arrive as their Latin-1 code or a private-use code point.
_WINGDINGS_TICKED = frozenset("þýxüû\uf0fe\uf0fd\uf078\uf0fc\uf0fb")
_WINGDINGS_EMPTY = frozenset("¨oq\uf0a8\uf06f\uf071")
_GLYPHS = TICKED_GLYPHS | EMPTY_GLYPHS
_FILLED = frozenset("■▣◼")
_BRACKETS = {"[x]": True, "[X]": True, "[✓]": True, "[✔]": True, "[]": False, "[ ]": False}


@dataclass(eq=False)
class Token:
    """A printed word, or a tick box (``tick`` True/False) drawn as a glyph or a square."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float = 10.0
    bold: bool = False
    tick: bool | None = None
    struck: bool = False
    highlighted: bool = False
    consumed: bool = False
    field: str | None = None  # the form field whose value this token shows
    asked: bool = False  # consumed as the question of a stack of option boxes

    @property
    def mid_x(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def mid_y(self) -> float:
        return (self.top + self.bottom) / 2

    def shown(self) -> str:
        """The token as text; a tick box keeps its printed glyph (✓, ☒, [X]) when it had one."""
        if self.tick is None or self.text:
            return self.text
        return "☒" if self.tick else "☐"


def tokens_from_words(words: Iterable[dict[str, Any]]) -> list[Token]:
    """Turn pdfplumber words into tokens, splitting tick glyphs off the words they touch."""
    tokens: list[Token] = []
    words = list(words)
    # A filled square is a bullet, unless the page also draws empty boxes: then "■" beside
    # "□" options is the one ticked.
    filled = _FILLED if any(EMPTY_GLYPHS.intersection(w["text"]) for w in words) else frozenset()
    for word in words:
        font = str(word.get("fontname", "")).lower()
        size = float(word.get("size") or 10.0)
        bold = any(mark in font for mark in ("bold", "black", "heavy"))
        text = word["text"]
        box = (word["x0"], word["x1"], word["top"], word["bottom"])
        if "wingding" in font and len(text) == 1:
            tick = True if text in _WINGDINGS_TICKED else False if text in _WINGDINGS_EMPTY else None
            if tick is not None:
                tokens.append(Token("", *box, size=size, bold=bold, tick=tick))
                continue
        if filled and text[:1] in filled:
            tokens.append(Token(text[0], box[0], box[0] + (box[1] - box[0]) / len(text), box[2],
                                box[3], size, bold, tick=True))
            text = text[1:]
            box = (tokens[-1].x1, *box[1:])
            if not text:
                continue
        if text.isalnum() or not (_GLYPHS.intersection(text) or "/" in text or "[" in text):
            tokens.append(Token(text, *box, size=size, bold=bold))
        else:
            tokens.extend(_split_glyphs(text, box, size, bold))
    return tokens


def _split_glyphs(text: str, box: tuple[float, ...], size: float, bold: bool) -> list[Token]:
    """"☒Yes" -> [☒, Yes]; a bracket box "[X]" -> one tick token; "YES/NO" -> 3 words."""
    x0, x1, top, bottom = box
    if text in _BRACKETS:
        return [Token(text, x0, x1, top, bottom, size, bold, tick=_BRACKETS[text])]
    if "/" in text and len(text) > 1 and _CHOICE_PAIR.fullmatch(text):
        return _split_choice(text, box, size, bold)
    if not any(ch in TICKED_GLYPHS or ch in EMPTY_GLYPHS for ch in text):
        return [Token(text, x0, x1, top, bottom, size, bold)]
    width = (x1 - x0) / max(len(text), 1)
    pieces: list[Token] = []
    start = 0
    for pos, ch in enumerate(text + " "):
        glyph = ch in TICKED_GLYPHS or ch in EMPTY_GLYPHS
        if glyph or pos == len(text):
            if pos > start:
                pieces.append(
                    Token(text[start:pos], x0 + start * width, x0 + pos * width, top, bottom,
                          size, bold)
                )
            if glyph:
                pieces.append(
                    Token(ch, x0 + pos * width, x0 + (pos + 1) * width, top, bottom, size, bold,
                          tick=ch in TICKED_GLYPHS)
                )
            start = pos + 1
    return pieces


_CHOICE_PAIR = re.compile(r"(?i)(?:yes|no|y|n)?(?:/(?:yes|no|y|n)?)+")


def _split_choice(text: str, box: tuple[float, ...], size: float, bold: bool) -> list[Token]:
    """Split "YES/NO" (printed without spaces) so that a rule or highlight over one part can
    be told from the other; positions are shared out by character count."""
    x0, x1, top, bottom = box
    width = (x1 - x0) / len(text)
    pieces: list[Token] = []
    for match in re.finditer(r"[^/]+|/", text):
        pieces.append(Token(match.group(), x0 + match.start() * width,
                            x0 + match.end() * width, top, bottom, size, bold))
    return pieces


def merge_brackets(line: list[Token]) -> list[Token]:
    """"[" "]" and "[" "X" "]" printed as separate words become one tick token."""
    out: list[Token] = []
    pos = 0
    while pos < len(line):
        tok = line[pos]
        if tok.text == "[" and pos + 1 < len(line):
            nxt = line[pos + 1]
            inner = nxt.text if nxt.text != "]" else ""
            close = pos + 1 if nxt.text == "]" else pos + 2
            if close < len(line) and line[close].text == "]" and inner in ("", "x", "X", "✓"):
                end = line[close]
                out.append(Token(f"[{inner or ' '}]", tok.x0, end.x1, tok.top, tok.bottom,
                                 tok.size, tok.bold, tick=bool(inner)))
                pos = close + 1
                continue
        out.append(tok)
        pos += 1
    return out


def group_lines(tokens: list[Token]) -> list[list[Token]]:
    """Tokens into printed lines, top to bottom, each left to right.

    Tokens share a line when their vertical extents overlap by half the smaller height, so a
    10pt label and a 12pt value on one baseline stay together.
    """
    lines: list[list[Token]] = []
    bounds: list[tuple[float, float]] = []
    for tok in sorted(tokens, key=lambda t: (t.top, t.x0)):
        if lines:
            top, bottom = bounds[-1]
            overlap = min(bottom, tok.bottom) - max(top, tok.top)
            if overlap >= 0.5 * min(bottom - top, tok.bottom - tok.top):
                lines[-1].append(tok)
                bounds[-1] = (min(top, tok.top), max(bottom, tok.bottom))
                continue
        lines.append([tok])
        bounds.append((tok.top, tok.bottom))
    return [merge_brackets(sorted(line, key=lambda t: t.x0)) for line in lines]


@dataclass
class LineOptions:
    """A line's tick options, the question before them and any text after them."""

    prefix: list[Token] = field(default_factory=list)
    options: list[tuple[str, bool | None]] = field(default_factory=list)
    rest: list[Token] = field(default_factory=list)


_CHOICE_WORDS = frozenset({"yes", "no", "y", "n", "n/a", "unknown", "true", "false"})


def _gap(prev: Token, tok: Token) -> bool:
    return tok.x0 - prev.x1 > 0.8 * max(prev.size, tok.size, 6.0)


def _words(tokens: list[Token]) -> str:
    return " ".join(tok.text for tok in tokens if tok.tick is None).strip()


def line_options(line: list[Token]) -> LineOptions | None:
    """Read "☐ A ☒ B", "A ☐ B ☒" or "YES / ~~NO~~" on one line; None when it has no options.

    A mark at the start of the line (or mid-line after a question) comes before its caption;
    marks that end the line follow theirs. A caption stops at a column gap. A mark just
    inside a bracket is an instruction ("(✓ all that apply)"), not a tick box.
    """
    marks = [pos for pos, tok in enumerate(line) if tok.tick is not None
             and not (pos and line[pos - 1].text.endswith("(") and not _gap(line[pos - 1], tok))]
    if not marks:
        return _struck_choice(line)
    if marks[-1] == len(line) - 1 and marks[0] != 0:
        return _marks_after(line, marks)
    found = LineOptions(prefix=line[: marks[0]])
    for num, pos in enumerate(marks):
        end = marks[num + 1] if num + 1 < len(marks) else len(line)
        caption = line[pos + 1 : end]
        cut = next((i for i in range(1, len(caption)) if _gap(caption[i - 1], caption[i])), None)
        if cut is not None and num + 1 == len(marks):
            found.rest = caption[cut:]
            caption = caption[:cut]
        found.options.append((_words(caption), line[pos].tick))
    return found


def _marks_after(line: list[Token], marks: list[int]) -> LineOptions:
    """ "Is the child in care?   Yes ☐  No ☒": each caption is the words just before its mark."""
    found = LineOptions()
    start = 0
    for pos in marks:
        span = line[start:pos]
        cut = max((i for i in range(1, len(span)) if _gap(span[i - 1], span[i])), default=0)
        caption = span[cut:] if cut else span
        if start == 0:
            caption, lead = _split_question(caption)
            found.prefix = span[:cut] + lead
        found.options.append((_words(caption), line[pos].tick))
        start = pos + 1
    return found


def _split_question(caption: list[Token]) -> tuple[list[Token], list[Token]]:
    """Keep just the answer word as caption when a question runs into it with no gap."""
    if len(caption) < 2:
        return caption, []
    if caption[-1].text.lower() in _CHOICE_WORDS:
        return caption[-1:], caption[:-1]
    for pos in range(len(caption) - 1, 0, -1):
        if caption[pos - 1].text.endswith(("?", ":")):
            return caption[pos:], caption[:pos]
    return caption, []


def _struck_choice(line: list[Token]) -> LineOptions | None:
    """ "YES / NO" with one option struck through (deleted) or highlighted (chosen)."""
    if not any(tok.struck or tok.highlighted for tok in line):
        return None
    for pos, tok in enumerate(line):
        if tok.text != "/" or pos == 0 or pos + 1 >= len(line):
            continue
        start = pos - 1
        end = pos + 1
        while end + 2 < len(line) and line[end + 1].text == "/":
            end += 2
        group = line[start : end + 1 : 2]
        for flag, chosen in (("struck", False), ("highlighted", True)):
            marked = [bool(getattr(t, flag)) for t in group]
            if any(marked) and not all(marked):
                return LineOptions(
                    prefix=line[:start],
                    options=[(t.text, m == chosen) for t, m in zip(group, marked, strict=True)],
                    rest=line[end + 1 :],
                )
    return None


def separator(prev: list[Token], line: list[Token], right: float) -> str:
    """How two printed lines of one block join: "" where a word too long for the width was
    broken at the edge, " " where the text wrapped (the next word did not fit), else "\n".
    A bold line and a regular one never wrap into each other: a caption and its answer.
    """
    size = max(tok.size for tok in prev)
    first = line[0]
    if first.tick is not None or _all_bold(prev) != _all_bold(line):
        return "\n"
    if len(prev) == 1 and prev[0].tick is None and prev[0].x1 >= right - 0.9 * size:
        return ""
    if prev[-1].x1 + 0.3 * size + (first.x1 - first.x0) > right:
        return " "
    return "\n"


def _all_bold(line: list[Token]) -> bool:
    """Whether every word of a line is bold (a caption, not the answer under it)."""
    words = [tok for tok in line if tok.tick is None]
    return bool(words) and all(tok.bold for tok in words)


def join_lines(lines: list[list[Token]], right: float) -> str:
    """A block's lines as text, soft wraps joined up (see :func:`separator`)."""
    text = ""
    for pos, line in enumerate(lines):
        if pos:
            text += separator(lines[pos - 1], line, right)
        text += " ".join(tok.shown() for tok in line)
    return text


def segments(line: list[Token]) -> list[list[Token]]:
    """Split a line where the gap between words is a column gap, not a space."""
    parts: list[list[Token]] = [[line[0]]] if line else []
    for prev, tok in zip(line, line[1:], strict=False):
        if tok.x0 - prev.x1 > 0.8 * max(prev.size, tok.size, 6.0):
            parts.append([tok])
        else:
            parts[-1].append(tok)
    return parts
