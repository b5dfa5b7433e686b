"""The people of a form: which parent or sibling a detail belongs to, and who completed Part 1.

A mixin of :class:`parsers.mapping.mapper.FormMapper` (its state lives on the mapper): a
parent's detail goes to the parent its label numbers ("Parent 2", "Second parent/carer") or
names by relationship ("Mother's phone" joins the parent already read as the mother); a new
name starts a new person.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from parsers.entries import Entry
from parsers.mapping.values import split_parent_text
from parsers.record import empty_parent, empty_sibling
from parsers.values import normalise as nz

_PARENT_NUMBER = re.compile(r"\b(?:parent|carer|guardian)s?\s*(?:/\s*carer\s*)?(?:no\.?\s*)?([1-4])\b|"
                            r"\b(second|2nd|third|3rd)\s+(?:parent|carer|guardian)", re.I)
_ORDINALS = {"second": 1, "2nd": 1, "third": 2, "3rd": 2}  # index of "Second parent/carer - Name"
SIBLING_NUMBER = re.compile(r"\b([1-9])\b")
# "Parent/guardian name", "Mother or father": a choice of words, not the person's relation.
_ALTERNATIVES = re.compile(r"\b(?:parent|carer|mother|father|mum|dad|guardian)s?\s*(?:/|\bor\b)\s*"
                           r"(?:parent|carer|mother|father|mum|dad|guardian)", re.I)
_PARENT_WORD = re.compile(r"\b(mother|father|mum|dad|step[- ]?mother|step[- ]?father|guardian)s?\b", re.I)


def _relation_key(word: str) -> str:
    key = re.sub(r"[\s-]", "", word.lower())
    return {"mum": "mother", "dad": "father"}.get(key, key)


class PeopleRules:
    """The parent, sibling and sign-off methods of the form mapper."""

    if TYPE_CHECKING:
        fmap: Any
        out: Any
        parent_index: int
        parent_slots: dict[str, int]
        sibling_index: int
        second_contact: dict[str, tuple[Any, Entry]]
        sections_of: dict[str, set[str | None]]

        def put(self, path: str, value: Any, confidence: float, entry: Entry) -> None: ...

        def keep_unmapped(self, label: str, value: str) -> None: ...

    def parent_path(self, sub: str, label: str, *, new_person: bool) -> str:
        number = _PARENT_NUMBER.search(label)
        word = None if _ALTERNATIVES.search(label) else _PARENT_WORD.search(label)
        parents = self.out.record["parents"]
        if number:
            index = int(number.group(1)) - 1 if number.group(1) else _ORDINALS[number.group(2).lower()]
        elif word:
            key = _relation_key(word.group(1))
            if key not in self.parent_slots:
                taken = set(self.parent_slots.values())
                same = [i for i, p in enumerate(parents)  # "Mum's mobile" after a "Mother" row
                        if i not in taken and _relation_key(p.get("relationship") or "") == key]
                free = [i for i, p in enumerate(parents) if i not in taken and not p.get("name")]
                self.parent_slots[key] = (same or free or [len(parents)])[0]
            index = self.parent_slots[key]
        elif new_person and self.parent_index >= 0 and parents[self.parent_index].get("name"):
            index = len(parents)
        else:
            index = max(self.parent_index, 0)
        while len(parents) <= index:
            parents.append(empty_parent())
        self.parent_index = index
        if word and sub == "name" and not parents[index].get("relationship"):
            parents[index]["relationship"] = word.group(1).capitalize()
        return f"parents.{index}.{sub}"

    def sibling_path(self, sub: str, label: str, *, new_person: bool) -> str:
        siblings = self.out.record["siblings"]
        number = SIBLING_NUMBER.search(label)
        if number:
            index = int(number.group(1)) - 1
        elif new_person and siblings and siblings[self.sibling_index].get("name"):
            index = len(siblings)
        else:
            index = max(self.sibling_index, 0)
        while len(siblings) <= index:
            siblings.append(empty_sibling())
        self.sibling_index = index
        return f"siblings.{index}.{sub}"

    # ------------------------------------------------------------------ entries
    def parents_text(self, entry: Entry, confidence: float) -> None:
        for person in split_parent_text(entry.value):
            name_path = self.parent_path("name", entry.label, new_person=True)
            base = name_path.rsplit(".", 1)[0]
            for sub in ("name", "relationship", "phone", "email"):
                if person.get(sub):
                    self.put(f"{base}.{sub}", person[sub], confidence * 0.95, entry)

    def add_sibling(self, sibling: dict[str, Any], entry: Entry, confidence: float) -> None:
        siblings = self.out.record["siblings"]
        index = len(siblings)
        siblings.append(empty_sibling())
        for sub, value in sibling.items():
            if value is not None:
                self.put(f"siblings.{index}.{sub}", value, confidence * 0.95, entry)

    def siblings_school(self, entry: Entry, confidence: float) -> None:
        school = nz.clean_text(entry.value)
        if not school:
            return
        siblings = self.out.record["siblings"] or []
        if not siblings:
            self.keep_unmapped(entry.label, school)
        for index, sibling in enumerate(siblings):
            if not sibling.get("school"):
                self.put(f"siblings.{index}.school", school, confidence, entry)

    def signer_named_again(self) -> None:
        """A second member of staff under a plain "Name" / "Print name" (the school contact
        is already read) at a sign-off block is the person who completed Part 1."""
        signoff = self.out.record["part1_completed_by"]
        if signoff["name"]:
            return
        if "name" not in self.second_contact:
            self.contact_signed_off()
            return
        for sub, (value, entry) in self.second_contact.items():
            if not signoff[sub]:
                self.out.unmapped = [u for u in self.out.unmapped if u["value"] != value]
                self.put(f"part1_completed_by.{sub}", value, 0.8, entry)

    def contact_signed_off(self) -> None:
        """The school contact named (again) in the block that dates the form ("Referrer":
        Print name / Date form completed) is the person who completed Part 1."""
        named = self.sections_of.get("school.contact.name", set())
        dated = self.sections_of.get("part1_completed_by.date", set()) | self.sections_of.get(
            "referral.date", set())
        signed = {section for section in named if section and self.fmap.context_of(section)
                  == "part1_signoff"}  # the contact named under "Submitted by the setting"
        if named & dated - {None} or signed:
            self.contact_completed_part1()

    def contact_completed_part1(self) -> None:
        """A "your contact details" block names the person who completed Part 1."""
        record, provenance = self.out.record, self.out.provenance
        for sub in ("name", "role"):
            source = f"school.contact.{sub}"
            target = f"part1_completed_by.{sub}"
            if record["school"]["contact"][sub] and not record["part1_completed_by"][sub]:
                record["part1_completed_by"][sub] = record["school"]["contact"][sub]
                provenance[target] = dict(provenance[source])
