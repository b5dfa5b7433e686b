"""Tick-box options and Yes/No answers, gathered while reading and resolved at the end.

A mixin of :class:`parsers.mapping.mapper.FormMapper`: options are collected as they are
read (a ticked "Academy", a crossed "No" beside a question) and resolved once the whole
document is read, so a set with one ticked option makes the others ``false``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parsers.entries import Entry
from parsers.layout.text import clean_label
from parsers.mapping.fieldmap import FieldMap, FieldSpec
from parsers.mapping.fieldspec import LabelMatch
from parsers.mapping.label_concepts import concept_field
from parsers.mapping.values import read_value
from parsers.values import normalise as nz

CHOICE_KINDS = {"grounds", "gender", "sen", "school_type", "absence_type"}
YES_NO_KINDS = {"bool", "enquiry", "signature"}


@dataclass
class Option:
    path: str
    value: Any  # True/False for yes-no answers, an option value for choices, None = the field itself
    checked: bool | None
    group: tuple[str, str | None]
    entry: Entry
    confidence: float


class OptionRules:
    """The option methods of the form mapper (its state lives on the mapper)."""

    if TYPE_CHECKING:
        fmap: FieldMap
        out: Any
        options: list[Option]
        just_enquiry: bool
        last_enquiry: str | None
        self_block: bool

        def put(self, path: str, value: Any, confidence: float, entry: Entry) -> None: ...

        def find(self, code: str, path: str | None, reason: str) -> None: ...

        def keep_unmapped(self, label: str, value: str) -> None: ...

        def add_ground(self, ground: str, entry: Entry, confidence: float) -> None: ...

        def contact_completed_part1(self) -> None: ...

    def option(self, entry: Entry, context: str | None) -> None:
        group = (clean_label(entry.label) or "", entry.section)
        question = self.fmap.match(entry.label, context) if entry.label.strip() else None
        yes_no = nz.boolean(entry.value).value is not None
        if question is None and entry.label.strip() and yes_no:
            spec = concept_field(self.fmap, entry.label, context)  # "Name removed from register"
            if spec is not None and spec.kind == "bool":
                question = LabelMatch(spec, 0.85, "concept")
        if question is None and not entry.label.strip() and entry.section and \
                yes_no:  # "Yes"/"No" under the question
            question = self.fmap.match(entry.section, context) or self.fmap.match_concept(
                entry.section, "bool")
            if question is not None and question.spec.kind not in ("bool", "signature"):
                question = None
        if question:
            self.out.labels_seen.add(question.spec.path)
        if question and self.question_option(question.spec, entry, group, question.confidence,
                                             inverse=question.how == "inverse"):
            return
        answer = nz.boolean(entry.value).value if entry.label.strip() else None
        if answer is not None and self.yes_no_about(entry, group, answer):
            return
        if self.asks_ground(entry, context) and self.ground_option(entry, group):
            return  # "Basis of referral: [x] Gone to another area, new school not confirmed"
        by_text = self.fmap.match(entry.value, context) if entry.value.strip() else None
        if (by_text is None or by_text.spec.kind not in YES_NO_KINDS) and entry.value.strip():
            by_text = self.fmap.match_concept(entry.value) or by_text
        if by_text and by_text.spec.kind in YES_NO_KINDS and by_text.confidence >= 0.8:
            self.add_option(Option(by_text.spec.path, None, entry.checked, group, entry,
                                        by_text.confidence))
            return
        if self.ground_option(entry, group):
            return
        choice = self.fmap.option_anywhere(entry.value)
        if choice is not None:
            self.add_option(Option(choice[0], choice[1], entry.checked, group, entry, 0.9))
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

    def asks_ground(self, entry: Entry, context: str | None) -> bool:
        if context == "grounds":
            return True
        spec = concept_field(self.fmap, entry.label, context) if entry.label.strip() else None
        return spec is not None and spec.path == "referral.grounds"

    def ground_option(self, entry: Entry, group: tuple[str, str | None]) -> bool:
        ground = self.fmap.match_option("referral.grounds", entry.value)
        if ground is None and len(entry.value.split()) >= 3:
            # An option worded as a sentence ("Family have gone overseas"): its concept.
            concept = self.fmap.option_by_concept("referral.grounds", entry.value)
            ground = (concept, 0.85) if concept else None
        if ground and ground[1] >= 0.85:
            self.add_option(Option("referral.grounds", ground[0], entry.checked, group, entry,
                                   ground[1]))
            return True
        return False

    def yes_no_about(self, entry: Entry, group: tuple[str, str | None], answer: bool) -> bool:
        """A Yes/No answer to a question worded as an enquiry or a referral ground."""
        enquiry = self.fmap.match_concept(entry.label) or self.fmap.match_concept(entry.label,
                                                                                 "bool")
        if enquiry is not None:  # an enquiry, or a yes/no question by concept (letters held)
            self.out.labels_seen.add(enquiry.spec.path)
            self.add_option(Option(enquiry.spec.path, answer, entry.checked, group, entry,
                                        enquiry.confidence))
            return True
        ground = self.fmap.match_option("referral.grounds", entry.label)
        if ground is not None and ground[1] >= 0.85:
            self.out.labels_seen.add("referral.grounds")
            chosen = entry.checked if answer else False
            self.add_option(Option("referral.grounds", ground[0], chosen, group, entry, ground[1]))
            return True
        return False

    def question_option(self, spec: FieldSpec, entry: Entry, group: tuple[str, str | None],
                        confidence: float, *, inverse: bool = False) -> bool:
        if spec.kind in CHOICE_KINDS:
            choice = self.fmap.match_option(spec.path, entry.value)
            if choice is None and spec.kind != "grounds":
                value = read_value(spec.kind, entry.value).values.get("")
                choice = (value[0], value[1]) if value and value[0] != "unknown" else None
            if choice is None:
                return False
            self.add_option(Option(spec.path, choice[0], entry.checked, group, entry,
                                        min(confidence, choice[1])))
            return True
        if spec.kind in YES_NO_KINDS:
            answer = nz.boolean(entry.value).value
            if answer is None:
                return False
            answer = not answer if inverse else answer
            self.add_option(Option(spec.path, answer, entry.checked, group, entry, confidence))
            return True
        return False

    def add_option(self, option: Option) -> None:
        self.options.append(option)
        self.just_enquiry = option.path.startswith("enquiries.")
        if self.just_enquiry:
            self.last_enquiry = option.path

    def resolve_options(self) -> None:
        by_path: dict[str, list[Option]] = {}
        for option in self.options:
            by_path.setdefault(option.path, []).append(option)
        ticked_groups = {o.group for o in self.options if o.checked}
        for path, options in by_path.items():
            spec = self.fmap.by_path[path]
            if spec.kind in CHOICE_KINDS:
                self.resolve_choice(spec, options)
            else:
                self.resolve_yes_no(spec, options, ticked_groups)

    def resolve_choice(self, spec: FieldSpec, options: list[Option]) -> None:
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

    def resolve_yes_no(self, spec: FieldSpec, options: list[Option], ticked_groups: set) -> None:
        answers = {o.value for o in options if o.value is not None and o.checked}
        direct = [o for o in options if o.value is None]
        if True in answers and False in answers:
            self.find("low_confidence", answer_path(spec), "both Yes and No are ticked")
            return
        value: bool | None = None
        source: Option | None = None
        if answers:
            value = answers.pop()
            source = next(o for o in options if o.checked and o.value == value)
        elif any(o.checked for o in direct):
            value, source = True, next(o for o in direct if o.checked)
        elif direct and any(o.group in ticked_groups for o in direct):
            value, source = False, direct[0]
        elif len(options) == 1 and options[0].value is True and options[0].checked is False:
            value, source = False, options[0]  # a lone "[ ] Yes" left empty: not so
        if source is None:
            return
        if spec.kind == "signature":
            self.put(spec.path, value, source.confidence, source.entry)
        else:
            self.put(answer_path(spec), value, source.confidence, source.entry)


def answer_path(spec: FieldSpec) -> str:
    return f"{spec.path}.done" if spec.kind == "enquiry" else spec.path
