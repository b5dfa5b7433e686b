"""The council's school directory as a frozen snapshot, and matching a form's school in it.

Pure: a shell loads the register's rows (``models.schools.register_rows``) and builds a
:class:`SchoolDirectory` once; the pipeline gets it as a plain argument. :meth:`match` finds
the form's school by DfE number (``LLL/NNNN`` or ``LLLNNNN``), URN, or name (with the
school's postcode when the form gives one), tolerant of "St"/"Saint", "C of E"/"CE"/"Church of
England", "RC"/"Roman Catholic"/"Catholic", "Primary"/"Primary School", punctuation, word
order, the town written before or after, and a one-letter typo.

A wrong match sends a child's case to the wrong team, so the matcher prefers "not sure":
names must agree on every word that tells schools apart (see ``school_names``), a DfE number
whose school the form's name contradicts is not taken, and when two open schools fit, the
answer is the candidates, not a guess. Open schools are preferred to closed ones (an academy
converter's maintained predecessor has the same name and often the same DfE number).
"""

from __future__ import annotations

import difflib
import heapq
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import combinations
from typing import Any

from intake.core.school_names import NameKey, Vocabulary, convention_words, data, name_key, words

OPEN_STATUSES = ("Open", "Open, but proposed to close")
MATCHED_BY = ("dfe_number", "urn", "name", "name_postcode")
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


@dataclass(frozen=True)
class SchoolMatch:
    """The school found (with how), or the candidates and why it is not sure."""

    school: RegisterSchool | None
    matched_by: str | None = None
    candidates: tuple[RegisterSchool, ...] = ()
    problem: str | None = None       # why no school (or which evidence disagreed)
    dfe_problem: str | None = None   # the DfE number given is not in the register
    fuzzy: bool = False              # matched despite a spelling difference: worth a check


class SchoolDirectory:
    """Every school of the register, indexed for matching. Never changed once built."""

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

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> SchoolDirectory:
        return cls(RegisterSchool.from_row(row) for row in rows)

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
            self._by_postcode[_compact_postcode(school.postcode)].append(school)
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

    # ------------------------------------------------------------------ matching
    def match(self, *, name: str | None = None, dfe_number: str | None = None,
              urn: str | None = None, postcode: str | None = None) -> SchoolMatch:
        """The form's school, from whatever of these the form gives."""
        by_name = self._match_name(name, postcode) if name and name.strip() else None
        dfe_problem = None
        for kind, value in (("dfe_number", dfe_number), ("urn", urn)):
            if not value or not str(value).strip():
                continue
            found, problem = self._by_identifier(kind, str(value))
            if kind == "dfe_number":
                dfe_problem = problem
            if found:
                return replace(self._confirm(found, kind, by_name, name), dfe_problem=dfe_problem)
        if by_name is None:
            return SchoolMatch(None, problem="the form gives no school name, DfE number or URN "
                               "that the register knows", dfe_problem=dfe_problem)
        return replace(by_name, dfe_problem=dfe_problem)

    def _by_identifier(self, kind: str, value: str) -> tuple[list[RegisterSchool], str | None]:
        digits = re.sub(r"\D", "", value)
        if kind == "urn" or len(digits) == 6:
            school = self._by_urn.get(digits)
            if school is not None:
                return [school], None
            if kind == "urn":
                return [], None
        if len(digits) == 7:
            found = self._by_laestab.get(digits, [])
            if found or digits[:3] not in self.la_codes:
                return found, None
            return [], f"DfE number {digits[:3]}/{digits[3:]} is not in the school register"
        if len(digits) == 4:
            return self._by_estab.get(digits, []), None
        return [], "the value given is not a DfE number (LLL/NNNN)"

    def _confirm(self, found: list[RegisterSchool], kind: str, by_name: SchoolMatch | None,
                 name: str | None) -> SchoolMatch:
        """Take the school a number names unless the form's school name contradicts it."""
        named = set()
        if by_name is not None:
            named = {s.urn for s in by_name.candidates} | (
                {by_name.school.urn} if by_name.school else set())
        chosen = self._prefer_open(found)
        if len(chosen) > 1:
            agreed = [s for s in chosen if s.urn in named]
            if len(agreed) != 1:
                return SchoolMatch(None, candidates=tuple(chosen[:MAX_CANDIDATES]),
                                   problem=f"the {_WHAT[kind]} fits {len(chosen)} schools")
            chosen = agreed
        school = chosen[0]
        if by_name is None or school.urn in named or self._same_name(school, by_name.school):
            return SchoolMatch(school, kind)
        if by_name.school is None and not by_name.candidates and self._resembles(school, name):
            return SchoolMatch(school, kind)
        other = by_name.school or (by_name.candidates[0] if by_name.candidates else None)
        problem = (f"the {_WHAT[kind]} is that of {school.label()}, but the school name on the "
                   "form " + (f"is that of {other.label()}" if other else "does not resemble it"))
        return SchoolMatch(None, candidates=(school, *(() if other is None else (other,))),
                           problem=problem)

    def _prefer_open(self, found: list[RegisterSchool]) -> list[RegisterSchool]:
        open_ = [s for s in found if s.is_open]
        if open_:
            return open_
        successors = {s.urn: s for closed in found for s in self._by_key[self._keys[closed.urn].key]
                      if s.is_open and s.la_code == closed.la_code}
        return list(successors.values()) or found

    def _same_name(self, school: RegisterSchool, other: RegisterSchool | None) -> bool:
        return other is not None and self._keys[school.urn].key == self._keys[other.urn].key

    def _resembles(self, school: RegisterSchool, name: str | None) -> bool:
        form = set(name_key(name or "").core)
        corrected = {self.vocabulary.correct(t) or t for t in form}
        return not form or bool(corrected & set(self._keys[school.urn].core))

    def _match_name(self, name: str, postcode: str | None) -> SchoolMatch:
        key = name_key(name)
        if not key.core:
            return SchoolMatch(None, problem="the school name has no word that names a school")
        found = self._fitting(key)
        fuzzy = False
        if not found:
            corrected = self._corrected(name)
            if corrected is not None and corrected.core:
                found, fuzzy = self._fitting(corrected), True
        if found:
            return self._decide(found, postcode, fuzzy)
        at_postcode = self._at_postcode(key, postcode)
        if at_postcode is not None:
            return SchoolMatch(at_postcode, "name_postcode", fuzzy=True)
        near = self.near(name)
        return SchoolMatch(None, candidates=tuple(near),
                           problem="no school in the register has this name")

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

    def _corrected(self, name: str) -> NameKey | None:
        """The name with each unknown word (but a saint's) replaced by the one known word it
        can only be a typo of; None when nothing changes."""
        fixed, changed, after_saint = [], False, False
        for word in words(name):
            better = word if after_saint else (self.vocabulary.correct(word) or word)
            changed |= better != word
            fixed.append(better)
            after_saint = better in ("st", "saint")
        return name_key(" ".join(fixed)) if changed else None

    def _decide(self, found: list[RegisterSchool], postcode: str | None,
                fuzzy: bool) -> SchoolMatch:
        chosen = self._prefer_open(found)
        if len(chosen) == 1:
            return SchoolMatch(chosen[0], "name", fuzzy=fuzzy)
        wanted = _compact_postcode(postcode) if postcode else None
        at = [s for s in chosen if wanted and s.postcode and _compact_postcode(s.postcode) == wanted]
        if len(at) == 1:
            return SchoolMatch(at[0], "name_postcode", fuzzy=fuzzy)
        ordered = sorted(chosen, key=lambda s: (s.name, s.urn))
        return SchoolMatch(None, candidates=tuple(ordered[:MAX_CANDIDATES]),
                           problem=f"{len(chosen)} open schools in the register fit this name")

    def _at_postcode(self, key: NameKey, postcode: str | None) -> RegisterSchool | None:
        """The one open school at the form's school postcode that shares a word with its name."""
        if not postcode:
            return None
        words = {self.vocabulary.correct(t) or t for t in key.core}
        found = [s for s in self._by_postcode.get(_compact_postcode(postcode), ())
                 if s.is_open and words & set(self._keys[s.urn].core)
                 and key.kinds <= self._keys[s.urn].kinds]
        return found[0] if len(found) == 1 else None

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

    def find(self, text: str, limit: int = 10) -> list[RegisterSchool]:
        """For staff (``cme-intake schools find``): the school a number or name gives, or
        the nearest names."""
        if re.fullmatch(r"[\d\s/-]{4,}", text.strip()):
            found, _ = self._by_identifier("dfe_number", text)
            return found[:limit]
        fitting = self._fitting(name_key(text)) if name_key(text).core else []
        ordered = sorted(fitting, key=lambda s: (not s.is_open, s.name, s.urn))
        rest = [s for s in self.near(text, limit) if s not in ordered]
        return (ordered + rest)[:limit]


_WHAT = {"dfe_number": "DfE number", "urn": "URN"}


def _subsets(words: tuple[str, ...], most_left_out: int = 3) -> list[frozenset[str]]:
    """The word sets a name's words may stand for: all of them, or some left out (the
    town the form added)."""
    unique = sorted(set(words))
    out = []
    for size in range(len(unique), max(0, len(unique) - most_left_out), -1):
        out += [frozenset(c) for c in combinations(unique, size)]
    return out


def _compact_postcode(value: str) -> str:
    return "".join(value.split()).upper()
