"""Rules for the facts about the child, the school and the referral that a letter states in
its own sentences ("She last attended school on 22nd October 2026.").

Each rule looks for a cue, then for a value of the field's kind after it, and gives the
mapper an entry under a label of the field map, so the value is normalised and judged as
on a form. A cue without a plausible value gives nothing: the mapper then decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from parsers.letter.sentences import NAME, after, clause, name_at
from parsers.values.dates import find_date

Emit = Callable[..., None]  # (label, value[, section])

_UPN = re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b")
_DOB = re.compile(r"\b(?:d\.?\s?o\.?\s?b\.?|date of birth|born(?:\s+on)?|birthday)\b", re.I)
_HEADER = re.compile(r"^(?:re|subject|regarding|pupil|child|name)\s*[:\-\u2013]\s*", re.I)
_REFER_NAME = re.compile(
    r"\b(?:refer(?:ring|ral of)?|regarding|concerning)\s+"
    r"(?:(?:our|a|the)\s+(?:pupil|student|child|young person),?\s+)?"
    rf"(?P<name>{NAME})")
_GIRL = re.compile(r"\b(?:girl|daughter|female)\b", re.I)
_BOY = re.compile(r"\b(?:boy|son|male)\b", re.I)
_SHE = re.compile(r"\b(?:she|her|hers|herself)\b", re.I)
_HE = re.compile(r"\b(?:he|him|his|himself)\b", re.I)

_ON_ROLL_AT = re.compile(
    r"\b(?:on (?:the )?roll (?:at|of)|(?:a )?(?:pupil|student) at|attends|attended|attending|"
    r"registered (?:at|with)|enrolled at)\s+(?P<school>[A-Z][^(),;]*?)"
    r"(?=\s*(?:\(|,|;|\.\s|\.$|$| and | since | from | until | in year))")
_SCHOOLISH = re.compile(r"\b(?:school|academy|college|primary|infants?|junior|high|grammar|"
                        r"prep(?:aratory)?|federation|c of e|ce|rc)\b", re.I)
_DFE = re.compile(r"\b(?:dfe|laestab|la\s*/?\s*estab(?:lishment)?|establishment)\b[^0-9]{0,25}"
                  r"(?P<dfe>\d{3}\s*[/\-]?\s*\d{4})\b", re.I)
_SCHOOL_TYPE = re.compile(
    r"\b(?:an?\s+)?(?P<type>(?:local authority |la |council )?maintained(?: school)?|"
    r"independent(?: school)?|free school|(?:an? )?academy(?: trust)?|"
    r"(?:voluntary aided|voluntary controlled|foundation|community) school|"
    r"academy school|special school|pupil referral unit)\b(?=[^A-Z]*$|\s*[.,;)])", re.I)

_ADDRESS = re.compile(
    r"\b(?:(?:last known |home |current |registered )?address(?:\s+(?:we hold|on file|is|was))?|"
    r"lives at|living at|resides at|residing at|lived at|home is)\b", re.I)
_POSTCODE_END = re.compile(r"^(?P<addr>.*?\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2})\b")
_LAST_ATTENDED = re.compile(
    r"\blast\s+(?:attended|attendance|seen|in school|present|day|came|at school|"
    r"known attendance|date of attendance)\b", re.I)
_GROUNDS = re.compile(
    r"\b(?:reasons?|grounds?|basis)\s+for\s+(?:the\s+|this\s+|my\s+|our\s+)?(?:referral|"
    r"referring)|\breferr(?:ed|ing)\s+(?:her|him|them|the child|the pupil)?\s*(?:because|as)\b|"
    r"\bcriteri(?:a|on)\b", re.I)
_REMAINS = re.compile(
    r"\b(?:remains?|still|is still|continues? to be|kept|has been kept|will stay|stays?)\s+on\s+"
    r"(?:the |our )?(?:school(?:'s)? )?(?:roll|register)\b|\b(?:has|have) not been (?:removed|"
    r"taken off|deleted)\b|\bnot (?:been )?(?:removed|taken off|deleted) from\b", re.I)
_REMOVED = re.compile(
    r"\b(?:removed|taken off|deleted|came off|come off|off[- ]rolled)\b(?:\s+(?:from|off))?"
    r"(?:\s+(?:the|our))?(?:\s+school(?:'s)?)?\s*(?:roll|register)?", re.I)
_AUTHORISED = re.compile(r"\b(?:authori[sz]ed|agreed|approved)\s+(?:by|with)\s+", re.I)
_LETTERS = re.compile(r"\b(?:letters?|e-?mails?|correspondence|written (?:confirmation|notice)|"
                      r"anything in writing|in writing|note)\b", re.I)
_FAMILY = re.compile(r"\b(?:family|parents?|carers?|mother|father|mum|dad)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|no|none|never|nothing|neither|without)\b|n['\u2019]t\b", re.I)


def pupil(sentence: str, emit: Emit) -> None:
    """The child's name, date of birth and UPN (a "Re:" line or a "refer <name>" sentence)."""
    header = _HEADER.match(sentence)
    if header:
        name = re.split(r",|\(|\s[-\u2013]\s|\b(?:DOB|D\.O\.B|UPN|date of birth|born)\b",
                        sentence[header.end():], maxsplit=1)[0].strip()
        if 2 <= len(name.split()) <= 5 and not any(c.isdigit() for c in name):
            emit("Child's name", name)
    else:
        refer = _REFER_NAME.search(sentence)
        name = name_at(refer.group("name")) if refer else None
        if name and not re.match(r"(?:The|This|Our|A|An)\b", name):
            emit("Child's name", name)
    dob = _DOB.search(sentence)
    if dob:
        found = find_date(sentence[dob.end():])
        if found:
            emit("Date of birth", found.group())
    upn = _UPN.search(sentence.upper())
    if upn and re.search(r"\bupn\b|unique pupil", sentence, re.I):
        emit("UPN", upn.group())


def gender(text: str, emit: Emit) -> None:
    """The child's sex from "the above girl/boy", else from the letter's pronouns."""
    girl, boy = len(_GIRL.findall(text)), len(_BOY.findall(text))
    if girl != boy and min(girl, boy) == 0:
        emit("Gender", "Female" if girl else "Male")
        return
    she, he = len(_SHE.findall(text)), len(_HE.findall(text))
    if max(she, he) >= 2 and min(she, he) * 4 <= max(she, he):
        emit("Gender", "Female" if she > he else "Male")


def school(sentence: str, emit: Emit) -> bool:
    """The school's name, DfE number and type from "on roll at <school> (DfE ...)"."""
    said = False
    at = _ON_ROLL_AT.search(sentence)
    if at and _SCHOOLISH.search(at.group("school")):
        emit("School name", clause(at.group("school")))
        said = True
    dfe = _DFE.search(sentence)
    if dfe:
        emit("DfE number", dfe.group("dfe"))
    kind = _SCHOOL_TYPE.search(sentence[at.end():] if at else sentence)
    if kind and (at or re.search(r"\bschool is\b|\bwe are\b", sentence, re.I)):
        emit("Type of school", kind.group("type"))
    return said


def letterhead(paragraph: str, emit: Emit) -> None:
    """A school's name printed alone at the top of the letter."""
    if len(paragraph.split()) <= 8 and _SCHOOLISH.search(paragraph) and not re.search(
            r"[.:]\s|\d", paragraph):
        emit("School name", paragraph)


def address(sentence: str, emit: Emit) -> None:
    cue = _ADDRESS.search(sentence)
    if not cue or re.search(r"\bforwarding|new address|not (?:been )?(?:given|provided)", sentence,
                            re.I):
        return
    rest = clause(after(cue, sentence))
    end = _POSTCODE_END.match(rest)
    if end:
        emit("Last known address", end.group("addr"))
    elif re.match(r"\d", rest):
        emit("Last known address", rest)


def last_attended(sentence: str, emit: Emit) -> None:
    cue = _LAST_ATTENDED.search(sentence)
    if cue:
        found = find_date(sentence[cue.end():]) or find_date(sentence[:cue.start()])
        if found:
            emit("Date last attended", found.group())


def grounds(sentence: str, emit: Emit) -> None:
    cue = _GROUNDS.search(sentence)
    if cue:
        rest = clause(after(cue, sentence))
        rest = re.sub(r"^(?:that|because)\s+", "", rest, flags=re.I)
        if rest:
            emit("Reason for referral", rest)


def roll(sentence: str, emit: Emit) -> None:
    """Whether the child is off roll, when, and who agreed it."""
    if _REMAINS.search(sentence):
        emit("Removed from roll", "No")
        return
    removed = _REMOVED.search(sentence)
    if not removed or not re.search(r"\b(?:roll|register)\b", sentence, re.I):
        return
    emit("Removed from roll", "Yes")
    found = find_date(sentence[removed.start():])
    if found:
        emit("Date removed from roll", found.group())
    agreed = _AUTHORISED.search(sentence)
    if agreed:
        who = re.split(r";|\s+on\s+(?=\d|[A-Z][a-z]+\s+\d)", sentence[agreed.end():])[0]
        emit("Authorised by", clause(who))


def correspondence(sentence: str, emit: Emit) -> None:
    """Whether the school holds letters or emails from the family."""
    if not (_LETTERS.search(sentence) and _FAMILY.search(sentence)):
        return
    if re.search(r"\benquir", sentence, re.I):
        return  # "the school completed these enquiries: ... email" is the enquiry list
    if re.search(r"\b(?:hold|held|received|have|has|got|attached|enclosed|sent)\b", sentence, re.I):
        emit("Correspondence from the family", "No" if _NEGATION.search(sentence) else "Yes")


def is_told(sentence: str) -> bool:
    """A sentence reporting what the family said."""
    if _GROUNDS.search(sentence):
        return False
    return bool(re.search(r"\b(?:told|said|says|informed|explained|advised|stated|indicated|"
                          r"mentioned|claimed|disclosed|understands?|understood)\b", sentence, re.I))
