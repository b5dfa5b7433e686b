"""Map a reader's entries and grids onto the referral record.

This is the one place where printed labels become record fields, whatever the format or
council: the readers only say "this label, this value, here", the field map says which
field a label means, and :mod:`parsers.mapping.values` reads the value by the field's kind.
Every value set gets its ``provenance``; every label/value pair that maps to nothing goes
to ``unmapped``; every value that fails validation or was a guess becomes a Finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from parsers.entries import Entry, ExtractedForm
from parsers.findings import Finding
from parsers.layout.text import clean_label
from parsers.mapping.attempts import attempt_grids
from parsers.mapping.entry_text import (
    ENQUIRY_PARTS,
    FIELD_CONTEXT,
    enquiry_part,
    glyph_label_as_option,
    join_path,
    reads_as_answer,
    unanswered_choices,
    without_echoed_label,
)
from parsers.mapping.fieldmap import FieldMap, FieldSpec, field_map, norm_label
from parsers.mapping.fieldspec import LabelMatch
from parsers.mapping.grids import GridReader
from parsers.mapping.grounds import GroundRules, ticked_lines
from parsers.mapping.label_concepts import fits, match_by_concept, match_by_options, narrower
from parsers.mapping.listed import prose_answer, read_listed
from parsers.mapping.options import Option, OptionRules
from parsers.mapping.people import SIBLING_NUMBER, PeopleRules
from parsers.mapping.split_entries import SplitRules
from parsers.mapping.values import read_enquiry, read_value, split_siblings
from parsers.mapping.word_vote import match_by_words
from parsers.record import empty_record, get_path, is_empty, set_path
from parsers.values import normalise as nz

_ANY_INDEX = re.compile(r"\.\d+\.")
_PERSON_PARTS = frozenset({"parents.*.name", "parents.*.phone"})
_PERSON_NAME = re.compile(r"[A-Z][a-z'’-]+\s+(?:[A-Z][A-Za-z'’-]+\s+)?[A-Z][A-Za-z'’-]{2,}")


def _person_with_number(value: str) -> bool:
    return bool(nz.phones(value)) and bool(_PERSON_NAME.search(value))


_CHOICE_READS = frozenset({"bool", "gender", "school_type", "sen", "absence_type"})
_SIGNOFF_PATHS = {"school.contact.name", "part1_completed_by.date", "referral.date"}
_SECTION_KEY = re.compile(r"^\s*(?:section|part)\s+[a-z0-9]{1,3}\s*$", re.I)


@dataclass
class MappedForm:
    """One document's contribution to the record."""

    record: dict[str, Any]
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    unmapped: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    fields_found: set[str] = field(default_factory=set)
    labels_seen: set[str] = field(default_factory=set)
    risk_options: list[str] = field(default_factory=list)


class FormMapper(PeopleRules, GroundRules, OptionRules, SplitRules):
    """Feeds entries and grids of one document into a fresh record."""

    def __init__(self, document: int, fmap: FieldMap, low_confidence_below: float) -> None:
        self.document = document
        self.fmap = fmap
        self.threshold = low_confidence_below
        self.out = MappedForm(record=empty_record())
        self.options: list[Option] = []
        self.parent_index = -1
        self.parent_slots: dict[str, int] = {}
        self.sibling_index = 0
        self.inferred: set[str] = set()
        self.last_enquiry: str | None = None
        self.just_enquiry = False  # the entry before this one was about an enquiry
        self.field_context: str | None = None  # the part the last specific label belonged to
        self.self_block = False  # a "your contact details" block: its person completed Part 1
        self.reader_section: str | None = None
        self.heading: str | None = None
        self.unanswered: set[tuple[str, str]] = set()
        self.second_contact: dict[str, tuple[Any, Entry]] = {}  # see signer_named_again
        self.sections_of: dict[str, set[str | None]] = {}  # see signer_named_again

    # ------------------------------------------------------------------ setting values
    def put(self, path: str, value: Any, confidence: float, entry: Entry) -> None:
        record = self.out.record
        current = get_path(record, path)
        if path == "school.type" and current == "unknown":
            current = None
        if path in self.inferred:  # "done" guessed from written notes: an explicit answer wins
            self.inferred.discard(path)
            current = None
        if path in _SIGNOFF_PATHS:
            self.sections_of.setdefault(path, set()).add(entry.section)
        if not is_empty(current):
            if current != value and value not in (None, "", []):
                if path in ("school.contact.name", "school.contact.role"):
                    self.second_contact.setdefault(path.rsplit(".", 1)[1], (value, entry))
                self.keep_unmapped(entry.label, str(value))
            return
        set_path(record, path, value)
        confidence = round(min(confidence, entry.confidence), 3)
        self.out.provenance[path] = {
            "document": self.document,
            "locator": entry.locator,
            "label": clean_label(entry.label) or None,
            "confidence": confidence,
        }
        self.out.fields_found.add(_ANY_INDEX.sub(".*.", path))
        if confidence < self.threshold:
            self.find("low_confidence", path, "read with low confidence; check against the document")

    def find(self, code: str, path: str | None, reason: str) -> None:
        finding = Finding(code, path, reason)
        if finding not in self.out.findings:
            self.out.findings.append(finding)

    def keep_unmapped(self, label: str, value: str) -> None:
        value = nz.clean_multiline(value) or ""
        if not value:
            return
        item = {"label": clean_label(label) or "", "value": value, "document": self.document}
        if item not in self.out.unmapped:
            self.out.unmapped.append(item)

    def heading_from(self, entry: Entry) -> bool:
        """A label printed with no value that names a part of the form is a heading.

        Readers cannot always tell a heading from an empty field (a PDF line "Pupil
        details"); the field map can, so the mapper keeps its own latest heading.
        """
        if entry.section != self.reader_section:
            self.reader_section, self.heading = entry.section, None
        if entry.checked is None and _SECTION_KEY.match(entry.label) and 0 < len(
                entry.value.split()) <= 6:  # "Section B: Safeguarding" read as a pair
            context = self.fmap.context_of(entry.value)
            if context is not None:
                self.heading = entry.value
                return True
        if entry.checked is not None or entry.value.strip() or not entry.label.strip():
            return False
        context = self.fmap.context_of(entry.label)
        if context is None:
            return False
        self.heading = entry.label
        return True

    def entry(self, entry: Entry) -> None:
        entry = glyph_label_as_option(entry)
        if self.heading_from(entry):
            return
        context = self.fmap.context_of(self.heading or entry.section)
        if context == "self":
            self.self_block = True
        entry = without_echoed_label(entry)
        answered = self.self_answered(entry)  # "Checked which school? Y" | "...? N"
        if answered:
            for each in answered:
                self.entry(each)
            return
        inner = self.inner_pair(entry, context)
        if inner is not None:  # "Parent/carer 2: ADULT WITH PR (NAME): Lisa Okafor"
            self.entry(inner)
            return
        if entry.checked is not None:
            self.option(entry, context)
            return
        if self.listed_options(entry):
            self.keep_unmapped(entry.label, entry.value)
            return
        if not entry.label.strip():
            split = self.title_led(entry)
            if split is not None:  # "Details Of Any Information From The Family When the..."
                self.entry(split)
            return
        match = narrower(self.fmap, entry, self.fmap.match(entry.label, context), context)
        if match is None or match.how in ("contains", "spelling"):
            match = match_by_options(self.fmap, entry.label) or match  # "Academy or ...?"
        if match is not None and match.how == "contains":
            # "Name of staff member completing" holds a contact's label but says whose
            match = match_by_concept(self.fmap, entry.label, entry.value, context,
                                     other_than=match.spec.path, strength=2) or match
        if match is not None and context == "enquiries" and match.spec.kind in ("text", "name") \
                and reads_as_answer(entry.value):  # "Enquired about destination school? Yes"
            match = self.fmap.match_concept(entry.label) or match
        if match is None and self.field_context not in (None, context):
            match = self.fmap.match(entry.label, self.field_context)
            if match is not None and match.how != "context":
                match = None  # only generic labels ("Role", "Date") borrow the neighbour's part
        elif match is not None and match.how == "exact" and match.spec.kind == "date" and \
                self.field_context == "part2" and context not in FIELD_CONTEXT.values():
            # "Date completed" after the DSL's rows, under no heading that says whose it is
            local = self.fmap.match(entry.label, "part2")
            if local is not None and local.how == "context":
                match = local
        elif match is not None and match.how == "context" and "*" not in match.spec.path and \
                self.field_context not in (None, context) and \
                not is_empty(get_path(self.out.record, match.spec.path)):
            # "Date" after "DSL name" and "DSL role" under a heading whose own date is given
            neighbour = self.fmap.match(entry.label, self.field_context)
            if neighbour is not None and neighbour.how == "context" and \
                    "*" not in neighbour.spec.path and \
                    is_empty(get_path(self.out.record, neighbour.spec.path)):
                match = neighbour
        if match is None and (context == "enquiries" or reads_as_answer(entry.value)):
            match = self.fmap.match_concept(entry.label)
            if match is None and reads_as_answer(entry.value):  # "Letters from mum received? N"
                match = self.fmap.match_concept(entry.label, "bool")
        if match is None and entry.value.strip():  # "Deletion agreed with: <officer>"
            match = self.fmap.match_concept(entry.label, "name")
        if match is None:  # the council's own wording, by concept, if the value fits
            match = match_by_concept(self.fmap, entry.label, entry.value, context)
        if match is None and context not in ("enquiries", "grounds"):  # its words, a guess
            match = match_by_words(self.fmap, entry.label, entry.value, context)
        if match is not None:
            match = prose_answer(self.fmap, entry, match)
        if match is not None and match.how == "inverse" and entry.value.strip() and \
                nz.boolean(ticked_lines(entry.value)).value is None:
            match = match_by_concept(self.fmap, entry.label, entry.value, context,
                                     other_than=match.spec.path)  # "School currently on roll at"
        if match is not None and match.spec.path in _PERSON_PARTS and _person_with_number(
                entry.value):  # "Parent and phone: Ann Lee (mother) 07700 900123"
            match = LabelMatch(self.fmap.by_path["parents.*.contact"], match.confidence,
                               match.how)
        if match is not None and not fits(match.spec, entry.value):
            self.out.labels_seen.add(match.spec.path)  # a phone under "Name": not its answer
            match = match_by_concept(self.fmap, entry.label, entry.value, context,
                                     other_than=match.spec.path)
        if match is None and self.last_enquiry and self.enquiry_detail(entry, context):
            return
        if (entry.label, entry.locator) in self.unanswered:
            if match is not None:
                self.out.labels_seen.add(match.spec.path)
            return
        if match is None:
            if self.person_named(entry, context):
                return  # "Ann Lee: Grandmother, 07700 900537" under the parents' heading
            if not read_listed(self, entry, context):
                self.keep_unmapped(entry.label, entry.value)
            return
        self.out.labels_seen.add(match.spec.path)
        if match.how != "context":
            self.field_context = FIELD_CONTEXT.get(match.spec.path.split(".")[0], self.field_context)
        self.written(match.spec, entry, match.confidence, inverse=match.how == "inverse")

    def enquiry_detail(self, entry: Entry, context: str | None) -> bool:
        """An "Outcome:" / "Date:" line under a checklist item belongs to that enquiry."""
        if context in ("part2", "part3", "self", "school", "pupil", "parents") and not self.just_enquiry:
            return False
        key = norm_label(entry.label)
        part = ENQUIRY_PARTS.get(key) or ENQUIRY_PARTS.get(key.rstrip("s"))
        if part is None:
            return False
        kind = "date" if part == "date" else "multiline"
        for _, (value, value_confidence) in read_value(kind, entry.value).values.items():
            self.put(f"{self.last_enquiry}.{part}", value, min(0.85, value_confidence), entry)
        return True

    def written(self, spec: FieldSpec, entry: Entry, confidence: float, *,
                inverse: bool = False) -> None:
        kind, path = spec.kind, spec.path
        self.just_enquiry = kind == "enquiry"
        if kind == "enquiry":
            self.last_enquiry = path
            part = enquiry_part(entry.label)
            if part is not None:
                reading = read_value("date" if part == "date" else "multiline", entry.value)
                for _, (value, value_confidence) in reading.values.items():
                    self.put(f"{path}.{part}", value, min(confidence, value_confidence), entry)
                return
            found = read_enquiry(entry.value)
            if found:
                inferred = found.pop("inferred")
                for sub, value in found.items():
                    if value is not None:
                        self.put(f"{path}.{sub}", value, confidence, entry)
                if inferred:
                    self.inferred.add(f"{path}.done")
            return
        if kind == "grounds":
            return self.grounds_text(entry, confidence)
        if kind == "parent_combined":
            return self.parents_text(entry, confidence)
        if kind == "siblings_text":
            for sibling in split_siblings(entry.value):
                self.add_sibling(sibling, entry, confidence)
            return
        if kind == "siblings_school" and not SIBLING_NUMBER.search(entry.label):
            return self.siblings_school(entry, confidence)
        written = ticked_lines(entry.value) if kind in _CHOICE_READS else entry.value
        reading = read_value(kind, written)
        target = path
        if path.startswith("parents.*."):
            target = self.parent_path(path.rsplit(".", 1)[1], entry.label, new_person=kind == "parent_name")
            reading = read_value("name" if kind == "parent_name" else kind, entry.value)
        elif path.startswith("siblings.*."):
            sub = path.rsplit(".", 1)[1]
            target = self.sibling_path(sub, entry.label, new_person=kind == "sibling_name")
            reading = read_value({"sibling_name": "name", "siblings_school": "text"}.get(kind, kind),
                                 entry.value)
        elif path == "pupil.name":
            target = "pupil"
        for sub, problem in reading.problems:
            self.find("invalid_value", join_path(target, sub), problem)
        for sub, (value, value_confidence) in reading.values.items():
            if inverse and isinstance(value, bool):
                value = not value  # "Still on roll? Yes": not removed
            self.put(join_path(target, sub), value, min(confidence, value_confidence), entry)

    # ------------------------------------------------------------------ tick options
    def finish(self) -> MappedForm:
        self.resolve_options()
        record = self.out.record
        record["parents"] = [p for p in record["parents"] if any(v for v in p.values())]
        record["siblings"] = [s for s in record["siblings"] if any(v for v in s.values())]
        if self.self_block:
            self.contact_completed_part1()
        self.signer_named_again()
        return self.out


def map_form(form: ExtractedForm, *, document: int = 0, low_confidence_below: float = 0.75,
             fmap: FieldMap | None = None) -> MappedForm:
    """Map one document's entries and grids onto a fresh record."""
    mapper = FormMapper(document, fmap or field_map(), low_confidence_below)
    mapper.unanswered = unanswered_choices(form.entries)
    entries, attempts = attempt_grids(form.entries)
    for entry in entries:
        mapper.entry(entry)
    grids = GridReader(mapper)
    for grid in [*form.grids, *attempts]:
        grids.read(grid)
    return mapper.finish()
