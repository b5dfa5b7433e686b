"""Letters Tesseract confuses at photo resolution, put right from the form's own words.

At ~125 dpi "rn" and "m" blur into each other ("concems"), and a final "l" next to a
rule's stub reads as "!" ("schoo!"). A form repeats its words (labels, the school's name,
the family's surname in an e-mail address), so a word read with low-ish confidence that
one such substitution turns into a word read confidently elsewhere in the same document
is that word. Nothing outside the document is consulted, so a name is never "corrected"
into a dictionary word; a word read confidently is never changed.
"""

from __future__ import annotations

import re
from dataclasses import replace

from parsers.ocr.tesseract import Word
from parsers.pdf.geometry import Token

SURE = 0.9        # a word read at least this confidently is the document's vocabulary
_CONFUSED = (("rn", "m"), ("m", "rn"), ("!", "l"), ("i", "l"), ("l", "i"))
_SPLIT = re.compile(r"^([\"'(\[]*)([A-Za-z!]+?)([.,:;)\]\"']*)$")


def corrections(pages: list[list[Word]]) -> dict[str, str]:
    """Misread word -> the document's word it stands for, over all pages' words."""
    sure = {w.text.lower().strip(".,:;()") for page in pages for w in page
            if w.confidence >= SURE}
    fixes: dict[str, str] = {}
    for page in pages:
        for word in page:
            if word.confidence >= SURE or word.text in fixes:
                continue
            fixed = _fixed(word.text, sure)
            if fixed is not None:
                fixes[word.text] = fixed
    return fixes


def _fixed(text: str, sure: set[str]) -> str | None:
    match = _SPLIT.match(text)
    if match is None or len(match.group(2)) < 4:
        return None
    before, core, after = match.groups()
    if core.lower() in sure:
        return None
    found = set()
    for wrong, right in _CONFUSED:
        start = core.find(wrong)
        while start >= 0:
            candidate = core[:start] + right + core[start + len(wrong):]
            if candidate.lower() in sure and candidate.isalpha():
                found.add(candidate)
            start = core.find(wrong, start + 1)
    return f"{before}{found.pop()}{after}" if len(found) == 1 else None


def corrected_words(words: list[Word], fixes: dict[str, str]) -> list[Word]:
    return [replace(w, text=fixes[w.text]) if w.text in fixes else w for w in words]


def correct_tokens(tokens: list[Token], fixes: dict[str, str]) -> None:
    for token in tokens:
        if token.text in fixes:
            token.text = fixes[token.text]
