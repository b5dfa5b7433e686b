"""Counts, percentages and year groups written in words or figures.

"15 days", "fifteen", "87.5%", "Yr 7", "Year Seven" and "Reception" all appear in the same
boxes on different councils' forms.
"""

from __future__ import annotations

import re

from parsers.values.text import Normalised, clean_text

NOT_A_NUMBER = "not a number"
NUMBER_TOO_LARGE = "number too large"
NOT_A_PERCENTAGE = "not a percentage (0-100)"
_MAX_DIGITS = 15  # int() of a huge digit string is slow and, past 4300 digits, raises

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
          "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_NUMBER_WORDS = {word: n for n, word in enumerate(_UNITS)} | _TENS
_WORD_NUMBER = re.compile(
    r"\b(?P<tens>" + "|".join(_TENS) + r")(?:[\s-](?P<unit>" + "|".join(_UNITS[1:10]) + r"))?\b"
    r"|\b(?P<word>" + "|".join(_UNITS) + r")\b",
    re.IGNORECASE,
)
_FIGURES = re.compile(r"(?<![\d.])(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?")


def _word_value(match: re.Match[str]) -> int:
    if match.group("word"):
        return _NUMBER_WORDS[match.group("word").casefold()]
    unit = match.group("unit")
    return _TENS[match.group("tens").casefold()] + (_NUMBER_WORDS[unit.casefold()] if unit else 0)


def integer(raw: object) -> Normalised:
    """The first whole number in the text ("15 days" -> 15, "fifteen" -> 15, "1,234" -> 1234).

    A decimal gives its whole part with confidence 0.7. Negative signs are ignored: the
    numbers on these forms are counts.
    """
    text = clean_text(raw)
    if text is None:
        return Normalised(None)
    figures = _FIGURES.search(text)
    words = _WORD_NUMBER.search(text[:2000])
    if figures and (words is None or figures.start() < words.start()):
        digits = figures.group("int").replace(",", "").lstrip("0") or "0"
        if len(digits) > _MAX_DIGITS:
            return Normalised(None, NUMBER_TOO_LARGE)
        return Normalised(int(digits), None, 0.7 if figures.group("frac") else 1.0)
    if words:
        return Normalised(_word_value(words))
    return Normalised(None, NOT_A_NUMBER)


_PERCENT = re.compile(r"(?<![\d.])(?P<number>\d{1,15}(?:\.\d{1,12})?|\.\d{1,12})(?!\d)")


def percent(raw: object) -> Normalised:
    """A percentage as written, 0 to 100 ("87.5%" -> 87.5); no fraction-to-percent guessing."""
    text = clean_text(raw)
    if text is None:
        return Normalised(None)
    match = _PERCENT.search(text)
    if match is None:
        return Normalised(None, NOT_A_NUMBER)
    value = float(match.group("number"))
    if not 0 <= value <= 100:
        return Normalised(None, NOT_A_PERCENTAGE)
    return Normalised(value)


_YEAR_WORDS = "|".join(_UNITS[1:15])
_YEAR = re.compile(
    r"\b(?:year|yr|y|yg|ncy|nc ?year|nc ?yr)\s?\.?\s?(?:group\s)?0?(?P<n>\d{1,2}|"
    + _YEAR_WORDS + r")\b",
    re.IGNORECASE,
)
_RECEPTION = re.compile(
    r"\breception\b|^(?:rec|r|yr ?r|year ?r|y ?r|fs ?2|f2|foundation stage 2)$", re.IGNORECASE
)
_NURSERY = re.compile(
    r"\bnursery\b|^(?:nur|n|yr ?n|year ?n|y ?n|fs ?1|f1|foundation stage 1)$", re.IGNORECASE
)
_BARE_YEAR = re.compile(r"0?(?P<n>\d{1,2}|" + _YEAR_WORDS + r")(?P<form> ?[A-Za-z]{1,3})?",
                        re.IGNORECASE)
_SIXTH = {"lower sixth": 12, "upper sixth": 13, "l6": 12, "u6": 13}


def _year_number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text.casefold()]


def year_group(raw: object) -> Normalised:
    """"Reception", "Nursery" or "Year N" (1-14); other text is kept as written, cleaned.

    A bare number with a form letter ("7B") is read as its year with confidence 0.8.
    """
    text = clean_text(raw)
    if text is None:
        return Normalised(None)
    match = _YEAR.search(text)
    if match and 1 <= _year_number(match.group("n")) <= 14:
        return Normalised(f"Year {_year_number(match.group('n'))}")
    if _RECEPTION.search(text):
        return Normalised("Reception")
    if _NURSERY.search(text):
        return Normalised("Nursery")
    key = text.casefold().strip(" .")
    if key in _SIXTH:
        return Normalised(f"Year {_SIXTH[key]}")
    bare = _BARE_YEAR.fullmatch(text)
    if bare and 1 <= _year_number(bare.group("n")) <= 14:
        confidence = 0.8 if bare.group("form") else 1.0
        return Normalised(f"Year {_year_number(bare.group('n'))}", None, confidence)
    return Normalised(text)
