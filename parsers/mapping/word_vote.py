"""The last guess for a label no rule names: its words vote for the fields that use them.

Rules (labels, generic labels, concept rules) need a council's wording to contain the words
they name; a council new to the tool writes "Learner's family name" or "Setting telephone".
Here every word of every field's wording in ``fields.toml``, taken through a small thesaurus
of plain English (``[synonyms]``: "learner" is a pupil, "setting" a school), weighs
1 / the number of fields that use it. A label's words add up per field; the best field is
taken only when it clearly beats the next, the section does not contradict it and the
value fits its kind (see :func:`parsers.mapping.label_concepts.fits`), and the value is
marked as a guess (confidence below the low-confidence line, so the AIO is asked to check).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from parsers.mapping.entry_text import FIELD_CONTEXT, reads_as_answer
from parsers.mapping.fieldspec import LabelMatch
from parsers.mapping.label_concepts import fits, plausible
from parsers.mapping.labels import STOPWORDS, norm_label
from parsers.mapping.values import read_value

if TYPE_CHECKING:
    from parsers.mapping.fieldmap import FieldMap
    from parsers.mapping.fieldspec import FieldSpec

CONFIDENCE = 0.7
MIN_SCORE = 0.5    # a word no more than one other such field uses, or several
MIN_MARGIN = 0.34  # ... and clearly more than the next field
_SKIP_KINDS = frozenset({"enquiry", "grounds", "parent_combined", "siblings_text",
                         "siblings_school", "bool", "signature"})
_QUESTION_WORDS = frozenset("what who when where which how why please give provide state "
                            "enter write known if details detail your our we you".split())
_SUFFIX = re.compile(r"(?:'s|s)$")


class WordVote:
    """The field map's words, weighed, for one FieldMap."""

    def __init__(self, fmap: FieldMap, synonyms: dict[str, tuple[str, ...]]) -> None:
        self.fmap = fmap
        self.phrases = sorted(((norm_label(p), head) for head, words in synonyms.items()
                               for p in words if " " in norm_label(p)), key=lambda x: -len(x[0]))
        self.single = {norm_label(w): head for head, words in synonyms.items() for w in words
                       if " " not in norm_label(w)}
        self.heads = frozenset(synonyms)
        self.vocab: dict[str, frozenset[str]] = {}
        for spec in fmap.fields:
            if spec.kind in _SKIP_KINDS:
                continue
            texts = [*spec.labels, *spec.generic, *(alt.rstrip("*") for rule in spec.label_concepts
                                                     for group in rule if not group[0].startswith("!")
                                                     for alt in group)]
            self.vocab[spec.path] = frozenset().union(*(self.words(t) for t in texts))

    @lru_cache(maxsize=8192)  # noqa: B019 - one per FieldMap
    def words(self, text: str) -> frozenset[str]:
        key = f" {norm_label(text)} "
        found: set[str] = set()
        for phrase, head in self.phrases:
            if f" {phrase} " in key:
                found.add(head)
                key = key.replace(f" {phrase} ", " ")
        for word in key.split():
            if word in STOPWORDS or word in _QUESTION_WORDS or len(word) < 2:
                continue
            stem = word if word in self.single or len(word) <= 3 else _SUFFIX.sub("", word)
            found.add(self.single.get(word) or self.single.get(stem) or stem)
        return frozenset(found)

    @lru_cache(maxsize=8192)  # noqa: B019 - one per FieldMap; forms repeat their labels
    def scored(self, label: str, value: str, context: str | None
               ) -> tuple[list[tuple[float, str]], dict[str, int], frozenset[str]]:
        """Each field the value can answer here, with the share of the label's words it
        holds (a word shared by n such fields counts 1/n), best first."""
        words = self.words(label)
        if not words or len(words) > 12:
            return [], {}, words
        candidates = [spec for spec in (self.fmap.by_path[p] for p in self.vocab)
                      if _in_context(spec, context) and _answers(spec, value)]
        counts: dict[str, int] = {}
        for spec in candidates:
            for word in words & self.vocab[spec.path]:
                counts[word] = counts.get(word, 0) + 1
        scored = sorted(((sum(1.0 / counts[w] for w in words & self.vocab[spec.path]), spec.path)
                         for spec in candidates), reverse=True)
        return [item for item in scored if item[0] > 0], counts, words

    def best(self, label: str, value: str, context: str | None) -> FieldSpec | None:
        """The field whose words the label shares best, among the fields the value can
        answer in this part of the form (a phone number only votes among phone fields)."""
        scored, counts, words = self.scored(label, value, context)
        if not scored or scored[0][0] < MIN_SCORE:
            return None
        if len(scored) > 1 and scored[0][0] - scored[1][0] < MIN_MARGIN:
            return None
        best = scored[0][1]
        if not any(w in self.heads and counts[w] <= 2 for w in words & self.vocab[best]):
            return None  # only a word of no known meaning ("Team name") points there
        return self.fmap.by_path[best]

    def may_answer(self, label: str, value: str, path: str) -> bool:
        """Whether an unplaced label/value may be ``path``'s answer: the field is one of at
        most two that the label's words point at about equally (a "check", not a reading)."""
        scored, _, _ = self.scored(label, value, None)
        if not scored or scored[0][0] < MIN_SCORE:
            return False
        near = [p for score, p in scored if score >= scored[0][0] - MIN_MARGIN / 2]
        return path in near and len(near) <= 2


_TYPED = ("email", "phone", "date", "upn", "postcode")
_READ_KINDS = frozenset({"gender", "school_type", "sen", "absence_type", "year_group", "percent",
                         "integer", *_TYPED})


@lru_cache(maxsize=65536)
def _answers(spec: FieldSpec, value: str) -> bool:
    """Whether the value reads as this field's kind: a typed value (an email, a date) votes
    only among fields of its type, a short answer never for a paragraph field."""
    if not plausible(spec.kind, value) or not fits(spec, value):
        return False
    if spec.kind in _READ_KINDS:
        reading = read_value(spec.kind, value)
        got = [v for v, _ in reading.values.values()]
        return bool(got) and not reading.problems and got[0] not in (None, "", "unknown")
    if reads_as_answer(value):
        return False  # "Yes" answers a question, not a name or a place
    typed = any(plausible(kind, value) and read_value(kind, value).values for kind in _TYPED
                if kind != "postcode")
    if typed:
        return False
    if spec.kind == "multiline":
        return len(value.split()) >= 4
    return True


def _in_context(spec: FieldSpec, context: str | None) -> bool:
    home = FIELD_CONTEXT.get(spec.path.split(".", 1)[0])
    return not (context and home and context != home and context in FIELD_CONTEXT.values())


@cache
def _vote(fmap: FieldMap) -> WordVote:
    return WordVote(fmap, fmap.synonyms)


def match_by_words(fmap: FieldMap, label: str, value: str,
                   context: str | None) -> LabelMatch | None:
    """The field a label's words point at, if the section and the value agree."""
    if not label.strip() or not value.strip():
        return None
    spec = _vote(fmap).best(label, value, context)
    if spec is None:
        return None
    # a guess at a field the rules chase is marked for checking; a role or a note is not
    return LabelMatch(spec, CONFIDENCE if spec.required or spec.recommended else 0.75, "words")


def may_answer(fmap: FieldMap, label: str, value: str, path: str) -> bool:
    """See :meth:`WordVote.may_answer` (the rules ask this before claiming a field missing)."""
    return bool(label.strip() and value.strip()) and _vote(fmap).may_answer(label, value, path)
