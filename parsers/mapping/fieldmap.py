"""The field map: every record field declared once (in ``fields.toml``) and label matching.

Labels are compared after :func:`norm_label`, so case, punctuation, ``*`` marks, numbering
and instructions such as "(please tick)" never matter. A label matches a field exactly, by
containing one of its labels ("Child's date of birth (dd/mm/yyyy)"), or by a close spelling
("Date of brith"); the last two lower the confidence recorded in ``provenance``.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from parsers.mapping.fieldmap_index import (
    Spellings,
    candidates,
    conflicting_context,
    content_index,
    pick,
)
from parsers.mapping.fieldspec import FieldSpec, LabelMatch, spec_from
from parsers.mapping.labels import (
    SECTION_NUMBER,
    STOPWORDS,
    norm_label,
    rule_strength,
    word_pattern,
)
from parsers.mapping.overlay import LiveDeclarations

FIELDS_FILE = Path(__file__).with_name("fields.toml")


class FieldMap:
    """The declarations of ``fields.toml`` with indexes for matching."""

    def __init__(self, declarations: dict[str, Any]) -> None:
        self.contexts: dict[str, tuple[str, ...]] = {
            name: tuple(norm_label(w) for w in body["words"])
            for name, body in declarations.get("context", {}).items()
        }
        self.fields: tuple[FieldSpec, ...] = tuple(spec_from(raw) for raw in declarations["field"])
        self.synonyms: dict[str, tuple[str, ...]] = {  # plain-English words for word_vote
            head: tuple(words) for head, words in declarations.get("synonyms", {}).items()}
        self.by_path = {spec.path: spec for spec in self.fields}
        self._inverse = sorted(((label, spec) for spec in self.fields for label in spec.inverse),
                               key=lambda item: -len(item[0]))
        self._inverse_concepts = [spec for spec in self.fields if spec.inverse_concepts]
        self._specific: dict[str, list[FieldSpec]] = {}
        self._generic: dict[str, list[FieldSpec]] = {}
        for spec in self.fields:
            for label in spec.labels:
                self._specific.setdefault(label, []).append(spec)
            for label in spec.generic:
                self._generic.setdefault(label, []).append(spec)
        self._specific_tokens = sorted(
            ((label, frozenset(label.split())) for label in self._specific),
            key=lambda item: -len(item[1]),
        )
        self._all_labels = list(self._specific) + list(self._generic)
        self._spellings = Spellings(self._all_labels)
        self._contents = [(label, tokens - STOPWORDS) for label, tokens in self._specific_tokens]
        self._content_index = content_index(self._contents)

    # ------------------------------------------------------------------ contexts
    @lru_cache(maxsize=4096)  # noqa: B019 - one FieldMap per process
    def context_of(self, heading: str | None) -> str | None:
        """The part of the form a heading introduces (``pupil``, ``part2``...), or None."""
        if not heading:
            return None
        heading = SECTION_NUMBER.sub("", heading, count=1) or heading
        text = f" {norm_label(heading)} "
        best: tuple[int, int, str] | None = None
        for name, words in self.contexts.items():
            for word in words:
                found = word_pattern(word).search(text)
                position = found.start() if found else -1
                if position >= 0:
                    candidate = (position, -len(word), name)
                    if best is None or candidate < best:
                        best = candidate
        return best[2] if best else None

    # ------------------------------------------------------------------ labels
    @lru_cache(maxsize=8192)  # noqa: B019
    def match(self, label: str, context: str | None = None) -> LabelMatch | None:
        """The field a printed label means, in the part of the form it stands in."""
        key = norm_label(label)
        if not key or len(key) > 160:
            return None
        padded = f" {key} "
        for label, inverse in self._inverse:  # "Is the pupil still on roll?" -> not removed
            if f" {label} " in padded:
                return LabelMatch(inverse, 1.0 if label == key else 0.9, "inverse")
        if len(key.split()) <= 10:
            for spec in self._inverse_concepts:  # "Remains on the school register?"
                if any(rule_strength(rule, key) for rule in spec.inverse_concepts):
                    return LabelMatch(spec, 0.85, "inverse")
        specs = self._specific.get(key)
        if specs:
            spec = pick(specs, context)
            if context and self._under_other_part(spec, key, context) and not self._names_own_part(
                    key, spec):
                # "Date completed" under the DSL's heading is the DSL's date, not Part 1's
                # (a label as long as "Name of person completing this form" says whose it is).
                local = self._local_generic(key, context, spec.kind)
                if local is not None:
                    return LabelMatch(local, 0.9, "context")
            return LabelMatch(spec, 1.0, "exact")
        generic = [s for s in self._generic.get(key, ()) if context in s.contexts]
        if generic:
            return LabelMatch(generic[0], 0.95, "context")
        contained = self._by_containment(key, context)
        if contained:
            return contained
        spelt = self._by_spelling(key, context)
        if spelt is not None and context and self._under_other_part(spelt.spec, key, context):
            # a typo'd "Date complteed" under the DSL's heading, as an exact one above
            local = self._local_generic(spelt.spec.labels[0] if spelt.spec.labels else key,
                                        context, spelt.spec.kind)
            if local is not None:
                return LabelMatch(local, 0.85, "context")
        return spelt

    @staticmethod
    def _under_other_part(spec: FieldSpec, key: str, context: str | None) -> bool:
        """A short label of a field that belongs to other parts, under this part's heading."""
        return bool(context and spec.contexts and context not in spec.contexts
                    and len(key.split()) <= 3)

    def _names_own_part(self, key: str, spec: FieldSpec) -> bool:
        """ "DSL name" says whose name it is, whatever heading it stands under (the DSL's and
        the AIO's parts only: a "Referrer's name" under "Part 1 completed by" is the signer)."""
        padded = f" {key} "
        return spec.section != "part1" and any(word_pattern(word).search(padded)
                   for part in spec.contexts for word in self.contexts.get(part, ()))

    def _local_generic(self, key: str, context: str, kind: str) -> FieldSpec | None:
        """The field of ``context`` with a generic label inside ``key``, of the same kind."""
        words = set(key.split())
        for label, specs in self._generic.items():
            if set(label.split()) <= words:
                for spec in specs:
                    if context in spec.contexts and spec.kind == kind:
                        return spec
        return None

    def is_label(self, text: str) -> bool:
        """Whether a piece of text reads as one of the form's labels (readers use this)."""
        if not text or len(text) > 120:
            return False
        key = norm_label(text)
        return bool(key) and (key in self._specific or key in self._generic or (
            len(key.split()) <= 12 and self.match(text, None) is not None
        ))

    def _by_containment(self, key: str, context: str | None) -> LabelMatch | None:
        """The field whose longest label's words all stand in the printed label.

        "Has the pupil been removed from the school roll?" holds every word of "removed
        from school roll"; a contiguous match is surer than scattered words.
        """
        tokens = [t for t in key.split() if t not in STOPWORDS]
        token_set = frozenset(tokens)
        if len(tokens) > 20 or not tokens:
            return None
        best: tuple[int, int, float, FieldSpec] | None = None
        for position in candidates(self._content_index, token_set):
            label, content = self._contents[position]
            if not content <= token_set:
                continue
            if len(content) < 2 and (len(tokens) > 3 or self._concept_elsewhere(key, label)):
                continue
            spec = pick(self._specific[label], context)
            extra = token_set - content
            if conflicting_context(extra, spec):
                continue
            contiguous = label in key
            if contiguous:
                confidence = 0.9 if len(extra) <= 3 else 0.85
            else:
                confidence = 0.85 if len(content) * 2 >= len(token_set) else 0.8
            candidate = (len(content), int(contiguous), confidence, spec)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
        if best is None:
            return None
        return LabelMatch(best[3], best[2], "contains")

    def _concept_elsewhere(self, key: str, label: str) -> bool:
        """A one-word label inside a longer one ("school" in "Governance of school") gives way
        when the longer label's words name another field by concept."""
        if key == label:
            return False
        specs = self._specific[label]
        return any(spec not in specs and any(rule_strength(rule, key) for rule in
                                             spec.label_concepts) for spec in self.fields)

    def _by_spelling(self, key: str, context: str | None) -> LabelMatch | None:
        if len(key) < 5:
            return None
        label = self._spellings.closest(key, 0.88)
        if label is None:
            return None
        ratio = difflib.SequenceMatcher(None, key, label).ratio()
        if label in self._specific:
            return LabelMatch(pick(self._specific[label], context), round(0.85 * ratio, 3), "spelling")
        generic = [s for s in self._generic[label] if context in s.contexts]
        if generic:
            return LabelMatch(generic[0], round(0.8 * ratio, 3), "spelling")
        return None

    # ------------------------------------------------------------------ options
    @lru_cache(maxsize=8192)  # noqa: B019
    def match_option(self, path: str, text: str) -> tuple[str, float] | None:
        """Which of a choice field's options a printed option (or prose) names."""
        spec = self.by_path[path]
        key = norm_label(text)
        if not key:
            return None
        best: tuple[int, str, float] | None = None
        for value, words in spec.options.items():
            for word in words:
                if key == word:
                    return value, 1.0
                if len(word) >= 3 and f" {word} " in f" {key} ":
                    candidate = (len(word), value, 0.9)
                    if best is None or candidate[0] > best[0]:
                        best = candidate
        if best:
            return best[1], best[2]
        by_concept = self.option_by_concept(path, text) if spec.option_concepts else None
        if by_concept is not None:
            return by_concept, 0.85
        close = difflib.get_close_matches(
            key, [w for words in spec.options.values() for w in words], n=1, cutoff=0.85
        )
        if close:
            value = next(v for v, words in spec.options.items() if close[0] in words)
            return value, 0.75
        return None

    @lru_cache(maxsize=4096)  # noqa: B019
    def option_anywhere(self, text: str) -> tuple[str, str] | None:
        """A lone tick option ("Maintained", "No SEN") that names one choice field's option."""
        key = norm_label(text)
        found = {(spec.path, value) for spec in self.fields
                 if spec.kind not in ("grounds",) and spec.options
                 for value, words in spec.options.items() if key in words and len(key) > 2}
        return found.pop() if len(found) == 1 else None

    @lru_cache(maxsize=8192)  # noqa: B019
    def match_concept(self, text: str, kind: str = "enquiry") -> LabelMatch | None:
        """The one field of ``kind`` whose concept rules a question or option names.

        "Have all contact numbers been tried?" is the "contacts telephoned" enquiry though
        it shares no label with it. Used where the form's context says it is that kind of
        question (an enquiry list, a Yes/No answer), never for any label anywhere.
        """
        if not text or len(text.split()) > 25:
            return None
        scored = sorted(
            ((max((rule_strength(r, text) for r in spec.concepts), default=0), spec)
             for spec in self.fields if spec.kind == kind and spec.concepts),
            key=lambda item: -item[0],
        )
        if not scored or scored[0][0] == 0:
            return None
        if len(scored) > 1 and scored[1][0] == scored[0][0]:
            return None  # two enquiries fit equally: do not guess
        return LabelMatch(scored[0][1], 0.8, "concept")

    def option_by_concept(self, path: str, text: str) -> str | None:
        """The choice a longer option wording names ("Pupil has left the UK")."""
        spec = self.by_path[path]
        best: tuple[int, str] | None = None
        tie = False
        for value, rules in spec.option_concepts.items():
            strength = max((rule_strength(r, text) for r in rules), default=0)
            if strength and (best is None or strength > best[0]):
                best, tie = (strength, value), False
            elif strength and best is not None and strength == best[0]:
                tie = True
        return None if best is None or tie else best[1]

    def options_in_text(self, path: str, text: str) -> list[str]:
        """Every option of a choice field that a piece of prose mentions, in field order."""
        spec = self.by_path[path]
        key = f" {norm_label(text)} "
        return [
            value
            for value, words in spec.options.items()
            if any(len(w) >= 4 and f" {w} " in key for w in words)
        ]

    # ------------------------------------------------------------------ completeness
    def required(self, section: str) -> list[FieldSpec]:
        return [s for s in self.fields if s.required and s.section == section]

    def recommended(self) -> list[FieldSpec]:
        return [s for s in self.fields if s.recommended]

    def title(self, path: str | None) -> str:
        if path is None:
            return "Form"
        spec = self.by_path.get(path) or self.by_path.get(re.sub(r"\.\d+\.", ".*.", path))
        if spec:
            return spec.title
        return path.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def _build(declarations: dict[str, Any]) -> FieldMap:
    return FieldMap(declarations)


_LIVE = LiveDeclarations(FIELDS_FILE, _build)


def field_map() -> FieldMap:
    """The process-wide field map: ``fields.toml`` plus the council's wording overlay
    (:mod:`parsers.mapping.overlay`), built again when the overlay file changes."""
    return _LIVE.get()


def overlay_additions(path: Path) -> dict[str, tuple[str, ...]]:
    """The labels the wording overlay at ``path`` adds, by field path; ConfigError (file and
    line) when it is malformed. For a start-up check and the review UI's suggestions."""
    return _LIVE.additions(path)
