"""Matching a form's school in the register: accuracy on the common ways of naming it, and
never a wrong match on a look-alike name (a wrong match sends a case to the wrong team)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from intake.core.school_areas import AreaMapping
from intake.core.schools import RegisterSchool, SchoolDirectory, school_type
from models.schools_import import read_extract
from tests.fixtures import gen_gias

COUNCIL = ("383", "384")


def council_directory(rows: list[gen_gias.Row] | None = None) -> SchoolDirectory:
    content = gen_gias.extract_bytes(rows or gen_gias.council_extract(), date(2026, 9, 1))
    _, kept = read_extract(content, area_column="DistrictAdministrative (name)", la_codes=COUNCIL)
    areas = AreaMapping.build("DistrictAdministrative (name)", gen_gias.AREA_MAP)
    for row in kept:
        row["area"] = areas.area_of(row["urn"], row["area_key"])
        row["extract_date"] = "2026-09-01"
    return SchoolDirectory.from_rows(kept)


@pytest.fixture(scope="module")
def directory() -> SchoolDirectory:
    return council_directory()


def _open_schools(directory: SchoolDirectory) -> list[RegisterSchool]:
    return [s for s in directory.schools if s.is_open]


def _unique_names(directory: SchoolDirectory) -> set[str]:
    """URNs of open schools whose name no other open school shares (a spelling aside)."""
    counts = Counter(gen_gias._crude_key(s.name) for s in _open_schools(directory))
    return {s.urn for s in _open_schools(directory) if counts[gen_gias._crude_key(s.name)] == 1}


def _forms(directory: SchoolDirectory, way: str, seed: int = 7) -> list[tuple[dict, RegisterSchool]]:
    """(what the form gives, the school it is) for every open school, named one way."""
    rng = random.Random(f"{seed}-{way}")
    unique = _unique_names(directory)
    names = {gen_gias._crude_key(s.name) for s in directory.schools}
    forms = []
    for school in _open_schools(directory):
        # "Harrowby" + "St Mary's CE Primary" is another school's whole name: not a town added
        town = None if gen_gias._crude_key(f"{school.town} {school.name}") in names else school.town
        if way == "dfe_number" and school.dfe_number:
            dfe = school.dfe_number if rng.random() < 0.5 else school.dfe_number.replace("/", "")
            forms.append(({"dfe_number": dfe}, school))
        elif way == "urn":
            forms.append(({"urn": school.urn}, school))
        elif way == "name" and school.urn in unique:
            forms.append(({"name": gen_gias.spelling(school.name, rng, town)}, school))
        elif way == "name_typo" and school.urn in unique:
            name = gen_gias.typo(gen_gias.spelling(school.name, rng), rng)
            forms.append(({"name": name}, school))
        elif way == "name_postcode":
            forms.append(({"name": gen_gias.spelling(school.name, rng),
                           "postcode": school.postcode}, school))
        elif way == "dfe_and_name" and school.dfe_number:
            forms.append(({"dfe_number": school.dfe_number,
                           "name": gen_gias.spelling(school.name, rng, town)}, school))
    return forms


@pytest.mark.parametrize("way", ["dfe_number", "urn", "name", "name_typo", "name_postcode",
                                 "dfe_and_name"])
def test_accuracy_on_the_common_ways_of_naming_a_school(directory, way):
    forms = _forms(directory, way)
    assert len(forms) > 100
    right = wrong = 0
    misses = []
    for given, school in forms:
        found = directory.match(**given).school
        right += found is not None and found.urn == school.urn
        if found is not None and found.urn != school.urn:
            wrong += 1
            misses.append((given, school.name, found.name))
        elif found is None:
            misses.append((given, school.name, None))
    assert right / len(forms) >= 0.99, misses[:10]
    assert wrong == 0, misses[:10]


@pytest.mark.parametrize("name", gen_gias.ABSENT_LOOKALIKES)
def test_a_look_alike_of_a_register_school_is_never_matched(directory, name):
    rng = random.Random(name)
    for _ in range(12):
        written = gen_gias.spelling(name, rng)
        match = directory.match(name=written)
        assert match.school is None, (written, match.school)
        assert match.problem


@pytest.mark.parametrize("name", sorted({n for n, *_ in gen_gias.LOOKALIKES}))
def test_each_look_alike_in_the_register_finds_itself_or_is_not_sure(directory, name):
    wanted = {s.urn for s in directory.schools if s.name == name and s.is_open}
    rng = random.Random(name)
    for _ in range(12):
        match = directory.match(name=gen_gias.spelling(name, rng))
        if match.school is not None:
            assert match.school.urn in wanted
        else:
            assert len(wanted) > 1 and {c.urn for c in match.candidates} <= wanted


def test_a_name_two_open_schools_share_is_not_sure_without_the_postcode(directory):
    twins = [s for s in directory.schools if s.name == "Holy Trinity CofE Primary School"]
    assert len(twins) == 2
    match = directory.match(name="Holy Trinity C of E Primary")
    assert match.school is None and {c.urn for c in match.candidates} == {t.urn for t in twins}
    for twin in twins:
        found = directory.match(name="Holy Trinity C of E Primary", postcode=twin.postcode.lower())
        assert found.school == twin and found.matched_by == "name_postcode"


def test_academy_converter_the_open_academy_wins_over_its_closed_predecessor(directory):
    closed = [s for s in directory.schools if s.status == "Closed"]
    converted = [(old, new) for old in closed for new in directory.schools
                 if new.is_open and new.name == old.name and new.la_code == old.la_code
                 and new.type == "academy"]
    assert len(converted) >= 10
    for old, new in converted:
        assert directory.match(name=old.name).school == new
        assert directory.match(urn=old.urn).school == new  # the form gave the old URN
        if old.dfe_number:
            assert directory.match(dfe_number=old.dfe_number).school.urn in {old.urn, new.urn}
            if old.dfe_number == new.dfe_number:
                assert directory.match(dfe_number=old.dfe_number).school == new


def test_a_dfe_number_the_register_lacks_is_reported_and_the_name_still_used(directory):
    match = directory.match(dfe_number="383/9998", name="Northfield Community Primary School")
    assert match.dfe_problem == "DfE number 383/9998 is not in the school register"
    assert match.school.name == "Northfield Community Primary School"
    assert match.matched_by == "name"
    outside = directory.match(dfe_number="385/2001")  # another LA: not the register's to judge
    assert outside.dfe_problem is None and outside.school is None
    assert directory.match(dfe_number="12").dfe_problem.startswith("the value given is not")


def test_a_dfe_number_whose_school_the_name_contradicts_is_not_taken(directory):
    northfield = directory.match(name="Northfield Community Primary School").school
    kettlewick = directory.match(name="Kettlewick High School").school
    match = directory.match(dfe_number=northfield.dfe_number, name="Kettlewick High School")
    assert match.school is None
    assert {c.urn for c in match.candidates} == {northfield.urn, kettlewick.urn}
    agreeing = directory.match(dfe_number=northfield.dfe_number, name="Northfeld Primary")
    assert agreeing.school == northfield and agreeing.matched_by == "dfe_number"
    unrelated = directory.match(dfe_number=northfield.dfe_number, name="Zebulon Towers")
    assert unrelated.school is None and unrelated.candidates == (northfield,)


def test_typos_in_saints_names_are_not_guessed(directory):
    for written in ("St Marx's CE Primary", "St Mork's CofE Primary School",
                    "St Marys Cathlic Primary"):
        match = directory.match(name=written)
        assert match.school is None or match.school.name.startswith("St Mary's Catholic")


def test_windows_1252_names_match_plain_spellings(directory):
    assert directory.match(name="Ecole Francaise de Wexmoor").school is not None
    assert directory.match(name="St Therese's RC Primary").school.name.startswith("St Thérèse")
    assert directory.match(name="Oswick - The Bridge Short Stay School").school is not None


def test_nothing_to_go_on(directory):
    assert directory.match().school is None
    assert directory.match(name="  ").school is None
    assert directory.match(name="School").problem


@pytest.mark.parametrize(("establishment", "group", "expected"), [
    ("Academy converter", "Academies", "academy"),
    ("Free schools", "Free Schools", "academy"),
    ("University technical college", "Free Schools", "academy"),
    ("Community school", "Local authority maintained schools", "maintained"),
    ("Community special school", "Special schools", "maintained"),
    ("Foundation special school", "Special schools", "maintained"),
    ("Local authority nursery school", "Local authority maintained schools", "maintained"),
    ("Pupil referral unit", "Local authority maintained schools", "maintained"),
    ("Other independent school", "Independent schools", "independent"),
    ("Other independent special school", "Special schools", "independent"),
    ("Non-maintained special school", "Special schools", "independent"),
    ("Further education", "Colleges", "unknown"),
    (None, None, "unknown"),
])
def test_type_mapping_is_the_data_in_schools_toml(establishment, group, expected):
    assert school_type(establishment, group) == expected


def test_find_for_staff(directory):
    assert [s.name for s in directory.find("383/2041")] == ["Northfield Community Primary School"]
    names = [s.name for s in directory.find("st marys")]
    assert names and all("Mary" in n or "Mar" in n for n in names)
    assert directory.find("Holy Trinity CE")[0].name == "Holy Trinity CofE Primary School"
