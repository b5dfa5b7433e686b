"""The school register as the shells use it: settings and database in, plain values out.

The daemon, ``cme-intake parse``/``ingest`` and ``cme-intake schools …`` call these to turn
the ``[schools]`` settings and the ``schools`` table into what the pure core takes: an
:class:`~intake.core.school_areas.AreaMapping` and a frozen
:class:`~intake.core.schools.SchoolDirectory` (handed to the pipeline inside
``RuleSettings.schools``). Reading never writes: ``parse`` may look the register up and
still write nothing.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from intake.core.school_areas import AreaMapping, parse_overrides
from intake.core.schools import SchoolDirectory
from parsers.errors import ConfigError

log = logging.getLogger(__name__)


def area_mapping(settings: Any) -> AreaMapping:
    """The council's area mapping, with the overrides file read (ConfigError if unreadable)."""
    schools = settings.schools
    overrides: dict[str, str] = {}
    if schools.overrides_file:
        path = Path(schools.overrides_file)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(f"schools.overrides_file {path}: {exc.strerror or exc}") from None
        overrides = parse_overrides(text, source=f"schools.overrides_file {path.name}")
    return AreaMapping.build(schools.area_column, schools.area_map, overrides)


def directory_for(settings: Any, engine: Engine | None = None) -> SchoolDirectory | None:
    """The register snapshot when ``[schools]`` is configured and an extract was imported.

    A database without the table (never migrated) or an empty register is "no register":
    the pipeline then behaves as without ``[schools]``, and a warning says why.
    """
    if not settings.schools_configured:
        return None
    from models.db import make_engine
    from models.schools import register_rows

    own = engine is None
    engine = engine or make_engine(settings.database.url)
    try:
        rows = register_rows(engine)
    except Exception as exc:  # noqa: BLE001 - a missing table is "no register yet"
        log.warning("school register not read (%s): run `cme-intake schools import`",
                    type(exc).__name__)
        return None
    finally:
        if own:
            engine.dispose()
    if not rows:
        log.warning("[schools] is configured but no register is imported: run "
                    "`cme-intake schools import FILE`")
        return None
    return SchoolDirectory.from_rows(rows)


def import_register(engine: Engine, path: Path, settings: Any, *, all_las: bool = False,
                    extract_date: date | None = None) -> Any:
    """Import one extract with the council's LA codes and area mapping; the ImportReport."""
    from models.schools_import import import_file

    mapping = area_mapping(settings)
    return import_file(engine, path, extract_date=extract_date,
                       la_codes=() if all_las else settings.schools.la_codes,
                       area_column=settings.schools.area_column, area_of=mapping.area_of)


def remap(engine: Engine, settings: Any) -> tuple[int, int]:
    """Give the stored schools the areas the current settings say: (changed, stale)."""
    from models.schools import remap_areas

    mapping = area_mapping(settings)
    return remap_areas(engine, area_column=settings.schools.area_column,
                       area_of=mapping.area_of)
