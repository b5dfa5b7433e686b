"""The ``[schools]`` settings: the council's copy of the DfE school register (issue 13).

A ``[schools]`` section (or any ``CME_SCHOOLS_…`` variable) turns the register on: the
pipeline then matches each form's school in the imported extract (``cme-intake schools
import``), and routing uses the register's type and area. Without it nothing changes.

```toml
[schools]
la_codes = ["383", "384"]                     # keep only these LAs' schools (default: all)
area_column = "DistrictAdministrative (name)" # the register column the areas are read from
overrides_file = "school-areas.csv"           # URN,area[,note]: single schools moved
[schools.area_map]                            # that column's value -> ENE | WNW | South
"Harrowby" = "WNW"
"Northfield" = "ENE"
```
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from intake.core.school_areas import area_name
from parsers.errors import ConfigError

DEFAULT_AREA_COLUMN = "DistrictAdministrative (name)"


class SchoolsSettings(BaseModel):
    """Which schools of the extract to keep, and which area team each belongs to."""

    model_config = ConfigDict(extra="forbid")

    la_codes: list[str] = Field(default_factory=list, description="the council's LA codes")
    area_column: str = Field(default=DEFAULT_AREA_COLUMN,
                             description="register column whose value maps to an area")
    area_map: dict[str, str] = Field(default_factory=dict,
                                     description="area_column value -> ENE, WNW or South")
    overrides_file: str | None = Field(default=None,
                                       description="CSV of URN,area[,note] overriding the map")

    @model_validator(mode="before")
    @classmethod
    def _from_environment_text(cls, data: Any) -> Any:
        """``CME_SCHOOLS_LA_CODES="383,384"`` and ``CME_SCHOOLS_AREA_MAP='{"Harrowby": "WNW"}'``."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("la_codes"), str):
            data["la_codes"] = [c.strip() for c in data["la_codes"].split(",") if c.strip()]
        if isinstance(data.get("area_map"), str):
            try:
                data["area_map"] = json.loads(data["area_map"])
            except ValueError:
                raise ValueError("schools.area_map from the environment must be a JSON "
                                 "object") from None
        return data

    @model_validator(mode="after")
    def _check(self) -> SchoolsSettings:
        for code in self.la_codes:
            if not (code.isdigit() and len(code) == 3):
                raise ValueError(f"schools.la_codes: {code!r} is not a three-digit LA code")
        try:
            self.area_map = {key: area_name(value, where=f"schools.area_map[{key!r}]")
                             for key, value in self.area_map.items()}
        except ConfigError as exc:
            raise ValueError(exc.reason) from None
        return self
