"""The last resort for a label the field map does not know: its words, by concept.

A council's own wording ("Child's family name", "Officer agreeing the deletion") often shares
no label with ``fields.toml`` and is not a misspelling of one. Each field may declare
``label_concepts`` (groups of words that must all be present, with words that must not be);
the best-scoring field is taken when the section the entry stands in does not contradict it
and the written value is plausible for the field's kind (a date for a date, a name with no
digits for a name), so a guess never puts a phone number into a name.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from parsers.mapping.entry_text import FIELD_CONTEXT, reads_as_answer
from parsers.mapping.fieldspec import LabelMatch
from parsers.mapping.labels import rule_strength
from parsers.mapping.values import RELATION_ITEM
from parsers.values import normalise as nz
from parsers.values.dates import find_date

if TYPE_CHECKING:
    from parsers.entries import Entry
    from parsers.mapping.fieldmap import FieldMap
    from parsers.mapping.fieldspec import FieldSpec

CONFIDENCE = 0.85
_UPN = re.compile(r"[A-Z]\d{11}[0-9A-Z]")
_NAME_KINDS = {"name", "parent_name", "fullname", "sibling_name"}


def match_by_concept(fmap: FieldMap, label: str, value: str, context: str | None,
                     other_than: str | None = None, strength: int = 1) -> LabelMatch | None:
    """The field a label names by concept (a rule of at least ``strength`` word groups),
    if its value fits that field."""
    spec = concept_field(fmap, label, context)
    if spec is not None and strength > 1 and max(
            rule_strength(r, label) for r in spec.label_concepts) < strength:
        return None
    if spec is None or spec.path == other_than or not plausible(spec.kind, value) \
            or not fits(spec, value):
        return None
    return LabelMatch(spec, CONFIDENCE, "concept")


def narrower(fmap: FieldMap, entry: Entry, match: LabelMatch | None,
             context: str | None) -> LabelMatch | None:
    """A full-name field found inside a longer label ("Young person's family name" holds
    "young person's name") gives way to the part of the name the label's words say."""
    if match is None or match.spec.kind != "fullname" or match.how not in ("contains", "spelling"):
        return match
    by_concept = match_by_concept(fmap, entry.label, entry.value, context)
    parent = match.spec.path.rsplit(".", 1)[0]
    if by_concept is not None and by_concept.spec.path.rsplit(".", 1)[0] == parent:
        return by_concept
    return match


@lru_cache(maxsize=8192)
def concept_field(fmap: FieldMap, label: str, context: str | None) -> FieldSpec | None:
    """The one field whose label concepts a label names best (readers ask this of labels)."""
    if not label.strip() or len(label.split()) > 20:
        return None
    scored = [(max(rule_strength(r, label) for r in spec.label_concepts), spec)
              for spec in fmap.fields if spec.label_concepts]
    scored = [(n, spec) for n, spec in scored if n > 0]
    if not scored:
        return None
    top = max(n for n, _ in scored)
    best = [spec for n, spec in scored if n == top]
    if len(best) > 1 and context:
        best = [spec for spec in best if _context_of(spec) == context] or best
    if len(best) != 1:
        return None  # two fields fit as well: do not guess
    spec = best[0]
    home = _context_of(spec)
    if context and home and context != home and context in FIELD_CONTEXT.values() and \
            {context, home} not in _ONE_PERSON:
        return None  # "Surname" under the parents' heading is not the child's
    return spec


# The referrer's section is often where the person completing Part 1 signs it.
_ONE_PERSON = ({"school", "part1_signoff"},)


def _context_of(spec: FieldSpec) -> str | None:
    return FIELD_CONTEXT.get(spec.path.split(".", 1)[0])


_RELATION = re.compile(
    r"\b(mother|father|mum|mom|dad|parent|carer|guardian|step|grand|nan|nana|gran|granny|"
    r"aunt|auntie|uncle|sister|brother|sibling|cousin|foster|kinship|adoptive|birth|"
    r"relative|family|friend|partner|husband|wife|other|corporate|local authority|la|"
    r"social worker|pr|responsib|legal|special|self|not known|unknown|n/?a)", re.I)
_YES_NO = re.compile(r"^\s*(yes|no|y|n|n/?a|none|unknown|not known|tbc|ticked)\s*[.!]?\s*$", re.I)
_DFE = re.compile(r"(?<![\dA-Za-z])(?<![A-Za-z]-)\d{3}\s*[-/ ]?\s*\d{4}(?!\d)")
_CHECKED_VALUE_PATHS = {"parents.*.relationship", "school.name", "school.dfe_number"}


def fits(spec: FieldSpec, value: str) -> bool:
    """Whether a written value can be this field's answer: its kind's test, and for a few
    text fields a test of their own (a person's name is not a relationship, "Yes" is not a
    school, a school's name is not its DfE number)."""
    text = value.strip()
    if not text:
        return True
    if spec.kind in _NAME_KINDS:  # an invalid date or email is flagged, not moved
        return plausible(spec.kind, text) and not _YES_NO.match(text) and not \
            RELATION_ITEM.fullmatch(text)  # "Father" is who, not a name
    if spec.path not in _CHECKED_VALUE_PATHS:
        return True
    if spec.path == "school.dfe_number":
        return bool(_DFE.search(text))
    date = find_date(text)
    if _YES_NO.match(text) or (date is not None and date.group(0) == text) or nz.phones(text) or nz.find_emails(text):
        return False
    if spec.path == "parents.*.relationship":
        return bool(_RELATION.search(text)) or len(text.split()) == 1
    return True


def plausible(kind: str, value: str) -> bool:
    """Whether a written value can be an answer of ``kind`` (empty: nothing to judge)."""
    text = value.strip()
    if not text:
        return True
    if kind == "date":
        return find_date(text) is not None
    if kind == "phone":
        return bool(nz.phones(text))
    if kind == "email":  # an address mistyped ("a.lee.at.school.org") is still its answer
        return bool(nz.find_emails(text)) or bool(re.fullmatch(r"[\w.+-]+\.[a-z]{2,}", text))
    if kind == "upn":
        return bool(_UPN.search(re.sub(r"[\s-]", "", text.upper())))
    if kind == "postcode":
        return nz.postcode(text).problem is None
    if kind in _NAME_KINDS:
        return not re.search(r"\d|@", text) and 1 <= len(text.split()) <= 6
    if kind in ("bool", "enquiry", "signature"):
        return reads_as_answer(text) or len(text.split()) <= 3
    if kind == "address":
        return bool(re.search(r"\d|,|\n", text))
    return True


_CHOICE_KINDS = ("school_type", "gender", "absence_type", "sen")


def match_by_options(fmap: FieldMap, label: str) -> LabelMatch | None:
    """A question that lists a choice field's options ("Is the school an academy,
    maintained or independent?", "Authorised or unauthorised?") asks for that field."""
    if not label.strip() or len(label.split()) > 25:
        return None
    found = [spec for spec in fmap.fields if spec.kind in _CHOICE_KINDS
             and len(set(fmap.options_in_text(spec.path, label))) >= 2]
    return LabelMatch(found[0], CONFIDENCE, "options") if len(found) == 1 else None
