"""School-day arithmetic and compulsory school age (England), as pure functions.

Term holidays come from settings as inclusive (start, end) date pairs; weekends never count.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

Holidays = Sequence[tuple[date, date]]


def is_school_day(day: date, holidays: Holidays = ()) -> bool:
    if day.weekday() >= 5:
        return False
    return not any(start <= day <= end for start, end in holidays)


def school_days_between(first: date, last: date, holidays: Holidays = ()) -> int:
    """School days strictly after ``first`` and strictly before ``last``.

    With ``first`` the date last attended and ``last`` the date of receipt, this is the
    number of school days the child had missed when the referral arrived.
    """
    if last <= first:
        return 0
    total_days = (last - first).days - 1
    if not holidays:
        full_weeks, remainder = divmod(total_days, 7)
        count = full_weeks * 5
        day = first + timedelta(days=1 + full_weeks * 7)
        for offset in range(remainder):
            if (day + timedelta(days=offset)).weekday() < 5:
                count += 1
        return count
    return sum(
        1
        for offset in range(1, total_days + 1)
        if is_school_day(first + timedelta(days=offset), holidays)
    )


def _birthday(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February
        return date(born.year + years, 3, 1)


def compulsory_age_start(born: date, min_age: int = 5) -> date:
    """The prescribed day (31 Dec, 31 Mar or 31 Aug) on or after the ``min_age`` birthday."""
    birthday = _birthday(born, min_age)
    year = birthday.year
    for candidate in (date(year, 3, 31), date(year, 8, 31), date(year, 12, 31)):
        if candidate >= birthday:
            return candidate
    return date(year + 1, 3, 31)


def _last_friday_of_june(year: int) -> date:
    day = date(year, 6, 30)
    return day - timedelta(days=(day.weekday() - 4) % 7)


def compulsory_age_end(born: date, max_age: int = 16) -> date:
    """The last Friday of June in the school year (Sept-Aug) of the ``max_age`` birthday."""
    birthday = _birthday(born, max_age)
    school_year_end = birthday.year + 1 if birthday.month >= 9 else birthday.year
    return _last_friday_of_june(school_year_end)


def of_compulsory_school_age(born: date, on: date, min_age: int = 5, max_age: int = 16) -> bool:
    return compulsory_age_start(born, min_age) <= on <= compulsory_age_end(born, max_age)
