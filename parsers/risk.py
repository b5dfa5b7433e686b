"""Safeguarding risk indicators in free text: spaCy rules, no model download.

A blank English pipeline with a sentencizer and an entity ruler loaded from the shipped
``risk_patterns.jsonl`` (lexical LOWER matching only: a blank pipeline has no tagger). A
mention is dropped when a negation cue governs it in the same sentence ("no concerns of
neglect", "FGM not suspected"), until a "but"/"however" starts a new clause.

spaCy takes about a second to import, so a regular expression built from the same patterns
screens the text first: text that names no indicator never loads spaCy. When it is needed it is
imported without its command-line interface (see ``_import_spacy``) and given a small
punctuation tokenizer instead of English's 1,300 special cases and large regular expressions,
which only the tagger-based pipelines need; the tokens these rules look at (words, commas,
stops, "but", "not") come out the same (``tests/test_risk.py`` checks against the stock one).
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from parsers.record import RISK_INDICATORS

PATTERNS_FILE = Path(__file__).with_name("risk_patterns.jsonl")
MAX_TEXT = 100_000

_NEGATION_BEFORE = frozenset(
    "no not none nor neither nothing without never denies denied negative nil unaware unfounded "
    "unsubstantiated".split()
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


# English's punctuation rules (spacy/lang/punctuation.py) with small character classes: the
# stock ones cover every script and take a tenth of a second to compile.
_P = r"""…,:;!?¿¡()\[\]{}<>_#*&"""
_Q = r"""'"“”`‘´’‚,„»«「」『』（）〔〕【】《》〈〉"""
_LOWER = r"a-zß-öø-ÿ"
_UPPER = r"A-ZÀ-ÖØ-Þ"
_PREFIX = rf"""^(?:[§%=—–{_P}{_Q}$£€¥]|\+(?![0-9])|\.\.+|''|``)"""
_SUFFIX = (rf"""(?:[{_P}{_Q}]|\.\.+|''|(?i:n['’]t|['’](?:s|re|ve|ll|d|m))|—|–|(?<=[0-9])\+|(?<=[0-9])%"""
           rf"""|(?<=[0-9{_LOWER}%²\-+{_P}{_Q}])\.|(?<=[{_UPPER}][{_UPPER}])\.)$""")
_INFIX = (rf"""\.\.+|…|(?<=[0-9])[+\-*^](?=[0-9-])|(?<=[{_LOWER}{_Q}])\.(?=[{_UPPER}{_Q}])"""
          r"""|(?<=[^\W\d_]),(?=[^\W\d_])|(?<=[^\W\d_])(?:-|–|—|--|---|——|~)(?=[^\W\d_])"""
          r"""|(?<=[^\W_])[:<>=/](?=[^\W\d_])""")
_TIME = re.compile(r"\d{1,2}(?:[ap]m|[ap]\.m\.)$", re.IGNORECASE)
TOKENIZER_NAME = "cme_intake.risk_tokenizer.v1"


def _import_spacy() -> Any:
    """Import spaCy without loading its command-line interface.

    ``spacy/__init__.py`` imports ``spacy.cli`` (typer apps, weasel, requests, the model
    downloader) only to re-export ``spacy.info``; that is about a third of its import time and
    none of it is used here. A stand-in is placed for the import and removed straight after,
    so a later ``import spacy.cli`` loads the real one, and ``spacy.info`` still works.
    """
    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    stand_in, info = ModuleType("spacy.cli"), ModuleType("spacy.cli.info")
    info.info = _spacy_info  # type: ignore[attr-defined]
    stand_in.info = info  # type: ignore[attr-defined]
    placed = [name for name, module in (("spacy.cli", stand_in), ("spacy.cli.info", info))
              if sys.modules.setdefault(name, module) is module]
    try:
        import spacy
    finally:
        for name in placed:
            del sys.modules[name]
        package = sys.modules.get("spacy")
        if package is not None and getattr(package, "cli", None) is stand_in:
            delattr(package, "cli")
    return spacy


def _spacy_info(*args: Any, **kwargs: Any) -> Any:
    from spacy.cli.info import info

    return info(*args, **kwargs)


def _register_tokenizer(spacy: Any) -> None:
    if TOKENIZER_NAME in spacy.registry.tokenizers:
        return

    def make() -> Any:
        from spacy.tokenizer import Tokenizer

        def create(nlp: Any) -> Any:
            # English's abbreviations ("e.g.", "Mrs.") and times ("2pm") keep their special
            # cases, so a stop does not end a sentence or a negation's reach early; the rest
            # of its 1,300 (mostly contractions, handled by the suffixes) are not needed.
            stock = nlp.Defaults.tokenizer_exceptions
            rules = {text: pieces for text, pieces in stock.items()
                     if "." in text or _TIME.match(text) or text.lower() == "cannot"}
            return Tokenizer(nlp.vocab, rules=rules, prefix_search=re.compile(_PREFIX).search,
                             suffix_search=re.compile(_SUFFIX).search,
                             infix_finditer=re.compile(_INFIX).finditer)
        return create

    spacy.registry.tokenizers.register(TOKENIZER_NAME, func=make)


@cache
def pipeline():  # type: ignore[no-untyped-def]
    """The process-wide spaCy pipeline (built once; importing spaCy is the slow part)."""
    spacy = _import_spacy()
    _register_tokenizer(spacy)
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER_NAME}}})
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
