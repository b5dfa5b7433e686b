"""Dates as UK schools write them, read day-first into ISO ``YYYY-MM-DD``.

Forms carry "3/9/2026", "03.09.26", "3rd September 2026", "Sept 3 2026" and dates with a
time or weekday attached. All numeric dates are read day-first (these are UK forms); a date
that cannot exist ("31/02/2026") is reported rather than guessed, because a wrong date of
birth or last-attended date silently changes the compulsory-age and lateness checks.
"""

from __future__ import annotations

import datetime as dt
import re

from parsers.values.text import Normalised, clean_text

NOT_A_DATE = "not a date"
NOT_REAL = "not a real date"
NOT_FULL = "not a full date (day, month and year)"
TWO_DIGIT_YEAR_CONFIDENCE = 0.9
_EARLIEST_YEAR, _LATEST_YEAR = 1900, 2099

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4}|\d{2})(?!\d)"
_SEP = r"[\s,./\-]{0,4}"
# Each pattern yields day, month and year groups; the earliest match in the text wins.
_PATTERNS = (
    re.compile(r"(?<!\d)(?P<year>\d{4}) ?[-/.] ?(?P<month>\d{1,2}) ?[-/.] ?(?P<day>\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(?P<day>\d{1,2}) ?[/.\-] ?(?P<month>\d{1,2}) ?[/.\-] ?" + _YEAR),
    re.compile(r"(?<!\d)" + _DAY + r"(?: ?of)?" + _SEP + _MONTH + _SEP + _YEAR, re.IGNORECASE),
    re.compile(r"\b" + _MONTH + _SEP + _DAY + r"\b" + _SEP + _YEAR, re.IGNORECASE),
)
_PARTIAL = (
    re.compile(r"\b" + _MONTH + r",? ?(?P<year>\d{4})\b", re.IGNORECASE),
    re.compile(r"(?<![\d/])\d{1,2}/\d{1,2}(?![\d/])"),
    re.compile(r"(?<!\d)" + _DAY + r"(?: ?of)?" + _SEP + _MONTH, re.IGNORECASE),
    re.compile(r"\b" + _MONTH + _SEP + _DAY + r"\b", re.IGNORECASE),
)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _full_year(two_digits: int, month: int, day: int, today: dt.date) -> int:
    """20yy, unless that would be more than a year ahead of ``today``: then 19yy."""
    candidate = dt.date(2000 + two_digits, month, min(day, 28))
    return 1900 + two_digits if candidate > _add_years(today, 1) else 2000 + two_digits


def _month_number(text: str) -> int:
    return int(text) if text.isdigit() else _MONTHS[text[:3].casefold()]


def _from_match(match: re.Match[str], today: dt.date) -> Normalised:
    day, month = int(match.group("day")), _month_number(match.group("month"))
    year_text = match.group("year")
    year = int(year_text)
    confidence = 1.0
    if len(year_text) == 2:
        confidence = TWO_DIGIT_YEAR_CONFIDENCE
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return Normalised(None, NOT_REAL)
        year = _full_year(year, month, day, today)
    if not _EARLIEST_YEAR <= year <= _LATEST_YEAR:
        return Normalised(None, NOT_REAL)
    try:
        return Normalised(dt.date(year, month, day).isoformat(), None, confidence)
    except ValueError:
        return Normalised(None, NOT_REAL)


def date(raw: object, *, today: dt.date | None = None) -> Normalised:
    """Read the first date in ``raw`` as ISO ``YYYY-MM-DD``, day-first.

    Two-digit years are 20yy unless that is more than a year after ``today`` (default: the
    system date), then 19yy, with confidence 0.9. Impossible dates give ``problem`` "not a
    real date"; text without a date gives "not a date"; empty or placeholder gives ``None``.
    """
    text = clean_text(raw)
    if text is None:
        return Normalised(None)
    text = text[:2000]  # a date is near the start of its cell; bound the work
    matches = [m for m in (p.search(text) for p in _PATTERNS) if m is not None]
    if matches:
        first = min(matches, key=lambda m: m.start())
        return _from_match(first, today or dt.date.today())
    if any(p.search(text) for p in _PARTIAL):
        return Normalised(None, NOT_FULL)
    return Normalised(None, NOT_A_DATE)


def find_date(text: str) -> re.Match[str] | None:
    """The first full date written anywhere in ``text`` (any style ``date`` reads), or None."""
    matches = [m for m in (p.search(text[:2000]) for p in _PATTERNS) if m is not None]
    return min(matches, key=lambda m: m.start()) if matches else None
