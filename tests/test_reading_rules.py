"""Small reading rules, each a general fix seen on the tuning split (invented people)."""

from __future__ import annotations

from parsers.entries import Entry, ExtractedForm, Grid
from parsers.layout.text import label_value_lines
from parsers.mapping.entry_text import without_echoed_label
from parsers.mapping.mapper import map_form


def _record(*entries: Entry, grids: list[Grid] | None = None) -> dict:
    return map_form(ExtractedForm(extraction="docx", entries=list(entries),
                                  grids=grids or [])).record


def test_a_dash_after_a_mandatory_mark_separates_label_and_value() -> None:
    assert label_value_lines("31. COMPLETED BY (PRINT NAME)* - Dan Achterberg") == [
        ("COMPLETED BY (PRINT NAME)", "Dan Achterberg")]
    assert label_value_lines("Moved to Leeds - no forwarding address") == []


def test_a_label_echoed_in_its_own_paragraph_is_dropped() -> None:
    entry = Entry(label="AUTHORISATION GIVEN BY", value="AUTHORISATION GIVEN BY CME team - J. Ode",
                  locator="paragraph 19")
    assert without_echoed_label(entry).value == "CME team - J. Ode"


def test_a_long_label_says_whose_it_is_whatever_the_heading() -> None:
    record = _record(Entry(label="Name of person completing this form", value="Priya Lal",
                           locator="table 9, row 1", section="Referrer"))
    assert record["part1_completed_by"]["name"] == "Priya Lal"


def test_a_second_member_of_staff_at_the_sign_off_completed_part_1() -> None:
    record = _record(
        Entry(label="Contact name", value="Sunita Rao", locator="table 2, row 1",
              section="School details"),
        Entry(label="Print name", value="Tom Ashworth", locator="table 15, row 2",
              section="7. Referrer"),
        Entry(label="Date form completed", value="08-06-2026", locator="table 15, row 2",
              section="7. Referrer"))
    assert record["school"]["contact"]["name"] == "Sunita Rao"
    assert record["part1_completed_by"]["name"] == "Tom Ashworth"


def test_correspondence_read_by_concept_from_a_yes_no_answer() -> None:
    record = _record(Entry(label="Letters/emails from parents received", value="N",
                           locator="table 8, row 1"))
    assert record["family_correspondence"]["held"] is False
    assert record["enquiries"]["parent_contact_details"]["done"] is None


def test_a_lone_unticked_yes_box_is_no() -> None:
    record = _record(Entry(label="Correspondence from family held", value="Yes",
                           locator="page 1, line 26", checked=False))
    assert record["family_correspondence"]["held"] is False


def test_relationship_to_the_young_person_is_the_relationship_column() -> None:
    grid = Grid(headers=["Carer's full name", "Relationship to the young person", "Telephone"],
                rows=[["Dana Okafor", "Mother", "07700 900962"]], locator="table 3")
    parent = _record(grids=[grid])["parents"][0]
    assert (parent["name"], parent["relationship"]) == ("Dana Okafor", "Mother")


def test_second_parent_carer_is_parent_two() -> None:
    record = _record(
        Entry(label="Name of parent or carer", value="Ann Kowal", locator="t3 r1"),
        Entry(label="Relationship", value="Mother", locator="t3 r1"),
        Entry(label="Second parent/carer - parent/carer name", value="Piotr Kowal", locator="t3 r3"),
        Entry(label="Second parent/carer - relationship", value="Father", locator="t3 r3"))
    assert [(p["name"], p["relationship"]) for p in record["parents"]] == [
        ("Ann Kowal", "Mother"), ("Piotr Kowal", "Father")]


def test_an_enquiry_worded_like_another_field_is_the_enquiry_under_enquiries() -> None:
    record = _record(Entry(label="Enquired about destination school?", value="Yes",
                           locator="table 14, row 2", section="ENQUIRIES MADE"))
    assert record["enquiries"]["new_school_check"]["done"] is True
    assert record["family_information"]["expected_school"] is None


def test_a_label_naming_the_dsl_is_the_dsl_s_under_any_heading() -> None:
    record = _record(Entry(label="DSL name", value="Sunita Gill", locator="page 2, line 10",
                           section="8. Declaration"))
    assert record["safeguarding"]["dsl"]["name"] == "Sunita Gill"
    assert record["part1_completed_by"]["name"] is None


def test_a_referrers_name_under_part_1_completed_by_is_the_signer() -> None:
    record = _record(Entry(label="Referrer's name", value="Gareth Lowe", locator="table 10, row 1",
                           section="PART 1 COMPLETED BY"))
    assert record["part1_completed_by"]["name"] == "Gareth Lowe"


def test_section_letter_and_title_read_as_a_pair_is_a_heading() -> None:
    record = _record(
        Entry(label="Section B", value="Safeguarding", locator="page 2, line 8",
              section="8. Declaration"),
        Entry(label="Name", value="Sunita Gill", locator="page 2, line 10", section="8. Declaration"))
    assert record["safeguarding"]["dsl"]["name"] == "Sunita Gill"


def test_a_phone_a_date_or_a_house_number_is_not_a_numbered_question() -> None:
    from parsers.layout.cell import Cell
    from parsers.layout.table import _asks

    def asks(text: str) -> bool:
        return _asks(Cell(text=text))

    assert asks("Q5 Contact telephone:") and asks("2.1 Surname") and asks("4) School")
    assert not asks("0113 496 0402") and not asks("24 Aug 2014") and not asks("93 Fernbank Road")


def test_a_known_label_and_a_dash_in_a_paragraph_is_a_pair() -> None:
    def known(text: str) -> bool:
        return text.lower() in {"date of birth", "legal surname"}

    assert label_value_lines("date of birth - 18 Nov 2012", known) == [("date of birth",
                                                                          "18 Nov 2012")]
    assert label_value_lines("Moved to Leeds - no forwarding address", known) == []


def test_numbered_contact_attempts_with_a_prefix_are_one_log() -> None:
    rows = []
    for n, (action, outcome) in enumerate([("Home visit", "no reply"),
                                           ("Spoke to neighbours", "left in a van")], 1):
        rows += [Entry(label=f"Contact attempt {n} - Date", value=f"2{n}.01.26",
                       locator=f"line {3 * n}", section="Reasonable enquiries"),
                 Entry(label=f"Contact attempt {n} - Action", value=action,
                       locator=f"line {3 * n + 1}", section="Reasonable enquiries"),
                 Entry(label=f"Contact attempt {n} - Outcome", value=outcome,
                       locator=f"line {3 * n + 2}", section="Reasonable enquiries")]
    enquiries = _record(*rows)["enquiries"]
    assert enquiries["home_visit"]["done"] is True and enquiries["neighbours"]["done"] is True


def test_an_unnamed_field_under_a_labelled_one_takes_its_column_label() -> None:
    from parsers.pdf.field_labels import _column_label

    header = ((100.0, 200.0, 180.0, 214.0), "Action")
    assert _column_label((100.5, 230.0, 180.2, 244.0), "Text23", [header]) == "Action"
    assert _column_label((100.5, 230.0, 180.2, 244.0), "parent_phone", [header]) == ""
    assert _column_label((300.0, 230.0, 380.0, 244.0), "Text24", [header]) == ""


def test_a_bold_label_then_its_answer_on_one_word_line_is_a_pair() -> None:
    import io

    import docx

    from parsers.docx.reader import read_docx

    document = docx.Document()
    for key, value in (("Surname* ", "BRANNIGAN"), ("Date Of Birth ", "Jan 31 2011")):
        paragraph = document.add_paragraph()
        paragraph.add_run(key).bold = True
        paragraph.add_run(value)
    note = document.add_paragraph()
    note.add_run("Please note").bold = True
    note.add_run(" that the form must be sent securely, with copies of any letters.")
    out = io.BytesIO()
    document.save(out)
    form = read_docx(out.getvalue(), known_label=lambda text: False)
    pairs = {(e.label, e.value) for e in form.entries}
    assert ("Surname", "BRANNIGAN") in pairs and ("Date Of Birth", "Jan 31 2011") in pairs
    assert not any(e.label == "Please note" for e in form.entries)


def test_a_choice_of_relation_words_in_a_label_is_not_the_relationship() -> None:
    record = _record(Entry(label="Parent / Guardian Name", value="Kerry Haigh", locator="l 20"),
                     Entry(label="Relationship To The Young Person", value="Mother", locator="l 21"))
    assert [(p["name"], p["relationship"]) for p in record["parents"]] == [("Kerry Haigh",
                                                                            "Mother")]


def test_a_relation_column_is_the_relationship() -> None:
    grid = Grid(headers=["Name of parent/carer with parental responsibility", "Relation",
                         "Tel no", "E-mail address"],
                rows=[["Kerry Hartley", "Mother", "07700 900931", ""]], locator="table 4")
    parent = _record(grids=[grid])["parents"][0]
    assert (parent["name"], parent["relationship"], parent["phone"]) == (
        "Kerry Hartley", "Mother", "07700900931")


def test_a_question_whose_value_is_only_an_instruction_takes_the_answer_below() -> None:
    assert label_value_lines("Do you hold letters?*: (Please tick/delete as appropriate)") == [
        ("Do you hold letters?", "")]


def test_ticked_yes_to_a_question_worded_by_concept() -> None:
    record = _record(
        Entry(label="Letters/emails from parents received : - please delete", value="YES",
              locator="table 9, row 1", checked=True),
        Entry(label="Letters/emails from parents received : - please delete", value="NO",
              locator="table 9, row 1", checked=False))
    assert record["family_correspondence"]["held"] is True


def test_the_contact_named_again_where_the_form_is_dated_completed_part_1() -> None:
    record = _record(
        Entry(label="Key contact at school", value="Tom Ashworth", locator="table 4, row 2",
              section="2. About the school"),
        Entry(label="Print name", value="Tom Ashworth", locator="table 15, row 2",
              section="7. Referrer"),
        Entry(label="Date form completed", value="08-06-2026", locator="table 15, row 2",
              section="7. Referrer"))
    assert record["part1_completed_by"]["name"] == "Tom Ashworth"
    alone = _record(Entry(label="Key contact at school", value="Tom Ashworth",
                          locator="table 4, row 2", section="2. About the school"))
    assert alone["part1_completed_by"]["name"] is None


def test_a_misspelt_sign_off_date_under_the_dsl_heading_is_the_dsl_s() -> None:
    from parsers.mapping.fieldmap import field_map

    found = field_map().match("Date Complteed (dd/mm/yyyy)", "part2")
    assert found is not None and found.spec.path == "safeguarding.dsl.date"
    found = field_map().match("Date Complteed (dd/mm/yyyy)", None)
    assert found is not None and found.spec.path == "part1_completed_by.date"


def test_yes_and_no_one_a_line_with_one_marked() -> None:
    from parsers.values.choices import boolean

    assert boolean("Yes\nNo X").value is False and boolean("Yes X\nNo").value is True
    assert boolean("X Yes\nNo").value is True and boolean("Yes\nNo").value is None


def test_authorisation_given_by_is_who_agreed_the_removal() -> None:
    record = _record(Entry(label="Authorisation given by", value="Mark Pell, AIO",
                           locator="page 2, line 3", section="SCHOOL REGISTER"))
    assert record["roll"]["authorised_by"] == "Mark Pell, AIO"
