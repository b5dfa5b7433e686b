"""Indexes that make the field map's label lookups cheap, with the same answers.

A printed label that is no exact match is tried against every declared label twice: does
it contain one ("Child's date of birth (dd/mm/yyyy)"), and is it a close spelling of one
("Date of brith")? Done naively that is a scan of all ~700 labels per new piece of text,
which cost more than reading the rest of the form. These indexes visit only the labels
that can pass, and :class:`Spellings` gives exactly what ``difflib.get_close_matches``
gives (the same ratios, the same tie-breaks).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from parsers.mapping.labels import CONTEXT_TOKENS

if TYPE_CHECKING:
    from parsers.mapping.fieldspec import FieldSpec


def content_index(contents: list[tuple[str, frozenset[str]]]) -> dict[str, list[int]]:
    """Positions of the labels with content words, each under the rarest of its words: a
    label can stand inside a printed one only if that word is printed too."""
    counts: dict[str, int] = {}
    for _, content in contents:
        for token in content:
            counts[token] = counts.get(token, 0) + 1
    index: dict[str, list[int]] = {}
    for position, (_, content) in enumerate(contents):
        if content:
            rarest = min(content, key=lambda token: (counts[token], token))
            index.setdefault(rarest, []).append(position)
    return index


def candidates(index: dict[str, list[int]], tokens: frozenset[str]) -> list[int]:
    """Label positions, in declaration order, that may be contained in ``tokens``."""
    return sorted(position for token in tokens for position in index.get(token, ()))


# A normalised label (fieldmap.norm_label) uses only these characters. Their counts are
# packed 9 bits apiece into one integer, so the character overlap difflib's quick_ratio
# counts one character at a time is a few integer operations (SWAR: a lane-wise minimum,
# then the lanes summed by casting out 511s).
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789%/ "
_LANE = {ch: 9 * position for position, ch in enumerate(_ALPHABET)}
_GUARD = sum(1 << (9 * position + 8) for position in range(len(_ALPHABET)))
_MAX_PACKED = 500  # lane sums stay below 511 while the shorter text is shorter than this


def _packed(text: str) -> int | None:
    """The text's character counts, one 9-bit lane a character; None when it cannot be."""
    if len(text) > _MAX_PACKED:
        return None
    value = 0
    for ch in set(text):
        lane, count = _LANE.get(ch), text.count(ch)
        if lane is None or count > 255:
            return None
        value |= count << lane
    return value


def _overlap(a: int, b: int) -> int:
    """How many characters two packed texts share, counted with multiplicity."""
    a_not_less = (((a | _GUARD) - b) & _GUARD) >> 8
    take_b = a_not_less * 0xFF
    return ((b & take_b) | (a & ~take_b)) % 511


def _ratio(matches: int, length: int) -> float:
    """difflib's own formula, so a label passes or fails a filter exactly as it does there."""
    return 2.0 * matches / length if length else 1.0


class Spellings:
    """Close spellings among fixed labels: ``get_close_matches(key, labels, n=1, cutoff)``."""

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels
        self._by_length: dict[int, list[tuple[str, int | None]]] = {}
        for label in labels:
            self._by_length.setdefault(len(label), []).append((label, _packed(label)))

    def closest(self, key: str, cutoff: float) -> str | None:
        """The label difflib would pick. Labels are skipped by length (difflib's
        ``real_quick_ratio``) and by shared characters (its ``quick_ratio``), in the same
        arithmetic, before the full ratio is computed for the few that are left."""
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(key)
        size, packed = len(key), _packed(key)
        best: tuple[float, str] | None = None
        for length, labels in self._by_length.items():
            if _ratio(min(length, size), length + size) < cutoff:
                continue
            for label, counts in labels:
                if packed is not None and counts is not None:
                    if _ratio(_overlap(counts, packed), length + size) < cutoff:
                        continue
                    matcher.set_seq1(label)
                else:
                    matcher.set_seq1(label)
                    if matcher.quick_ratio() < cutoff:
                        continue
                if matcher.ratio() >= cutoff:
                    candidate = (matcher.ratio(), label)
                    if best is None or candidate > best:
                        best = candidate
        return best[1] if best else None


def pick(specs: list[FieldSpec], context: str | None) -> FieldSpec:
    """The spec of a shared label that belongs to this part of the form, else the first."""
    for spec in specs:
        if context in spec.contexts:
            return spec
    return specs[0]


# A label found by containment must not add a word that asks for another kind of value
# ("Date any concerns referred to MASH" is a date, not the concerns).
_KIND_TOKENS = {
    "date": ({"date", "dob", "when"}, {"date", "enquiry"}),
    "phone": ({"telephone", "phone", "tel", "mobile"}, {"phone", "parent_combined", "enquiry"}),
    "email": ({"email"}, {"email", "parent_combined", "enquiry"}),
    "address": ({"address", "postcode"}, {"address", "postcode", "multiline", "enquiry"}),
    "relationship": ({"relationship"}, {"text"}),
    "name": ({"name", "names"}, {"name", "fullname", "parent_name", "sibling_name", "parent_combined",
                                 "siblings_text", "text"}),
}


def conflicting_context(extra: frozenset[str], spec: FieldSpec) -> bool:
    """Whether a containment match's extra words ask for another kind or part."""
    for tokens, kinds in _KIND_TOKENS.values():
        if extra & tokens and spec.kind not in kinds:
            return True
    own = spec.path.split(".")[0]
    own_context = {"parents": "parents", "siblings": "siblings", "safeguarding": "part2",
                   "aio": "part3", "school": "school", "family_information": "family_info",
                   "enquiries": "enquiries"}.get(own)
    for token in extra:
        context = CONTEXT_TOKENS.get(token)
        if context and context != own_context:
            return True
    return False
