"""The school register indexed for matching: by number, postcode and the words of a name.

Split from :mod:`intake.core.schools`, which decides: this module only answers "which
schools can this be?" (:meth:`SchoolIndex._fitting`, :meth:`SchoolIndex.near`), built once
from the register's rows and never changed. Which of those to take, and when the answer is
"not sure", is the matcher's (:class:`~intake.core.schools.SchoolDirectory`).
"""

from __future__ import annotations

import difflib
import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from intake.core.school_names import NameKey, Vocabulary, convention_words, data, name_key

OPEN_STATUSES = ("Open", "Open, but proposed to close")
MAX_CANDIDATES = 3
_NEAR_RATIO = 0.6
_NEAR_ENOUGH = 12  # near(): rank about this many schools per candidate wanted
_NEAR_POOL = 500  # a second word in more schools than this does not widen the near names


def school_type(establishment_type: str | None, type_group: str | None) -> str:
    """The routing type for the register's type and group (``schools.toml`` [types])."""
    types = data()["types"]
    found = types["establishment"].get(establishment_type or "")
    return found or types["group"].get(type_group or "", "unknown")


@dataclass(frozen=True)
class RegisterSchool:
    urn: str
    name: str
    la_code: str | None = None
    establishment_number: str | None = None
    establishment_type: str | None = None
    type_group: str | None = None
    status: str | None = None
    postcode: str | None = None
    town: str | None = None
    area: str | None = None
    extract_date: str | None = None
    type: str = "unknown"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> RegisterSchool:
        fields = {k: (str(row[k]) if row.get(k) is not None else None) for k in (
            "la_code", "establishment_number", "establishment_type", "type_group", "status",
            "postcode", "town", "area", "extract_date")}
        return cls(urn=str(row["urn"]), name=str(row["name"]), **fields,
                   type=school_type(fields["establishment_type"], fields["type_group"]))

    @property
    def dfe_number(self) -> str | None:
        if self.la_code and self.establishment_number:
            return f"{self.la_code}/{self.establishment_number}"
        return None

    @property
    def is_open(self) -> bool:
        return self.status is None or self.status in OPEN_STATUSES

    def label(self) -> str:
        """How messages name the school: its name and URN (never a person's data)."""
        return f"{self.name} (URN {self.urn})"


class SchoolIndex:
    """Every school of the register, indexed by number, postcode and name words (what a
    name can fit). Never changed once built."""

    def __init__(self, schools: Iterable[RegisterSchool]) -> None:
        self.schools = tuple(schools)
        self._by_urn = {s.urn: s for s in self.schools}
        self._by_laestab: dict[str, list[RegisterSchool]] = defaultdict(list)
        self._by_estab: dict[str, list[RegisterSchool]] = defaultdict(list)
        self._by_postcode: dict[str, list[RegisterSchool]] = defaultdict(list)
        self._by_key: dict[str, list[RegisterSchool]] = defaultdict(list)
        self._by_compact: dict[str, list[RegisterSchool]] = defaultdict(list)
        self._postings: dict[str, list[RegisterSchool]] = defaultdict(list)
        self._postings_kind: dict[tuple[str, str], list[RegisterSchool]] = defaultdict(list)
        self._by_words: dict[tuple[frozenset[str], str], list[RegisterSchool]] = defaultdict(list)
        self._keys: dict[str, NameKey] = {}
        self._words: dict[str, frozenset[str]] = {}
        self._towns: dict[str, frozenset[str]] = {}
        for school in self.schools:
            self._index(school)
        self.vocabulary = Vocabulary(set(self._postings) | convention_words())
        self.la_codes = frozenset(s.la_code for s in self.schools if s.la_code)
        self.extract_date = max((s.extract_date for s in self.schools if s.extract_date),
                                default=None)

    def __len__(self) -> int:
        return len(self.schools)

    def _index(self, school: RegisterSchool) -> None:
        key = name_key(school.name)
        self._keys[school.urn] = key
        self._words[school.urn] = frozenset(key.core)
        town = name_key(school.town) if school.town else None
        self._towns[school.urn] = frozenset(town.core) | town.kinds if town else frozenset()
        if school.la_code and school.establishment_number:
            self._by_laestab[school.la_code + school.establishment_number].append(school)
            self._by_estab[school.establishment_number].append(school)
        if school.postcode:
            self._by_postcode[compact_postcode(school.postcode)].append(school)
        self._by_key[key.key].append(school)
        self._by_compact[key.compact].append(school)
        for token in set(key.core):
            self._postings[token].append(school)
        # Under its words, and under its words but its town's: a form's words, less the
        # town's if it wrote the town, are then always one of these keys (see _fitting).
        # Each also under (words, kind) for its kinds and its town's words, so a form's kind
        # word narrows the search to the schools it can fit.
        own = frozenset(key.core)
        labels = ("", *key.kinds, *(f"town:{t}" for t in self._towns[school.urn]))
        for words_key in {own, own - self._towns[school.urn]}:
            if words_key:
                for label in labels:
                    self._by_words[(words_key, label)].append(school)
        for token in set(key.core):
            for kind in key.kinds:
                self._postings_kind[(token, kind)].append(school)

    def by_urn(self, urn: str) -> RegisterSchool | None:
        return self._by_urn.get(urn)

    def _fitting(self, key: NameKey) -> list[RegisterSchool]:
        """Schools the name fits, in tiers; the first tier with a school wins:

        1. the register's name itself (same words, same order, same kinds);
        2. the same words and kinds, in any order, the school's town written or left out;
        3. as 2, with kind words the form left out ("St Mary's Primary");
        4. the same words run together ("Oak Field" for "Oakfield").
        """
        exact = self._by_key.get(key.key)
        if exact:
            return list(exact)
        form_core = set(key.core)
        candidates: dict[str, RegisterSchool] = {}
        for words_key in _subsets(key.core):
            # Words left out of the key must be the school's town's (the form added it).
            left_out = sorted(form_core - words_key)
            labels = (f"town:{left_out[0]}",) if left_out else self._narrowest(words_key, key.kinds)
            for label in labels:
                candidates.update((s.urn, s) for s in self._by_words.get((words_key, label), ()))
        pool = [s for s in candidates.values() if self._fits(s, form_core, key.kinds)]
        for same_kinds in (True, False):
            found = [s for s in pool if (self._keys[s.urn].kinds == key.kinds) == same_kinds]
            if found:
                return found
        return [s for s in self._by_compact.get(key.compact, ())
                if key.kinds <= self._keys[s.urn].kinds]

    def _narrowest(self, words_key: frozenset[str], kinds: frozenset[str]) -> tuple[str, ...]:
        """The sub-lists to search: a school fits only if it has the form's rarest kind word
        or that word is its town's; with no kind word, all of them."""
        if not kinds:
            return ("",)
        kind = min(kinds, key=lambda k: (len(self._by_words.get((words_key, k), ())), k))
        return (kind, f"town:{kind}")

    def _fits(self, school: RegisterSchool, form_core: set[str], kinds: frozenset[str]) -> bool:
        """Every word that tells schools apart agrees, the form's kind words are the
        school's, and what differs is only the school's town (written or left out)."""
        key = self._keys[school.urn]
        core = self._words[school.urn]
        missing, extra, other_kinds = core - form_core, form_core - core, kinds - key.kinds
        if not (missing or extra or other_kinds):
            return True
        towns = self._towns[school.urn]
        return (missing <= towns and extra <= towns and other_kinds <= towns
                and bool(core & (form_core - towns)))

    def near(self, text: str, limit: int = MAX_CANDIDATES) -> list[RegisterSchool]:
        """The register's schools whose names look most like ``text`` (best first): those
        sharing the name's rarest words, ranked by shared words, then by spelling."""
        key = name_key(text)
        words = {self.vocabulary.correct(t) or t for t in key.core} | set(key.core)
        by_size = sorted((len(self._postings[t]), t) for t in words if t in self._postings)
        rare = [t for n, (size, t) in enumerate(by_size) if n == 0 or size <= _NEAR_POOL][:2]
        # The smallest lists first (a rare word with the form's kind word), until enough
        # schools to rank: the candidates name likely schools, they need not be all of them.
        lists = sorted((self._postings_kind.get((t, k), []) for t in rare for k in key.kinds),
                       key=len) + [self._postings[t] for t in rare]
        pool: dict[str, RegisterSchool] = {}
        enough = _NEAR_ENOUGH * limit
        for school in (s for schools in lists for s in schools):
            pool[school.urn] = school
            if len(pool) >= enough:
                break
        ranked = heapq.nsmallest(limit * 4, pool.values(), key=lambda s: (
            -len(words & self._words[s.urn]) - 0.5 * len(key.kinds & self._keys[s.urn].kinds),
            len(self._words[s.urn]), s.urn))
        wanted = key.key
        scored = []
        for school in ranked:
            ratio = difflib.SequenceMatcher(None, wanted, self._keys[school.urn].key).ratio()
            if ratio >= _NEAR_RATIO:
                scored.append((-ratio, not school.is_open, school.name, school.urn, school))
        return [entry[-1] for entry in sorted(scored)[:limit]]


def _subsets(words: tuple[str, ...], most_left_out: int = 3) -> list[frozenset[str]]:
    """The word sets a name's words may stand for: all of them, or some left out (the
    town the form added)."""
    unique = sorted(set(words))
    out = []
    for size in range(len(unique), max(0, len(unique) - most_left_out), -1):
        out += [frozenset(c) for c in combinations(unique, size)]
    return out


def compact_postcode(value: str) -> str:
    return "".join(value.split()).upper()
