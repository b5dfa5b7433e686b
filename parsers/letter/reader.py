"""Read a typed referral letter into entries for the field mapper.

A letter has no labels, so the table and line readers find nothing in it and the message
would come out as "no referral form". Here its sentences are read by rules
(:mod:`parsers.letter.facts`, :mod:`parsers.letter.people`): each fact the letter states
becomes an :class:`~parsers.entries.Entry` under a label the field map knows, placed at its
paragraph, and the mapper, the normalisers and the flag rules do the rest exactly as for a
form. A letter from the family (which may also mention missing school) is not a referral:
the gate asks for a referral sentence *and* school-side signs (a UPN, the child's date of
birth, "on roll").
"""

from __future__ import annotations

import re

from parsers.entries import Entry
from parsers.letter import facts, people
from parsers.letter.sentences import clause, paragraphs, sentences
from parsers.mapping.fieldmap import field_map

_REFERRAL = re.compile(r"\b(?:refer(?:ral|ring|red)?)\b[^.]{0,160}\b(?:missing (?:from )?"
                       r"education|cme)\b|\b(?:cme|children missing education)\b[^.]{0,60}"
                       r"\breferral\b", re.I | re.S)
_SCHOOL_SIDE = re.compile(r"\bupn\b|\bunique pupil\b|\bdate of birth\b|\bd\.?o\.?b\b|"
                          r"\bon (?:the |our )?(?:school )?roll\b|\bdfe\b", re.I)
_ENQUIRY_CUE = re.compile(r"\b(?:enquir(?:y|ies)|inquir(?:y|ies)|checks?|steps|actions|"
                          r"the following)\b", re.I)
_NOT_DONE = re.compile(r"\b(?:not (?:yet )?(?:been )?(?:done|completed|carried out|made|possible|"
                       r"undertaken|able)|were not|was not|have not|has not|haven['\u2019]t|"
                       r"hasn['\u2019]t|unable|could not|couldn['\u2019]t|did not|didn['\u2019]t|"
                       r"outstanding|still to)\b", re.I)
_SAFEGUARDING = re.compile(r"^\s*(?:safeguarding|child protection|concerns?|risks?)\b\s*[:\-]?",
                           re.I)
MAX_TEXT = 30_000
ENQUIRIES = "Enquiries made before referral"  # the items of a list of enquiries are read as such


def looks_like_referral_letter(text: str) -> bool:
    """A school's letter referring a child as missing education."""
    head = text[:MAX_TEXT]
    return bool(_REFERRAL.search(head) and _SCHOOL_SIDE.search(head))


def read_letter(text: str) -> list[Entry] | None:
    """The letter's facts as entries, or ``None`` when the text is not a referral letter."""
    if not looks_like_referral_letter(text):
        return None
    entries: list[Entry] = []
    paras = paragraphs(text[:MAX_TEXT])
    state = {"locator": "paragraph 1"}

    def emit(label: str, value: str, section: str | None = None) -> None:
        if value and value.strip():
            entries.append(Entry(label=label, value=value.strip(), locator=state["locator"] or "",
                                 section=section))

    taken: list[str] = []
    told: list[str] = []
    school_named = False
    for n, para in enumerate(paras, 1):
        state["locator"] = f"paragraph {n}"
        if n <= 3 and not school_named and not re.search(r"\bdear\b", para, re.I):
            facts.letterhead(para, emit)
        said = sentences(para)
        for sentence in said:
            school_named = _sentence(sentence, emit, taken) or school_named
        if any(facts.is_told(s) for s in said) and not _SAFEGUARDING.match(para) \
                and not people.names_dsl(para):
            told.append(para)
    state["locator"] = "paragraph 1"
    facts.gender(text[:MAX_TEXT], emit)
    if told:
        emit("Information provided by the family", "\n".join(told))
    people.signature(paras, emit)
    return entries


def _sentence(sentence: str, emit: facts.Emit, taken: list[str]) -> bool:
    facts.pupil(sentence, emit)
    school_named = facts.school(sentence, emit)
    facts.address(sentence, emit)
    facts.last_attended(sentence, emit)
    facts.grounds(sentence, emit)
    facts.roll(sentence, emit)
    facts.correspondence(sentence, emit)
    is_parent = people.parents(sentence, emit, taken)
    people.contact(sentence, emit)
    people.dsl(sentence, emit)
    _enquiries(sentence, emit)
    if _SAFEGUARDING.match(sentence) and not is_parent:
        emit("Safeguarding concerns", clause(_SAFEGUARDING.sub("", sentence, count=1)))
    return school_named


def _enquiries(sentence: str, emit: facts.Emit) -> None:
    """ "... completed these enquiries: a; b; c. The following were not done: d; e." """
    if ":" not in sentence:
        return
    lead, items = sentence.split(":", 1)
    if not _ENQUIRY_CUE.search(lead):
        return
    done = "No" if _NOT_DONE.search(lead) else "Yes"
    parts = re.split(r";|\s*\u2022\s*", clause(items))
    if len(parts) == 1:
        parts = re.split(r",\s*(?:and\s+)?|\s+and\s+", clause(items))
    for part in parts:
        item = clause(part)
        if 2 <= len(item) <= 120:
            emit(enquiry_label(item), done, ENQUIRIES)


def enquiry_label(item: str) -> str:
    """The field map's label for the enquiry an item of a list of enquiries names.

    Every item of such a list is an enquiry, so an item whose words also name another field
    ("enquired about destination school") is taken as the enquiry its words say by concept
    (the field map's enquiry concepts); an item like no enquiry stays as written (the mapper
    keeps it in ``enquiries.other``).
    """
    fmap = field_map()
    found = fmap.match(item, "enquiries")
    if found is not None and found.spec.path.startswith("enquiries."):
        return item
    concept = fmap.match_concept(item)
    return concept.spec.labels[0] if concept is not None and concept.spec.labels else item
