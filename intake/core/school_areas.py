"""Which area team (ENE, WNW, South) a school belongs to, from the council's own mapping.

The council maps the value of one register column of its choice (``DistrictAdministrative
(name)``, ``AdministrativeWard (name)``, ``Town``...) to an area, and overrides single
schools by URN in a small CSV (``URN,area[,note]``: a school on a boundary, a federation run
from the other side). Pure: the shell reads the settings and the CSV's text and passes them
in; the import and ``cme-intake schools areas`` call :meth:`AreaMapping.area_of`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from parsers.errors import ConfigError
from parsers.record import AREAS

_BY_FOLDED = {area.casefold(): area for area in AREAS}


def area_name(value: str, *, where: str) -> str:
    """"ene", "ENE", "south" -> the spec's spelling; anything else is a configuration error."""
    found = _BY_FOLDED.get(value.strip().casefold())
    if found is None:
        raise ConfigError(f"{where}: {value.strip()!r} is not an area (use {', '.join(AREAS)})")
    return found


def _folded(value: str) -> str:
    return " ".join(value.split()).casefold()


@dataclass(frozen=True)
class AreaMapping:
    """Register column value -> area, plus per-URN overrides (which win)."""

    column: str | None = None
    by_value: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, column: str | None, area_map: Mapping[str, str],
              overrides: Mapping[str, str] | None = None) -> AreaMapping:
        """From the settings' ``area_map`` (values checked) and the parsed overrides."""
        by_value = {_folded(key): area_name(area, where=f"schools.area_map[{key!r}]")
                    for key, area in area_map.items()}
        return cls(column=column, by_value=by_value, overrides=dict(overrides or {}))

    def area_of(self, urn: str, value: str | None) -> str | None:
        if urn in self.overrides:
            return self.overrides[urn]
        return self.by_value.get(_folded(value)) if value else None


def parse_overrides(text: str, *, source: str = "overrides file") -> dict[str, str]:
    """``URN,area[,note]`` lines (a header line and blank lines are skipped) -> {URN: area}."""
    overrides: dict[str, str] = {}
    for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in cells]
        if not cells or not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and not cells[0].isdigit():
            continue  # the header
        if len(cells) < 2 or not cells[0].isdigit():
            raise ConfigError(f"{source} line {number}: expected URN,area[,note]")
        overrides[cells[0]] = area_name(cells[1], where=f"{source} line {number}")
    return overrides
