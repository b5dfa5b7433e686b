"""Entries that hold two things: a label inside the value, or a value inside the label.

A mixin of :class:`parsers.mapping.mapper.FormMapper`: an online form's summary lists a
person's details as "Label: answer" under their group's label, and some Word forms run a
label in capitals straight into its answer with no colon. Each is split into the entry a
reader would have given for a plain "label | value" row.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from parsers.entries import Entry
from parsers.mapping.label_concepts import concept_field
from parsers.values import normalise as nz

if TYPE_CHECKING:
    from parsers.mapping.fieldmap import FieldMap

_PERSON_KEY = re.compile(r"(?:[A-Z][a-z'’-]+|[A-Z]['’][A-Z][a-z]+|van|der|de|von|la|le|du|al)"
                         r"(?:[ -](?:[A-Z][A-Za-z'’-]+|van|der|de|von|la|le|du|al)){1,4}")
_RELATION_FIRST = re.compile(r"(?i)(?:birth |foster |step[- ]?)?(?:mother|father|mum|dad|carer|"
                             r"guardian|grand\w+|aunt|uncle|parent)\b")
_ANSWERED = re.compile(r"^(.{6,200}\?)\s*[:\-]?\s*(y|n|yes|no)$", re.IGNORECASE)
_INNER_PAIR = re.compile(r"^([A-Za-z][^:\n]{1,60}?)\s*:\s*([^\n]*)$")


class SplitRules:
    """The entry-splitting methods of the form mapper."""

    if TYPE_CHECKING:
        fmap: FieldMap

        def parents_text(self, entry: Entry, confidence: float) -> None: ...

    def inner_pair(self, entry: Entry, context: str | None) -> Entry | None:
        """A value that is itself "Label: answer" under a group's label (an online form's
        summary lists a person's details under "Parent/carer 1"): the inner label names
        the field, the outer one the part of the form it stands in."""
        found = _INNER_PAIR.match(entry.value) if entry.checked is None and entry.label else None
        if found is None:
            return None
        key = found.group(1).strip()
        outer = self.fmap.context_of(entry.label)
        part = outer or context
        if self.fmap.match(key, part) is None and concept_field(self.fmap, key, part) is None:
            return None
        return replace(entry, label=key, value=found.group(2).strip(),
                       section=entry.label if outer else entry.section)

    def title_led(self, entry: Entry) -> Entry | None:
        """A paragraph that opens with a label in capitals and goes on with its answer, with
        no colon between: the longest such label the field map knows word for word."""
        words = entry.value.split()
        for size in range(min(12, len(words) - 3), 1, -1):
            head, rest = words[:size], words[size:]
            if not all(w[:1].isupper() or not w[:1].isalpha() for w in head) or not rest[0][:1].isupper():
                continue
            match = self.fmap.match(" ".join(head))
            if match is not None and (match.how in ("exact", "inverse") or (
                    match.how == "contains" and match.confidence >= 0.85 and size >= 3)):
                return replace(entry, label=" ".join(head), value=" ".join(rest))
        return None

    def person_named(self, entry: Entry, context: str | None) -> bool:
        """Under the parents' heading, a person's name printed as the key with their
        relationship and numbers as its answer is one parent's details."""
        if context != "parents" or entry.checked is not None or not _PERSON_KEY.fullmatch(
                entry.label.strip()):
            return False
        value = entry.value.strip()
        if not (nz.phones(value) or nz.find_emails(value) or _RELATION_FIRST.match(value)):
            return False
        self.parents_text(replace(entry, value=f"{entry.label.strip()}, {value}"), 0.8)
        return True

    def listed_options(self, entry: Entry) -> bool:
        """A row of ground options read as label and value ("Left the area ..." | "Thought to
        be living in another LA ..."): the options of a list, not a field and its answer."""
        if entry.checked is not None or not entry.label.strip() or not entry.value.strip() \
                or "?" in entry.label:
            return False  # a question is a field, whatever words it shares with a ground
        label_ground = self.fmap.match_option("referral.grounds", entry.label)
        if label_ground is None or label_ground[1] < 0.85:
            return False
        return any(self.fmap.option_by_concept("referral.grounds", line) or
                   self.fmap.options_in_text("referral.grounds", line)
                   for line in entry.value.splitlines() if line.strip())

    def self_answered(self, entry: Entry) -> list[Entry]:
        """A row of questions each carrying its own answer ("Checked which school? Y" |
        "Contact details requested? Y"): each question with its answer."""
        asked = _ANSWERED.match(entry.label.strip()) if entry.checked is None else None
        if asked is None:
            return []
        pairs = [replace(entry, label=asked.group(1), value=asked.group(2))]
        other = _ANSWERED.match(entry.value.strip())
        if other is not None:
            pairs.append(replace(entry, label=other.group(1), value=other.group(2)))
        elif entry.value.strip():
            return []
        return pairs
