"""Paragraphs and sentences of a letter, and the small pieces of a sentence the rules take.

A sentence ends at a full stop, question or exclamation mark followed by a space and a
capital, except after a title or a common abbreviation ("Mrs. Khan", "e.g. a visit").
"""

from __future__ import annotations

import re

_TITLES = r"(?:Mr|Mrs|Ms|Miss|Dr|Mx|St|No|e\.g|i\.e|etc|approx|inc|incl|ref|tel|Tel|Ref)"
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\u201c])")
_ENDS_WITH_TITLE = re.compile(rf"(?:\b{_TITLES}|(?<![\w.])[A-Z])\.$")  # "Mrs." "J."

_PARTICLE = r"(?:van|von|der|den|de|del|da|di|du|la|le|bin|bint|al|el|ter|ten)"
_CAP = "[A-Z" + "".join(c for c in map(chr, range(0xC0, 0x250)) if c.isupper()) + "]"
_WORD = rf"{_CAP}(?:[^\W\d_]|['\u2019\-])+"  # "Wiśniewski", "O'Donnell", "Ahmed-Shah"
NAME = (rf"(?:(?:Mr|Mrs|Ms|Miss|Dr|Mx)\.?\s+)?{_WORD}"
        rf"(?:\s+(?:{_PARTICLE}\s+){{0,2}}{_WORD}){{0,3}}")
NAME_RE = re.compile(NAME)
_NOT_NAME_WORDS = frozenset(
    "the a an our this that he she they his her their we i it school team cme dear yours "
    "please safeguarding designated lead who which when".split())


def paragraphs(text: str) -> list[str]:
    """The non-empty lines of the document's text, each a paragraph."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph, in order."""
    out: list[str] = []
    for piece in _SPLIT.split(paragraph):
        if out and _ENDS_WITH_TITLE.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return [s.strip() for s in out if s.strip()]


def name_at(text: str) -> str | None:
    """The person's name the text starts with ("Amina Sutcliffe, who ..."), or ``None``."""
    match = NAME_RE.match(text.strip())
    if not match:
        return None
    words = match.group().split()
    while words and words[-1].lower() in _NOT_NAME_WORDS:
        words.pop()
    if not words or words[0].lower() in _NOT_NAME_WORDS:
        return None
    real = [w for w in words if not re.fullmatch(r"(?:Mr|Mrs|Ms|Miss|Dr|Mx)\.?", w)]
    return " ".join(words) if len(real) >= 2 else None


def after(match: re.Match[str], sentence: str) -> str:
    """What follows a cue, without a leading "is", "was", colon or dash."""
    rest = sentence[match.end():]
    return re.sub(r"^\s*(?:(?:is|was|are|were|of|as|at|on)\b\s*)?[:\-\u2013]?\s*", "", rest)


def clause(text: str) -> str:
    """A value up to the end of its sentence, without the final stop."""
    return text.strip().rstrip(".").strip()
