"""Text cleaning shared by every value normaliser, and the :class:`Normalised` result.

Schools fill forms in Word, PDF and by hand, so one value arrives with non-breaking spaces,
Word's private-use bullets, line breaks inside a one-line field or the content control's
"Click or tap here to enter text." still showing. Every normaliser starts from
:func:`clean_text` so that these never reach the record and a placeholder counts as empty.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Normalised:
    """A normalised value, why the raw text fails validation, and how sure the reading is.

    ``value`` is ``None`` when the input was empty or a placeholder (and, for most kinds,
    when it could not be read). ``problem`` is a generic reason that never echoes the input,
    so it can go into a flag message. ``confidence`` drops below 1 when the reading was a
    guess (a two-digit year, a contradictory tick) so the caller can raise ``low_confidence``.
    """

    value: Any
    problem: str | None = None
    confidence: float = 1.0


# Placeholder text left by Word content controls and printed forms; matched case-insensitively
# against the whole value, ignoring trailing full stops.
_PLACEHOLDERS = frozenset(
    p.casefold()
    for p in (
        "Click or tap here to enter text",
        "Click here to enter text",
        "Click or tap to enter a date",
        "Click here to enter a date",
        "Choose an item",
        "Enter text here",
        "Enter text",
        "Type here",
        "[Type here]",
        "[Type text]",
        "Insert text",
        "Insert text here",
        "Select",
        "Select one",
        "Please select",
        "Select from list",
    )
)
# The long content-control prompts are unambiguous, so they are removed even when they sit
# next to typed text (two controls in one cell, one left unfilled).
_EMBEDDED_PLACEHOLDER = re.compile(
    r"click (?:or tap )?(?:here )?to enter (?:text|a date)\.?|choose an item\.?|\[type here\]",
    re.IGNORECASE,
)
_DATE_MASK = re.compile(r"[d]{1,2} ?[/.\-] ?[m]{1,2} ?[/.\-] ?[y]{2,4}", re.IGNORECASE)
_FILLER_ONLY = re.compile(r"[_.\u2026\s]*")
_FILLER_RUN = re.compile(r"_{3,}|\.{4,}|\u2026{2,}")
# Word exports list bullets as Symbol/Wingdings private-use characters (U+F0B7, U+F0A7...).
_BULLET = re.compile(r"^(?:(?:[\u2022\u00b7\u25e6\u25aa\u25ab\u2023\u2043\u25cf\u25cb\u25a0\u27a2"
                     r"\u2794\u25ba\u25b8\uf0b7\uf0a7\uf076\uf0d8\uf0fc\uf0a8]|[-*\u2013\u2014>](?= ))"
                     r" ?)+")
_REMOVE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066"
             "\u2067\u2068\u2069\ufeff\u00ad"),
    None,
)
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"\s+")
NOT_GIVEN = frozenset(
    {"n/a", "na", "n.a", "n.a.", "none", "nil", "unknown", "not known", "tbc", "tba", "-", "--",
     "not applicable", "not available", "none given", "not given", "none known"}
)


def as_text(raw: object) -> str | None:
    """Accept what readers hand over (str, bytes, None, a number) as text, never raising."""
    if raw is None or isinstance(raw, str):
        return raw
    if isinstance(raw, bytes | bytearray):
        return bytes(raw).decode("utf-8", errors="replace")
    try:
        return str(raw)
    except Exception:  # a hostile __str__ must not break intake
        return None


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")


def _printable(text: str) -> str:
    """Replace control characters (and lone surrogates) with spaces, drop zero-width ones."""
    return _CONTROL.sub(" ", text.translate(_REMOVE))


def _clean_line(line: str) -> str:
    line = _EMBEDDED_PLACEHOLDER.sub(" ", line)
    line = _FILLER_RUN.sub(" ", line)
    line = _SPACES.sub(" ", line).strip()
    line = _BULLET.sub("", line, count=1).strip()
    return "" if is_placeholder(line) else line


def is_placeholder(text: object) -> bool:
    """True for text that only stands where a value should be written (or nothing at all)."""
    text = as_text(text)
    if text is None:
        return True
    key = text.strip().rstrip(".").strip().casefold()
    return (
        not key
        or key in _PLACEHOLDERS
        or _FILLER_ONLY.fullmatch(text) is not None
        or _DATE_MASK.fullmatch(key) is not None
    )


def clean_text(raw: object) -> str | None:
    """Trim and collapse whitespace for a one-line field; ``None`` when empty or a placeholder.

    Line breaks inside the value become single spaces: a one-line field wrapped by Word is
    still one value.
    """
    text = as_text(raw)
    return None if text is None else _clean_one_line(text)


@lru_cache(maxsize=256)
def _clean_one_line(text: str) -> str | None:
    # Cached: the mapper tries several normalisers on one cell, each starting here.
    return _clean_line(_printable(_LINE_BREAKS.sub(" ", text))) or None


def clean_multiline(raw: object) -> str | None:
    """Like :func:`clean_text` but keeps one ``"\\n"`` between non-empty lines (free text)."""
    text = as_text(raw)
    return None if text is None else _clean_lines(text)


@lru_cache(maxsize=1024)
def _clean_lines(text: str) -> str | None:
    # Cached: a cell's text is cleaned again by each normaliser the mapper tries on it.
    lines = (_clean_line(_printable(line)) for line in _LINE_BREAKS.split(text))
    return "\n".join(line for line in lines if line) or None


def is_not_given(text: str) -> bool:
    """True for "N/A", "Not known", "TBC" and the like written in an identifier field."""
    return text.casefold().strip(" .") in NOT_GIVEN or text.strip() in NOT_GIVEN


def _name_word(word: str) -> str:
    if word.casefold().startswith("mc") and len(word) > 2:
        return "Mc" + word[2:3].upper() + word[3:].lower()
    return word[:1].upper() + word[1:].lower()


_NAME_PARTS = re.compile(r"([\s\-'\u2019]+)")


def name(raw: object) -> Normalised:
    """A person's name, title-cased only when written all in capitals ("O'NEIL" -> "O'Neil").

    Mixed case is the family's own spelling ("McDonald", "de la Cruz") and is kept as is.
    """
    text = clean_text(raw)
    if text is None or any(c.islower() for c in text) or not any(c.isupper() for c in text):
        return Normalised(text)
    return Normalised("".join(
        part if _NAME_PARTS.fullmatch(part) else _name_word(part)
        for part in _NAME_PARTS.split(text)
    ))


CHECKED = "\u2612\u2611\u2713\u2714\u2705\u22a0\U0001f5f9\u25a3"
UNCHECKED = "\u2610\u25a1\u25a2"
_BRACKET_BOXES = ((re.compile(r"\[\s*[xX\u2713\u2714]\s*\]"), "\u2612"), (re.compile(r"\[\s*\]"), "\u2610"))


def ticked_options(text: object, options: Sequence[tuple[str, T]]) -> tuple[list[T], list[T]] | None:
    """Read "Yes ☒ No ☐" / "☐ Male ☒ Female" text: (ticked values, unticked values).

    ``options`` pairs a regular expression for each option's label with the value it stands
    for. Whether boxes come before or after their labels is decided by whichever comes first.
    Returns ``None`` when the text holds no tick boxes at all.
    """
    text = as_text(text) or ""
    for pattern, glyph in _BRACKET_BOXES:
        text = pattern.sub(glyph, text)
    if not any(c in CHECKED or c in UNCHECKED for c in text):
        return None
    alternatives = "|".join(f"(?P<o{i}>{label})" for i, (label, _) in enumerate(options))
    token_re = re.compile(f"(?P<box>[{CHECKED}{UNCHECKED}])|{alternatives}", re.IGNORECASE)
    tokens: list[tuple[str, Any]] = []
    for match in token_re.finditer(text):
        if match.group("box"):
            tokens.append(("box", match.group("box") in CHECKED))
        else:
            index = int(match.lastgroup[1:]) if match.lastgroup else 0
            tokens.append(("label", options[index][1]))
    ticked: list[T] = []
    unticked: list[T] = []
    box_first = bool(tokens) and tokens[0][0] == "box"
    for i, (kind, value) in enumerate(tokens):
        if kind != "label":
            continue
        j = i - 1 if box_first else i + 1
        if 0 <= j < len(tokens) and tokens[j][0] == "box":
            (ticked if tokens[j][1] else unticked).append(value)
    return ticked, unticked
