"""The mapper on literal entries and grids: labels, ticks, parents, enquiries, provenance."""

from parsers.entries import Entry, ExtractedForm, Grid
from parsers.mapping.mapper import map_form


def mapped(*entries, grids=()):
    return map_form(ExtractedForm(extraction="docx", entries=list(entries), grids=list(grids)))


def E(label, value, section=None, checked=None, locator="table 1, row 1"):
    return Entry(label=label, value=value, locator=locator, section=section, checked=checked)


def test_values_and_provenance():
    out = mapped(E("SURNAME*", "TESTPERSON"), E("DOB*", "3rd September 2014", locator="table 1, row 2"),
                 E("UPN", "A123456789012"))
    pupil = out.record["pupil"]
    assert pupil["surname"] == "Testperson"
    assert pupil["date_of_birth"] == "2014-09-03"
    assert out.provenance["pupil.date_of_birth"] == {
        "document": 0, "locator": "table 1, row 2", "label": "DOB", "confidence": 1.0}


def test_invalid_values_become_findings_and_raw_upn_is_kept():
    out = mapped(E("UPN", "B123456789012"), E("Date of birth", "31/02/2014"),
                 E("Email", "not-an-email", section="Parent/carer details"))
    assert out.record["pupil"]["upn"] == "B123456789012"
    assert out.record["pupil"]["date_of_birth"] is None
    fields = {(f.code, f.field) for f in out.findings}
    assert ("invalid_value", "pupil.upn") in fields
    assert ("invalid_value", "pupil.date_of_birth") in fields


def test_unmapped_labels_are_kept():
    out = mapped(E("Ethnicity*", "Any other White background"), E("Religion", ""))
    assert out.unmapped == [{"label": "Ethnicity", "value": "Any other White background", "document": 0}]


def test_ground_options_and_prose():
    out = mapped(E("Reason for referral", "Left the country", checked=True),
                 E("Reason for referral", "Whereabouts unknown", checked=False))
    assert out.record["referral"]["grounds"] == ["left_country"]
    out = mapped(E("CME criteria", "Family believed to have moved abroad; whereabouts unknown"))
    assert out.record["referral"]["grounds"] == ["left_country", "moved_whereabouts_unknown"]


def test_yes_no_ticks_and_contradiction():
    out = mapped(E("Is the child looked after?", "Yes", checked=False),
                 E("Is the child looked after?", "No", checked=True))
    assert out.record["pupil"]["looked_after"] is False
    out = mapped(E("Removed from roll", "Yes", checked=True), E("Removed from roll", "No", checked=True))
    assert out.record["roll"]["removed"] is None
    assert ("low_confidence", "roll.removed") in {(f.code, f.field) for f in out.findings}


def test_checklist_unticked_in_a_ticked_set_is_false():
    out = mapped(E("Enquiries made", "Home visit made", checked=True),
                 E("Enquiries made", "Neighbours spoken to", checked=False),
                 E("Other", "Flight information requested", checked=False))
    enquiries = out.record["enquiries"]
    assert enquiries["home_visit"]["done"] is True
    assert enquiries["neighbours"]["done"] is False
    assert enquiries["flight_information"]["done"] is None  # its own set has nothing ticked


def test_parents_by_number_word_and_combined_cell():
    out = mapped(E("Parent/carer 1 name", "Dana Testperson"), E("Parent/carer 2 name", "Lee Testperson"),
                 E("Parent/carer 2 telephone", "07700 900456"))
    assert [p["name"] for p in out.record["parents"]] == ["Dana Testperson", "Lee Testperson"]
    assert out.record["parents"][1]["phone"] == "07700900456"
    out = mapped(E("PARENT'S NAME/PHONE NO*", "Mrs Dana Testperson (mother) 07700 900123\n"
                   "Mr Lee Testperson 07700 900456"))
    parents = out.record["parents"]
    assert parents[0]["name"] == "Mrs Dana Testperson" and parents[0]["relationship"] == "Mother"
    assert parents[1]["phone"] == "07700900456"
    out = mapped(E("Mother's name", "Dana Testperson"), E("Father's name", "Lee Testperson"))
    assert [p["relationship"] for p in out.record["parents"]] == ["Mother", "Father"]


def test_generic_labels_follow_sections():
    out = mapped(E("Name", "Pat Guardian", section="PART 2 - TO BE COMPLETED BY THE DSL"),
                 E("Date", "12.09.26", section="PART 2 - TO BE COMPLETED BY THE DSL"),
                 E("Signature", "P Guardian", section="PART 2 - TO BE COMPLETED BY THE DSL"),
                 E("Name", "Sam Teacher", section="YOUR CONTACT DETAILS"),
                 E("Name", "SMITH, Alex", section="CHILD'S DETAILS"))
    record = out.record
    assert record["safeguarding"]["dsl"] == {"name": "Pat Guardian", "role": None,
                                             "date": "2026-09-12", "signed": True}
    assert record["school"]["contact"]["name"] == "Sam Teacher"
    assert (record["pupil"]["surname"], record["pupil"]["forenames"]) == ("Smith", "Alex")


def test_address_lines_and_postcode():
    out = mapped(E("Current address (include post code)", "12 Acacia Road, Northtown NT1 2AB"))
    assert out.record["pupil"]["address"] == {"lines": ["12 Acacia Road", "Northtown"], "postcode": "NT1 2AB"}


def test_enquiry_written_answers():
    out = mapped(E("Home visit made?", "Yes - 10/09/2026, no answer at the door"),
                 E("Neighbours spoken to", "No"),
                 E("Flight information requested", "N/A"))
    enquiries = out.record["enquiries"]
    assert enquiries["home_visit"] == {"done": True, "date": "2026-09-10",
                                       "notes": "10/09/2026, no answer at the door"}
    assert enquiries["neighbours"]["done"] is False
    assert enquiries["flight_information"]["done"] is None


def test_enquiry_log_grid_fills_keys_and_other():
    grid = Grid(headers=["Date", "Action", "Person contacted", "Outcome"], rows=[
        ["08/09/2026", "Home visit to last known address", "", "No answer, curtains closed"],
        ["09/09/2026", "Spoke to neighbours", "Neighbour at no. 14", "Family left in August"],
        ["10/09/2026", "Letter to last known address", "", "No reply"],
        ["", "", "", ""],
    ], locator="table 4")
    out = mapped(grids=[grid])
    enquiries = out.record["enquiries"]
    assert enquiries["home_visit"] == {"done": True, "date": "2026-09-08",
                                       "notes": "No answer, curtains closed"}
    assert enquiries["neighbours"]["notes"] == "Family left in August (person contacted: Neighbour at no. 14)"
    assert enquiries["other"] == [{"action": "Letter to last known address", "date": "2026-09-10",
                                   "outcome": "No reply"}]
    assert out.provenance["enquiries.home_visit.date"]["locator"] == "table 4, row 2"


def test_home_visit_and_sibling_grids():
    visits = Grid(headers=["DATE", "AM", "PM", "ADDRESS VISITED", "WHO DID YOU SPEAK TO?"],
                  rows=[["07/09/2026", "X", "", "12 Acacia Road", "Nobody"]], locator="table 3")
    siblings = Grid(headers=["Name", "DOB", "School"], rows=[["Jo Testperson", "01/02/2016", "Northfield"]],
                    locator="table 5", section="Siblings")
    out = mapped(grids=[visits, siblings])
    assert out.record["enquiries"]["home_visit"]["date"] == "2026-09-07"
    assert out.record["siblings"] == [{"name": "Jo Testperson", "date_of_birth": "2016-02-01",
                                       "school": "Northfield"}]


def test_siblings_text():
    out = mapped(E("Siblings Name(s) and DOB", "Amy Testperson (03/04/2015); Ben Testperson 2.2.2017"))
    assert [(s["name"], s["date_of_birth"]) for s in out.record["siblings"]] == [
        ("Amy Testperson", "2015-04-03"), ("Ben Testperson", "2017-02-02")]


def test_ticked_risk_options():
    out = mapped(E("Risks identified", "CSE", checked=True, section="Part 2"),
                 E("Risks identified", "FGM", checked=False, section="Part 2"))
    assert out.risk_options == ["child_sexual_exploitation"]


def test_explicit_tick_beats_done_guessed_from_notes():
    out = mapped(E("Copies of flight information requested", "Family would not say"),
                 E("Copies of flight information requested", "Yes", checked=False),
                 E("Copies of flight information requested", "No", checked=True))
    assert out.record["enquiries"]["flight_information"]["done"] is False
    assert out.record["enquiries"]["flight_information"]["notes"] == "Family would not say"
    assert out.unmapped == []


def test_questions_worded_differently_reach_their_enquiry():
    out = mapped(E("Have all contact numbers been tried?", "Yes", checked=True),
                 E("Have all contact numbers been tried?", "No", checked=False),
                 E("Have friends or their families been asked?", "No", checked=True),
                 E("Have friends or their families been asked?", "Yes", checked=False))
    enquiries = out.record["enquiries"]
    assert enquiries["contacts_telephoned"]["done"] is True
    assert enquiries["school_friends"]["done"] is False


def test_ground_questions_with_yes_no_and_glyph_labels():
    out = mapped(E("Pupil has left the UK", "Yes", checked=True),
                 E("Pupil has left the UK", "No", checked=False),
                 E("Family moved away, destination unknown", "Yes", checked=False),
                 E("Family moved away, destination unknown", "No", checked=True))
    assert out.record["referral"]["grounds"] == ["left_country"]
    out = mapped(E("☐", "Not back 10 days after agreed leave ended"),
                 E("☒", "Continuous unauthorised absence of 20 school days"))
    assert out.record["referral"]["grounds"] == ["unauthorised_absence_20_days"]


def test_outcome_and_date_lines_follow_their_checklist_item():
    out = mapped(E("Enquiries made", "Neighbours asked", checked=True, section="5. Reason for referral"),
                 E("Outcome", "Neighbour said a removal van came.", section="5. Reason for referral"),
                 E("Date", "26-Sep-2026", section="5. Reason for referral"))
    neighbours = out.record["enquiries"]["neighbours"]
    assert neighbours == {"done": True, "date": "2026-09-26", "notes": "Neighbour said a removal van came."}


def test_council_section_numbering_does_not_decide_the_part():
    out = mapped(E("Name", "Quinn Example", section="Section C – School details"),
                 E("Postcode", "ZY9 9SS", section="Section A – Child's details"))
    assert out.record["school"]["contact"]["name"] == "Quinn Example"
    assert out.record["pupil"]["address"]["postcode"] == "ZY9 9SS"


def test_a_parents_detail_named_by_relationship_joins_that_parent() -> None:
    """ "Mother's telephone" after a parents table whose first row is the mother fills her
    phone, not a second, nameless parent."""
    from parsers.entries import Entry, ExtractedForm, Grid
    from parsers.mapping.mapper import map_form

    grid = Grid(headers=["Name", "Relationship", "Telephone"], rows=[["Ann Bell", "Mother", ""]],
                locator="table 1")
    entry = Entry(label="Mother's telephone", value="07700 900318", locator="paragraph 9",
                  section="Parent details")
    parents = map_form(ExtractedForm(extraction="docx", grids=[grid], entries=[entry])).record[
        "parents"]
    assert len(parents) == 1 and parents[0]["phone"] == "07700900318"
