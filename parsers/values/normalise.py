"""Value normalisers: raw form text to the record's values, one pure function per kind.

Every function takes what a reader found (``str`` or ``None``; bytes and numbers are
tolerated), never raises on any text, does no I/O and reads no settings. Most return a
:class:`Normalised` carrying the value, a generic ``problem`` (never echoing the input, so
it can go into a flag) and a ``confidence``. The implementations live in the
``normalise_*`` modules by kind; import from here.
"""

from __future__ import annotations

from parsers.values.choices import absence_type, boolean, gender, school_type, sen
from parsers.values.contact import email, find_emails, phone, phones
from parsers.values.dates import date
from parsers.values.ids import find_postcode, postcode, upn, upn_check_letter
from parsers.values.numbers import integer, percent, year_group
from parsers.values.text import (
    Normalised,
    clean_multiline,
    clean_text,
    is_placeholder,
    name,
    ticked_options,
)

__all__ = [
    "Normalised",
    "absence_type",
    "boolean",
    "clean_multiline",
    "clean_text",
    "date",
    "email",
    "find_emails",
    "find_postcode",
    "gender",
    "integer",
    "is_placeholder",
    "name",
    "percent",
    "phone",
    "phones",
    "postcode",
    "school_type",
    "sen",
    "ticked_options",
    "upn",
    "upn_check_letter",
    "year_group",
]
