"""A value must fit the field it is given to, and label wording read by concept (session 5
rules, each a general fix seen on the tuning splits; invented people)."""

from __future__ import annotations

from parsers.entries import Entry, ExtractedForm
from parsers.layout.cell import Cell
from parsers.mapping.fieldmap import field_map
from parsers.mapping.grounds import ticked_lines
from parsers.mapping.labels import one_slip
from parsers.mapping.mapper import map_form


def _record(*entries: Entry) -> dict:
    return map_form(ExtractedForm(extraction="docx", entries=list(entries), grids=[])).record


def _e(label: str, value: str, section: str, row: int = 1, checked: bool | None = None) -> Entry:
    return Entry(label=label, value=value, locator=f"table 1, row {row}", section=section,
                 checked=checked)


def test_a_person_s_name_is_not_a_relationship() -> None:
    record = _record(_e("Person with parental responsibility", "Amina Farrow", "Family details"),
                     _e("Connection to pupil", "Mother", "Family details", 2))
    assert record["parents"][0]["name"] == "Amina Farrow"
    assert record["parents"][0]["relationship"] == "Mother"


def test_a_name_label_holding_a_phone_is_read_as_the_parent_s_details() -> None:
    record = _record(_e("Parent/carer name", "Joanne Ahmed (Mother) 07700 900094",
                        "Family details"))
    assert record["parents"][0]["phone"] == "07700900094"


def test_yes_is_no_school_and_a_school_name_is_no_dfe_number() -> None:
    record = _record(_e("School", "Yes", "Referring school"),
                     _e("DfE number", "Beckside Primary School", "Referring school", 2))
    assert record["school"]["name"] is None and record["school"]["dfe_number"] is None
    assert {u["value"] for u in map_form(ExtractedForm(extraction="docx", entries=[
        _e("School", "Yes", "Referring school")], grids=[])).unmapped} == {"Yes"}


def test_the_question_asked_the_other_way_by_concept() -> None:
    assert _record(_e("Remains on school register?", "Yes", "Roll"))["roll"]["removed"] is False
    assert _record(_e("Is the learner still registered?", "No", "Roll"))["roll"]["removed"] is True


def test_a_one_word_label_inside_a_longer_one_gives_way_to_its_concept() -> None:
    fmap = field_map()
    match = fmap.match("Governance of school")
    assert match is None or match.spec.path != "school.name"
    record = _record(_e("Lead professional in school", "Tom Ashworth", "School details"))
    assert record["school"]["contact"]["name"] == "Tom Ashworth"
    assert record["school"]["name"] is None


def test_concept_words_survive_a_typing_slip_and_a_possessive() -> None:
    assert one_slip("msising", "missing") and one_slip("educaton", "education")
    assert not one_slip("season", "reason") and not one_slip("missing", "missing")
    from parsers.mapping.labels import parse_rule, rule_strength

    assert rule_strength(parse_rule("letter* + parent*"), "Letters from parets received")
    assert rule_strength(parse_rule("point of contact"), "Point of contct at setting")
    record = _record(_e("Why is the child msising education?", "Overdue from authorised leave",
                        "Reason"),
                     _e("Family's account", "Mum said they were moving to Derby soon.",
                        "Circumstances", 2))
    assert record["referral"]["grounds"] == ["not_returned_after_authorised_absence"]
    assert "Derby" in record["family_information"]["text"]


def test_only_the_marked_line_of_a_list_of_grounds_counts() -> None:
    assert ticked_lines("Emigrated / left the UK\nRelocated; location unknown X") == \
        "Relocated; location unknown"
    record = _record(_e("Why is the child missing education?",
                        "Emigrated / left the UK\nRelocated; present location unknown X",
                        "Reason"))
    assert record["referral"]["grounds"] == ["moved_whereabouts_unknown"]


def test_a_ground_line_is_read_whole_when_its_parts_name_none() -> None:
    record = _record(_e("Basis of referral",
                        "Gone to another council area; new school not confirmed", "Reason"))
    assert record["referral"]["grounds"] == ["moved_not_on_roll"]


def test_a_ticked_ground_option_is_not_taken_for_an_enquiry() -> None:
    record = _record(
        _e("Basis of referral", "Gone to another council area; new school not confirmed",
           "Attendance and reason", checked=True),
        _e("Basis of referral", "Emigrated / left the UK", "Attendance and reason", 2, False))
    assert record["referral"]["grounds"] == ["moved_not_on_roll"]
    assert record["enquiries"]["new_school_check"]["done"] is None


def test_a_bold_caption_over_its_answer_in_a_box_of_its_own() -> None:
    from parsers.layout.table import table_to_entries

    caption = Cell("Q23 WHY IS THE CHILD MISSING EDUCATION?* :\nRelocated; location unknown",
                   label_line=True)
    entries, _, _ = table_to_entries([[caption, Cell("")], [Cell(""), Cell("")]],
                                     locator="table 7", section="Why are you referring?",
                                     known_label=field_map().is_label)
    assert [(e.label, e.value) for e in entries if e.value] == [
        ("WHY IS THE CHILD MISSING EDUCATION?", "Relocated; location unknown")]


def test_words_vote_among_the_fields_the_value_can_answer() -> None:
    from parsers.mapping.word_vote import match_by_words

    fmap = field_map()

    def voted(label: str, value: str, context: str | None = None) -> str | None:
        match = match_by_words(fmap, label, value, context)
        return None if match is None else match.spec.path

    assert voted("Learner's family name", "Okafor") == "pupil.surname"
    assert voted("Setting telephone", "0113 496 0000", "school") == "school.contact.phone"
    assert voted("Setting telephone", "Okafor", "school") is None  # a name is no phone
    assert voted("Young person born", "3/4/2012") == "pupil.date_of_birth"
    assert voted("Guidance", "the ground should reflect the regulations") is None
    mapped = map_form(ExtractedForm(extraction="docx", entries=[
        _e("Setting telephone", "0113 496 0000", "School")], grids=[]))
    assert mapped.record["school"]["contact"]["phone"] == "01134960000"
    assert mapped.provenance["school.contact.phone"]["confidence"] < 0.75  # a guess: check it


def test_a_question_asked_the_other_way_needs_a_yes_or_no() -> None:
    record = _record(_e("School currently on roll at", "Hollin Park Primary School",
                        "Your contact details"))
    assert record["roll"]["removed"] is None
    assert record["school"]["name"] == "Hollin Park Primary School"


def test_only_the_marked_line_of_a_yes_no_cell_counts() -> None:
    record = _record(_e("Family correspondence on file", "Yes\nNo X", "Circumstances"))
    assert record["family_correspondence"]["held"] is False


def test_a_grid_s_person_columns_typed_by_the_field_map() -> None:
    from parsers.entries import Grid

    grid = Grid(headers=["Adult with PR (name)", "Connection to pupil", "Best number to call",
                         "Electronic mail"],
                rows=[["Joanne Crowther", "Mother", "07700 900492", ""],
                      ["Samuel Mistry", "Father", "07700 900346", "s.mistry@example.com"]],
                locator="table 5, rows 1-3", section="Parents / carers")
    record = map_form(ExtractedForm(extraction="docx", entries=[], grids=[grid])).record
    assert [(p["name"], p["relationship"], p["phone"]) for p in record["parents"]] == [
        ("Joanne Crowther", "Mother", "07700900492"), ("Samuel Mistry", "Father", "07700900346")]


def test_names_with_numbers_under_a_parent_label_are_each_parent_s_details() -> None:
    record = _record(_e("Parent(s) and phone",
                        "Amina Odell 07700 900395; Gary Odell (Father) 07700 900754",
                        "People with parental responsibility"))
    assert {p["name"] for p in record["parents"]} == {"Amina Odell", "Gary Odell"}


def test_a_summary_lists_a_person_s_details_under_their_group_label() -> None:
    record = _record(_e("Parent/carer 1", "ADULT WITH PR (NAME): Wayne Crowther", "Family", 1),
                     _e("Parent/carer 1", "HOW RELATED TO CHILD: Father", "Family", 2),
                     _e("Parent/carer 2", "ADULT WITH PR (NAME): Lisa Okafor", "Family", 3),
                     _e("Parent/carer 2", "HOW RELATED TO CHILD: Mother", "Family", 4))
    assert [(p["name"], p["relationship"]) for p in record["parents"]] == [
        ("Wayne Crowther", "Father"), ("Lisa Okafor", "Mother")]


def test_the_person_submitting_under_the_referrer_heading_completed_part_1() -> None:
    record = _record(_e("Submitted by", "Marcus Greenwood", "8. Referrer"),
                     _e("Person filling in this form", "Marcus Greenwood", "Referrer", 2))
    assert record["part1_completed_by"]["name"] == "Marcus Greenwood"


def test_a_numbered_label_echoed_in_its_value_is_dropped() -> None:
    record = _record(_e("NAME OF PERSON COMPLETING THIS FORM",
                        "7.1 NAME OF PERSON COMPLETING THIS FORM Priya Lal", "Part 1 completed by"))
    assert record["part1_completed_by"]["name"] == "Priya Lal"


def test_a_bare_date_after_the_dsl_s_rows_is_the_dsl_s_when_the_heading_s_is_given() -> None:
    record = _record(_e("Date completed", "17 Mar 2025", "Part 1 completed by", 1),
                     _e("DSL name", "Helen Brook", "Part 1 completed by", 2),
                     _e("Date", "14 Mar 2025", "Part 1 completed by", 3))
    assert record["part1_completed_by"]["date"] == "2025-03-17"
    assert record["safeguarding"]["dsl"]["date"] == "2025-03-14"


def test_a_filled_square_among_empty_boxes_is_the_ticked_one() -> None:
    from parsers.pdf.geometry import tokens_from_words

    def word(text: str, top: float) -> dict:
        return {"text": text, "x0": 50.0, "x1": 50.0 + 6 * len(text), "top": top,
                "bottom": top + 10, "size": 10.0, "fontname": "DejaVuSans"}

    listed = tokens_from_words([word("□", 10), word("■", 30), word("Moved", 30)])
    assert [t.tick for t in listed][:2] == [False, True] and listed[2].text == "Moved"
    bullets = tokens_from_words([word("■", 30), word("Moved", 30)])  # no boxes: a bullet
    assert all(t.tick is None for t in bullets)


def test_a_numbered_label_is_not_prose() -> None:
    from parsers.layout.rows import is_sentence

    assert not is_sentence("19. Name of parent or carer")
    assert is_sentence("The family moved. No address was given.")


def test_a_row_of_boxes_each_a_colon_label_over_its_answer() -> None:
    from parsers.layout.table import table_to_entries

    row = [Cell("1. school currently on roll at:\nThornleigh College"),
           Cell("2. laestab (if known):\n3806999")]
    entries, _, _ = table_to_entries([row], locator="table 1", section="Referring school",
                                     known_label=field_map().is_label)
    assert [(e.label, e.value) for e in entries] == [
        ("school currently on roll at", "Thornleigh College"), ("laestab (if known)", "3806999")]


def test_a_paragraph_led_by_a_label_in_capitals_gives_its_answer() -> None:
    record = _record(Entry(label="", value="Details Of Any Information From The Family When the "
                           "office rang, mum said they were leaving the area.",
                           locator="paragraph 13", section="3. Family information"))
    assert "leaving the area" in record["family_information"]["text"]


def test_a_bold_key_and_its_answer_both_wrapped_onto_the_next_line() -> None:
    import io

    from reportlab.pdfgen import canvas

    from parsers import sniff
    from parsers.documents import read_document

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, invariant=1)
    rows = [(700, "Surname", "Okafor"),
            (680, "Details of any information from the", "When the office rang, the school"),
            (668, "family", "was told they moved to Leeds."),
            (648, "Has the family written to the school?", "No")]
    for y, key, answer in rows:
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(50, y, key)
        pdf.setFont("Helvetica", 10)
        pdf.drawString(260, y, answer)
    pdf.save()
    data = buffer.getvalue()
    form = read_document(data, sniff.sniff(data, "summary.pdf"), known_label=field_map().is_label)
    found = {e.label: e.value for e in form.entries}
    assert found["Details of any information from the family"] == (
        "When the office rang, the school was told they moved to Leeds.")
    assert found["Has the family written to the school?"] == "No"



def test_a_label_in_other_words_is_a_check_not_a_missing_field() -> None:
    from datetime import date

    from intake.core.rules import evaluate
    from tests.test_rules import complete_record

    record = complete_record()
    record["pupil"]["surname"] = None
    record["referral"]["grounds"] = []
    record["unmapped"] = [
        {"label": "Learner's legal last-used designation", "value": "Okafor", "document": 0},
        {"label": "Circumstances", "value": "Relocated; present location unknown", "document": 0},
        {"label": "Submission reference", "value": "CME-0001054.", "document": 0}]
    flags = evaluate(record, received_on=date(2026, 11, 2))
    found = {(f["code"], f["field"]) for f in flags}
    assert ("low_confidence", "pupil.surname") in found
    assert ("missing_field", "pupil.surname") not in found
    assert ("low_confidence", "referral.grounds") in found
    record["unmapped"] = [{"label": "Name of parent or carer", "value": "Father", "document": 0}]
    record["parents"] = []
    assert ("missing_field", "parents") in {(f["code"], f["field"]) for f in evaluate(
        record, received_on=date(2026, 11, 2))}  # "Father" is who, not a name


def test_numbered_enquiry_fields_with_a_done_column_are_one_log() -> None:
    entries = []
    for number, (action, done) in enumerate([("Home visit made", "Yes"),
                                             ("Copies of flight information requested", "No")], 1):
        for label, value in ((f"Enquiry {number}", action), (f"Completed (Y/N) {number}", done),
                             (f"Date {number}", "4 Mar 2025" if done == "Yes" else ""),
                             (f"Outcome {number}", "no answer" if done == "Yes" else "")):
            entries.append(_e(label, value, "Reasonable enquiries", len(entries) + 1))
    record = _record(*entries)
    assert record["enquiries"]["home_visit"]["done"] is True
    assert record["enquiries"]["home_visit"]["date"] == "2025-03-04"
    assert record["enquiries"]["flight_information"]["done"] is False


def test_a_person_s_name_as_the_key_under_the_parents_heading() -> None:
    record = _record(_e("Danielle Van der Berg", "Grandmother, 07700 900537, d.vdb@example.com",
                        "People with parental responsibility"))
    assert [(p["name"], p["relationship"], p["phone"]) for p in record["parents"]] == [
        ("Danielle Van der Berg", "Grandmother", "07700900537")]


def test_an_online_summary_s_section_title_is_not_the_answer_above_it() -> None:
    from intake.core.attachments import _body_entries

    body = ("People with parental responsibility\n\nAnn Lee: Mother, 07700 900123\n\n"
            "Roll status\n\nIS THE PUPIL STILL ON ROLL?: Yes\n")
    entries = _body_entries(body)
    assert [(e.label, e.value, e.section) for e in entries] == [
        ("Ann Lee", "Mother, 07700 900123", "People with parental responsibility"),
        ("IS THE PUPIL STILL ON ROLL?", "Yes", "Roll status")]


def test_date_completed_after_the_dsl_s_rows_under_no_heading_is_the_dsl_s() -> None:
    record = _record(_e("Name of DSL", "Claire Robson", "Signed", 1),
                     _e("Date completed", "2nd February 2026", "38. Date completed:", 2))
    assert record["safeguarding"]["dsl"]["date"] == "2026-02-02"
    assert record["part1_completed_by"]["date"] is None


def test_yes_no_options_under_the_question_as_their_heading() -> None:
    section = "DO YOU HAVE SUPPORTING DOCUMENTATION FROM THE FAMILY?"
    record = _record(Entry(label="", value="Yes", checked=False, locator="paragraph 30",
                           section=section),
                     Entry(label="", value="No", checked=True, locator="paragraph 31",
                           section=section))
    assert record["family_correspondence"]["held"] is False


def test_ticked_no_beside_a_question_worded_by_concept() -> None:
    record = _record(_e("NAME REMOVED FROM REGISTER", "Yes", "Roll status", checked=False),
                     _e("NAME REMOVED FROM REGISTER", "No", "Roll status", checked=True))
    assert record["roll"]["removed"] is False


def test_a_question_listing_a_choice_field_s_options_asks_for_it() -> None:
    record = _record(_e("Is the school an academy, maintained or independent?", "Community",
                        "About the setting"),
                     _e("Current education provider", "Oakfield House School", "Setting", 2),
                     _e("CME reason", "Left the area and nobody knows where the family now live",
                        "Reason", 3))
    assert record["school"]["type"] == "maintained"
    assert record["school"]["name"] == "Oakfield House School"
    assert record["referral"]["grounds"] == ["moved_whereabouts_unknown"]


def test_a_contact_s_label_inside_a_longer_one_that_says_whose() -> None:
    record = _record(_e("Name of staff member completing", "Priya Lal", "Submitted by the setting"))
    assert record["part1_completed_by"]["name"] == "Priya Lal"


def test_name_of_person_with_pr_is_a_parent_grid_s_name_column() -> None:
    from parsers.mapping.grids import column_roles

    assert column_roles(["Name of person with PR", "Relationship to CYP", "Parent's mobile"]) == {
        "name": 0, "relationship": 1, "phone": 2}
    assert column_roles(["Date", "Action", "Person contacted", "Outcome"])["person"] == 2


def test_what_was_done_is_the_action_column_and_cme_practice_words_name_enquiries() -> None:
    from parsers.mapping.grids import column_roles

    assert column_roles(["When", "What was done", "Who we spoke to", "Result"]) == {
        "date": 0, "action": 1, "person": 2, "outcome": 3}
    fmap = field_map()
    for text, path in (("Doorstep visit", "enquiries.home_visit"),
                       ("S2S / lost pupil search", "enquiries.new_school_check")):
        match = fmap.match_concept(text)
        assert match is not None and match.spec.path == path


def test_the_school_contact_named_under_the_submitted_by_heading_completed_part_1() -> None:
    record = _record(_e("Person making the referral", "Sunita Gill", "Submitted by the setting"),
                     _e("Date of submission", "May 11 2026", "Submitted by the setting", 2))
    assert record["part1_completed_by"]["name"] == "Sunita Gill"
    assert record["part1_completed_by"]["date"] == "2026-05-11"


def test_the_admission_register_is_not_an_admissions_enquiry() -> None:
    record = _record(_e("Has the learner been taken off the admission register?", "Y",
                        "Removal from the register"))
    assert record["roll"]["removed"] is True
    assert record["enquiries"]["new_school_check"]["done"] is None


def test_a_mistyped_email_under_a_worded_label_is_still_read_and_flagged() -> None:
    from parsers.mapping.label_concepts import plausible

    assert plausible("email", "g.lowe.at.st.example.sch.uk")
    assert not plausible("email", "Gareth Lowe")


def test_a_row_of_long_questions_is_no_grid_header() -> None:
    from parsers.layout.table import table_to_entries

    rows = [[Cell("Doorstep visit to the last known address?"),
             Cell("Asked neighbours if they had seen the family?")],
            [Cell("Q26 Tried all phone numbers held on file?"),
             Cell("Q27 Asked the learner's friends?")]]
    _, grids, _ = table_to_entries(rows, locator="table 6", section="Enquiries log",
                                   known_label=field_map().is_label)
    assert grids == []


def test_repeated_check_fields_with_date_of_check_are_one_log() -> None:
    entries = []
    for action, done, when in (("Doorstep visit to the last known address", "Y", "03/02/2025"),
                               ("Asked neighbours if they had seen the family", "N", "")):
        for label, value in (("Check carried out", action), ("Completed? (Y/N)", done),
                             ("Date of check", when), ("Result / notes", "no reply")):
            entries.append(_e(label, value, "Checks carried out by the setting",
                              len(entries) + 1))
    record = _record(*entries)
    assert record["enquiries"]["home_visit"]["done"] is True
    assert record["enquiries"]["home_visit"]["date"] == "2025-02-03"
    assert record["enquiries"]["neighbours"]["done"] is False


def test_questions_that_carry_their_own_answers_in_one_row() -> None:
    record = _record(_e("Checked Which School The Child Will Attend? Y",
                        "Working Contact Details Requested For Parents? N", "Enquiries"))
    assert record["enquiries"]["new_school_check"]["done"] is True
    assert record["enquiries"]["parent_contact_details"]["done"] is False


def test_a_row_of_ground_options_read_as_label_and_value_is_no_field() -> None:
    record = _record(_e("Left the area and nobody knows where the family now live",
                        "Thought to be living in a different LA but not on a school roll there",
                        "Attendance and CME category"),
                     _e("What have parents/carers said about the absence?",
                        "Mum said they have returned to Pakistan.", "Parent/carer account", 2))
    assert "Pakistan" in record["family_information"]["text"]
