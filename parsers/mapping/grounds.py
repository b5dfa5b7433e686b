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
        value = ticked_lines(entry.value)
        found = self.fmap.options_in_text("referral.grounds", value)
        for ground in found:
            self.add_ground(ground, entry, confidence)
        # A ground in the school's own words ("failed to return after leave"), alone or
        # beside a printed one ("left the country; absent 20 days without authorisation"):
        # each line whole first ("Gone to another area; new school not confirmed" is one).
        for line in value.split("\n"):
            parts = line.split(";")
            if len(parts) > 1 and not any(self._names_ground(part) for part in parts):
                parts = [line]
            for part in parts:
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

    def _names_ground(self, line: str) -> bool:
        return len(line) <= 200 and (bool(self.fmap.options_in_text("referral.grounds", line))
                                     or self.fmap.option_by_concept("referral.grounds", line)
                                     is not None)

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


_LINE_MARK = re.compile(r"^\s*(?:[☒☑■✓✔]|\[\s*[xX✓✔]\s*\]|[xX](?=\s))\s*|\s+(?:[☒☑■✓✔]|\[\s*[xX✓✔]\s*\]|"
                        r"[xX])\s*$")


def ticked_lines(value: str) -> str:
    """The lines of a list of options that carry a tick ("Moved away X"), or every line when
    none does: a cell listing all the options with one marked says only the marked one."""
    lines = value.split("\n")
    if len(lines) < 2:
        return value
    ticked = [_LINE_MARK.sub("", line) for line in lines if _LINE_MARK.search(line)]
    return "\n".join(ticked) if ticked else value
