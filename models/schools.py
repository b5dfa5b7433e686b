"""Reading the council's copy of the DfE school register ("Get Information about Schools").

One :class:`models.tables.School` row per URN, as the last imported extract knew it
(``models.schools_import`` writes them). The pure core never reads this table: a shell
loads :func:`register_rows` once and hands the plain rows to ``intake.core.schools``, and
reloads them when :func:`register_stamp` changes (a newer extract was imported).

``area`` is the area team the council's settings gave the school when it was last imported
or re-mapped (``cme-intake schools areas``); ``area_key`` is the value of the register column
the mapping reads (``area_column``), kept so a changed mapping needs no new import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, func, select, update

from models.db import session_scope
from models.tables import School, utcnow

__all__ = ["OPEN_STATUSES", "REGISTER_FIELDS", "School", "register_rows", "register_stamp",
           "remap_areas", "schools_without_area"]

OPEN_STATUSES = ("Open", "Open, but proposed to close")
REGISTER_FIELDS = ("urn", "name", "la_code", "establishment_number", "establishment_type",
                   "type_group", "status", "postcode", "town", "area", "extract_date")


def register_rows(engine: Engine) -> list[dict[str, Any]]:
    """Every school as a plain dict (``REGISTER_FIELDS``; dates as ISO strings), for the core."""
    columns = [getattr(School, name) for name in REGISTER_FIELDS]
    with session_scope(engine, readonly=True) as session:
        rows = session.execute(select(*columns)).all()
    out = []
    for row in rows:
        entry = dict(zip(REGISTER_FIELDS, row, strict=True))
        if entry["extract_date"] is not None:
            entry["extract_date"] = entry["extract_date"].isoformat()
        out.append(entry)
    return out


def register_stamp(engine: Engine) -> tuple[int, str | None]:
    """(rows, newest change): cheap to poll, changes whenever an import or re-mapping did."""
    with session_scope(engine, readonly=True) as session:
        count, newest = session.execute(
            select(func.count(), func.max(School.updated_at))).one()
    return int(count), newest.isoformat() if newest is not None else None


def schools_without_area(engine: Engine, *, la_codes: Iterable[str] = ()) -> list[School]:
    """The council's open schools that no area team is set for, by name."""
    query = select(School).where(School.area.is_(None), School.status.in_(OPEN_STATUSES))
    codes = tuple(la_codes)
    if codes:
        query = query.where(School.la_code.in_(codes))
    with session_scope(engine, readonly=True) as session:
        return list(session.scalars(query.order_by(School.name, School.urn)))


def remap_areas(engine: Engine, *, area_column: str | None,
                area_of: Callable[[str, str | None], str | None]) -> tuple[int, int]:
    """Give every school the area ``area_of(urn, area_key)`` says; returns (changed, stale).

    ``stale`` counts rows whose ``area_key`` was read from another column than
    ``area_column``: their key is not the one the mapping expects, so they keep their area
    until the extract is imported again.
    """
    changed = stale = 0
    with session_scope(engine) as session:
        rows = session.execute(select(School.urn, School.area_column, School.area_key,
                                      School.area)).all()
        updates = []
        for urn, column, key, area in rows:
            if area_column is not None and column != area_column:
                stale += 1
                continue
            wanted = area_of(urn, key)
            if wanted != area:
                updates.append({"urn": urn, "area": wanted})
        for entry in updates:
            session.execute(update(School).where(School.urn == entry["urn"])
                            .values(area=entry["area"], updated_at=utcnow()))
        changed = len(updates)
    return changed, stale
