"""DOCX reader: Word form features python-docx loses, layouts, and hostile files."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from parsers.docx.reader import DocxLimits, read_docx
from parsers.errors import UnreadableDocument

NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml"'
)


def docx_bytes(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def with_xml(*snippets: str, doc=None) -> bytes:
    """A python-docx document with raw WordprocessingML body snippets appended."""
    doc = doc or Document()
    body = doc.element.body
    sect = body[-1]
    for snippet in snippets:
        wrapper = etree.fromstring(f"<w:body {NS}>{snippet}</w:body>")
        for child in list(wrapper):
            sect.addprevious(child)
    return docx_bytes(doc)


def found(form, label=None, value=None):
    return [
        (e.label, e.value, e.checked)
        for e in form.entries
        if (label is None or e.label == label) and (value is None or e.value == value)
    ]


def table_xml(*rows: str) -> str:
    return f"<w:tbl><w:tblGrid/>{''.join(rows)}</w:tbl>"


def tc(inner: str, props: str = "") -> str:
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{inner}</w:tc>"


def p(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


# -- content controls -----------------------------------------------------------------------


def sdt_run(text: str, *, tag="PupilSurname", placeholder=False) -> str:
    plc = "<w:showingPlcHdr/>" if placeholder else ""
    return (
        f'<w:sdt><w:sdtPr><w:alias w:val="{tag}"/><w:tag w:val="{tag}"/>{plc}</w:sdtPr>'
        f"<w:sdtContent><w:r><w:t>{text}</w:t></w:r></w:sdtContent></w:sdt>"
    )


def checkbox(checked: str | None, caption: str) -> str:
    state = "" if checked is None else f' w14:val="{checked}"'
    return (
        "<w:sdt><w:sdtPr><w14:checkbox>"
        f"<w14:checked{state}/></w14:checkbox></w:sdtPr>"
        "<w:sdtContent><w:r><w:t>☐</w:t></w:r></w:sdtContent></w:sdt>"
        f'<w:r><w:t xml:space="preserve"> {caption} </w:t></w:r>'
    )


def test_content_controls_text_placeholder_hint_in_cells():
    data = with_xml(
        table_xml(
            f"<w:tr>{tc(p('Surname'))}{tc('<w:p>' + sdt_run('Example') + '</w:p>')}</w:tr>",
            "<w:tr>"
            + tc(p("Forename(s)"))
            + tc("<w:p>" + sdt_run("Click or tap here to enter text.", placeholder=True) + "</w:p>")
            + "</w:tr>",
            "<w:tr>"
            + tc(p("Year group"))
            + tc("<w:p>" + sdt_run("Click or tap here to enter text.", tag="Year") + "</w:p>")
            + "</w:tr>",
        )
    )
    form = read_docx(data)
    assert found(form, "Surname") == [("Surname", "Example", None)]
    assert found(form, "Forename(s)") == [("Forename(s)", "", None)]
    assert found(form, "Year group") == [("Year group", "", None)]
    assert form.extraction == "docx_form_fields"
    assert "Click or tap" not in form.text


def test_content_control_hint_names_unlabelled_value():
    form = read_docx(with_xml("<w:p>" + sdt_run("Example", tag="Pupil surname") + "</w:p>"))
    assert found(form) == [("Pupil surname", "Example", None)]


@pytest.mark.parametrize(
    ("state", "expected"), [("1", True), ("true", True), (None, True), ("0", False)]
)
def test_checkbox_content_controls(state, expected):
    para = "<w:p>" + '<w:r><w:t xml:space="preserve">Left the country? </w:t></w:r>'
    para += checkbox(state, "Yes") + checkbox("0" if expected else "1", "No") + "</w:p>"
    form = read_docx(with_xml(para))
    assert found(form) == [
        ("Left the country?", "Yes", expected),
        ("Left the country?", "No", not expected),
    ]


def test_date_content_control_uses_full_date():
    date_sdt = (
        '<w:sdt><w:sdtPr><w:alias w:val="Date of birth"/>'
        '<w:date w:fullDate="2015-02-01T00:00:00Z"><w:dateFormat w:val="d MMMM yyyy"/></w:date>'
        "</w:sdtPr><w:sdtContent><w:r><w:t>1 February 2015</w:t></w:r></w:sdtContent></w:sdt>"
    )
    row = f"<w:tr>{tc(p('Date of birth'))}{tc('<w:p>' + date_sdt + '</w:p>')}</w:tr>"
    form = read_docx(with_xml(table_xml(row)))
    assert found(form, "Date of birth") == [("Date of birth", "2015-02-01", None)]


def test_block_and_row_level_content_controls():
    row = f"<w:tr>{tc(p('School name'))}{tc(p('Oak Primary'))}</w:tr>"
    wrapped_row = (
        '<w:sdt><w:sdtPr><w:tag w:val="row"/></w:sdtPr><w:sdtContent>'
        f"<w:tr>{tc(p('DfE number'))}{tc(p('123/4567'))}</w:tr></w:sdtContent></w:sdt>"
    )
    wrapped_cell = (
        f"<w:tr>{tc(p('URN'))}"
        '<w:sdt><w:sdtPr><w:alias w:val="URN value"/></w:sdtPr><w:sdtContent>'
        f"{tc(p('100001'))}</w:sdtContent></w:sdt></w:tr>"
    )
    block = (
        '<w:sdt><w:sdtPr><w:tag w:val="intro"/></w:sdtPr><w:sdtContent>'
        f"{p('Contact email: office@example.org')}</w:sdtContent></w:sdt>"
    )
    form = read_docx(with_xml(block, table_xml(row, wrapped_row, wrapped_cell)))
    assert found(form, "Contact email") == [("Contact email", "office@example.org", None)]
    assert found(form, "DfE number") == [("DfE number", "123/4567", None)]
    assert found(form, "URN") == [("URN", "100001", None)]


# -- legacy form fields ---------------------------------------------------------------------


def legacy(ff: str, result: str = "") -> str:
    runs = (
        f'<w:r><w:fldChar w:fldCharType="begin"><w:ffData>{ff}</w:ffData></w:fldChar></w:r>'
        '<w:r><w:instrText xml:space="preserve"> FORMFIELD </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
    )
    if result:
        runs += f"<w:r><w:t>{result}</w:t></w:r>"
    return runs + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'


def test_legacy_text_checkbox_dropdown():
    text_ff = '<w:name w:val="Surname"/><w:textInput/>'
    box_on = '<w:name w:val="Check1"/><w:checkBox><w:size w:val="20"/><w:checked/></w:checkBox>'
    box_off = '<w:name w:val="Check2"/><w:checkBox><w:default w:val="0"/><w:checked w:val="0"/></w:checkBox>'
    box_default = '<w:name w:val="Check3"/><w:checkBox><w:default w:val="1"/></w:checkBox>'
    drop = (
        '<w:name w:val="Gender"/><w:ddList><w:result w:val="1"/>'
        '<w:listEntry w:val="Male"/><w:listEntry w:val="Female"/></w:ddList>'
    )
    row1 = f"<w:tr>{tc(p('Surname'))}{tc('<w:p>' + legacy(text_ff, 'Example') + '</w:p>')}</w:tr>"
    row2 = f"<w:tr>{tc(p('Gender'))}{tc('<w:p>' + legacy(drop, 'Male') + '</w:p>')}</w:tr>"
    boxes = (
        '<w:p><w:r><w:t xml:space="preserve">Home visit made? </w:t></w:r>'
        + legacy(box_on)
        + '<w:r><w:t xml:space="preserve"> Yes </w:t></w:r>'
        + legacy(box_off)
        + '<w:r><w:t xml:space="preserve"> No</w:t></w:r></w:p>'
        + "<w:p>"
        + legacy(box_default)
        + "<w:r><w:t> Traveller</w:t></w:r></w:p>"
    )
    form = read_docx(with_xml(table_xml(row1, row2), boxes))
    assert found(form, "Surname") == [("Surname", "Example", None)]
    assert found(form, "Gender") == [("Gender", "Female", None)]
    assert found(form, "Home visit made?") == [
        ("Home visit made?", "Yes", True),
        ("Home visit made?", "No", False),
    ]
    assert found(form, value="Traveller") == [("", "Traveller", True)]
    assert form.extraction == "docx_form_fields"
    assert "FORMFIELD" not in form.text


# -- delete as appropriate ------------------------------------------------------------------


def choice_paragraph(doc, question, *, strike=None, highlight=None):
    para = doc.add_paragraph(question + " ")
    for index, word in enumerate(("YES", "NO")):
        if index:
            para.add_run(" / ")
        run = para.add_run(word)
        if strike == word:
            run.font.strike = True
        if highlight == word:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def test_delete_as_appropriate():
    doc = Document()
    choice_paragraph(doc, "Child in care?", strike="YES")
    choice_paragraph(doc, "Traveller family?", highlight="YES")
    choice_paragraph(doc, "Known to social care?")
    form = read_docx(docx_bytes(doc))
    assert found(form, "Child in care?") == [
        ("Child in care?", "YES", False),
        ("Child in care?", "NO", True),
    ]
    assert found(form, "Traveller family?") == [
        ("Traveller family?", "YES", True),
        ("Traveller family?", "NO", False),
    ]
    assert found(form, "Known to social care?") == [
        ("Known to social care?", "YES", None),
        ("Known to social care?", "NO", None),
    ]


def test_struck_choice_in_table_cell():
    doc = Document()
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Subject to a child protection plan"
    para = table.cell(0, 1).paragraphs[0]
    para.add_run("YES")
    para.add_run(" / ")
    para.add_run("NO").font.strike = True
    form = read_docx(docx_bytes(doc))
    assert found(form) == [
        ("Subject to a child protection plan", "YES", True),
        ("Subject to a child protection plan", "NO", False),
    ]


# -- text boxes, tracked changes, symbols ---------------------------------------------------


def test_text_box_read_once():
    box = (
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:anchor>'
        "<a:graphic><a:graphicData><wps:wsp><wps:txbx><w:txbxContent>"
        f"{p('Reference number: CME-0001')}"
        "</w:txbxContent></wps:txbx></wps:wsp></a:graphicData></a:graphic>"
        "</wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"
        f"<w:txbxContent>{p('Reference number: CME-0001')}</w:txbxContent>"
        "</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>"
    )
    form = read_docx(with_xml(box))
    assert found(form) == [("Reference number", "CME-0001", None)]
    assert form.text.count("CME-0001") == 1


def test_tracked_changes_accepted_view():
    para = (
        '<w:p><w:r><w:t xml:space="preserve">Surname: </w:t></w:r>'
        '<w:del w:id="1" w:author="A"><w:r><w:delText>Exampel</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="A"><w:r><w:t>Example</w:t></w:r></w:ins></w:p>'
    )
    form = read_docx(with_xml(para))
    assert found(form) == [("Surname", "Example", None)]
    assert "document has tracked changes" in form.notes
    assert "Exampel" not in form.text


def test_wingdings_symbols_as_ticks():
    para = (
        '<w:p><w:r><w:t xml:space="preserve">Looked after? </w:t></w:r>'
        '<w:r><w:sym w:font="Wingdings" w:char="F0FE"/></w:r>'
        '<w:r><w:t xml:space="preserve"> Yes </w:t></w:r>'
        '<w:r><w:rPr><w:rFonts w:ascii="Wingdings 2" w:hAnsi="Wingdings 2"/></w:rPr>'
        "<w:t>\u00a3</w:t></w:r>"
        '<w:r><w:t xml:space="preserve"> No</w:t></w:r></w:p>'
    )
    form = read_docx(with_xml(para))
    assert found(form) == [("Looked after?", "Yes", True), ("Looked after?", "No", False)]


# -- tables ---------------------------------------------------------------------------------


def test_two_and_four_column_tables_and_grid():
    doc = Document()
    doc.add_paragraph("PART 1")
    two = doc.add_table(rows=2, cols=2)
    for r, (label, value) in enumerate([("School name", "Oak Primary"), ("Contact", "A Teacher")]):
        two.cell(r, 0).text, two.cell(r, 1).text = label, value
    four = doc.add_table(rows=1, cols=4)
    for c, text in enumerate(["Surname*", "Example", "DOB", "01/02/2015"]):
        four.cell(0, c).text = text
    grid = doc.add_table(rows=3, cols=4)
    rows = [
        ["Date", "Action", "Person contacted", "Outcome"],
        ["03/09/2026", "Home visit", "Neighbour", "No answer"],
        ["04/09/2026", "Phone call", "Mother", "Number unobtainable"],
    ]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            grid.cell(r, c).text = text
    form = read_docx(docx_bytes(doc))
    assert found(form, "School name") == [("School name", "Oak Primary", None)]
    assert found(form, "Surname") == [("Surname", "Example", None)]
    assert found(form, "DOB")[0][1] == "01/02/2015"
    assert form.entries[0].section == "PART 1"
    assert form.grids[0].headers == rows[0]
    assert form.grids[0].rows == rows[1:]
    assert form.grids[0].locator == "table 3, rows 1-3"
    assert "Surname* | Example | DOB | 01/02/2015" in form.text


def test_yes_no_column_table():
    doc = Document()
    table = doc.add_table(rows=3, cols=3)
    rows = [["Enquiry", "Yes", "No"], ["Home visit", "☒", "☐"], ["Neighbours", "☐", "☒"]]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    form = read_docx(docx_bytes(doc))
    assert found(form) == [
        ("Home visit", "Yes", True),
        ("Home visit", "No", False),
        ("Neighbours", "Yes", False),
        ("Neighbours", "No", True),
    ]


def test_merged_cells():
    doc = Document()
    table = doc.add_table(rows=3, cols=3)
    heading = table.cell(0, 0).merge(table.cell(0, 2))
    heading.text = "CHILD'S DETAILS"
    table.cell(1, 0).text = "Parent/carer"
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(1, 1).text = "Name"
    table.cell(1, 2).text = "Jane Example"
    table.cell(2, 1).text = "Phone"
    table.cell(2, 2).text = "07700 900123"
    form = read_docx(docx_bytes(doc))
    assert form.entries[0].section == "CHILD'S DETAILS"
    assert found(form) == [
        ("Parent/carer Name", "Jane Example", None),
        ("Parent/carer Phone", "07700 900123", None),
    ]
    assert "CHILD'S DETAILS" in form.text.splitlines()[0]


def test_nested_table():
    doc = Document()
    outer = doc.add_table(rows=2, cols=1)
    outer.cell(0, 0).text = "SIBLINGS"
    inner = outer.cell(1, 0).add_table(rows=2, cols=3)
    for c, text in enumerate(["Name", "DOB", "School"]):
        inner.cell(0, c).text = text
    for c, text in enumerate(["Kim Example", "02/03/2017", "Oak Primary"]):
        inner.cell(1, c).text = text
    form = read_docx(docx_bytes(doc))
    assert form.grids[0].rows == [["Kim Example", "02/03/2017", "Oak Primary"]]
    assert form.grids[0].section == "SIBLINGS"
    assert form.grids[0].locator.startswith("table 2")


def test_paragraph_labels_and_headings():
    doc = Document()
    doc.add_heading("Part 2 – to be completed by the DSL", level=1)
    doc.add_paragraph("DSL name: Pat Example\tDate: 05/09/2026")
    doc.add_paragraph("Safeguarding concerns:")
    doc.add_paragraph("None known to the school.")
    form = read_docx(docx_bytes(doc))
    assert found(form) == [
        ("DSL name", "Pat Example", None),
        ("Date", "05/09/2026", None),
        ("Safeguarding concerns", "None known to the school.", None),
    ]
    assert {e.section for e in form.entries} == {"Part 2 – to be completed by the DSL"}
    assert form.extraction == "docx"


def test_docm_is_read():
    data = docx_bytes(_simple_doc())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "[Content_Types].xml":
                body = body.replace(
                    b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
                )
            dst.writestr(item, body)
        dst.writestr("word/vbaProject.bin", b"\x00" * 64)
    form = read_docx(out.getvalue())
    assert found(form) == [("Surname", "Example", None)]
    assert "document contains macros (not run)" in form.notes


def _simple_doc():
    doc = Document()
    doc.add_paragraph("Surname: Example")
    return doc


# -- hostile and broken files ---------------------------------------------------------------


def _fast_failure(data: bytes, fragment: str, **kwargs) -> None:
    start = time.process_time()  # CPU time: other processes on the machine do not count
    with pytest.raises(UnreadableDocument) as caught:
        read_docx(data, **kwargs)
    assert fragment in caught.value.reason
    assert time.process_time() - start < 2.0


def test_not_a_zip():
    _fast_failure(b"Dear school, please find attached", "not a Word .docx document")


def test_truncated():
    data = docx_bytes(_simple_doc())
    _fast_failure(data[: len(data) // 2], "damaged")


def test_missing_document_part():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    _fast_failure(out.getvalue(), "no Word document body")


def test_encrypted():
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(docx_bytes(_simple_doc()))).encrypt("secret", out)
    assert msoffcrypto.OfficeFile(io.BytesIO(out.getvalue())).is_encrypted()
    _fast_failure(out.getvalue(), "password-protected")


def test_zip_bomb_ratio():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b" " * (20 * 1024 * 1024))
    _fast_failure(out.getvalue(), "zip bomb")


def test_zip_bomb_total_size():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("word/document.xml", b"<a/>" * 1000)
    limits = DocxLimits(max_total_uncompressed=1000)
    _fast_failure(out.getvalue(), "more data than", limits=limits)


def test_billion_laughs():
    lol = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
        + f"]><w:document {NS}><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    ).replace("&lol0;", "&lol;")
    _fast_failure(_package(lol.encode()), "DTD")


def test_ten_thousand_nested_tables_fail_fast():
    depth = 10_000
    body = "<w:tbl><w:tr><w:tc>" * depth + "<w:p/>" + "</w:tc></w:tr></w:tbl>" * depth
    xml = f"<w:document {NS}><w:body>{body}</w:body></w:document>"
    _fast_failure(_package(xml.encode()), "nested too deeply")


def test_deep_but_parseable_nesting_is_cut_with_a_note():
    depth = 60
    body = "<w:tbl><w:tr><w:tc>" * depth + p("Deep remark") + "</w:tc></w:tr></w:tbl>" * depth
    xml = f"<w:document {NS}><w:body>{body}</w:body></w:document>"
    form = read_docx(_package(xml.encode()), limits=DocxLimits(max_table_depth=40))
    assert any("nested more than 40" in note for note in form.notes)


def _package(document_xml: bytes, method: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document_xml)
    return out.getvalue()


def _row(*cells) -> str:
    """A table row; a (text, span) cell spans grid columns, a ("**", text, span) one is bold."""
    out = ""
    for cell in cells:
        if isinstance(cell, tuple) and cell[0] == "**":
            run = f"<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>{cell[1]}</w:t></w:r></w:p>"
            out += tc(run, f'<w:gridSpan w:val="{cell[2]}"/>')
        elif isinstance(cell, tuple):
            out += tc(p(cell[0]), f'<w:gridSpan w:val="{cell[1]}"/>')
        else:
            out += tc(p(cell))
    return f"<w:tr>{out}</w:tr>"


def test_one_big_table_form_in_capitals():
    """The Birmingham layout: one table, capital headings in merged rows, * marks."""
    rows = [
        _row(("**", "CHILD'S DETAILS", 4)),
        _row("SURNAME*", "EXAMPLE", "FIRST NAME*", "SAM"),
        _row("GENDER*", "M", "DOB*", "01.02.15"),
        _row("YEAR GROUP", "Y6", "UPN*:", ""),
        _row("CURRENT ADDRESS* (include post code)", ("1 Example Road, Birmingham B1 1AA", 3)),
        _row("PARENT'S NAME/PHONE NO*", ("Jane Example 07700 900123", 3)),
        _row(
            ("PUPIL STATUS* (Please tick/delete as appropriate)", 2),
            ("☐ Looked After Child ☒ Special Education Needs ☐ Traveller", 2),
        ),
        _row(("Does the child have a history of non-attendance?", 3), "YES / NO"),
        _row(("**", "ACTIONS TAKEN PRIOR TO REFERRAL / OUTCOME OF HOME VISITS", 5)),
        _row("DATE", "AM", "PM", "ADDRESS VISITED", "WHO DID YOU SPEAK TO?"),
        _row("04/09/2026", "X", "", "1 Example Road", "Neighbour at no. 3"),
        _row("07/09/2026", "", "X", "1 Example Road", "Nobody"),
        _row(("**", "YOUR CONTACT DETAILS", 4)),
        _row("NAME", "A Teacher", "JOB TITLE", "Attendance Lead"),
        _row("EMAIL", "a.teacher@oak.example.org", "DATE", "08/09/2026"),
        _row(("**", "SAFEGUARDING RISK APPRAISAL (TO BE COMPLETED BY DSL)", 4)),
        _row("Risk Assessment*", ("Low", 3)),
        _row(("**", "OUTLINE CURRENT CIRCUMSTANCES", 4)),
        _row(("Family said to have moved to a neighbouring authority; no school place yet.", 4)),
    ]
    form = read_docx(with_xml(table_xml(*rows)))
    by_label = {e.label: e for e in form.entries if e.checked is None}
    assert by_label["SURNAME"].value == "EXAMPLE"
    assert by_label["DOB"].value == "01.02.15"
    assert by_label["UPN"].value == ""
    assert by_label["CURRENT ADDRESS (include post code)"].value.endswith("B1 1AA")
    assert by_label["PARENT'S NAME/PHONE NO"].value == "Jane Example 07700 900123"
    assert by_label["SURNAME"].section == "CHILD'S DETAILS"
    assert found(form, value="Special Education Needs")[0][2] is True
    assert found(form, "Does the child have a history of non-attendance?") == [
        ("Does the child have a history of non-attendance?", "YES", None),
        ("Does the child have a history of non-attendance?", "NO", None),
    ]
    grid = form.grids[0]
    assert grid.headers == ["DATE", "AM", "PM", "ADDRESS VISITED", "WHO DID YOU SPEAK TO?"]
    assert grid.rows[1] == ["07/09/2026", "", "X", "1 Example Road", "Nobody"]
    assert by_label["NAME"].section == "YOUR CONTACT DETAILS"
    assert by_label["Risk Assessment"].section.startswith("SAFEGUARDING RISK APPRAISAL")
    assert by_label["OUTLINE CURRENT CIRCUMSTANCES"].value.startswith("Family said")


def test_options_one_per_line_some_struck():
    doc = Document()
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "REASON FOR REFERRAL*"
    cell = table.cell(0, 1)
    cell.paragraphs[0].add_run("LEFT THE COUNTRY")
    cell.add_paragraph().add_run("MOVED AWAY – WHEREABOUTS UNKNOWN").font.strike = True
    cell.add_paragraph().add_run("20 DAYS CONTINUOUS UNAUTHORISED ABSENCE").font.strike = True
    doc.add_paragraph("Grounds (delete as appropriate):")
    doc.add_paragraph().add_run("Left the country").font.strike = True
    doc.add_paragraph("Moved away, whereabouts unknown")
    form = read_docx(docx_bytes(doc))
    assert found(form) == [
        ("REASON FOR REFERRAL", "LEFT THE COUNTRY", True),
        ("REASON FOR REFERRAL", "MOVED AWAY – WHEREABOUTS UNKNOWN", False),
        ("REASON FOR REFERRAL", "20 DAYS CONTINUOUS UNAUTHORISED ABSENCE", False),
        ("Grounds (delete as appropriate)", "Left the country", False),
        ("Grounds (delete as appropriate)", "Moved away, whereabouts unknown", True),
    ]


def test_dropdown_content_control_and_hidden_text():
    drop = (
        '<w:sdt><w:sdtPr><w:alias w:val="Gender"/><w:dropDownList>'
        '<w:listItem w:displayText="Female" w:value="F"/><w:listItem w:displayText="Male" w:value="M"/>'
        "</w:dropDownList></w:sdtPr><w:sdtContent><w:r><w:t>Male</w:t></w:r></w:sdtContent></w:sdt>"
    )
    hidden = '<w:r><w:rPr><w:vanish/></w:rPr><w:t xml:space="preserve"> (hidden note)</w:t></w:r>'
    row = f"<w:tr>{tc(p('Gender'))}{tc('<w:p>' + drop + hidden + '</w:p>')}</w:tr>"
    form = read_docx(with_xml(table_xml(row)))
    assert found(form) == [("Gender", "Male", None)]
    assert "hidden note" not in form.text


def test_deleted_rows_and_moved_text_are_not_read():
    rows = (
        f"<w:tr>{tc(p('Surname'))}{tc(p('Example'))}</w:tr>"
        f'<w:tr><w:trPr><w:del w:id="3" w:author="A"/></w:trPr>{tc(p("Old row"))}{tc(p("gone"))}</w:tr>'
    )
    moved = (
        '<w:p><w:moveFrom w:id="4" w:author="A"><w:r><w:t>Moved away text</w:t></w:r></w:moveFrom>'
        '<w:moveTo w:id="5" w:author="A"><w:r><w:t>Note: moved here</w:t></w:r></w:moveTo></w:p>'
    )
    form = read_docx(with_xml(table_xml(rows), moved))
    assert found(form) == [("Surname", "Example", None), ("Note", "moved here", None)]
    assert "Old row" not in form.text and "Moved away text" not in form.text
    assert "document has tracked changes" in form.notes


def test_known_label_from_the_caller_is_used():
    doc = Document()
    table = doc.add_table(rows=1, cols=3)
    for c, text in enumerate(["Legal surname", "Example", "Remark"]):
        table.cell(0, c).text = text
    plain = read_docx(docx_bytes(doc), known_label=lambda label: False)
    told = read_docx(docx_bytes(doc), known_label=lambda label: label == "Legal surname")
    assert ("Legal surname", "Example", None) not in found(plain)
    assert ("Legal surname", "Example", None) in found(told)


def test_part_larger_than_the_cap_is_refused():
    data = docx_bytes(_simple_doc())
    _fast_failure(data, "too large", limits=DocxLimits(max_part_bytes=200))


def test_dsl_heading_in_brackets_sets_the_section():
    doc = Document()
    doc.add_paragraph("(TO BE COMPLETED BY DSL)")
    doc.add_paragraph("Name: Pat Example")
    form = read_docx(docx_bytes(doc))
    assert form.entries[0].section == "(TO BE COMPLETED BY DSL)"


def test_old_word_document_and_empty_zip_reasons():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    with pytest.raises(UnreadableDocument) as caught:
        read_docx(ole)
    assert "Word document" in caught.value.reason or "damaged" in caught.value.reason
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    _fast_failure(out.getvalue(), "Excel or PowerPoint")


def test_tightly_compressed_image_is_not_a_bomb():
    data = docx_bytes(_simple_doc())
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                dst.writestr(item, src.read(item))
            dst.writestr("word/media/blank.bmp", b"\xff" * (4 * 1024 * 1024))
    assert found(read_docx(out.getvalue())) == [("Surname", "Example", None)]


_SAMPLE = None


def _sample() -> bytes:
    global _SAMPLE
    if _SAMPLE is None:
        doc = Document()
        doc.add_paragraph("Surname: Example")
        table = doc.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Date", "☒ Yes ☐ No"
        _SAMPLE = docx_bytes(doc)
    return _SAMPLE


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_bytes_raise_only_unreadable_document(flips):
    data = bytearray(_sample())
    for position, value in flips:
        data[position % len(data)] = value
    try:
        read_docx(bytes(data))
    except UnreadableDocument as error:
        assert error.reason


def test_cells_with_a_bold_caption_paragraph_over_the_answer():
    """Boxes with the label on top and a content control under it, three to a row."""

    def box(caption: str, answer: str | None) -> str:
        head = f"<w:p><w:r><w:rPr><w:b/></w:rPr><w:t>{caption}</w:t></w:r></w:p>"
        if answer is None:
            return tc(head)
        return tc(head + "<w:p>" + sdt_run(answer, tag=caption) + "</w:p>")

    row = f"<w:tr>{box('School name', 'Oak Primary')}{box('DfE number', '123/4567')}" \
          f"{box('Known as', None)}</w:tr>"
    form = read_docx(with_xml(table_xml(row, row.replace("Oak Primary", "Elm Academy"))))
    assert found(form)[:3] == [
        ("School name", "Oak Primary", None),
        ("DfE number", "123/4567", None),
        ("Known as", "", None),
    ]
    assert form.grids == []


def test_checklist_paragraph_with_an_indented_detail_line():
    item = '<w:p><w:r><w:t xml:space="preserve">[x]  Home visit</w:t></w:r><w:r><w:tab/>' \
           '<w:t xml:space="preserve">Date: ______ 3rd Sept 2026</w:t></w:r></w:p>'
    detail = '<w:p><w:pPr><w:ind w:left="720"/></w:pPr><w:r><w:t>Result: No answer</w:t>' \
             '</w:r></w:p>'
    tabbed = '<w:p><w:r><w:tab/><w:t>Comment: Neighbour spoke to us</w:t></w:r></w:p>'
    form = read_docx(with_xml(p("Enquiries made:"), item, detail, tabbed))
    assert found(form) == [
        ("Enquiries made", "Home visit", True),
        ("Home visit - Date", "3rd Sept 2026", None),
        ("Home visit - Result", "No answer", None),
        ("Home visit - Comment", "Neighbour spoke to us", None),
    ]


def test_heading_right_above_a_box_of_free_text_labels_it():
    doc = Document()
    doc.add_heading("What the family have said", level=2)
    table = doc.add_table(rows=1, cols=1)
    table.cell(0, 0).text = "They said they were moving to Spain to live near the grandparents."
    doc.add_heading("Notes", level=2)
    doc.add_paragraph("Printed guidance for the school.")
    later = doc.add_table(rows=1, cols=1)
    later.cell(0, 0).text = "A second box of free text, not under a heading of its own."
    form = read_docx(docx_bytes(doc))
    assert found(form, value=table.cell(0, 0).text) == [
        ("What the family have said", table.cell(0, 0).text, None)
    ]
    assert found(form, value=later.cell(0, 0).text)[0][0] != "Notes"
