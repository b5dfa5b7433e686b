"""Property tests: no text makes a normaliser raise, and the readings round-trip."""

from __future__ import annotations

import datetime as dt
import random
import string
import time
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.values import normalise as n
from parsers.values.normalise import Normalised

TODAY = dt.date(2026, 5, 1)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

RESULT_FUNCTIONS: list[Callable[[Any], Normalised]] = [
    n.date, n.boolean, n.upn, n.postcode, n.phone, n.email, n.gender, n.sen, n.school_type,
    n.integer, n.percent, n.year_group, n.absence_type, n.name,
]
OTHER_FUNCTIONS: list[Callable[[Any], Any]] = [
    n.clean_text, n.clean_multiline, n.find_postcode, n.phones, n.find_emails,
    n.upn_check_letter, n.is_placeholder,
    lambda text: n.ticked_options(text, [(r"\byes\b", True), (r"\bno\b", False)]),
]

# Text with the characters that matter here: controls, odd spaces, tick glyphs, digits,
# separators, and letters that upper-case into something else.
_INTERESTING = (
    string.printable + "\x00\x01\x1b\x7f\x85\u00a0\u2028\u2029\u200b\ufeff\u00ad\uf0b7"
    "\u2022\u2610\u2612\u2611\u2713\u2714\u2026@+()/-.,:;'\u2019ßſ\u212aİﬁÉ"
)
def _random_text(seed: int, size: int, top: int) -> str:
    """Cheap huge text: drawing 10k characters one by one in Hypothesis is slow."""
    rng = random.Random(seed)
    return "".join(chr(rng.randrange(top)) for _ in range(size))


short_texts = st.one_of(st.text(), st.text(alphabet=_INTERESTING))
texts = st.one_of(
    st.text(),
    st.text(alphabet=_INTERESTING),
    st.text(alphabet=_INTERESTING, max_size=200),
    st.builds(lambda part, times: part * times, st.text(alphabet=_INTERESTING, max_size=40),
              st.integers(min_value=1, max_value=250)),
    st.builds(_random_text, st.integers(), st.integers(min_value=2000, max_value=10_000),
              st.sampled_from([0x80, 0x3000, 0x110000])),
)


@FAST
@given(texts)
def test_no_text_makes_a_normaliser_raise(text: str) -> None:
    for function in RESULT_FUNCTIONS:
        result = function(text)
        assert isinstance(result, Normalised)
        assert 0.0 <= result.confidence <= 1.0
    for function in OTHER_FUNCTIONS:
        function(text)


@pytest.mark.parametrize(
    "function", RESULT_FUNCTIONS + OTHER_FUNCTIONS, ids=lambda f: getattr(f, "__name__", "fn")
)
def test_none_and_non_text_never_raise(function: Callable[[Any], Any]) -> None:
    for raw in (None, b"\xff\xfe", 12, 3.5, ["x"]):
        function(raw)


@pytest.mark.parametrize(
    "text",
    [
        "1" * 10_000, " " * 10_000, "1 " * 5000, "a" * 9999 + "@", "0" * 10_000, "1/" * 5000,
        "\u2612 yes " * 1000, ". " * 5000, "_" * 10_000, "a." * 5000 + "@b",
        "3 September " * 800, "LS1 4AP " * 1200, "+44 " * 2500, "0 " * 5000, "x@y." * 2500,
    ],
)
def test_adversarial_long_text_is_fast(text: str) -> None:
    started = time.perf_counter()
    for function in RESULT_FUNCTIONS + OTHER_FUNCTIONS:
        function(text)
    assert time.perf_counter() - started < 1.0


UK_STYLES: list[Callable[[dt.date], str]] = [
    lambda d: f"{d.day}/{d.month}/{d.year}",
    lambda d: d.strftime("%d.%m.%Y"),
    lambda d: f"{d.day} {d.strftime('%B %Y')}",
    lambda d: f"{d.strftime('%A')}, {d.day}{_suffix(d.day)} {d.strftime('%b')} {d.year}",
    lambda d: f"{d.strftime('%B')} {d.day}{_suffix(d.day)}, {d.year}",
    lambda d: d.isoformat(),
]


def _suffix(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


@FAST
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)),
       st.sampled_from(range(len(UK_STYLES))))
def test_date_round_trips_through_uk_styles(day: dt.date, style: int) -> None:
    assert n.date(UK_STYLES[style](day), today=TODAY) == Normalised(day.isoformat())


@FAST
@given(st.dates(min_value=dt.date(1928, 1, 1), max_value=dt.date(2027, 5, 1)))
def test_two_digit_years_resolve_within_a_century_ending_a_year_ahead(day: dt.date) -> None:
    result = n.date(day.strftime("%d/%m/%y"), today=TODAY)
    assert result == Normalised(day.isoformat(), None, 0.9)


@FAST
@given(short_texts)
def test_postcode_normalisation_is_idempotent(text: str) -> None:
    once = n.postcode(text)
    twice = n.postcode(once.value)
    assert twice.value == once.value
    assert (twice.problem is None) == (once.problem is None)


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
postcodes = st.builds(
    lambda area, district, sector, unit: f"{area}{district}{sector}{unit}",
    st.sampled_from(["LS", "M", "B", "SW", "EC", "CR", "DN", "BD", "HX", "WF"]),
    st.integers(min_value=1, max_value=29).map(str),
    st.integers(min_value=0, max_value=9).map(str),
    st.text(alphabet="ABDEFGHJLNPQRSTUWXYZ", min_size=2, max_size=2),
)


@FAST
@given(postcodes, st.sampled_from([str.lower, str.upper]), st.sampled_from(["", " ", "  "]))
def test_postcode_writings_agree(code: str, case: Callable[[str], str], gap: str) -> None:
    expected = f"{code[:-3]} {code[-3:]}"
    written = case(code[:-3]) + gap + case(code[-3:])
    assert n.postcode(written) == Normalised(expected)
    assert n.find_postcode(f"12 High Street\nLeeds\n{written}") == (expected, "12 High Street\nLeeds")


upn_bodies = st.builds(
    lambda digits, last: digits + last,
    st.text(alphabet=string.digits, min_size=11, max_size=11),
    st.sampled_from(list(string.digits + "ABCDEFGHJKLMNPQRTUVWXYZ")),
)


@FAST
@given(upn_bodies)
def test_upn_made_with_its_check_letter_is_valid(body: str) -> None:
    letter = n.upn_check_letter(body)
    assert letter is not None
    assert n.upn(letter + body) == Normalised(letter + body)
    assert n.upn(f" {letter.lower()}{body[:4]} {body[4:8]} {body[8:]} ") == Normalised(letter + body)


@FAST
@given(upn_bodies, st.sampled_from(list("ABCDEFGHJKLMNPQRTUVWXYZ")))
def test_upn_with_any_other_letter_is_flagged(body: str, letter: str) -> None:
    if letter == n.upn_check_letter(body):
        return
    assert n.upn(letter + body) == Normalised(letter + body, "UPN check letter does not match")


@FAST
@given(short_texts)
def test_clean_text_is_idempotent_and_single_line(text: str) -> None:
    once = n.clean_text(text)
    assert n.clean_text(once) == once
    if once is not None:
        assert once == once.strip()
        assert "\n" not in once and "  " not in once


@FAST
@given(st.lists(st.sampled_from(["07700 900123", "0113 496 0000", "+48 123 456 789"]),
                min_size=1, max_size=4),
       st.sampled_from([" / ", ", ", " or ", "; ", "\n"]))
def test_phones_finds_every_number_listed(numbers: list[str], separator: str) -> None:
    normalised = {"07700 900123": "07700900123", "0113 496 0000": "01134960000",
                  "+48 123 456 789": "+48123456789"}
    expected = list(dict.fromkeys(normalised[number] for number in numbers))
    assert n.phones(separator.join(numbers)) == expected
