"""Merging several mapped forms into one record never raises and never loses answers.

The crash this guards: a second form naming ``enquiries.other.0`` when the record built
from the first form had no other enquiries (``IndexError`` in ``set_path``). A property
test feeds random partial records, with provenance that names random paths, through
:func:`intake.core.merge.merge_form`. Invented values only.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.core.merge import merge_form
from parsers.mapping.mapper import MappedForm
from parsers.record import empty_record, set_path

WHERE = {"document": 1, "locator": "page 2, line 4", "confidence": 0.9}


def _form(values: dict[str, Any]) -> MappedForm:
    record = empty_record()
    for path, value in values.items():
        set_path(record, path, value)
    return MappedForm(record=record, provenance=dict.fromkeys(values, WHERE))


def test_other_enquiry_of_a_later_form_is_appended_not_indexed() -> None:
    first = _form({"pupil.surname": "Quellby", "pupil.forenames": "Ada"})
    later = _form({"enquiries.other.0": {"action": "Letter to last address",
                                         "date": "2026-10-01", "outcome": "No reply"},
                   "enquiries.other.1": {"action": "Social media check", "date": None,
                                         "outcome": "Nothing found"},
                   "pupil.upn": "A123456789012"})
    record = empty_record()
    merge_form(record, first)
    merge_form(record, later)
    assert [o["action"] for o in record["enquiries"]["other"]] == [
        "Letter to last address", "Social media check"]
    assert record["pupil"]["upn"] == "A123456789012"
    assert record["provenance"]["enquiries.other.1"] == WHERE


def test_parents_of_a_later_form_fill_an_empty_list_only() -> None:
    first = _form({"pupil.surname": "Quellby"})
    later = _form({"parents.0.name": "Bryn Quellby", "parents.1.name": "Cara Quellby"})
    record = empty_record()
    merge_form(record, first)
    merge_form(record, later)
    assert [p["name"] for p in record["parents"]] == ["Bryn Quellby", "Cara Quellby"]
    again = _form({"parents.0.name": "Someone Else"})
    merge_form(record, again)
    assert record["parents"][0]["name"] == "Bryn Quellby"


def test_set_path_grows_lists_and_refuses_bad_paths() -> None:
    record = empty_record()
    set_path(record, "enquiries.other.2.action", "Call to the new school")
    assert record["enquiries"]["other"][0] == {"action": None, "date": None, "outcome": None}
    assert record["enquiries"]["other"][2]["action"] == "Call to the new school"
    set_path(record, "siblings.1.name", "Dee Quellby")
    assert record["siblings"][0] == {"name": None, "date_of_birth": None, "school": None}
    set_path(record, "pupil.address.lines.1", "Flat 2")
    assert record["pupil"]["address"]["lines"] == [None, "Flat 2"]
    for bad in ("parents.x.name", "pupil.surname.deep", "parents.100000.name"):
        with pytest.raises(ValueError):
            set_path(record if bad != "pupil.surname.deep" else _with_surname(), bad, "v")


def _with_surname() -> dict[str, Any]:
    record = empty_record()
    record["pupil"]["surname"] = "Quellby"
    return record


_KEYS = st.sampled_from(["pupil", "surname", "parents", "siblings", "enquiries", "other",
                         "home_visit", "done", "name", "0", "1", "3", "x", "address",
                         "lines", "school", "received", "flags"])
_PATHS = st.lists(_KEYS, min_size=1, max_size=5).map(".".join)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=6)


@st.composite
def _partial_form(draw: st.DrawFn) -> MappedForm:
    record = empty_record()
    provenance: dict[str, Any] = {}
    for path in draw(st.lists(_PATHS, max_size=8)):
        value = draw(_VALUES)
        try:
            set_path(record, path, copy.deepcopy(value))
        except ValueError:
            pass  # the provenance may still name it: the merge must cope
        provenance[path] = WHERE
    for key in draw(st.lists(st.sampled_from(["parents", "siblings", "enquiries", "pupil"]),
                             max_size=2)):
        record[key] = draw(_VALUES)  # a record of the wrong shape altogether
    return MappedForm(record=record, provenance=provenance,
                      unmapped=[{"label": "x", "value": "y"}])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_partial_form(), min_size=1, max_size=4))
def test_random_partial_forms_merge_without_raising(forms: list[MappedForm]) -> None:
    record = empty_record()
    for form in forms:
        merge_form(record, form)
    assert len(record["unmapped"]) == len(forms)
    assert isinstance(record["provenance"], dict)
