"""Text rules shared by the table layout and the readers: labels, values, headings.

These are the small decisions every format faces on a form's text: is this ☒ ticked, is
"PART 2 – TO BE COMPLETED BY THE DSL" a heading, which part of "1. Surname*:" is the label;
the tick-box tests live in :mod:`parsers.layout.ticks` (re-exported here).

The pure tests on one piece of text are cached (bounded LRU): the layout rules ask the
same question of the same cell several times while deciding a table's shape, and printed
labels repeat from form to form.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from parsers.layout.ticks import (  # noqa: F401  (re-exported: the readers import them from here)
    EMPTY_GLYPHS,
    TICKED_GLYPHS,
    choice_word,
    find_marks,
    mark_state,
    options_from_text,
)

_NUMBERING = re.compile(
    r"^\s*(?:\(?\d{1,2}(?:\.\d{1,2})*[.)]|\d{1,2}(?:\.\d{1,2})+|\(?[a-hA-H][.)]|"
    r"\(?[ivxIVX]{1,4}[.)]|[Qq]\s?\d{1,2}[.:)]?)\s+"
)
_SECTION = re.compile(
    r"^(?:part|section)\s*(?:\d{1,2}|[a-h]|one|two|three|four|five|[ivx]{1,4})\b"
    r"(?!\s*(?:of|to)\b)",
    re.IGNORECASE,
)
_COMPLETED_BY = re.compile(r"^\(?\s*(?:to be|for) (?:completed|use)\b", re.IGNORECASE)
_DATE = re.compile(r"\b\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4}\b")
_LINE_LABEL = re.compile(r"^\s*([^:\n]{1,120}?)\s*:\s*(.*)$")
# "31. COMPLETED BY (PRINT NAME)* - D. Illingworth": a dash after a mandatory mark or a bracket
_DASH_LABEL = re.compile(r"^\s*([^:\n]{1,120}?[*)?])\s+[-\u2013]\s+(\S.*)$")
_PLACEHOLDER_HINT = re.compile(
    r"^(?:text|check|checkbox|check box|dropdown|combo|combobox|date|field|"
    r"textbox|bookmark|ole_link)\s*_?\d*$",
    re.IGNORECASE,
)
_COMMON_LABEL_WORDS = frozenset(
    "name names surname surnames forename forenames first last family middle legal dob d.o.b "
    "birth date address postcode post code school tel telephone phone mobile email e-mail upn "
    "gender sex year group parent parents carer carers guardian signature signed role position "
    "job title contact dfe urn ethnicity nationality language reason reasons details sibling "
    "siblings relationship known current previous destination country attendance designated "
    "dsl aio completed outcome".split()
)


_FILL_IN = re.compile(r"_{3,}|\.{4,}|…{2,}")
_PLACEHOLDER_TEXT = re.compile(
    r"(?:click|tap)(?: or tap)?(?: here)? to enter (?:a |some )?(?:text|date)\.?|"
    r"choose an item\.?|enter (?:a )?date\.?|enter text here\.?",
    re.IGNORECASE,
)


def strip_placeholders(text: str) -> str:
    """Remove Word's placeholder prompts ("Click or tap here to enter text.")."""
    return _PLACEHOLDER_TEXT.sub("", text) if "nter" in text or "hoose" in text else text


_INSTRUCTION = re.compile(
    r"\(\s*(?:please\s+)?(?:delete|tick|circle|select|underline|cross out)\b[^()]{0,40}\)",
    re.IGNORECASE,
)


def strip_instructions(text: str) -> str:
    """Remove a printed instruction left beside an answer ("(delete as appropriate)")."""
    return _INSTRUCTION.sub(" ", text) if "(" in text else text


@lru_cache(maxsize=4096)
def clean_value(text: str) -> str:
    """A written value without placeholder prompts, printed instructions ("(delete as
    appropriate)") or empty fill-in lines (_____)."""
    text = _FILL_IN.sub(" ", strip_instructions(strip_placeholders(text)))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


@lru_cache(maxsize=4096)
def clean_label(text: str) -> str:
    """A label as printed minus mandatory marks, numbering and the trailing colon."""
    label = " ".join(text.replace("*", " ").split())
    label = _NUMBERING.sub("", label, count=1)
    return label.rstrip(" :：-–").strip()


@lru_cache(maxsize=4096)
def section_heading(text: str, *, strict: bool = False) -> bool:
    """Whether a line reads as a form section heading ("PART 2", "CHILD'S DETAILS").

    ``strict`` (used for a cell beside empty cells) wants at least two capitalised words,
    since a lone "SURNAME" there is a label whose value is blank.
    """
    text = " ".join(text.split())
    if not text or len(text) > 120 or "*" in text:
        return False
    letters = list(filter(str.isalpha, text))
    words = text.split()
    if len(letters) < 4 or len(words) > 10 or not all(map(str.isupper, letters)):
        # Not capitalised like a heading: only "Part 2 ..." / "To be completed by ..." is.
        section = _SECTION.match(text) or _COMPLETED_BY.match(text)
        return section is not None and not find_marks(text)
    if find_marks(text):
        return False
    if _SECTION.match(text) or _COMPLETED_BY.match(text):
        return True
    if text.endswith(":") or looks_like_data(text) or choice_word(text):
        return False
    if "/" in text and all(choice_word(part) for part in text.split("/")):
        return False
    return not strict or len(words) >= 2


@lru_cache(maxsize=4096)
def looks_like_data(text: str) -> bool:
    """A date, number, phone, email or postcode: something written, not a printed label."""
    text = text.strip()
    if not text:
        return False
    if _DATE.search(text) or "@" in text:
        return True
    digits = sum(map(str.isdigit, text))
    return digits >= 2 and digits * 3 >= len(text.replace(" ", ""))


def label_value_lines(
    text: str, known_label: Callable[[str], bool] | None = None
) -> list[tuple[str, str]]:
    """Split "Name: X\\nPhone: Y" into label/value pairs; [] when the text is not like that.

    A line without a colon continues the previous value. Times ("10:30"), links and long
    sentences are not labels.
    """
    pairs = list(_label_value_pairs(text)) if ":" in text or "* -" in text or ") -" in text or (
        "* \u2013" in text) else []
    if not pairs and known_label is not None and "\n" not in text.strip():
        found = _KNOWN_DASH.match(text.strip())  # "date of birth - 18 Nov 2012"
        if found and known_label(clean_label(found.group(1))):
            pairs = [(clean_label(found.group(1)), found.group(2).strip())]
    return pairs


_KNOWN_DASH = re.compile(r"^([^\n]{2,60}?)\s+[-\u2013]\s+(\S.*)$")


@lru_cache(maxsize=4096)
def _label_value_pairs(text: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for line in _tab_pieces(text):
        if not line.strip():
            continue
        match = _LINE_LABEL.match(line) or _DASH_LABEL.match(line)
        label = match.group(1).strip() if match else ""
        if match and _line_label_ok(label, match.group(2)):
            value = match.group(2).strip()  # "(Please tick/delete as appropriate)" is no answer
            pairs.append((clean_label(label), "" if not strip_instructions(value).strip() else value))
        elif pairs:
            last_label, last_value = pairs[-1]
            pairs[-1] = (last_label, f"{last_value}\n{line.strip()}".strip())
        else:
            return ()
    return tuple(pairs)


_TAB_GAP = re.compile(r"\t+| {4,}")


def _tab_pieces(text: str) -> list[str]:
    """Lines, with "Name: Jo<tab>DOB: 1/2/15" split at the tabs into one line per label."""
    lines: list[str] = []
    for line in text.splitlines():
        pieces = [piece for piece in _TAB_GAP.split(line) if piece.strip()]
        labelled = sum(1 for piece in pieces if _LINE_LABEL.match(piece))
        lines.extend(pieces if len(pieces) > 1 and labelled == len(pieces) else [line])
    return lines


def _line_label_ok(label: str, rest: str) -> bool:
    """A printed label before a colon: not a time (10:30), a link, a date or a sentence."""
    if not label or len(label.split()) > 20 or label.lower().startswith(("http", "www")):
        return False
    if label[-1:].isdigit() and rest[:1].isdigit():
        return False
    if _SENTENCE_END.search(label):  # "Press F11 to move between fields. Tick boxes: ..."
        return False
    return not looks_like_data(label)


_SENTENCE_END = re.compile(r"\w+(?:\s+\w+){2,}[.!]\s+[A-Z]")


def is_placeholder_hint(hint: str | None) -> bool:
    """Word's default field names ("Text1", "Check3") say nothing about the value."""
    return not hint or not hint.strip() or bool(_PLACEHOLDER_HINT.match(hint.strip()))


def default_known_label(text: str) -> bool:
    """A stand-in for the field map's label test: a short phrase built around a form word.

    "School name" and "Date of birth" pass; "Oak Primary School" (a value: proper nouns)
    does not.
    """
    text = " ".join(text.split()).strip(" :*")
    spaced = re.sub(r"[/()\[\]]", " ", text)
    words = [w.strip("?,.'’").lower() for w in spaced.split()]
    words = [w[:-2] if w.endswith("'s") else w for w in words if w]
    if not words or len(words) > 7 or looks_like_data(text) or "," in text:
        return False
    if len(words) > 3 and text.endswith("."):
        return False
    if not any(word in _COMMON_LABEL_WORDS for word in words):
        return False
    capitalised = sum(1 for w in text.split() if w[:1].isupper() and not w.isupper())
    return text.isupper() or capitalised <= 1 or words[0] in _COMMON_LABEL_WORDS
