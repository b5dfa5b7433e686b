"""Referral grounds written as text: the printed option names, or the school's own words.

A mixin of :class:`parsers.mapping.mapper.FormMapper` (its state lives on the mapper), kept
apart so the mapper stays one screen of dispatch.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from parsers.entries import Entry
from parsers.layout.text import clean_label
from parsers.values import normalise as nz

if TYPE_CHECKING:
    from parsers.mapping.fieldmap import FieldMap


class GroundRules:
    """The ground methods of the form mapper."""

    if TYPE_CHECKING:
        fmap: FieldMap
        out: Any
        document: Any

        def put(self, path: str, value: Any, confidence: float, entry: Entry) -> None: ...

    def grounds_text(self, entry: Entry, confidence: float) -> None:
        found = self.fmap.options_in_text("referral.grounds", entry.value)
        for ground in found:
            self.add_ground(ground, entry, confidence)
        # A ground in the school's own words ("failed to return after leave"), alone or
        # beside a printed one ("left the country; absent 20 days without authorisation").
        for part in re.split(r"\n|;", entry.value):
            if len(part) > 200 or self.fmap.options_in_text("referral.grounds", part):
                continue
            concept = self.fmap.option_by_concept("referral.grounds", part)
            if concept is not None and concept not in found:
                found.append(concept)
                self.add_ground(concept, entry, confidence * 0.9)
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
