"""School names as comparable keys: "St Mary's C of E Primary" = "Saint Marys CE Primary School".

A name becomes its *core* words (places, saints, anything that tells schools apart), in
order, and its *kind* words (denomination and phase: CE, RC, primary, junior...), after the
spellings in ``schools.toml`` are made one. The matcher (``intake.core.schools``) requires
the core words to agree and lets a form leave a kind word out, never contradict one.

:class:`Vocabulary` corrects a one-letter typo in a word the register does not know into
the one register word it can only be (symmetric deletes, as SymSpell does); a word the
register knows, a saint's name, or a short word is never "corrected" into another school.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("schools.toml")
MIN_TYPO_LENGTH = 5
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_POSSESSIVE = re.compile(r"'s\b")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class NameRules:
    phrases: dict[tuple[str, ...], tuple[str, ...]]
    longest_phrase: int
    noise: frozenset[str]
    kinds: frozenset[str]
    saints: frozenset[str]
    saint_prefixes: frozenset[str] = frozenset({"st", "saint"})


@lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    with DATA.open("rb") as handle:
        return tomllib.load(handle)


@lru_cache(maxsize=1)
def rules() -> NameRules:
    names = data()["names"]
    phrases = {tuple(src.split()): tuple(dst.split()) for src, dst in names["phrases"]}
    return NameRules(phrases=phrases, longest_phrase=max(len(k) for k in phrases),
                     noise=frozenset(names["noise"]), kinds=frozenset(names["kinds"]),
                     saints=frozenset(_saint_form(s) for s in names["saints"]))


@dataclass(frozen=True)
class NameKey:
    core: tuple[str, ...]
    kinds: frozenset[str]

    @property
    def key(self) -> str:
        """Equal for names that differ only in spelling conventions and word order of kinds."""
        return " ".join(self.core) + "|" + " ".join(sorted(self.kinds))

    @property
    def compact(self) -> str:
        """The core words run together: "Oak Field" and "Oakfield" agree."""
        return "".join(self.core)


def words(text: str) -> list[str]:
    """Lower-case ASCII words: accents dropped, "'s" dropped, "&" read as "and"."""
    folded = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    plain = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    plain = _POSSESSIVE.sub("", plain.replace("&", " and ").replace("+", " and "))
    return [w for w in _NOT_WORD.split(plain.replace("'", "")) if w]


@lru_cache(maxsize=65_536)
def name_key(text: str) -> NameKey:
    """The comparable form of a school name (pure; cached, as the same names recur)."""
    rule = rules()
    tokens = _replace_phrases(words(text), rule)
    core: list[str] = []
    kinds: set[str] = set()
    previous = ""
    for token in tokens:
        if previous == "st":
            token = _saint_form(token)
        previous = token
        if token in rule.noise:
            continue
        if token in rule.kinds:
            kinds.add(token)
        else:
            core.append(token)
    return NameKey(core=tuple(core), kinds=frozenset(kinds))


def _replace_phrases(tokens: list[str], rule: NameRules) -> list[str]:
    out: list[str] = []
    position = 0
    while position < len(tokens):
        for size in range(min(rule.longest_phrase, len(tokens) - position), 0, -1):
            replacement = rule.phrases.get(tuple(tokens[position:position + size]))
            if replacement is not None:
                out.extend(replacement)
                position += size
                break
        else:
            out.append(tokens[position])
            position += 1
    return out


def _saint_form(token: str) -> str:
    """A saint's name without its final "s"es: "St Marys", "St Mary's", "St Franciss" and
    "St Francis's" agree with their register spellings."""
    stem = token.rstrip("s")
    return stem if len(stem) >= 3 else token


@lru_cache(maxsize=1)
def convention_words() -> frozenset[str]:
    """Every word the naming conventions know (phrases, noise, kinds): "scool" is "school"."""
    rule = rules()
    known = {w for phrase in rule.phrases for w in phrase} | rule.noise | rule.kinds
    return frozenset(w for w in known if len(w) > 1)


def within_one_edit(a: str, b: str) -> bool:
    """Damerau (optimal string alignment) distance of at most one."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


class Vocabulary:
    """The register's words, to correct one-letter typos into the only word meant."""

    def __init__(self, known: Iterable[str]) -> None:
        self.known = frozenset(known)
        self._deletes: dict[str, set[str]] = {}
        for word in self.known:
            if len(word) >= MIN_TYPO_LENGTH - 1:
                for variant in _deletes(word):
                    self._deletes.setdefault(variant, set()).add(word)

    def correct(self, token: str) -> str | None:
        """``token`` itself when known; the one known word a typo away; else None."""
        if token in self.known:
            return token
        if len(token) < MIN_TYPO_LENGTH or token in rules().saints or token.isdigit():
            return None
        found = {word for variant in _deletes(token) for word in self._deletes.get(variant, ())
                 if within_one_edit(token, word)}
        return found.pop() if len(found) == 1 else None


def _deletes(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}
