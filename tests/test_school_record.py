"""The register's view written into a record (pure): ``school.register``, ``school.urn`` and
their provenance, and the findings the rules flag; areas from the council's mapping."""

from __future__ import annotations

import jsonschema
import pytest

from intake.core.school_areas import AreaMapping, area_name, parse_overrides
from intake.core.school_record import apply_register, school_postcode
from parsers.errors import ConfigError
from parsers.record import empty_record
from tests.test_schools_match import council_directory


@pytest.fixture(scope="module")
def directory():
    return council_directory()


def _record(**school):
    record = empty_record()
    record["school"].update(school)
    return record


def test_a_matched_school_fills_the_register_entry_in_the_schemas_shape(directory, record_schema):
    record = _record(name="Northfield Community Primary", type="maintained")
    findings = apply_register(record, directory)
    assert findings == []
    assert record["school"]["register"] == {
        "urn": "107911", "name": "Northfield Community Primary School", "la_code": "383",
        "establishment_number": "2041", "establishment_type": "Community school",
        "status": "Open", "type": "maintained", "area": "ENE", "matched_by": "name",
        "extract_date": "2026-09-01"}
    assert record["school"]["name"] == "Northfield Community Primary"  # what the form said
    assert record["school"]["urn"] == "107911"
    for path in ("school.urn", "school.register"):
        assert record["provenance"][path] == {
            "document": None, "locator": "school register (extract 2026-09-01)", "label": None,
            "confidence": 1.0, "source": "register"}
    jsonschema.validate(record, record_schema)


def test_a_school_not_found_names_the_candidates(directory, record_schema):
    record = _record(name="St Mary's Primary")
    findings = apply_register(record, directory)
    assert record["school"]["register"] is None and record["school"]["urn"] is None
    (finding,) = findings
    assert finding.code == "low_confidence" and finding.field == "school.name"
    assert "fit this name" in finding.reason and "candidates: " in finding.reason
    assert "St Mary's Catholic Primary School (URN " in finding.reason
    jsonschema.validate(record, record_schema)


def test_a_dfe_number_not_in_the_register_is_an_invalid_value(directory):
    record = _record(name="Northfield Community Primary School", dfe_number="383/9998")
    findings = apply_register(record, directory)
    assert [(f.code, f.field) for f in findings] == [("invalid_value", "school.dfe_number")]
    assert record["school"]["register"]["matched_by"] == "name"


def test_the_register_contradicting_the_forms_tick_is_said(directory):
    record = _record(name="Oakridge Academy", type="maintained")
    (finding,) = apply_register(record, directory)
    assert (finding.code, finding.field) == ("low_confidence", "school.type")
    assert "the register's type is used for routing" in finding.reason
    assert record["school"]["type"] == "maintained"
    assert record["school"]["register"]["type"] == "academy"


def test_a_typo_match_is_flagged_for_a_check(directory):
    record = _record(name="Northfeld Community Primary School")
    (finding,) = apply_register(record, directory)
    assert "spelt differently" in finding.reason
    assert record["provenance"]["school.register"]["confidence"] == 0.8


def test_a_form_naming_no_school_gets_no_register_lookup(directory):
    record = _record()
    assert apply_register(record, directory) == []
    assert record["school"]["register"] is None


def test_the_schools_own_postcode_comes_from_a_school_address_line():
    record = empty_record()
    record["unmapped"] = [{"label": "Pupil address", "value": "1 Tansy Close ZY3 1AB", "document": 0},
                          {"label": "School address", "value": "Mill Lane, Exbridge ZY9 4QT",
                           "document": 0}]
    assert school_postcode(record) == "ZY9 4QT"


def test_area_mapping_with_overrides():
    areas = AreaMapping.build("DistrictAdministrative (name)", {"Harrowby": "wnw", "Oswick": "ENE"},
                              parse_overrides("URN,area,note\n107911,south,boundary school\n"))
    assert areas.area_of("1", "harrowby ") == "WNW"
    assert areas.area_of("107911", "Oswick") == "South"
    assert areas.area_of("2", "Nowhere") is None and areas.area_of("2", None) is None
    assert area_name("south", where="x") == "South"
    with pytest.raises(ConfigError, match="not an area"):
        AreaMapping.build("X", {"Harrowby": "North"})
    with pytest.raises(ConfigError, match="line 2"):
        parse_overrides("URN,area\n12x,ENE\n")
    assert parse_overrides("\n# comment\n107911,ENE\n") == {"107911": "ENE"}
