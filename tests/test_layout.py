"""Table layout rules: label/value shapes, ticks, grids and headings, format-free."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.layout.table import Cell, paragraphs_to_entries, section_heading, table_to_entries
from parsers.layout.text import (
    clean_label,
    default_known_label,
    label_value_lines,
    mark_state,
    options_from_text,
)


def _cells(rows):
    return [[c if isinstance(c, Cell) else Cell(c) for c in row] for row in rows]


def read(rows, section=None, **kwargs):
    return table_to_entries(
        _cells(rows), locator="table 2", section=section, known_label=default_known_label, **kwargs
    )


def pairs(entries):
    return [(e.label, e.value, e.checked) for e in entries]


def test_two_column_label_value_with_heading_row():
    entries, grids, section = read(
        [["PART 1 - SCHOOL"], ["Surname*", "Smith"], ["1. Forename(s):", "Jo Ann"]]
    )
    assert pairs(entries) == [("Surname", "Smith", None), ("Forename(s)", "Jo Ann", None)]
    assert entries[0].section == "PART 1 - SCHOOL"
    assert entries[1].locator == "table 2, row 3"
    assert section == "PART 1 - SCHOOL" and grids == []


def test_four_column_label_value():
    entries, grids, _ = read(
        [["SURNAME*", "Bloggs", "FIRST NAME*", "Sam"], ["DOB*", "01/02/2015", "GENDER*", "M"]]
    )
    assert pairs(entries) == [
        ("SURNAME", "Bloggs", None),
        ("FIRST NAME", "Sam", None),
        ("DOB", "01/02/2015", None),
        ("GENDER", "M", None),
    ]
    assert grids == []


def test_odd_row_pairs_labels_with_following_values():
    entries, _, _ = read([["Surname:", "Smith", "Moved in August 2026"]])
    assert pairs(entries) == [("Surname", "Smith", None), ("", "Moved in August 2026", None)]


def test_horizontal_merge_duplicates_fold():
    entries, _, _ = read([["Current address", "1 Example Road", "1 Example Road"]])
    assert pairs(entries) == [("Current address", "1 Example Road", None)]


def test_duplicate_short_answers_are_not_folded():
    entries, _, _ = read([["Question", "Yes", "No"], ["Home visit", "X", "X"]])
    assert [e.checked for e in entries] == [True, True]


def test_label_row_then_free_text_row():
    entries, _, _ = read(
        [["Information provided by the family"], ["They said they were moving to Spain."]]
    )
    assert pairs(entries) == [
        ("Information provided by the family", "They said they were moving to Spain.", None)
    ]
    assert entries[0].locator == "table 2, row 2"


def test_heading_over_free_text_is_both_section_and_label():
    entries, _, section = read(
        [
            ["SAFEGUARDING RISK APPRAISAL (TO BE COMPLETED BY DSL)"],
            ["Risk Assessment*", "low"],
            ["OUTLINE CURRENT CIRCUMSTANCES"],
            ["Family have left for Poland, neighbours confirmed."],
        ]
    )
    assert entries[0].section.startswith("SAFEGUARDING")
    assert pairs(entries)[1] == (
        "OUTLINE CURRENT CIRCUMSTANCES",
        "Family have left for Poland, neighbours confirmed.",
        None,
    )
    assert section == "OUTLINE CURRENT CIRCUMSTANCES"


def test_caps_label_beside_empty_value_is_not_a_heading():
    entries, _, section = read([["YEAR GROUP", ""], ["UPN*:", ""]], section="PART 1")
    assert pairs(entries) == [("YEAR GROUP", "", None), ("UPN", "", None)]
    assert section == "PART 1"


def test_label_value_lines_in_one_cell():
    entries, _, _ = read(
        [["Contact", "Name: Ann Example\nTel: 0113 496 0000\nEmail: ann@example.org"]]
    )
    assert pairs(entries) == [
        ("Name", "Ann Example", None),
        ("Tel", "0113 496 0000", None),
        ("Email", "ann@example.org", None),
    ]


def test_combined_label_is_one_entry():
    entries, _, _ = read([["PARENT'S NAME/PHONE NO*", "Jane Doe 07700 900123"]])
    assert pairs(entries) == [("PARENT'S NAME/PHONE NO", "Jane Doe 07700 900123", None)]


def test_options_cell_beside_label():
    entries, _, _ = read(
        [["PUPIL STATUS* (Please tick)", "☐ Looked After Child ☒ SEN ☐ Traveller"]]
    )
    assert pairs(entries) == [
        ("PUPIL STATUS (Please tick)", "Looked After Child", False),
        ("PUPIL STATUS (Please tick)", "SEN", True),
        ("PUPIL STATUS (Please tick)", "Traveller", False),
    ]


def test_options_from_reader_with_leading_question():
    cell = Cell("Has the child left? Yes No", options=(("Yes", True), ("No", False)))
    entries, _, _ = read([[cell]])
    assert pairs(entries) == [
        ("Has the child left?", "Yes", True),
        ("Has the child left?", "No", False),
    ]


def test_option_rows_under_a_question_row():
    entries, _, _ = read(
        [["Reason for referral (tick)"], ["Left the country", "☒"], ["Moved away", "☐"]]
    )
    assert pairs(entries) == [
        ("Reason for referral (tick)", "Left the country", True),
        ("Reason for referral (tick)", "Moved away", False),
    ]


def test_yes_no_columns():
    entries, grids, _ = read(
        [
            ["Question", "Yes", "No"],
            ["Home visit made", "☒", "☐"],
            ["Neighbours spoken to", "", "X"],
            ["Flights requested", "", ""],
        ]
    )
    assert pairs(entries) == [
        ("Home visit made", "Yes", True),
        ("Home visit made", "No", False),
        ("Neighbours spoken to", "Yes", False),
        ("Neighbours spoken to", "No", True),
        ("Flights requested", "", None),
    ]
    assert grids == []


@pytest.mark.parametrize("header", [["", "Y", "N"], ["Enquiry", "Done", "Not done"]])
def test_tick_column_variants(header):
    entries, _, _ = read([header, ["Home visit", "✓", ""]])
    assert [(e.label, e.checked) for e in entries] == [("Home visit", True), ("Home visit", False)]


def test_tick_columns_with_date_column_also_give_a_grid():
    entries, grids, _ = read([["Enquiry", "Yes", "No", "Date"], ["Home visit", "X", "", "3/9/26"]])
    assert pairs(entries)[0] == ("Home visit", "Yes", True)
    assert grids[0].headers == ["Enquiry", "Date"]
    assert grids[0].rows == [["Home visit", "3/9/26"]]


def test_single_yes_no_written_column():
    entries, _, _ = read([["Question", "Yes/No"], ["Is the child looked after?", "No"]])
    assert pairs(entries) == [("Is the child looked after?", "No", None)]


def test_enquiry_log_grid():
    entries, grids, _ = read(
        [
            ["Date", "Action", "Person contacted", "Outcome"],
            ["3/9/26", "Home visit", "Neighbour", "No answer"],
            ["", "", "", ""],
            ["4/9/26", "Phone call", "Mother", "No reply"],
        ]
    )
    assert entries == []
    assert grids[0].headers == ["Date", "Action", "Person contacted", "Outcome"]
    assert grids[0].rows == [
        ["3/9/26", "Home visit", "Neighbour", "No answer"],
        ["4/9/26", "Phone call", "Mother", "No reply"],
    ]
    assert grids[0].locator == "table 2, rows 1-4"


def test_grid_after_heading_inside_table():
    entries, grids, section = read(
        [
            ["ACTIONS TAKEN PRIOR TO REFERRAL"],
            ["DATE", "AM", "PM", "ADDRESS VISITED", "WHO DID YOU SPEAK TO?"],
            ["3/9/26", "X", "", "1 Example Road", "Neighbour"],
        ]
    )
    assert grids[0].section == "ACTIONS TAKEN PRIOR TO REFERRAL"
    assert grids[0].rows == [["3/9/26", "X", "", "1 Example Road", "Neighbour"]]


def test_two_column_log_grid():
    _, grids, _ = read([["Date", "Action taken"], ["3/9/26", "Called"], ["4/9/26", "Visited"]])
    assert grids[0].rows == [["3/9/26", "Called"], ["4/9/26", "Visited"]]


def test_label_value_table_is_not_a_grid():
    entries, grids, _ = read(
        [
            ["Surname:", "Smith", "Forename:", "Jo"],
            ["Address:", "1 Example Road", "Postcode:", "LS1 1AA"],
        ]
    )
    assert grids == [] and len(entries) == 4


def test_sibling_grid():
    _, grids, _ = read([["Name", "DOB", "School"], ["Sam Doe", "1/2/2016", "Oak Primary"]])
    assert grids[0].rows == [["Sam Doe", "1/2/2016", "Oak Primary"]]


def test_hint_names_an_unlabelled_value():
    entries, _, _ = read([[Cell("Smith", hint="PupilSurname")], [Cell("x1", hint="Text4")]])
    assert pairs(entries) == [("PupilSurname", "Smith", None), ("", "x1", None)]


def test_nothing_is_lost():
    entries, _, _ = read([["some stray remark nobody labelled"]])
    assert pairs(entries) == [("", "some stray remark nobody labelled", None)]


@pytest.mark.parametrize(
    "text",
    [
        "PART 1",
        "Part 2 – to be completed by the DSL",
        "SECTION B: FAMILY",
        "CHILD'S DETAILS",
        "(TO BE COMPLETED BY DSL)",
        "Section 3",
    ],
)
def test_section_headings(text):
    assert section_heading(text)


@pytest.mark.parametrize(
    "text", ["Surname:", "UPN*", "YES / NO", "01/02/2015", "Part time", "Jo Smith", "N/A"]
)
def test_not_section_headings(text):
    assert not section_heading(text)


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("SURNAME*", "SURNAME"),
        ("UPN*:", "UPN"),
        ("1. Date of birth:", "Date of birth"),
        ("a) Gender", "Gender"),
        ("Q3 Reason for referral", "Reason for referral"),
        ("CURRENT ADDRESS* (include post code)", "CURRENT ADDRESS (include post code)"),
    ],
)
def test_clean_label(raw, label):
    assert clean_label(raw) == label


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("☐ Yes ☒ No", ("", (("Yes", False), ("No", True)))),
        ("Yes ☐ No ☒", ("", (("Yes", False), ("No", True)))),
        ("Left the UK? Yes ☒ No ☐", ("Left the UK?", (("Yes", True), ("No", False)))),
        ("Gender: ☐ Male ☒ Female", ("Gender:", (("Male", False), ("Female", True)))),
        ("[X] Yes [ ] No", ("", (("Yes", True), ("No", False)))),
        ("no marks here", ("", ())),
    ],
)
def test_options_from_text(text, expected):
    assert options_from_text(text) == expected


@pytest.mark.parametrize(
    ("text", "state"),
    [("☒", True), ("☐", False), ("X", True), ("x", True), ("✓", True), ("", None), ("Yes", True)],
)
def test_mark_state(text, state):
    assert mark_state(text) is state


def test_label_value_lines_rules():
    assert label_value_lines("Seen at 10:30 by the gate") == []
    assert label_value_lines("Name: A\nmore of A\nTel: 1") == [
        ("Name", "A\nmore of A"),
        ("Tel", "1"),
    ]


@pytest.mark.parametrize(
    ("text", "known"),
    [
        ("School name", True),
        ("Date of birth", True),
        ("Oak Primary School", False),
        ("Smith", False),
    ],
)
def test_default_known_label(text, known):
    assert default_known_label(text) is known


def test_two_column_label_value_with_header_words_is_not_a_grid():
    entries, grids, _ = read(
        [["School", "Oak Primary School"], ["Address", "1 Example Road"], ["Contact", "A Teacher"]]
    )
    assert grids == []
    assert pairs(entries)[0] == ("School", "Oak Primary School", None)


def test_capitalised_values_do_not_make_a_header():
    entries, grids, _ = read(
        [["SURNAME", "EXAMPLE", "FIRST NAME", "SAM"], ["GENDER", "M", "DOB", "01.02.15"]]
    )
    assert grids == []
    assert pairs(entries)[:2] == [("SURNAME", "EXAMPLE", None), ("FIRST NAME", "SAM", None)]


def paragraphs(*texts, bold=()):
    cells = [Cell(text, bold=index in bold) for index, text in enumerate(texts)]
    locators = [f"paragraph {n}" for n in range(1, len(cells) + 1)]
    return paragraphs_to_entries(
        cells, locators=locators, section=None, known_label=default_known_label
    )


def test_paragraph_value_continues_on_unlabelled_lines():
    entries, _ = paragraphs(
        "Address: 92 Example Avenue", "Fellmarsh", "Exbridge", "Postcode: ZY2 9UR"
    )
    assert pairs(entries) == [
        ("Address", "92 Example Avenue\nFellmarsh\nExbridge", None),
        ("Postcode", "ZY2 9UR", None),
    ]


def test_paragraph_label_then_several_value_paragraphs():
    entries, _ = paragraphs(
        "Information provided by the family:",
        "A neighbour told us the family moved on 17/10/2026.",
        "The house is now empty.",
        "Date the family left: 17/10/2026",
    )
    assert pairs(entries) == [
        (
            "Information provided by the family",
            "A neighbour told us the family moved on 17/10/2026.\nThe house is now empty.",
            None,
        ),
        ("Date the family left", "17/10/2026", None),
    ]


def test_data_value_is_not_continued():
    entries, _ = paragraphs("Date of referral: 30/10/2026", "Please return this form by email.")
    assert pairs(entries)[1] == ("", "Please return this form by email.", None)


def test_long_label_and_label_ending_in_a_number():
    entries, _ = paragraphs(
        "Name of person completing Part 1: Declan Example",
        "Safeguarding concerns the school has had about this child or family: None.",
    )
    assert [e.label for e in entries] == [
        "Name of person completing Part 1",
        "Safeguarding concerns the school has had about this child or family",
    ]


def test_bold_paragraph_heading_sets_section():
    entries, section = paragraphs("Pupil details", "Surname: Example", bold=(0,))
    assert entries[0].section == "Pupil details" and section == "Pupil details"


def test_label_merged_down_gathers_values():
    continued = Cell("Address", continued=True)
    entries, _, _ = read(
        [["Address", "91 Example Lane"], [continued, "Oswick"], [continued, "Exbridge"]]
    )
    assert pairs(entries) == [("Address", "91 Example Lane\nOswick\nExbridge", None)]


def test_repeated_label_without_merge_stays_separate():
    entries, _, _ = read([["Name", "Jane Example"], ["Name", "John Example"]])
    assert [e.value for e in entries] == ["Jane Example", "John Example"]


def test_grid_row_options_are_entries_too():
    entries, grids, _ = read(
        [["Enquiry", "Done?", "Date", "Notes"], ["Home visit made", "☒ Yes ☐ No", "3/9/26", ""]]
    )
    assert grids[0].rows == [["Home visit made", "☒ Yes ☐ No", "3/9/26", ""]]
    assert pairs(entries) == [("Home visit made", "Yes", True), ("Home visit made", "No", False)]


def test_empty_rows_beside_ticked_rows_are_unticked_options():
    entries, _, _ = read(
        [
            [Cell("CME criteria (Please indicate)", bold=True)],
            ["All attempts to contact the family have failed", ""],
            ["Family known to have moved away", "✓"],
        ]
    )
    assert pairs(entries) == [
        ("CME criteria (Please indicate)", "All attempts to contact the family have failed", False),
        ("CME criteria (Please indicate)", "Family known to have moved away", True),
    ]


def test_option_per_line_with_mark_only_on_the_ticked_one():
    entries, _, _ = read(
        [["Type of absence", "Authorised\nUnauthorised ✔"], ["Looked after", "Yes No ✔"]]
    )
    assert pairs(entries) == [
        ("Type of absence", "Authorised", False),
        ("Type of absence", "Unauthorised", True),
        ("Looked after", "Yes", False),
        ("Looked after", "No", True),
    ]


def test_question_row_over_tick_rows_is_not_a_section():
    entries, _, section = read(
        [
            [Cell("Type of school", bold=True)],
            ["Maintained", "✓"],
            ["Academy / free school", ""],
            ["Independent", ""],
            ["DfE number", "383/1234"],
            [Cell("Type of absence", bold=True)],
            ["Authorised", ""],
            ["Unauthorised", "X"],
            ["Date authorised absence ended", ""],
        ],
        section="School details",
    )
    assert pairs(entries) == [
        ("Type of school", "Maintained", True),
        ("Type of school", "Academy / free school", False),
        ("Type of school", "Independent", False),
        ("DfE number", "383/1234", None),
        ("Type of absence", "Authorised", False),
        ("Type of absence", "Unauthorised", True),
        ("Date authorised absence ended", "", None),
    ]
    assert section == "School details"


def test_wrapped_option_captions_join():
    text = (
        "☒ The child has left the country\n"
        "☐ Reported or believed to have moved to another\n"
        "local authority but not confirmed on a school roll there\n"
        "☐ Not returned after an\n"
        "Authorised absence"
    )
    assert options_from_text(text) == (
        "",
        (
            ("The child has left the country", True),
            (
                "Reported or believed to have moved to another local authority but not "
                "confirmed on a school roll there",
                False,
            ),
            ("Not returned after an Authorised absence", False),
        ),
    )


def test_labels_without_colons_in_one_cell():
    entries, _, _ = read([["Surname\tExample\tForename\tSam"], ["Date of birth\n01/02/2015"]])
    assert pairs(entries) == [
        ("Surname", "Example", None),
        ("Forename", "Sam", None),
        ("Date of birth", "01/02/2015", None),
    ]


_TEXT = st.lists(
    st.sampled_from(list("abcXYZ 019:/.*?\t\n☐☒✓x") + ["Yes", "No", "Date ", "Name "]),
    max_size=20,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.lists(st.builds(Cell, _TEXT, bold=st.booleans(), continued=st.booleans()), max_size=6),
        max_size=8,
    )
)
def test_any_table_reads_without_error(rows):
    entries, grids, _ = table_to_entries(
        rows, locator="table 1", section=None, known_label=default_known_label
    )
    for entry in entries:
        assert entry.locator.startswith("table 1, row")
    for grid in grids:
        assert all(len(row) >= len(grid.headers) for row in grid.rows)


# -- a label above its value in the same box --------------------------------------------------


def test_row_of_boxes_with_bold_caption_over_the_answer():
    boxes = [
        Cell("School name\nOak Primary", label_line=True),
        Cell("DfE number\n123/4567", label_line=True),
        Cell("Known as", bold=True),
    ]
    entries, grids, _ = read([boxes])
    assert pairs(entries) == [
        ("School name", "Oak Primary", None),
        ("DfE number", "123/4567", None),
        ("Known as", "", None),
    ]
    assert grids == []


def test_boxes_named_by_their_content_control_are_caption_over_answer():
    boxes = [Cell("Job role\nOffice Manager", hint="Job role"), Cell("Date\n03/09/2026")]
    entries, _, _ = read([boxes])
    assert pairs(entries) == [("Job role", "Office Manager", None), ("Date", "03/09/2026", None)]


def test_rows_of_caption_boxes_are_not_a_grid_with_a_header_row():
    rows = [
        [Cell("Surname\nExample", label_line=True), Cell("Forename(s)\nSam", label_line=True)],
        [Cell("Date of birth\n03/09/2015", label_line=True), Cell("Gender\nFemale",
                                                                    label_line=True)],
    ]
    entries, grids, _ = read(rows)
    assert grids == []
    assert [(e.label, e.value) for e in entries] == [
        ("Surname", "Example"), ("Forename(s)", "Sam"), ("Date of birth", "03/09/2015"),
        ("Gender", "Female"),
    ]


def test_known_caption_over_answer_without_formatting_needs_to_lead_the_row():
    entries, _, _ = read([["Surname\nExample", "Gender\nFemale"]])
    assert pairs(entries) == [("Surname", "Example", None), ("Gender", "Female", None)]
    # A value cell whose first line happens to be a label word keeps the label | value pair.
    entries, _, _ = read([[Cell("Parent / carer", bold=True), "Parent name\nSam Example"]])
    assert pairs(entries) == [("Parent / carer", "Parent name\nSam Example", None)]


def test_single_box_with_a_bold_caption_over_free_text():
    box = Cell("What the family have told us\nThey said they were moving to Spain.",
               label_line=True, span=3)
    entries, _, _ = read([[box]])
    assert pairs(entries) == [
        ("What the family have told us", "They said they were moving to Spain.", None)
    ]


def test_printed_note_under_a_caption_is_not_an_answer():
    entries, _, _ = read([[Cell("Address\n(include postcode)", label_line=True), "1 Example Road"]])
    assert pairs(entries) == [("Address (include postcode)", "1 Example Road", None)]


# -- checklists written as paragraphs ---------------------------------------------------------


def read_paragraphs(cells, section=None):
    cells = [c if isinstance(c, Cell) else Cell(c) for c in cells]
    entries, _ = paragraphs_to_entries(
        cells, locators=[f"paragraph {n + 1}" for n in range(len(cells))], section=section,
        known_label=default_known_label,
    )
    return entries


def test_checklist_lines_with_a_date_beside_and_an_outcome_under_each_item():
    entries = read_paragraphs([
        Cell("7. Enquiries made (tick each one done and give the date)", bold=True),
        "[x]  Home visit\tDate: ______ 17th Oct 2026",
        Cell("Outcome: No answer; curtains closed.", indent=True),
        "[ ]  Neighbours asked\tDate: ______",
        "[x]  Flight details requested\tDate: ______ 11th Oct 2026",
        "Outcome: No reply.",
        "Form completed by: Sam Example",
    ])
    question = "Enquiries made (tick each one done and give the date)"
    assert pairs(entries) == [
        (question, "Home visit", True),
        ("Home visit - Date", "17th Oct 2026", None),
        ("Home visit - Outcome", "No answer; curtains closed.", None),
        (question, "Neighbours asked", False),
        ("Neighbours asked - Date", "", None),
        (question, "Flight details requested", True),
        ("Flight details requested - Date", "11th Oct 2026", None),
        ("Flight details requested - Outcome", "No reply.", None),
        ("Form completed by", "Sam Example", None),
    ]


def test_a_line_after_the_last_item_is_not_its_detail_unless_indented_or_seen_before():
    entries = read_paragraphs(["Reasons (tick one):", "[x] Left the UK", "Date: 03/09/2026"])
    assert ("Date", "03/09/2026", None) in pairs(entries)
    assert ("Reasons (tick one)", "Left the UK", True) in pairs(entries)


def test_deleted_option_leaves_the_answer_and_instructions_are_not_values():
    entries = read_paragraphs([
        "Letters or emails from the family held: NO  (delete as appropriate)",
        "Gender: Male / Female  (delete as appropriate)",
    ])
    assert pairs(entries)[0] == ("Letters or emails from the family held", "NO", None)
    assert all("delete" not in e.value for e in entries)


# -- tick columns: unticked rows, and the date and notes beside the ticks ----------------------


def test_single_done_column_rows_are_options_and_a_blank_is_not_done():
    entries, grids, _ = read([
        ["Action", "Done", "Date", "Outcome"],
        ["Home visit", "✓", "3/9/26", "No answer"],
        ["Neighbours spoken to", "", "", ""],
        ["Flights requested", "☐", "", ""],
    ])
    assert pairs(entries) == [
        ("Action", "Home visit", True),
        ("Home visit - Date", "3/9/26", None),
        ("Home visit - Notes", "No answer", None),
        ("Action", "Neighbours spoken to", False),
        ("Action", "Flights requested", False),
    ]
    assert grids[0].headers == ["Action", "Date", "Outcome"]


def test_single_done_column_with_nothing_ticked_stays_unanswered():
    entries, _, _ = read([["Action", "Done"], ["Home visit", ""], ["Neighbours", ""]])
    assert pairs(entries) == [("Home visit", "", None), ("Neighbours", "", None)]


def test_dates_and_comments_beside_yes_no_columns_belong_to_the_row():
    entries, _, _ = read([
        ["Check", "Yes", "No", "Date(s)", "Comments", "By whom"],
        ["Has a home visit been made?", "X", "", "14.9.26", "No answer", "EWO"],
        ["Have neighbours been asked?", "", "X", "", "", ""],
    ])
    assert pairs(entries) == [
        ("Has a home visit been made?", "Yes", True),
        ("Has a home visit been made?", "No", False),
        ("Has a home visit been made? - Date", "14.9.26", None),
        ("Has a home visit been made? - Notes", "No answer", None),
        ("Have neighbours been asked?", "Yes", False),
        ("Have neighbours been asked?", "No", True),
    ]


# -- ticks: written answers, typed X, instruction marks, boxes before their captions ----------


def test_written_yes_no_answers_are_not_a_tick_column():
    entries, _, _ = read([
        ["Looked after child", "N"], ["Known to social services", "Y"],
        ["Subject to a child protection plan", "N"], ["Special educational needs", "EHCP"],
    ])
    assert pairs(entries) == [
        ("Looked after child", "N", None), ("Known to social services", "Y", None),
        ("Subject to a child protection plan", "N", None),
        ("Special educational needs", "EHCP", None),
    ]
    entries, _, _ = read([["Looked after?", "Yes"], ["Child protection plan?", "No"]])
    assert pairs(entries) == [("Looked after?", "Yes", None), ("Child protection plan?", "No", None)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("☐ Yes    X No", ("", (("Yes", False), ("No", True)))),
        ("X Yes    ☐ No", ("", (("Yes", True), ("No", False)))),
        ("☐ None   ☐ SEN Support   X EHCP",
         ("", (("None", False), ("SEN Support", False), ("EHCP", True)))),
        ("☐ Option X ray", ("", (("Option X ray", False),))),
    ],
)
def test_x_typed_over_a_box_before_its_caption(text, expected):
    assert options_from_text(text) == expected


def test_a_tick_inside_an_instruction_is_not_an_option():
    assert options_from_text("REASON FOR REFERRAL (✓ all that apply)") == ("", ())
    assert section_heading("REASON FOR REFERRAL (✓ ALL THAT APPLY)")


def test_box_column_before_the_captions_gives_options():
    entries, grids, _ = read([
        [Cell(""), Cell("Reason", bold=True)],
        ["✓", "Left the country"],
        ["", "Moved away, whereabouts unknown"],
        ["", "Not returned after leave"],
    ])
    assert pairs(entries) == [
        ("Reason", "Left the country", True),
        ("Reason", "Moved away, whereabouts unknown", False),
        ("Reason", "Not returned after leave", False),
    ]
    assert grids == []


def test_box_column_without_a_heading_row_takes_the_section_as_question():
    entries, _, _ = read(
        [["", "Left the country"], ["", "Moved away, whereabouts unknown"], ["X", "20 days absent"]],
        section="Reason for referral (tick all that apply)",
    )
    assert [(e.value, e.checked) for e in entries] == [
        ("Left the country", False), ("Moved away, whereabouts unknown", False),
        ("20 days absent", True),
    ]
    assert {e.label for e in entries} == {"Reason for referral (tick all that apply)"}


# -- free text in a box under a heading ---------------------------------------------------------


def test_free_text_opening_a_table_answers_the_heading_above_it():
    text = "They said they were moving to Spain to live near the grandparents."
    entries, _, _ = table_to_entries(
        _cells([[text]]), locator="table 8", section="What the family have said",
        known_label=default_known_label, caption="What the family have said",
    )
    assert pairs(entries) == [("What the family have said", text, None)]
    # Without a heading right above the table (only a section further up) it stays unlabelled.
    entries, _, _ = read([[text]], section="What the family have said")
    assert pairs(entries) == [("", text, None)]


def test_caption_is_not_given_to_a_short_value_or_a_later_row():
    entries, _, _ = table_to_entries(
        _cells([["Spain"], ["Moved on 3/9/26 to live with the grandparents abroad."]]),
        locator="t", section=None, known_label=default_known_label, caption="Destination",
    )
    assert [e.label for e in entries if e.value.startswith("Moved")] == [""]
    assert all(e.label != "Destination" or e.value != "Spain" for e in entries)


def test_bold_numbered_paragraph_starts_a_section_even_as_a_question():
    entries = read_paragraphs([
        Cell("5. Reason for referral (tick one or more)", bold=True),
        "[x] Left the UK",
        Cell("6. What has the family told you? (destination, new school)", bold=True),
        "They said they were going to Spain.",
        Cell("7. Enquiries made by the school (tick each one done and give the date)", bold=True),
        "[x]  Home visit\tDate: 3/9/26",
    ])
    assert [(e.label, e.section) for e in entries] == [
        ("Reason for referral (tick one or more)", "5. Reason for referral (tick one or more)"),
        ("What has the family told you? (destination, new school)",
         "6. What has the family told you? (destination, new school)"),
        ("Enquiries made by the school (tick each one done and give the date)",
         "7. Enquiries made by the school (tick each one done and give the date)"),
        ("Home visit - Date",
         "7. Enquiries made by the school (tick each one done and give the date)"),
    ]


def test_answer_under_a_long_request_keeps_its_own_colon():
    entries = read_paragraphs([
        "Please record any safeguarding concerns, including whether the family is known:",
        "Previous Early Help involvement for neglect: poor hygiene, missed appointments.",
        "Form completed by: Sam Example",
    ])
    assert pairs(entries) == [
        ("Please record any safeguarding concerns, including whether the family is known",
         "Previous Early Help involvement for neglect: poor hygiene, missed appointments.",
         None),
        ("Form completed by", "Sam Example", None),
    ]


def test_a_sentence_before_a_colon_is_not_a_label():
    assert label_value_lines("Press F11 to move between fields. Tick boxes: click once.") == []
    assert label_value_lines("No. of days absent: 5") == [("No. of days absent", "5")]


def test_ticks_only_list_the_lines_without_a_tick_are_not_chosen():
    entries = read_paragraphs([
        Cell("5. Reason for referral (tick one or more)", bold=True),
        "Left the UK / believed to have gone abroad",
        "✓  Moved house, new whereabouts not known",
        "Unauthorised absence for 20 school days in a row",
        Cell("6. Enquiries (tick each one done)", bold=True),
        "✓  Home visit\tDate: 3/9/26",
        Cell("Outcome: No answer.", indent=True),
        "New address requested\tDate: ______",
        "✓  Checked for a new school\tDate: 4/9/26",
        "Form completed by: Sam Example",
        "Signature",
    ])
    options = [(e.value, e.checked) for e in entries if e.checked is not None]
    assert options == [
        ("Left the UK / believed to have gone abroad", False),
        ("Moved house, new whereabouts not known", True),
        ("Unauthorised absence for 20 school days in a row", False),
        ("Home visit", True),
        ("New address requested", False),
        ("Checked for a new school", True),
    ]


def test_a_list_with_empty_boxes_keeps_its_plain_lines_plain():
    entries = read_paragraphs(["[x] Home visit", "[ ] Neighbours", "Further notes"])
    assert [(e.value, e.checked) for e in entries if e.checked is not None] == [
        ("Home visit", True), ("Neighbours", False)
    ]
    assert ("", "Further notes", None) in pairs(entries)
