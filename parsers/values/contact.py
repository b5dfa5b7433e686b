"""Phone numbers and email addresses for the school contact and the parents.

A single form cell often holds several ("Mum 07700 900123 / home 0113 496 0000",
"jane@school.org [mailto:jane@school.org]"), so each kind has a ``find``-style function that
returns all of them and a single-value normaliser that takes the first good one.
"""

from __future__ import annotations

import re

from parsers.values.text import Normalised, clean_text, is_not_given

PHONE_PROBLEM = "not a valid phone number"
EMAIL_PROBLEM = "not a valid email address"
_GUESSED_LEADING_ZERO = 0.7
_MAX_SCAN = 5000  # characters of one cell searched for numbers/addresses

# A run of digits with the separators people type inside one number.
_PHONE_RUN = re.compile(r"(?:\+|\b00)?\(?\d[\d \t().\-]*\d")
_TRUNK_ZERO = re.compile(r"^\+?\s*(?:00\s*)?44\s*\(0\)")


def _phone_chunks(run: str) -> list[str]:
    """Split "0113 496 0000 07700 900123" (no separator typed) into its numbers."""
    chunks: list[str] = []
    current: list[str] = []
    digits = 0
    for token in run.split():
        token_digits = sum(c.isdigit() for c in token)
        starts_number = token.lstrip("(")[:1] in {"0", "+"}
        if token_digits and 10 <= digits <= 16 and starts_number and _complete(current):
            chunks.append(" ".join(current))
            current, digits = [], 0
        current.append(token)
        digits += token_digits
    chunks.append(" ".join(current))
    return [c for c in chunks if any(ch.isdigit() for ch in c)]


def _complete(tokens: list[str]) -> bool:
    return _one_phone(" ".join(tokens)).problem is None


def _one_phone(candidate: str) -> Normalised:
    """Normalise one typed number: UK numbers to national digits, others to "+<digits>"."""
    international = candidate.lstrip().startswith(("+", "00"))
    candidate = _TRUNK_ZERO.sub("44", candidate.strip())
    digits = "".join(c for c in candidate if c.isdigit())
    if international:
        digits = digits[2:] if digits.startswith("00") else digits
        if not digits.startswith("44"):
            valid = 8 <= len(digits) <= 15
            return Normalised("+" + digits, None if valid else PHONE_PROBLEM)
        digits = "0" + digits[2:].lstrip("0")
    elif digits.startswith("44") and len(digits) in (12, 13):
        digits = "0" + digits[2:].lstrip("0")
    confidence = 1.0
    if not digits.startswith("0") and len(digits) in (9, 10) and digits[0] in "12378":
        digits, confidence = "0" + digits, _GUESSED_LEADING_ZERO  # a spreadsheet ate the 0
    if 10 <= len(digits) <= 11 and digits.startswith("0"):
        return Normalised(digits, None, confidence)
    return Normalised(digits, PHONE_PROBLEM)


def _phone_candidates(text: str) -> list[Normalised]:
    found: list[Normalised] = []
    for match in _PHONE_RUN.finditer(text[:_MAX_SCAN]):
        for chunk in _phone_chunks(match.group()):
            if sum(c.isdigit() for c in chunk) >= 6:  # shorter runs are house numbers, dates
                found.append(_one_phone(chunk))
    return found


def phones(raw: object) -> list[str]:
    """Every valid phone number in the text, normalised, in the order written."""
    text = clean_text(raw)
    if text is None:
        return []
    result: list[str] = []
    for number in _phone_candidates(text):
        if number.problem is None and number.value not in result:
            result.append(number.value)
    return result


def phone(raw: object) -> Normalised:
    """The first phone number in the text ("+44 (0)113 496 0000" -> "01134960000").

    UK numbers become national digits; other countries "+<digits>". When no good number is
    present the first number-like run is returned with a problem.
    """
    text = clean_text(raw)
    if text is None or is_not_given(text):
        return Normalised(None)
    candidates = _phone_candidates(text)
    for number in candidates:
        if number.problem is None:
            return number
    if candidates:
        return candidates[0]
    return Normalised(None, PHONE_PROBLEM)


_LOCAL_CHARS = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-"
_LOCAL = rf"[{_LOCAL_CHARS}]+(?:\.[{_LOCAL_CHARS}]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_DOMAIN = rf"(?:{_LABEL}\.)+[A-Za-z]{{2,63}}"
_EMAIL = re.compile(rf"(?P<local>{_LOCAL})@(?P<domain>{_DOMAIN})")
_EMAIL_IN_TEXT = re.compile(
    rf"(?<![{_LOCAL_CHARS}.])(?P<local>[{_LOCAL_CHARS}.]{{1,64}})@"
    rf"(?P<domain>[A-Za-z0-9\-]{{1,63}}(?:\.[A-Za-z0-9\-]{{1,63}}){{1,8}})"
)
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_ANGLE = re.compile(r"<([^<>]*)>")


def _valid_email(local: str, domain: str) -> str | None:
    """``local@domain`` with the domain lower-cased, or ``None`` if it is not an address."""
    domain = domain.rstrip(".")
    address = f"{local}@{domain}"
    if len(local) > 64 or len(address) > 254 or not _EMAIL.fullmatch(address):
        return None
    return f"{local}@{domain.lower()}"


def find_emails(text: object) -> list[str]:
    """Every email address in the text, domain lower-cased, without repeats, in order."""
    cleaned = clean_text(text)
    if cleaned is None or "@" not in cleaned:
        return []
    result: list[str] = []
    for match in _EMAIL_IN_TEXT.finditer(cleaned[:_MAX_SCAN]):
        address = _valid_email(match.group("local"), match.group("domain"))
        if address and address.casefold() not in {a.casefold() for a in result}:
            result.append(address)
    return result


def email(raw: object) -> Normalised:
    """One email address: "mailto:" and "Name <...>" removed, domain lower-cased.

    A cell holding more than the address ("Email: jane@school.org") yields the first address
    in it; text with no address keeps the cleaned text with a problem.
    """
    text = clean_text(raw)
    if text is None or is_not_given(text):
        return Normalised(None)
    bracketed = _ANGLE.search(text)
    candidate = _MAILTO.sub("", bracketed.group(1) if bracketed else text).strip(" '\"").rstrip(".,;:")
    local, at, domain = candidate.rpartition("@")
    if at:
        whole = _valid_email(local, domain)
        if whole:
            return Normalised(whole)
    found = find_emails(text)
    if found:
        return Normalised(found[0])
    return Normalised(text, EMAIL_PROBLEM)
