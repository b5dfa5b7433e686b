"""Labels the field map does not list, read by concept (parsers/mapping/label_concepts.py).

The wordings here are written for this test, not taken from any corpus pool.
"""

from __future__ import annotations

import pytest

from parsers.entries import Entry, ExtractedForm
from parsers.mapping.fieldmap import field_map
from parsers.mapping.label_concepts import match_by_concept, plausible
from parsers.mapping.mapper import map_form


@pytest.mark.parametrize(("label", "value", "path"), [
    ("Young person's legal family name", "Nowak", "pupil.surname"),
    ("Given names of the young person", "Isla Rose", "pupil.forenames"),
    ("When was the child born?", "3 March 2015", "pupil.date_of_birth"),
    ("Learner reference (13 characters)", "U383100200301", "pupil.upn"),
    ("Final day attended", "12/09/2026", "attendance.last_attended"),
    ("Why is this child being referred?", "Left the UK", "referral.grounds"),
    ("Name of person with parental responsibility", "Grace Okonkwo", "parents.*.name"),
])
def test_a_label_worded_another_way_is_read_by_concept(label: str, value: str, path: str) -> None:
    found = match_by_concept(field_map(), label, value, None)
    assert found is not None and found.spec.path == path


def test_an_implausible_value_is_not_taken_by_concept() -> None:
    assert match_by_concept(field_map(), "Young person's legal family name", "07700 900123",
                            None) is None
    assert match_by_concept(field_map(), "Final day attended", "not known", None) is None
    assert not plausible("email", "no email held") and plausible("phone", "0113 496 0000")


def test_a_concept_is_not_taken_against_the_section_it_stands_in() -> None:
    """A family name under the parents' heading is not the child's surname."""
    assert match_by_concept(field_map(), "Legal family name", "Okonkwo", "parents") is None


def test_the_mapper_uses_concepts_only_for_labels_it_does_not_know() -> None:
    entries = [Entry(label="Young person's legal family name", value="Nowak", locator="row 1"),
               Entry(label="Surname", value="Smith", locator="row 2", section="Pupil details")]
    record = map_form(ExtractedForm(extraction="docx", entries=entries)).record
    assert record["pupil"]["surname"] in ("Nowak", "Smith")
    mapped = map_form(ExtractedForm(extraction="docx", entries=entries[:1]))
    assert mapped.record["pupil"]["surname"] == "Nowak"
    assert mapped.provenance["pupil.surname"]["confidence"] == pytest.approx(0.85)
