"""Identifiers with a checkable shape: the pupil's UPN and UK postcodes.

The raw UPN is always kept, even when its check letter is wrong, because an AIO must be able
to compare it against the school's MIS; the problem only raises an ``invalid_value`` flag.
"""

from __future__ import annotations

import re

from parsers.values.text import Normalised, clean_multiline, clean_text, is_not_given

UPN_CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
UPN_SHAPE_PROBLEM = "UPN must be 13 characters: a check letter then 12 characters"
UPN_CHECK_PROBLEM = "UPN check letter does not match"
POSTCODE_PROBLEM = "not a valid UK postcode"

_UPN_BODY = re.compile(rf"\d{{11}}[0-9{UPN_CHECK_ALPHABET}]")
_UPN = re.compile(rf"[A-Z]\d{{11}}[0-9{UPN_CHECK_ALPHABET}]")
_UPN_SEPARATORS = re.compile(r"[\s\-]+")


def upn_check_letter(body12: str) -> str | None:
    """The DfE check letter for the 12 characters after it, or ``None`` if they are malformed.

    Each of characters 2..13 is weighted by its position (2..13); a letter in position 13
    (a temporary UPN) counts as its index in the check alphabet. The sum modulo 23 indexes
    ``ABCDEFGHJKLMNPQRTUVWXYZ``.
    """
    if not isinstance(body12, str) or not _UPN_BODY.fullmatch(body12):
        return None
    total = 0
    for weight, char in enumerate(body12, start=2):
        value = int(char) if char.isdigit() else UPN_CHECK_ALPHABET.index(char)
        total += value * weight
    return UPN_CHECK_ALPHABET[total % 23]


def upn(raw: object) -> Normalised:
    """The UPN without spaces, upper-cased; ``problem`` when its shape or check letter is wrong."""
    text = clean_text(raw)
    if text is None or is_not_given(text):
        return Normalised(None)
    value = _UPN_SEPARATORS.sub("", text).upper()
    if not value.isascii() or not _UPN.fullmatch(value):
        return Normalised(value, UPN_SHAPE_PROBLEM)
    if upn_check_letter(value[1:]) != value[0]:
        return Normalised(value, UPN_CHECK_PROBLEM)
    return Normalised(value)


# Outward code (area, district), inward code (sector, unit) with the Royal Mail letter rules.
_OUTWARD = r"[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?)"
_INWARD = r"\d[ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"(?:{_OUTWARD}{_INWARD}|GIR0AA)")
_POSTCODE_IN_TEXT = re.compile(
    rf"(?<![A-Za-z0-9])(?P<out>{_OUTWARD}|GIR) ?(?P<in>{_INWARD}|0AA)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_TRAILING_SEPARATORS = " ,;.\t\n\r-"


def _format(compact: str) -> str:
    return f"{compact[:-3]} {compact[-3:]}"


def _ascii_upper(text: str) -> str:
    """Upper-case ASCII letters only, so a lookalike letter cannot turn into a valid code."""
    return "".join(c.upper() if c.isascii() else c for c in text)


def postcode(raw: object) -> Normalised:
    """A UK postcode upper-cased with one space before the inward code ("ls14ap" -> "LS1 4AP").

    When the whole value is not a postcode but holds exactly one ("Postcode: LS1 4AP"), that
    one is taken with confidence 0.9. Otherwise the cleaned text is kept with a problem.
    """
    text = clean_text(raw)
    if text is None or is_not_given(text):
        return Normalised(None)
    compact = _ascii_upper("".join(text.split()))
    if _POSTCODE.fullmatch(compact):
        return Normalised(_format(compact))
    found = [_ascii_upper(m.group("out") + m.group("in")) for m in _POSTCODE_IN_TEXT.finditer(text)]
    valid = {code for code in found if _POSTCODE.fullmatch(code)}
    if len(valid) == 1:
        return Normalised(_format(valid.pop()), None, 0.9)
    return Normalised(text, POSTCODE_PROBLEM)


def find_postcode(text: object) -> tuple[str | None, str]:
    """Take the postcode off an address block: (postcode or ``None``, the rest of the address).

    The postcode is normally last ("12 High Street, Leeds LS1 4AP"); failing that the last
    postcode anywhere in the block is taken and the text around it joined up again.
    """
    block = clean_multiline(text)
    if block is None:
        return None, ""
    matches = [
        m for m in _POSTCODE_IN_TEXT.finditer(block)
        if _POSTCODE.fullmatch(_ascii_upper(m.group("out") + m.group("in")))
    ]
    if not matches:
        return None, block.strip(_TRAILING_SEPARATORS)
    last = matches[-1]
    code = _format(_ascii_upper(last.group("out") + last.group("in")))
    before = block[: last.start()].rstrip(_TRAILING_SEPARATORS)
    after = block[last.end():].strip(_TRAILING_SEPARATORS)
    rest = f"{before}, {after}" if before and after else before or after
    return code, rest
