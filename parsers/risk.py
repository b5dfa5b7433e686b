"""Safeguarding risk indicators in free text: spaCy rules, no model download.

A blank English pipeline with a sentencizer and an entity ruler loaded from the shipped
``risk_patterns.jsonl`` (lexical LOWER matching only: a blank pipeline has no tagger). A
mention is dropped when a negation cue governs it in the same sentence ("no concerns of
neglect", "FGM not suspected"), until a "but"/"however" starts a new clause.

spaCy takes about a second to import, so a regular expression built from the same patterns
screens the text first: text that names no indicator never loads spaCy.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from parsers.record import RISK_INDICATORS

PATTERNS_FILE = Path(__file__).with_name("risk_patterns.jsonl")
MAX_TEXT = 100_000

_NEGATION_BEFORE = frozenset(
    "no not none nor without never denies denied negative nil unfounded unsubstantiated".split()
)
_NEGATION_AFTER = (
    "not suspected", "not a concern", "not identified", "not known", "ruled out", "none",
    "no", "not", "not indicated", "not disclosed", "not raised", "not evident", "unlikely",
)
_CLAUSE_BREAK = frozenset("but however although though whereas yet".split())
_WINDOW_BEFORE = 8
_WINDOW_AFTER = 4


@cache
def _patterns() -> list[dict[str, str]]:
    lines = PATTERNS_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@cache
def _screen() -> re.Pattern[str]:
    phrases = sorted({p["pattern"] for p in _patterns()}, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\-", "[- ]?").replace(r"\ ", r"[\s-]+") for p in phrases)
    return re.compile(rf"(?<![\w])(?:{body})(?![\w])", re.IGNORECASE)


@cache
def _label_of_phrase() -> dict[str, str]:
    return {p["pattern"]: p["label"] for p in _patterns()}


@cache
def pipeline():  # type: ignore[no-untyped-def]
    """The process-wide spaCy pipeline (built once; importing spaCy is the slow part)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "validate": True})
    ruler.add_patterns(_patterns())  # type: ignore[attr-defined]
    return nlp


def indicators_in(*texts: str | None) -> list[str]:
    """The risk indicators that the texts assert (negated mentions left out), in spec order."""
    found: set[str] = set()
    for text in texts:
        if not text or not _screen().search(text):
            continue
        doc = pipeline()(text[:MAX_TEXT])
        for ent in doc.ents:
            if not _negated(ent):
                found.add(ent.label_)
    return [indicator for indicator in RISK_INDICATORS if indicator in found]


def indicators_in_option(option: str) -> list[str]:
    """Indicators a tick-box option names ("CSE", "Forced marriage"); the tick asserts it."""
    if not option or len(option) > 200:
        return []
    labels = _label_of_phrase()
    found = {labels[m.group(0).lower()] for m in _screen().finditer(option) if m.group(0).lower() in labels}
    return [indicator for indicator in RISK_INDICATORS if indicator in found]


def _negated(ent) -> bool:  # type: ignore[no-untyped-def]
    sent = ent.sent
    before = [t.lower_ for t in sent[max(0, ent.start - sent.start - _WINDOW_BEFORE): ent.start - sent.start]]
    for word in reversed(before):
        if word in _CLAUSE_BREAK or word in (".", ";"):
            break
        if word in _NEGATION_BEFORE:
            return True
    doc = ent.doc
    words: list[str] = []
    for token in doc[ent.end: ent.end + _WINDOW_AFTER + 2]:
        if token.text in (".", ";", "!") or token.lower_ in _CLAUSE_BREAK:
            break
        if token.text in ("?", ":", "-", "–", ","):
            continue
        words.append(token.lower_)
    after = " ".join(words[:_WINDOW_AFTER])
    return any(after == cue or after.startswith(cue + " ") for cue in _NEGATION_AFTER)
