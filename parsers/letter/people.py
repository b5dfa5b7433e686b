"""Rules for the people a letter names: the parents and carers, the DSL, the member of staff
to contact, and the person who signed the letter (who completed the referral).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from parsers.letter.sentences import NAME, clause, name_at
from parsers.values.contact import find_emails, phones
from parsers.values.dates import find_date

Emit = Callable[..., None]  # (label, value[, section])

RELATION = (r"step[- ]?mother|step[- ]?father|stepmum|stepdad|mother|father|mum|dad|"
            r"grand(?:mother|father|ma|pa|parent)|aunt|uncle|foster carer|carer|guardian|"
            r"parent")
_OWNER = r"(?:his|her|their|the (?:child|pupil|young person|student)['\u2019]s|[A-Z][a-z]+['\u2019]s)"
_PERSON = re.compile(
    rf"\b{_OWNER}\s+(?P<rel>{RELATION})(?:\s*/\s*carer)?\s*(?:is|,|:|-|\u2013|is called|named)?\s*"
    rf"(?P<name>{NAME})?", re.I)
_NAME_THEN_REL = re.compile(
    rf"(?P<name>{NAME})\s*\((?:the\s+)?(?:child['\u2019]s\s+|pupil['\u2019]s\s+)?(?P<rel>{RELATION})\)")
_DSL = re.compile(r"\b(?:designated safeguarding lead|deputy designated safeguarding lead|dsl|"
                  r"designated (?:person|teacher) for (?:safeguarding|child protection)|"
                  r"child protection officer|dcpo|safeguarding lead)\b", re.I)
_DSL_NAME_AFTER = re.compile(rf"^\s*(?:\(dsl\))?\s*(?:,|:|-|\u2013|is|was)?\s*(?P<name>{NAME})")
_DSL_NAME_BEFORE = re.compile(rf"(?P<name>{NAME}),?\s+(?:\(|our|the|who is)?\s*(?:our|the)?\s*$")
_CONTACT = re.compile(r"\b(?:please contact|contact|speak to|speak with|get in touch with|"
                      r"call|ring|questions? (?:to|for)|queries (?:to|for))\s+", re.I)
_CLOSING = re.compile(r"^(?:yours (?:faithfully|sincerely|truly)|(?:kind|best|warm) regards|regards|"
                      r"many thanks|with thanks|thank you|best wishes|sincerely),?$", re.I)
_ROLE = re.compile(r"^[A-Za-z][A-Za-z /&'\-,()]{1,60}$")


def parents(sentence: str, emit: Emit, taken: list[str]) -> bool:
    """Each parent or carer the sentence introduces, with their phone and email.

    The sentence is cut where each person is introduced, so "Her mother is A, on 07700 ...;
    her father is B, who emailed at b@..." gives each their own details. ``taken`` holds the
    names already given, whose position is their number.
    """
    starts = [(m.start(), m.group("rel"), m.group("name")) for m in _PERSON.finditer(sentence)]
    starts += [(m.start(), m.group("rel"), m.group("name"))
               for m in _NAME_THEN_REL.finditer(sentence)]
    starts = sorted((s for s in starts if s[2] and name_at(s[2])), key=lambda s: s[0])
    for i, (start, rel, raw_name) in enumerate(starts):
        name = name_at(raw_name) or raw_name
        if name in taken:
            continue
        end = starts[i + 1][0] if i + 1 < len(starts) else len(sentence)
        part = sentence[start:end]
        taken.append(name)
        n = len(taken)
        emit(f"Parent {n} name", name)
        emit(f"Parent {n} relationship to child", rel.capitalize())
        numbers = phones(part)
        if numbers:
            emit(f"Parent {n} telephone", numbers[0])
        emails = find_emails(part)
        if emails:
            emit(f"Parent {n} email", emails[0])
    return bool(starts)


def names_dsl(text: str) -> bool:
    """Whether the text names the DSL (a paragraph about the DSL is not the family's account)."""
    return dsl(text, lambda *_: None)


def dsl(sentence: str, emit: Emit) -> bool:
    """The DSL's name (and date) from "... our Designated Safeguarding Lead, <name>, dated ..."."""
    cue = _DSL.search(sentence)
    if not cue:
        return False
    name = None
    after_cue = _DSL_NAME_AFTER.match(sentence[cue.end():])
    if after_cue:
        name = name_at(after_cue.group("name"))
    if name is None:
        before = _DSL_NAME_BEFORE.search(sentence[:cue.start()])
        if before:
            name = name_at(before.group("name"))
    if name is None:
        return False
    emit("DSL name", name)
    dated = re.search(r"\b(?:dated|signed(?: off)?(?: on)?|on)\s+(?P<rest>.+)", sentence[cue.end():],
                      re.I)
    if dated:
        found = find_date(dated.group("rest"))
        if found:
            emit("DSL date", found.group())
    return True


def contact(sentence: str, emit: Emit) -> bool:
    """The member of staff to contact: "Please contact <name> (<role>) on <phone> or <email>"."""
    cue = _CONTACT.search(sentence)
    if not cue:
        return False
    rest = sentence[cue.end():]
    name = name_at(rest)
    numbers, emails = phones(rest), find_emails(rest)
    if name is None and not numbers and not emails:
        return False
    if name:
        emit("Contact name", name)
        role = re.match(r"\s*\(([^)]+)\)", rest[rest.find(name) + len(name):])
        if role:
            emit("Referrer role", role.group(1))
    if numbers:
        emit("Contact telephone", numbers[0])
    if emails:
        emit("Contact email", emails[0])
    return True


def signature(paragraphs: list[str], emit: Emit) -> str | None:
    """The name and role under the closing ("Yours faithfully, / <name> / <role>")."""
    for i, para in enumerate(paragraphs):
        if _CLOSING.match(para.strip()) and i + 1 < len(paragraphs):
            name = name_at(paragraphs[i + 1])
            if name is None or len(name.split()) > 5:
                return None
            emit("Completed by", name)
            if i + 2 < len(paragraphs) and _ROLE.match(paragraphs[i + 2]) and len(
                    paragraphs[i + 2].split()) <= 6 and not _CONTACT.search(paragraphs[i + 2]):
                emit("Role of person completing", clause(paragraphs[i + 2]))
            return name
    return None
