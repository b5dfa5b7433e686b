from datetime import date

import pytest

from intake.core.schooldays import (
    compulsory_age_end,
    compulsory_age_start,
    of_compulsory_school_age,
    school_days_between,
)


@pytest.mark.parametrize(
    "first,last,expected",
    [
        (date(2026, 11, 2), date(2026, 11, 3), 0),    # next day: nothing missed yet
        (date(2026, 11, 2), date(2026, 11, 9), 4),    # Mon -> next Mon: Tue..Fri
        (date(2026, 11, 6), date(2026, 11, 9), 0),    # Fri -> Mon: weekend only
        (date(2026, 10, 1), date(2026, 11, 2), 21),  # Thu 1 Oct: 2 Oct + four full weeks
        (date(2026, 11, 9), date(2026, 11, 2), 0),    # receipt before last attendance
    ],
)
def test_school_days_between_skips_weekends(first, last, expected):
    assert school_days_between(first, last) == expected


def test_holidays_do_not_count():
    half_term = ((date(2026, 10, 26), date(2026, 10, 30)),)
    assert school_days_between(date(2026, 10, 1), date(2026, 11, 2), half_term) == 16
    # the fast path without holidays agrees with a day-by-day count
    for span in range(0, 60):
        first = date(2026, 9, 1)
        last = date.fromordinal(first.toordinal() + span)
        slow = sum(1 for d in range(first.toordinal() + 1, last.toordinal())
                   if date.fromordinal(d).weekday() < 5)
        assert school_days_between(first, last) == slow


def test_compulsory_school_age_bounds():
    born = date(2015, 10, 15)  # 5 on 15 Oct 2020 -> compulsory from 31 Dec 2020
    assert compulsory_age_start(born) == date(2020, 12, 31)
    # 16 on 15 Oct 2031 -> school year ends summer 2032: last Friday of June 2032 is 25 June
    assert compulsory_age_end(born) == date(2032, 6, 25)
    assert of_compulsory_school_age(born, date(2026, 11, 2))
    assert not of_compulsory_school_age(date(2009, 1, 1), date(2026, 11, 2))  # 17
    assert not of_compulsory_school_age(date(2022, 1, 1), date(2026, 11, 2))  # 4
