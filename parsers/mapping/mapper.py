"""Map a reader's entries and grids onto the referral record.

This is the one place where printed labels become record fields, whatever the format or
council: the readers only say "this label, this value, here", the field map says which
field a label means, and :mod:`parsers.mapping.values` reads the value by the field's kind.
Every value set gets its ``provenance``; every label/value pair that maps to nothing goes
to ``unmapped``; every value that fails validation or was a guess becomes a Finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from parsers.values import normalise as nz
from parsers.entries import Entry, ExtractedForm
from parsers.mapping.fieldmap import FieldMap, FieldSpec, field_map, norm_label
from parsers.findings import Finding
from parsers.layout.text import clean_label, mark_state
from parsers.mapping.grids import GridReader
from parsers.mapping.values import read_enquiry, read_value, split_parent_text, split_siblings
from parsers.record import empty_parent, empty_record, empty_sibling, get_path, is_empty, set_path

CHOICE_KINDS = {"grounds", "gender", "sen", "school_type", "absence_type"}
YES_NO_KINDS = {"bool", "enquiry", "signature"}
_PARENT_NUMBER = re.compile(r"\b(?:parent|carer|guardian)s?\s*(?:/\s*carer\s*)?(?:no\.?\s*)?([1-4])\b", re.I)
_NUMBER, _ANY_INDEX = re.compile(r"\b([1-9])\b"), re.compile(r"\.\d+\.")
_PARENT_WORD = re.compile(r"\b(mother|father|mum|dad|step[- ]?mother|step[- ]?father|guardian)s?\b", re.I)


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


@dataclass
class _Option:
    path: str
    value: Any  # True/False for yes-no answers, an option value for choices, None = the field itself
    checked: bool | None
    group: tuple[str, str | None]
    entry: Entry
    confidence: float


class FormMapper:
    """Feeds entries and grids of one document into a fresh record."""

    def __init__(self, document: int, fmap: FieldMap, low_confidence_below: float) -> None:
        self.document = document
        self.fmap = fmap
        self.threshold = low_confidence_below
        self.out = MappedForm(record=empty_record())
        self.options: list[_Option] = []
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

    # ------------------------------------------------------------------ setting values
    def put(self, path: str, value: Any, confidence: float, entry: Entry) -> None:
        record = self.out.record
        current = get_path(record, path)
        if path == "school.type" and current == "unknown":
            current = None
        if path in self.inferred:  # "done" guessed from written notes: an explicit answer wins
            self.inferred.discard(path)
            current = None
        if not is_empty(current):
            if current != value and value not in (None, "", []):
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

    # ------------------------------------------------------------------ parents
    def parent_path(self, sub: str, label: str, *, new_person: bool) -> str:
        number = _PARENT_NUMBER.search(label)
        word = _PARENT_WORD.search(label)
        parents = self.out.record["parents"]
        if number:
            index = int(number.group(1)) - 1
        elif word:
            key = word.group(1).lower()
            if key not in self.parent_slots:
                taken = set(self.parent_slots.values())
                free = [i for i, p in enumerate(parents) if i not in taken and not p.get("name")]
                self.parent_slots[key] = free[0] if free else len(parents)
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
        number = _NUMBER.search(label)
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
    def heading_from(self, entry: Entry) -> bool:
        """A label printed with no value that names a part of the form is a heading.

        Readers cannot always tell a heading from an empty field (a PDF line "Pupil
        details"); the field map can, so the mapper keeps its own latest heading.
        """
        if entry.section != self.reader_section:
            self.reader_section, self.heading = entry.section, None
        if entry.checked is not None or entry.value.strip() or not entry.label.strip():
            return False
        context = self.fmap.context_of(entry.label)
        if context is None:
            return False
        self.heading = entry.label
        return True

    def entry(self, entry: Entry) -> None:
        entry = _glyph_label_as_option(entry)
        if self.heading_from(entry):
            return
        context = self.fmap.context_of(self.heading or entry.section)
        if context == "self":
            self.self_block = True
        entry = _without_echoed_label(entry)
        if entry.checked is not None:
            self.option(entry, context)
            return
        if not entry.label.strip():
            return
        match = self.fmap.match(entry.label, context)
        if match is None and self.field_context not in (None, context):
            match = self.fmap.match(entry.label, self.field_context)
            if match is not None and match.how != "context":
                match = None  # only generic labels ("Role", "Date") borrow the neighbour's part
        if match is None and (context == "enquiries" or _reads_as_answer(entry.value)):
            match = self.fmap.match_concept(entry.label)
        if match is None and self.last_enquiry and self.enquiry_detail(entry, context):
            return
        if (entry.label, entry.locator) in self.unanswered:
            if match is not None:
                self.out.labels_seen.add(match.spec.path)
            return
        if match is None:
            self.keep_unmapped(entry.label, entry.value)
            return
        self.out.labels_seen.add(match.spec.path)
        if match.how != "context":
            self.field_context = _FIELD_CONTEXT.get(match.spec.path.split(".")[0], self.field_context)
        self.written(match.spec, entry, match.confidence)

    def enquiry_detail(self, entry: Entry, context: str | None) -> bool:
        """An "Outcome:" / "Date:" line under a checklist item belongs to that enquiry."""
        if context in ("part2", "part3", "self", "school", "pupil", "parents") and not self.just_enquiry:
            return False
        key = norm_label(entry.label)
        part = _ENQUIRY_PARTS.get(key) or _ENQUIRY_PARTS.get(key.rstrip("s"))
        if part is None:
            return False
        kind = "date" if part == "date" else "multiline"
        for _, (value, value_confidence) in read_value(kind, entry.value).values.items():
            self.put(f"{self.last_enquiry}.{part}", value, min(0.85, value_confidence), entry)
        return True

    def written(self, spec: FieldSpec, entry: Entry, confidence: float) -> None:
        kind, path = spec.kind, spec.path
        self.just_enquiry = kind == "enquiry"
        if kind == "enquiry":
            self.last_enquiry = path
            part = _enquiry_part(entry.label)
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
        if kind == "siblings_school" and not _NUMBER.search(entry.label):
            return self.siblings_school(entry, confidence)
        reading = read_value(kind, entry.value)
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
            self.find("invalid_value", _join(target, sub), problem)
        for sub, (value, value_confidence) in reading.values.items():
            self.put(_join(target, sub), value, min(confidence, value_confidence), entry)

    def grounds_text(self, entry: Entry, confidence: float) -> None:
        found = self.fmap.options_in_text("referral.grounds", entry.value)
        for ground in found:
            self.add_ground(ground, entry, confidence)
        if not found:
            text = nz.clean_multiline(entry.value)
            if text:
                self.put("referral.details", text, confidence, entry)

    def add_ground(self, ground: str, entry: Entry, confidence: float) -> None:
        grounds = self.out.record["referral"]["grounds"]
        if ground not in grounds:
            grounds.append(ground)
            self.out.fields_found.add("referral.grounds")
            self.out.provenance.setdefault("referral.grounds", {
                "document": self.document, "locator": entry.locator,
                "label": clean_label(entry.label) or clean_label(entry.value) or None,
                "confidence": round(min(confidence, entry.confidence), 3),
            })

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

    # ------------------------------------------------------------------ tick options
    def option(self, entry: Entry, context: str | None) -> None:
        group = (clean_label(entry.label) or "", entry.section)
        question = self.fmap.match(entry.label, context) if entry.label.strip() else None
        if question:
            self.out.labels_seen.add(question.spec.path)
        if question and self.question_option(question.spec, entry, group, question.confidence):
            return
        answer = nz.boolean(entry.value).value if entry.label.strip() else None
        if answer is not None and self.yes_no_about(entry, group, answer):
            return
        by_text = self.fmap.match(entry.value, context) if entry.value.strip() else None
        if (by_text is None or by_text.spec.kind not in YES_NO_KINDS) and entry.value.strip():
            by_text = self.fmap.match_concept(entry.value) or by_text
        if by_text and by_text.spec.kind in YES_NO_KINDS and by_text.confidence >= 0.8:
            self.add_option(_Option(by_text.spec.path, None, entry.checked, group, entry,
                                        by_text.confidence))
            return
        ground = self.fmap.match_option("referral.grounds", entry.value)
        if ground and ground[1] >= 0.85:
            self.add_option(_Option("referral.grounds", ground[0], entry.checked, group, entry,
                                        ground[1]))
            return
        choice = self.fmap.option_anywhere(entry.value)
        if choice is not None:
            self.add_option(_Option(choice[0], choice[1], entry.checked, group, entry, 0.9))
            return
        from parsers.risk import indicators_in_option

        indicators = indicators_in_option(entry.value)
        if indicators:
            if entry.checked:
                self.out.risk_options.extend(i for i in indicators if i not in self.out.risk_options)
            return
        state = "ticked" if entry.checked else "not ticked"
        label = entry.label if entry.label.strip() else entry.value
        value = f"{entry.value}: {state}" if entry.label.strip() else state
        self.keep_unmapped(label, value)

    def yes_no_about(self, entry: Entry, group: tuple[str, str | None], answer: bool) -> bool:
        """A Yes/No answer to a question worded as an enquiry or a referral ground."""
        enquiry = self.fmap.match_concept(entry.label)
        if enquiry is not None:
            self.out.labels_seen.add(enquiry.spec.path)
            self.add_option(_Option(enquiry.spec.path, answer, entry.checked, group, entry,
                                        enquiry.confidence))
            return True
        ground = self.fmap.match_option("referral.grounds", entry.label)
        if ground is not None and ground[1] >= 0.85:
            self.out.labels_seen.add("referral.grounds")
            chosen = entry.checked if answer else False
            self.add_option(_Option("referral.grounds", ground[0], chosen, group, entry, ground[1]))
            return True
        return False

    def question_option(self, spec: FieldSpec, entry: Entry, group: tuple[str, str | None],
                        confidence: float) -> bool:
        if spec.kind in CHOICE_KINDS:
            choice = self.fmap.match_option(spec.path, entry.value)
            if choice is None and spec.kind != "grounds":
                value = read_value(spec.kind, entry.value).values.get("")
                choice = (value[0], value[1]) if value and value[0] != "unknown" else None
            if choice is None:
                return False
            self.add_option(_Option(spec.path, choice[0], entry.checked, group, entry,
                                        min(confidence, choice[1])))
            return True
        if spec.kind in YES_NO_KINDS:
            answer = nz.boolean(entry.value).value
            if answer is None:
                return False
            self.add_option(_Option(spec.path, answer, entry.checked, group, entry, confidence))
            return True
        return False

    def add_option(self, option: _Option) -> None:
        self.options.append(option)
        self.just_enquiry = option.path.startswith("enquiries.")
        if self.just_enquiry:
            self.last_enquiry = option.path

    def resolve_options(self) -> None:
        by_path: dict[str, list[_Option]] = {}
        for option in self.options:
            by_path.setdefault(option.path, []).append(option)
        ticked_groups = {o.group for o in self.options if o.checked}
        for path, options in by_path.items():
            spec = self.fmap.by_path[path]
            if spec.kind in CHOICE_KINDS:
                self.resolve_choice(spec, options)
            else:
                self.resolve_yes_no(spec, options, ticked_groups)

    def resolve_choice(self, spec: FieldSpec, options: list[_Option]) -> None:
        chosen = [o for o in options if o.checked]
        if spec.kind == "grounds":
            for option in chosen:
                self.add_ground(option.value, option.entry, option.confidence)
            return
        values = list(dict.fromkeys(o.value for o in chosen))
        if len(values) == 1:
            self.put(spec.path, values[0], chosen[0].confidence, chosen[0].entry)
        elif len(values) > 1:
            self.find("low_confidence", spec.path, "more than one option is ticked")

    def resolve_yes_no(self, spec: FieldSpec, options: list[_Option], ticked_groups: set) -> None:
        answers = {o.value for o in options if o.value is not None and o.checked}
        direct = [o for o in options if o.value is None]
        if True in answers and False in answers:
            self.find("low_confidence", _answer_path(spec), "both Yes and No are ticked")
            return
        value: bool | None = None
        source: _Option | None = None
        if answers:
            value = answers.pop()
            source = next(o for o in options if o.checked and o.value == value)
        elif any(o.checked for o in direct):
            value, source = True, next(o for o in direct if o.checked)
        elif direct and any(o.group in ticked_groups for o in direct):
            value, source = False, direct[0]
        if source is None:
            return
        if spec.kind == "signature":
            self.put(spec.path, value, source.confidence, source.entry)
        else:
            self.put(_answer_path(spec), value, source.confidence, source.entry)

    # ------------------------------------------------------------------ finish
    def finish(self) -> MappedForm:
        self.resolve_options()
        record = self.out.record
        record["parents"] = [p for p in record["parents"] if any(v for v in p.values())]
        record["siblings"] = [s for s in record["siblings"] if any(v for v in s.values())]
        if self.self_block:
            self.contact_completed_part1()
        return self.out

    def contact_completed_part1(self) -> None:
        """A "your contact details" block names the person who completed Part 1."""
        record, provenance = self.out.record, self.out.provenance
        for sub in ("name", "role"):
            source = f"school.contact.{sub}"
            target = f"part1_completed_by.{sub}"
            if record["school"]["contact"][sub] and not record["part1_completed_by"][sub]:
                record["part1_completed_by"][sub] = record["school"]["contact"][sub]
                provenance[target] = dict(provenance[source])


def _without_echoed_label(entry: Entry) -> Entry:
    """"Surname: Smith" given as the value of the label "Surname" is just "Smith"."""
    label = entry.label.strip().rstrip(":").strip()
    value = entry.value.lstrip()
    if label and value[: len(label)].lower() == label.lower():
        rest = value[len(label):].lstrip()
        if rest.startswith((":", "-", "–")):
            return replace(entry, value=rest[1:].strip())
    return entry


def _unanswered_choices(entries: list[Entry]) -> set[tuple[str, str]]:
    """Labels printed with all their options and none chosen ("YES / NO" left as it is)."""
    seen: dict[tuple[str, str], list[str]] = {}
    for entry in entries:
        if entry.checked is None and entry.label.strip():
            seen.setdefault((entry.label, entry.locator), []).append(entry.value)
    return {
        key for key, values in seen.items()
        if len(values) > 1 and all(nz.boolean(v).value is not None for v in values)
        and len({nz.boolean(v).value for v in values}) > 1
    }


_ENQUIRY_PARTS = {"notes": "notes", "note": "notes", "comments": "notes", "comment": "notes",
                  "outcome": "notes", "details": "notes", "detail": "notes", "response": "notes",
                  "result": "notes", "date": "date", "dates": "date", "when": "date",
                  "date completed": "date", "date done": "date"}


# The part of the form a specific label's field belongs to, for the generic labels after it
# ("Completed by | X | Role | Y | Date | Z": Role and Date are the completer's).
_FIELD_CONTEXT = {"part1_completed_by": "part1_signoff", "safeguarding": "part2", "aio": "part3",
                  "parents": "parents", "siblings": "siblings", "pupil": "pupil", "school": "school"}


def _glyph_label_as_option(entry: Entry) -> Entry:
    """A row "☒ | The child has left the country" is a ticked option, not a label "☒"."""
    if entry.checked is not None or not entry.label.strip() or not entry.value.strip():
        return entry
    state = mark_state(entry.label, words=False)
    if state is None:
        return entry
    return replace(entry, label="", checked=state)


def _reads_as_answer(value: str) -> bool:
    """A value that answers a yes/no question ("Yes", "No - 3/9/26", "Done")."""
    head = value.strip().split(" ", 1)[0].strip(",.;:-").lower()
    return head in {"yes", "no", "y", "n", "done", "not", "completed", "ticked"}


def _enquiry_part(label: str) -> str | None:
    """"Home visit made - Notes" / "... - Date" fill one part of the enquiry, not "done"."""
    words = label.lower().replace("–", "-").rsplit("-", 1)
    if len(words) == 2:
        last = words[1].strip(" :?").split()
        if len(last) == 1 and last[0] in _ENQUIRY_PARTS:
            return _ENQUIRY_PARTS[last[0]]
    return None


def _answer_path(spec: FieldSpec) -> str:
    return f"{spec.path}.done" if spec.kind == "enquiry" else spec.path


def _join(base: str, sub: str) -> str:
    return f"{base}.{sub}" if sub else base


def map_form(form: ExtractedForm, *, document: int = 0, low_confidence_below: float = 0.75,
             fmap: FieldMap | None = None) -> MappedForm:
    """Map one document's entries and grids onto a fresh record."""
    mapper = FormMapper(document, fmap or field_map(), low_confidence_below)
    mapper.unanswered = _unanswered_choices(form.entries)
    for entry in form.entries:
        mapper.entry(entry)
    grids = GridReader(mapper)
    for grid in form.grids:
        grids.read(grid)
    return mapper.finish()
