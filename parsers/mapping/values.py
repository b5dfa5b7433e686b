"""Reading one written value by its field's kind (see ``kind`` in ``fields.toml``).

Each reader returns the values to set as (record path suffix, value, confidence) plus any
problem, so the mapper stays a loop over entries and this module holds the value rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from parsers.values import normalise as nz
from parsers.values.dates import find_date


class _DatesInText:
    """Finds dates inside running text in every style the date normaliser reads."""

    @staticmethod
    def search(text: str) -> re.Match[str] | None:
        return find_date(text)

    def sub(self, replacement: str, text: str) -> str:
        found = find_date(text)
        while found is not None:
            text = text[: found.start()] + replacement + text[found.end():]
            found = find_date(text)
        return text


DATE_IN_TEXT = _DatesInText()
_LEADING_ANSWER = re.compile(
    r"^\s*(n/a|not applicable|not done|not completed|na|yes|y|no|n|done|completed)"
    r"(?:\s*$|\s*[,.:;\-–(/]\s*|\s+(?=\d))",
    re.IGNORECASE,
)
_NOT_DONE = {"no", "n", "not done", "not completed"}
_NOT_APPLICABLE = {"n/a", "na", "not applicable"}


@dataclass
class Reading:
    """What one value gives: sub-path -> (value, confidence), and problems found."""

    values: dict[str, tuple[Any, float]] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (sub-path, reason)

    def put(self, sub: str, result: nz.Normalised) -> None:
        if result.problem and result.value is None:
            self.problems.append((sub, result.problem))
            return
        if result.problem:
            self.problems.append((sub, result.problem))
        if result.value is not None:
            self.values[sub] = (result.value, result.confidence)


def _plain(value: str | None, confidence: float = 1.0) -> nz.Normalised:
    return nz.Normalised(value, None, confidence)


def read_value(kind: str, raw: str) -> Reading:
    """The record values that ``raw`` gives for a field of ``kind`` ("" = the field itself)."""
    reading = Reading()
    handler = _HANDLERS.get(kind)
    if handler is not None:
        handler(raw, reading)
    return reading


def _text(raw: str, reading: Reading) -> None:
    reading.put("", _plain(nz.clean_text(raw)))


def _multiline(raw: str, reading: Reading) -> None:
    reading.put("", _plain(nz.clean_multiline(raw)))


def _signature(raw: str, reading: Reading) -> None:
    """A signature or typed name counts as signed; a blank line says nothing (null)."""
    if nz.clean_text(raw) is not None:
        reading.values[""] = (True, 1.0)


_PARTICLES = frozenset("van von der den de del della da di du la le ter ten bin bint al el ap".split())


def _split_surname(raw: str, text: str) -> tuple[str, str]:
    """(forenames, surname) of a full name: a surname written in capitals is all of its
    words ("Evie Rose VAN DER BERG"), and "van", "de", "bin" ... before the last word belong
    to the surname ("Shabana van der Berg")."""
    words = raw.split()
    caps = 0
    while caps < len(words) and words[-1 - caps].isupper() and len(words[-1 - caps].strip(".")) > 1:
        caps += 1
    normalised = text.split()
    if 0 < caps < len(words) and len(normalised) == len(words):
        return " ".join(normalised[:-caps]), " ".join(normalised[-caps:])
    start = len(normalised) - 1
    while start > 1 and normalised[start - 1].lower() in _PARTICLES:
        start -= 1
    return " ".join(normalised[:start]), " ".join(normalised[start:])


def _fullname(raw: str, reading: Reading) -> None:
    text = nz.name(raw).value
    if not text:
        return
    if "," in text:
        surname, _, forenames = text.partition(",")
    else:
        forenames, surname = _split_surname(str(raw), text)
    if forenames.strip() and surname.strip():
        reading.values["forenames"] = (nz.name(forenames).value, 0.9)
        reading.values["surname"] = (nz.name(surname).value, 0.9)
    else:
        reading.values["surname"] = (text, 0.6)


def _address(raw: str, reading: Reading) -> None:
    postcode, rest = nz.find_postcode(raw)
    lines = [
        line.strip(" ,")
        for chunk in (rest or "").splitlines()
        for line in (chunk.split(",") if "\n" not in (rest or "") else [chunk])
        if line.strip(" ,")
    ]
    if lines:
        reading.values["lines"] = (lines, 1.0)
    if postcode:
        reading.values["postcode"] = (postcode, 1.0)


# A relationship on its own ("Mother", "Foster carer"): who the person is, not a name.
RELATION_ITEM = re.compile(
    r"(?i)(?:birth |foster |adoptive |kinship |special |step[- ]?)?(?:mother|father|mum|dad|"
    r"parent|carer|guardian|grand\w+|aunt|auntie|uncle|sister|brother|step\w+)")


def split_parent_text(raw: str) -> list[dict[str, Any]]:
    """People and their numbers from one cell ("Jane Doe 07700 900123; John Doe ...")."""
    text = nz.clean_multiline(raw) or ""
    chunks = [c for c in re.split(r"\n|;|\s+&\s+|\s+and\s+(?=[A-Z])", text) if c.strip()]
    parents: list[dict[str, Any]] = []
    for chunk in chunks:
        phones = nz.phones(chunk)
        emails = nz.find_emails(chunk)
        name_part = chunk
        for email in emails:
            name_part = re.sub(re.escape(email), " ", name_part, flags=re.IGNORECASE)
        name_part = re.sub(r"[+(]?\d[\d\s()+-]{6,}\d", " ", name_part)
        relationship = None
        rel = re.search(r"\((mother|father|mum|dad|carer|step[- ]?\w+|grand\w+|aunt|uncle|guardian)\)",
                        name_part, re.IGNORECASE)
        if rel:
            relationship = rel.group(1).capitalize()
            name_part = name_part.replace(rel.group(0), " ")
        name_part = re.sub(r"(?i)\b(?:personal |work |home )?(tel|telephone|phone|mobile|mob|email|"
                           r"e-mail)\b[:.]?", " ", name_part)
        if relationship is None and "," in name_part:  # "Ann Lee, Mother, 07700 900123"
            pieces = [piece.strip() for piece in name_part.split(",")]
            said = [piece for piece in pieces if RELATION_ITEM.fullmatch(piece)]
            if said:
                relationship = said[0][0].upper() + said[0][1:]
                rest = [piece for piece in pieces if piece and piece not in said]
                name_part = rest[0] if rest else ""  # the name comes first
        name = nz.clean_text(name_part.strip(" ,:-/|"))
        if not (name or phones or emails):
            continue
        if not name and parents:
            target = parents[-1]
        else:
            target = {"name": name, "relationship": relationship, "phone": None, "email": None}
            parents.append(target)
        target["phone"] = target.get("phone") or (phones[0] if phones else None)
        target["email"] = target.get("email") or (emails[0] if emails else None)
    return parents


def split_siblings(raw: str) -> list[dict[str, Any]]:
    """Siblings' names and dates of birth from one cell ("Amy Test (03/04/2015); Ben ...")."""
    text = nz.clean_multiline(raw) or ""
    if nz.clean_text(text) is None or text.strip().lower() in {"none", "no", "n/a", "none known"}:
        return []
    siblings = []
    for chunk in re.split(r"\n|;|,(?!\s*\d{2,4}\b)", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        found = DATE_IN_TEXT.search(chunk)
        dob = nz.date(found.group(0)).value if found else None
        name_part = DATE_IN_TEXT.sub(" ", chunk) if found else chunk
        name_part = re.sub(r"(?i)\b(d\.?o\.?b\.?|born|date of birth)\b[:.]?", " ", name_part)
        school = None
        at = re.search(r"(?i)\s(?:at|attends|-|–)\s+(.+)$", name_part)
        if at:
            school = nz.clean_text(at.group(1).strip(" ()"))
            name_part = name_part[: at.start()]
        name = nz.clean_text(re.sub(r"[()\[\]]", " ", name_part).strip(" ,:-"))
        if name or dob:
            siblings.append({"name": name, "date_of_birth": dob, "school": school})
    return siblings


def read_enquiry(raw: str) -> dict[str, Any] | None:
    """``{"done", "date", "notes"}`` from what a form wrote against one enquiry."""
    text = nz.clean_multiline(raw)
    if text is None:
        return None
    done: bool | None = None
    rest = text
    lead = _LEADING_ANSWER.match(text)
    if lead:
        word = lead.group(1).lower()
        rest = text[lead.end():]
        if word in _NOT_APPLICABLE:
            done = None
        else:
            done = word not in _NOT_DONE
    found = DATE_IN_TEXT.search(rest)
    when = nz.date(found.group(0)).value if found else None
    inferred = done is None and lead is None
    if inferred:
        done = True  # the school wrote what it did; a tick elsewhere still wins
    notes = nz.clean_multiline(rest)
    if notes and found and notes.strip(" .,-") == found.group(0):
        notes = None
    return {"done": done, "date": when, "notes": notes, "inferred": inferred}


_HANDLERS = {
    "text": _text,
    "multiline": _multiline,
    "name": lambda raw, r: r.put("", nz.name(raw)),
    "date": lambda raw, r: r.put("", nz.date(raw)),
    "bool": lambda raw, r: r.put("", nz.boolean(raw)),
    "upn": lambda raw, r: r.put("", nz.upn(raw)),
    "postcode": lambda raw, r: r.put("", nz.postcode(raw)),
    "phone": lambda raw, r: r.put("", nz.phone(raw)),
    "email": lambda raw, r: r.put("", nz.email(raw)),
    "gender": lambda raw, r: r.put("", nz.gender(raw)),
    "sen": lambda raw, r: r.put("", nz.sen(raw)),
    "school_type": lambda raw, r: r.put("", nz.school_type(raw)),
    "absence_type": lambda raw, r: r.put("", nz.absence_type(raw)),
    "integer": lambda raw, r: r.put("", nz.integer(raw)),
    "percent": lambda raw, r: r.put("", nz.percent(raw)),
    "year_group": lambda raw, r: r.put("", nz.year_group(raw)),
    "signature": _signature,
    "fullname": _fullname,
    "address": _address,
}
