"""Whether the form may give a field the reader left empty: a flag is a claim about the form.

Before the rules say a field is missing (and the AIO asks the school for it), they look at
what the reader could not place (``record["unmapped"]``): a label whose distinctive words
are this field's, with a value that reads as this field's kind, means the form probably
gives it under a wording the field map does not know. Then the right flag is a
``low_confidence`` "check '<label>'" for the AIO, not a request to the school.

A word's weight is how distinctive it is across the field map (1 / the number of fields
whose labels use it): "sign-off" or "UPN" point at one field, "date" or "name" at many.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from parsers.mapping.fieldmap import FieldSpec, field_map
from parsers.mapping.label_concepts import fits
from parsers.mapping.labels import STOPWORDS, norm_label
from parsers.mapping.values import read_value
from parsers.mapping.word_vote import may_answer
from parsers.values import normalise as nz

MIN_WEIGHT = 0.5          # distinctive words needed when the value reads as the field's kind
MIN_WEIGHT_LOOSE = 1.0    # ... for free-text kinds, whose values always "read"
_FREE_TEXT = frozenset({"text", "multiline", "fullname", "address", "enquiry", "signature"})
_SUFFIX = re.compile(r"(?:ing|ed|es|s|d)$")

# A rule's field path -> the declared field whose labels stand for it.
_SPEC_OF = {"parents": "parents.*.name"}


@dataclass(frozen=True)
class PossibleAnswer:
    label: str
    document: int
    weight: float


def _stem(word: str) -> str:
    return _SUFFIX.sub("", word) if len(word) > 4 else word


def _words(label: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in norm_label(label).split() if w not in STOPWORDS)


@cache
def _field_words() -> dict[str, frozenset[str]]:
    return {spec.path: frozenset().union(*(_words(lab) for lab in (*spec.labels, *spec.generic)))
            for spec in field_map().fields}


@cache
def _weights() -> dict[str, float]:
    counts: dict[str, int] = {}
    for words in _field_words().values():
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    return {word: 1.0 / count for word, count in counts.items()}


def _reads_as(spec: FieldSpec, value: str) -> bool:
    if not fits(spec, value):
        return False  # "CME-0001054" is a reference, not a DfE number
    if spec.kind in _FREE_TEXT:
        return len(value.strip()) >= 2
    if spec.kind in ("grounds", "school_type", "gender", "sen", "absence_type"):
        return field_map().match_option(spec.path, value) is not None or \
            read_value(spec.kind, value).values.get("", (None,))[0] not in (None, "unknown")
    if spec.kind == "bool":
        return nz.boolean(value).value is not None
    reading = read_value(spec.kind, value)
    return bool(reading.values) and not reading.problems


def possible_answer(record: dict[str, Any], path: str) -> PossibleAnswer | None:
    """The unmapped entry that most likely gives ``path``, or None when nothing does."""
    fmap = field_map()
    spec = fmap.by_path.get(_SPEC_OF.get(path, path))
    if spec is None:
        return None
    wanted, weights = _field_words().get(spec.path, frozenset()), _weights()
    best: PossibleAnswer | None = None
    for entry in record.get("unmapped") or []:
        label, value = entry.get("label") or "", entry.get("value") or ""
        if not label.strip() or not value.strip():
            continue
        weight = sum(weights.get(word, 0.0) for word in _words(label) & wanted)
        floor = MIN_WEIGHT_LOOSE if spec.kind in _FREE_TEXT else MIN_WEIGHT
        if weight < floor or not _reads_as(spec, value):
            # the label in other words ("Learner's family name"): the word vote's near-best
            if spec.path == "referral.grounds":
                if not fmap.options_in_text(spec.path, value) and \
                        fmap.option_by_concept(spec.path, value) is None:
                    continue
            elif not may_answer(fmap, label, value, spec.path):
                continue
            weight = MIN_WEIGHT
        if best is None or weight > best.weight:
            best = PossibleAnswer(label.strip()[:80], int(entry.get("document") or 0), weight)
    return best


def where(record: dict[str, Any], answer: PossibleAnswer) -> str:
    """'attachment "form.docx"' for the document the entry was read from."""
    documents = record.get("documents") or []
    if 0 <= answer.document < len(documents):
        name = documents[answer.document].get("filename")
        if name:
            return f'attachment "{name}"'
        return f"document {answer.document + 1}"
    return "the form"
