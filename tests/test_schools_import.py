"""Importing the DfE extract into ``schools``, and importing a later one, on SQLite and
PostgreSQL: rows upserted by URN, the changes reported, the council's LA codes kept."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from intake.core.school_areas import AreaMapping
from models.db import session_scope
from models.schools import School, register_rows, register_stamp, remap_areas, schools_without_area
from models.schools_import import decode_extract, extract_date_of, import_extract, read_extract
from parsers.errors import ConfigError, UnreadableDocument
from tests.fixtures import gen_gias

COUNCIL = ("383", "384")
AREA_COLUMN = "DistrictAdministrative (name)"
FIRST, LATER = date(2026, 9, 1), date(2026, 12, 1)


def _import(engine, rows, when, **options):
    areas = AreaMapping.build(AREA_COLUMN, gen_gias.AREA_MAP)
    return import_extract(engine, gen_gias.extract_bytes(rows, when),
                          filename=f"edubasealldata{when:%Y%m%d}.csv", la_codes=COUNCIL,
                          area_column=AREA_COLUMN, area_of=areas.area_of, **options)


def _school(engine, urn) -> School:
    with session_scope(engine, readonly=True) as session:
        return session.get(School, str(urn))


def test_first_import_keeps_the_councils_schools_with_their_areas(db_engine):
    rows = gen_gias.council_extract()
    report = _import(db_engine, rows, FIRST)
    council = [r for r in rows if r.la in COUNCIL]
    assert report.first_import and report.read == len(rows)
    assert report.kept == report.added == len(council)
    assert report.extract_date == FIRST
    stored = register_rows(db_engine)
    assert {r["la_code"] for r in stored} == set(COUNCIL)
    northfield = next(r for r in stored if r["name"] == "Northfield Community Primary School")
    expected = {"urn": "107911", "la_code": "383", "establishment_number": "2041",
                "establishment_type": "Community school",
                "type_group": "Local authority maintained schools", "status": "Open",
                "area": "ENE", "extract_date": "2026-09-01"}
    assert {key: northfield[key] for key in expected} == expected
    accented = next(r for r in stored if r["name"].startswith("\u00c9cole"))
    assert accented["name"] == "\u00c9cole Fran\u00e7aise de Wexmoor"  # Windows-1252 read right
    assert any("\u2013" in r["name"] for r in stored)
    unmapped = schools_without_area(db_engine, la_codes=COUNCIL)
    assert unmapped and all(s.status in ("Open", "Open, but proposed to close") for s in unmapped)
    assert {_school(db_engine, s.urn).area_key for s in unmapped} == {gen_gias.UNMAPPED_DISTRICT}


def test_a_later_extract_updates_in_place_and_says_what_changed(db_engine):
    rows = gen_gias.council_extract()
    _import(db_engine, rows, FIRST)
    later, changes = gen_gias.next_extract(rows)
    stamp = register_stamp(db_engine)
    report = _import(db_engine, later, LATER)
    assert not report.first_import
    converted = {old: new for old, _, new in report.converted}
    assert set(converted) == {str(u) for u in changes["converted"]}
    assert all(_school(db_engine, new).type_group == "Academies" for new in converted.values())
    assert all(_school(db_engine, old).status == "Closed" for old in converted)
    assert {u for u, _ in report.closed} == {str(u) for u in changes["closed"]}
    opened = {u for u, _ in report.opened} | set(converted.values())
    assert opened == {str(u) for u in changes["opened"]}
    assert {u for u, _, _ in report.renamed} == {str(u) for u in changes["renamed"]}
    assert report.added == len(changes["converted"]) + 1
    assert report.updated == len(changes["closed"]) + len(changes["renamed"]) + len(
        changes["converted"]) + 1  # + the free school that was proposed to open
    lines = report.lines()
    assert any(line.startswith("converted to academy: ") for line in lines)
    assert {r["extract_date"] for r in register_rows(db_engine)} == {"2026-12-01"}
    assert register_stamp(db_engine) != stamp
    again = _import(db_engine, later, LATER)
    assert (again.added, again.updated) == (0, 0) and again.unchanged == again.kept
    assert not (again.opened or again.closed or again.converted or again.renamed)


def test_without_la_codes_every_row_is_kept(db_engine):
    rows = gen_gias.council_extract()
    report = import_extract(db_engine, gen_gias.extract_bytes(rows, FIRST))
    assert report.kept == len(rows) and report.extract_date is None
    with session_scope(db_engine, readonly=True) as session:
        assert set(session.scalars(select(School.la_code))) == {"383", "384", "385"}


def test_remapping_areas_after_the_settings_change(db_engine):
    _import(db_engine, gen_gias.council_extract(), FIRST)
    unmapped = schools_without_area(db_engine, la_codes=COUNCIL)
    overrides = {s.urn: "South" for s in unmapped}
    areas = AreaMapping.build(AREA_COLUMN, gen_gias.AREA_MAP, overrides)
    changed, stale = remap_areas(db_engine, area_column=AREA_COLUMN, area_of=areas.area_of)
    assert (changed, stale) == (len(unmapped), 0)
    assert schools_without_area(db_engine, la_codes=COUNCIL) == []
    other = AreaMapping.build("AdministrativeWard (name)", {})
    assert remap_areas(db_engine, area_column="AdministrativeWard (name)",
                       area_of=other.area_of)[1] == len(register_rows(db_engine))


def test_a_file_that_is_not_an_extract_is_refused_with_its_reason(db_engine):
    with pytest.raises(UnreadableDocument, match="not a DfE establishment extract"):
        import_extract(db_engine, b"Surname,Forenames\r\nQuenby,Ilsa\r\n")
    with pytest.raises(UnreadableDocument, match="empty"):
        import_extract(db_engine, b"")
    content = gen_gias.extract_bytes(gen_gias.council_extract()[:3], FIRST)
    with pytest.raises(ConfigError, match="not a column"):
        import_extract(db_engine, content, area_column="Ward name")
    assert register_rows(db_engine) == []


def test_encodings_and_dates():
    assert extract_date_of("edubasealldata20260901.csv") == FIRST
    assert extract_date_of("/tmp/EDUBASEALLDATA20261301.CSV") is None
    assert extract_date_of("schools.csv") is None
    text = "URN,EstablishmentName\r\n1,\u00c9cole\r\n"
    assert decode_extract(text.encode("cp1252")) == text
    assert decode_extract(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_extract(text.encode("utf-8")) == text
    _, kept = read_extract(gen_gias.extract_bytes(gen_gias.council_extract(), FIRST))
    closed = next(r for r in kept if r["status"] == "Closed")
    assert isinstance(closed["close_date"], date)
