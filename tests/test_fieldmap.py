"""Label matching: many councils' wordings of the same field, one declaration each."""

import pytest

from parsers.mapping.fieldmap import field_map, norm_label


@pytest.mark.parametrize("label,context,path", [
    ("Surname", None, "pupil.surname"),
    ("SURNAME*", None, "pupil.surname"),
    ("Legal surname", None, "pupil.surname"),
    ("Child's legal surname:", None, "pupil.surname"),
    ("Family name", None, "pupil.surname"),
    ("FIRST NAME*", None, "pupil.forenames"),
    ("Forename(s)", None, "pupil.forenames"),
    ("D.O.B.", None, "pupil.date_of_birth"),
    ("DOB*", None, "pupil.date_of_birth"),
    ("Child's date of birth (dd/mm/yyyy)", None, "pupil.date_of_birth"),
    ("Date of brith", None, "pupil.date_of_birth"),
    ("UPN*:", None, "pupil.upn"),
    ("CURRENT ADDRESS* (include post code)", None, "pupil.address"),
    ("Last known address", None, "pupil.address"),
    ("PARENT'S NAME/PHONE NO*", None, "parents.*.contact"),
    ("Parent(s) names and all contact details", None, "parents.*.contact"),
    ("CURRENT/PREVIOUS SCHOOL*", None, "school.name"),
    ("Date last in education", None, "attendance.last_attended"),
    ("Date last seen", None, "attendance.last_attended"),
    ("DATE LAST ATTENDED:", None, "attendance.last_attended"),
    ("Siblings Name(s) and DOB", None, "siblings"),
    ("School sibling(s) attend", None, "siblings.*.school"),
    ("Q3 Home visit made?", None, "enquiries.home_visit"),
    ("2.1 Neighbours spoken to", None, "enquiries.neighbours"),
    ("Name", "part2", "safeguarding.dsl.name"),
    ("Name", "school", "school.contact.name"),
    ("Name", "pupil", "pupil.name"),
    ("Date", "part2", "safeguarding.dsl.date"),
    ("Signature", "part2", "safeguarding.dsl.signed"),
    ("Email", "parents", "parents.*.email"),
    ("TEL NO", None, "school.contact.phone"),
    ("JOB TITLE", "school", "school.contact.role"),
    ("Risk Assessment*", None, "safeguarding.concerns"),
    ("Date of birth of sibling", None, "siblings.*.date_of_birth"),
    ("Sibling 1 - Name", None, "siblings.*.name"),
    ("Parent/carer 1 - Relationship to child", None, "parents.*.relationship"),
])
def test_labels_map_to_fields(label, context, path):
    match = field_map().match(label, context)
    assert match is not None, label
    assert match.spec.path == path


@pytest.mark.parametrize("label", ["Ethnicity", "Religion", "Home language",
                                   "Date any concerns referred to MASH"])
def test_unrelated_labels_do_not_map(label):
    assert field_map().match(label, None) is None


def test_generic_labels_need_their_section():
    assert field_map().match("Name", None) is None
    assert field_map().match("Date", "pupil") is not None


@pytest.mark.parametrize("heading,context", [
    ("PART 2 - TO BE COMPLETED BY THE DSL", "part2"),
    ("SAFEGUARDING RISK APPRAISAL (TO BE COMPLETED BY DSL)", "part2"),
    ("CHILD'S DETAILS", "pupil"),
    ("YOUR CONTACT DETAILS", "self"),
    ("School details", "school"),
    ("ACTIONS TAKEN PRIOR TO REFERRAL / OUTCOME OF HOME VISITS", "enquiries"),
    ("Part 1: to be completed by school staff", "part1"),
    ("Parent/carer details", "parents"),
    ("Part 3 - for AIO use", "part3"),
])
def test_headings_give_contexts(heading, context):
    assert field_map().context_of(heading) == context


@pytest.mark.parametrize("text,ground", [
    ("The child has left the country (whether or not a new address was given)", "left_country"),
    ("Family known to have moved away but neither destination school nor new home address is known",
     "moved_whereabouts_unknown"),
    ("Reported moved to another LA but not confirmed on a school roll there", "moved_not_on_roll"),
    ("Not returned for 10 school days after an authorised absence",
     "not_returned_after_authorised_absence"),
    ("Absent without authorisation for 20 consecutive school days", "unauthorised_absence_20_days"),
    ("All attempts to contact the family have failed", "unauthorised_absence_20_days"),
])
def test_grounds_options(text, ground):
    assert field_map().match_option("referral.grounds", text)[0] == ground


def test_norm_label_strips_marks_numbering_and_instructions():
    assert norm_label("1. Surname*:") == "surname"
    assert norm_label("Gender (please tick)") == "gender"
    assert norm_label("Forename(s)") == "forenames"


def test_every_required_field_is_declared():
    fmap = field_map()
    required = {s.path for s in fmap.required("part1")} | {s.path for s in fmap.required("part2")}
    assert {"school.name", "school.contact.name", "pupil.surname", "pupil.forenames",
            "pupil.date_of_birth", "pupil.address", "parents.*.name", "attendance.last_attended",
            "family_information.text", "part1_completed_by.name", "safeguarding.dsl.name",
            "safeguarding.dsl.date"} == required
    assert {s.path for s in fmap.recommended()} == {
        "pupil.upn", "pupil.gender", "school.dfe_number", "school.contact.phone",
        "school.contact.email"}
