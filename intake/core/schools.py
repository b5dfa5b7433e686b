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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from intake.core.school_index import (
    MAX_CANDIDATES,
    OPEN_STATUSES,
    RegisterSchool,
    SchoolIndex,
    compact_postcode,
    school_type,
)
from intake.core.school_names import NameKey, name_key, words

__all__ = ["MATCHED_BY", "MAX_CANDIDATES", "OPEN_STATUSES", "RegisterSchool", "SchoolDirectory",
           "SchoolMatch", "school_type"]

MATCHED_BY = ("dfe_number", "urn", "name", "name_postcode")


@dataclass(frozen=True)
class SchoolMatch:
    """The school found (with how), or the candidates and why it is not sure."""

    school: RegisterSchool | None
    matched_by: str | None = None
    candidates: tuple[RegisterSchool, ...] = ()
    problem: str | None = None       # why no school (or which evidence disagreed)
    dfe_problem: str | None = None   # the DfE number given is not in the register
    fuzzy: bool = False              # matched despite a spelling difference: worth a check


class SchoolDirectory(SchoolIndex):
    """Every school of the register, indexed for matching (:class:`SchoolIndex`), and the
    matcher that prefers "not sure" to a wrong school. Never changed once built."""

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> SchoolDirectory:
        return cls(RegisterSchool.from_row(row) for row in rows)

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
        wanted = compact_postcode(postcode) if postcode else None
        at = [s for s in chosen if wanted and s.postcode and compact_postcode(s.postcode) == wanted]
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
        found = [s for s in self._by_postcode.get(compact_postcode(postcode), ())
                 if s.is_open and words & set(self._keys[s.urn].core)
                 and key.kinds <= self._keys[s.urn].kinds]
        return found[0] if len(found) == 1 else None

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

