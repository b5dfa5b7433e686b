"""The PDF reader on PDFs made here with reportlab (and pypdf for encryption and scripts).

Every person, school and address below is invented.
"""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, RectangleObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from parsers.entries import Entry, ExtractedForm
from parsers.errors import UnreadableDocument
from parsers.pdf.reader import PASSWORD_PROTECTED, read_pdf
from tests.services.base import require_binary

WIDTH, HEIGHT = A4
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
HAS_DEJAVU = os.path.exists(DEJAVU)
if HAS_DEJAVU:
    pdfmetrics.registerFont(TTFont("DejaVu", DEJAVU))

KNOWN = {
    "surname", "forename(s)", "date of birth", "address", "upn", "gender", "school name",
    "date last attended", "information provided by the family", "dsl name", "role", "date",
}


def known_label(text: str) -> bool:
    return text.strip().lower() in KNOWN


class Form:
    """A reportlab canvas with the drawing moves a CME form needs, top to bottom."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.canvas = canvas.Canvas(self.buffer, pagesize=A4)
        self.y = HEIGHT - 60

    def text(self, x: float, text: str, *, font: str = "Helvetica", size: float = 10) -> float:
        self.canvas.setFont(font, size)
        self.canvas.drawString(x, self.y, text)
        return x + pdfmetrics.stringWidth(text, font, size)

    def line(self, text: str, *, font: str = "Helvetica", size: float = 10, x: float = 50,
             step: float = 16) -> None:
        self.text(x, text, font=font, size=size)
        self.y -= step

    def heading(self, text: str) -> None:
        self.y -= 6
        self.line(text, font="Helvetica-Bold", size=13, step=22)

    def columns(self, *pieces: tuple[float, str]) -> None:
        for x, text in pieces:
            self.text(x, text)
        self.y -= 16

    def table(self, rows: list[list[str]], widths: list[float], *, rects: bool = False,
              bold_header: bool = False, x: float = 50) -> None:
        """A ruled table; ``rects`` draws the rules as thin filled rectangles, as Word does."""
        row_height = 18
        top = self.y + 12
        edges = [x]
        for width in widths:
            edges.append(edges[-1] + width)
        for number, row in enumerate(rows):
            base = top - (number + 1) * row_height + 5
            for col, cell in enumerate(row):
                font = "Helvetica-Bold" if bold_header and number == 0 else "Helvetica"
                self.canvas.setFont(font, 10)
                self.canvas.drawString(edges[col] + 4, base, cell)
        bottom = top - len(rows) * row_height
        ys = [top - n * row_height for n in range(len(rows) + 1)]
        for y in ys:
            self._rule(edges[0], y, edges[-1], y, rects)
        for edge in edges:
            self._rule(edge, top, edge, bottom, rects)
        self.y = bottom - 20

    def wrapped_table(self, rows: list[list[str]], widths: list[float], *,
                      x: float = 50) -> None:
        """A ruled table whose cell text wraps to the cell width as a word processor does:
        at spaces, a word too long for the cell broken at the edge, "\n" a hard break."""
        edges = [x]
        for width in widths:
            edges.append(edges[-1] + width)
        top = self.y + 12
        for row in rows:
            cells = [wrap(text, width - 8) for text, width in zip(row, widths, strict=True)]
            height = 12 * max(len(lines) for lines in cells) + 6
            for col, lines in enumerate(cells):
                for number, line in enumerate(lines):
                    font = "DejaVu" if HAS_DEJAVU and any(ch in line for ch in "☒☐") else (
                        "Helvetica")
                    self.canvas.setFont(font, 10)
                    self.canvas.drawString(edges[col] + 4, top - 13 - 12 * number, line)
            self._rule(edges[0], top, edges[-1], top, False)
            for edge in edges:
                self._rule(edge, top, edge, top - height, False)
            top -= height
        self._rule(edges[0], top, edges[-1], top, False)
        self.y = top - 20

    def _rule(self, x0: float, y0: float, x1: float, y1: float, rects: bool) -> None:
        if not rects:
            self.canvas.line(x0, y0, x1, y1)
        elif y0 == y1:
            self.canvas.rect(x0, y0 - 0.25, x1 - x0, 0.5, stroke=0, fill=1)
        else:
            self.canvas.rect(x0 - 0.25, y1, 0.5, y0 - y1, stroke=0, fill=1)

    def box(self, x: float, *, ticked: bool) -> float:
        """A drawn square tick box, with an X typed in it when ticked."""
        self.canvas.rect(x, self.y - 2, 10, 10, stroke=1, fill=0)
        if ticked:
            self.text(x + 2, "X", size=9)
        return x + 14

    def strike(self, x0: float, x1: float) -> None:
        self.canvas.line(x0, self.y + 3.5, x1, self.y + 3.5)

    def new_page(self) -> None:
        self.canvas.showPage()
        self.y = HEIGHT - 60

    def pdf(self) -> bytes:
        self.canvas.save()
        return self.buffer.getvalue()


def footer(form: Form, text: str) -> None:
    y = form.y
    form.y = 20
    form.text(50, text, font="Helvetica-Bold", size=9)
    form.y = y


def _width(text: str) -> float:
    font = "DejaVu" if HAS_DEJAVU and any(ch in text for ch in "☒☐") else "Helvetica"
    return pdfmetrics.stringWidth(text, font, 10)


def wrap(text: str, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            if _width(word) > width:
                if line:
                    lines.append(line)
                    line = ""
                while _width(word) > width:
                    cut = max(n for n in range(1, len(word)) if _width(word[:n]) <= width)
                    lines.append(word[:cut])
                    word = word[cut:]
            candidate = f"{line} {word}".strip()
            if _width(candidate) <= width:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
    return lines


def text_form() -> bytes:
    form = Form()
    footer(form, "OFFICIAL - SENSITIVE")
    form.heading("PART 1: PUPIL DETAILS")
    form.table(
        [["Surname", "Testperson"], ["Forename(s)", "Alexa Jane"],
         ["Date of birth", "03/09/2015"], ["Address", "1 Example Road, Exampletown EX1 2AB"]],
        [150, 330],
    )
    form.table([["UPN", "A123456789012", "Gender", "Female"]], [90, 150, 90, 150], rects=True)
    form.line("School name: Example Primary School")
    form.columns((50, "Date last attended"), (250, "01/07/2026"))
    form.line("Referral ground (tick all that apply):")
    if HAS_DEJAVU:
        form.line("☒ Left the country", font="DejaVu")
        form.line("☐ Moved away, whereabouts unknown", font="DejaVu")
        form.columns((50, "Is the child looked after?"), (250, "Yes"))
        form.y += 16
        form.text(275, "☐", font="DejaVu")
        form.text(300, "No")
        form.text(318, "☒", font="DejaVu")
        form.y -= 16
    else:
        form.line("[X] Left the country")
        form.line("[ ] Moved away, whereabouts unknown")
        form.columns((50, "Is the child looked after?"), (250, "Yes [ ]"), (300, "No [X]"))
    form.line("Enquiries made:")
    form.line("[X] Home visit made")
    form.line("[ ] Neighbours spoken to")
    end = form.box(50, ticked=True)
    form.line("Contacts telephoned", x=end)
    end = form.box(50, ticked=False)
    form.line("Flight information requested", x=end)
    label_end = form.text(50, "Does the school hold letters from the family? ")
    yes_end = form.text(label_end + 4, "YES")
    slash_end = form.text(yes_end + 4, "/")
    no_start = slash_end + 4
    no_end = form.text(no_start, "NO")
    form.strike(no_start - 1, no_end + 1)
    form.y -= 24
    form.line("Information provided by the family:")
    form.line("Mother said on the doorstep that the family would move abroad,")
    form.line("possibly to Portugal, before the end of term.")
    form.y -= 10
    form.table(
        [["Date", "Action", "Person contacted", "Outcome"],
         ["02/07/2026", "Home visit", "Neighbour", "House empty"],
         ["03/07/2026", "Telephone call", "Aunt", "No answer"]],
        [80, 120, 130, 150], bold_header=True,
    )
    form.new_page()
    form.heading("PART 2 - TO BE COMPLETED BY THE DSL")
    form.line("DSL name: Sam Example")
    form.line("Concerns: none known to the school; no concerns of neglect.")
    form.line("Role: Deputy head teacher Date: 12/07/2026")
    return form.pdf()


@pytest.fixture(scope="module")
def text_result() -> ExtractedForm:
    return read_pdf(text_form(), known_label=known_label)


def find(form: ExtractedForm, label: str, value: str | None = None) -> Entry:
    for entry in form.entries:
        if entry.label == label and (value is None or entry.value == value):
            return entry
    raise AssertionError(f"no entry {label!r}={value!r} in {form.entries}")


# -- printed text -------------------------------------------------------------------------


def test_text_form_basics(text_result: ExtractedForm) -> None:
    assert text_result.extraction == "pdf_text"
    assert text_result.pages == 2
    assert text_result.notes == []
    assert "Testperson" in text_result.text and "Sam Example" in text_result.text
    assert text_result.text.index("Testperson") < text_result.text.index("Sam Example")


def test_two_column_ruled_table(text_result: ExtractedForm) -> None:
    surname = find(text_result, "Surname")
    assert surname.value == "Testperson"
    assert surname.locator == "page 1, table 1, row 1"
    assert surname.section == "PART 1: PUPIL DETAILS"
    assert find(text_result, "Forename(s)").value == "Alexa Jane"
    assert find(text_result, "Address").value == "1 Example Road, Exampletown EX1 2AB"


def test_four_column_table_drawn_with_rectangles(text_result: ExtractedForm) -> None:
    assert find(text_result, "UPN").value == "A123456789012"
    gender = find(text_result, "Gender")
    assert gender.value == "Female"
    assert gender.locator == "page 1, table 2, row 1"


def test_label_colon_value_line(text_result: ExtractedForm) -> None:
    entry = find(text_result, "School name")
    assert entry.value == "Example Primary School"
    assert entry.locator.startswith("page 1, line ")


def test_label_with_value_across_a_column_gap(text_result: ExtractedForm) -> None:
    assert find(text_result, "Date last attended").value == "01/07/2026"


def test_tick_options_under_a_question(text_result: ExtractedForm) -> None:
    question = "Referral ground (tick all that apply)"
    assert find(text_result, question, "Left the country").checked is True
    assert find(text_result, question, "Moved away, whereabouts unknown").checked is False


def test_yes_no_marks_after_their_captions(text_result: ExtractedForm) -> None:
    question = "Is the child looked after?"
    assert find(text_result, question, "Yes").checked is False
    assert find(text_result, question, "No").checked is True


def test_bracket_boxes_and_drawn_squares(text_result: ExtractedForm) -> None:
    assert find(text_result, "Enquiries made", "Home visit made").checked is True
    assert find(text_result, "Enquiries made", "Neighbours spoken to").checked is False
    assert find(text_result, "Enquiries made", "Contacts telephoned").checked is True
    assert find(text_result, "Enquiries made", "Flight information requested").checked is False
    assert " X " not in text_result.text


def test_struck_out_option_is_deleted(text_result: ExtractedForm) -> None:
    question = "Does the school hold letters from the family?"
    assert find(text_result, question, "YES").checked is True
    assert find(text_result, question, "NO").checked is False


def test_label_line_with_its_value_below(text_result: ExtractedForm) -> None:
    entry = find(text_result, "Information provided by the family")
    assert entry.value.startswith("Mother said on the doorstep")
    assert entry.value.endswith("before the end of term.")


def test_header_row_grid(text_result: ExtractedForm) -> None:
    grid = next(g for g in text_result.grids if g.headers[0] == "Date")
    assert grid.headers == ["Date", "Action", "Person contacted", "Outcome"]
    assert grid.rows == [
        ["02/07/2026", "Home visit", "Neighbour", "House empty"],
        ["03/07/2026", "Telephone call", "Aunt", "No answer"],
    ]
    assert grid.locator.startswith("page 1, table 3")


def test_bold_heading_starts_a_section_on_the_next_page(text_result: ExtractedForm) -> None:
    dsl = find(text_result, "DSL name")
    assert dsl.value == "Sam Example"
    assert dsl.section == "PART 2 - TO BE COMPLETED BY THE DSL"
    assert dsl.locator == "page 2, line 2"


def test_running_footer_is_text_not_a_heading() -> None:
    form = Form()
    form.heading("PART 1: PUPIL DETAILS")
    form.line("Surname: Testperson")
    footer(form, "OFFICIAL - SENSITIVE")
    form.new_page()
    form.line("Forename(s): Alexa")
    result = read_pdf(form.pdf(), known_label=known_label)
    assert "OFFICIAL - SENSITIVE" in result.text
    assert find(result, "Forename(s)").section == "PART 1: PUPIL DETAILS"


def test_two_labelled_values_on_one_line(text_result: ExtractedForm) -> None:
    assert find(text_result, "Role").value == "Deputy head teacher"
    assert find(text_result, "Date", "12/07/2026").locator == "page 2, line 4"


def test_default_label_test_when_none_is_given() -> None:
    result = read_pdf(text_form())
    assert find(result, "Surname").value == "Testperson"
    assert find(result, "Date last attended").value == "01/07/2026"
    assert find(result, "School name").value == "Example Primary School"


# -- fillable forms -----------------------------------------------------------------------


def fillable_form(*, filled: bool = True, typed_note: bool = True) -> bytes:
    """A fillable form: fields by a printed label, a tooltip, a bare name, boxes, a radio."""
    form = Form()
    acro = form.canvas.acroForm
    form.heading("CME REFERRAL FORM - PART 1")
    top = form.y
    form.text(50, "Surname:")
    acro.textfield(name="Child_Surname", value="Testperson" if filled else "", x=150,
                   y=top - 5, width=200, height=16)
    form.y -= 28
    form.text(50, "Forename(s):")
    acro.textfield(name="Text2", tooltip="Forename(s)", value="Alexa" if filled else "", x=150,
                   y=form.y - 5, width=200, height=16)
    form.y -= 28
    acro.textfield(name="pupil.dob", value="03/09/2015" if filled else "", x=150, y=form.y - 5,
                   width=200, height=16)
    form.y -= 28
    form.text(50, "Date last attended")
    form.y -= 18
    acro.textfield(name="Text4", value="01/07/2026" if filled else "", x=50, y=form.y - 5,
                   width=200, height=16)
    form.y -= 32
    form.line("Referral ground (tick all that apply):", step=20)
    acro.checkbox(name="ground_left", checked=filled, x=50, y=form.y - 2, size=12)
    form.line("Left the country", x=68, step=20)
    acro.checkbox(name="ground_moved", checked=False, x=50, y=form.y - 2, size=12)
    form.line("Moved away, whereabouts unknown", x=68, step=24)
    form.text(50, "Home visit made")
    acro.checkbox(name="home_visit", checked=filled, x=250, y=form.y - 2, size=12)
    form.y -= 26
    form.text(50, "Pupil taken off roll?")
    form.text(250, "Yes")
    acro.radio(name="off_roll", value="Yes", selected=False, x=272, y=form.y - 2, size=12)
    form.text(300, "No")
    acro.radio(name="off_roll", value="No", selected=filled, x=318, y=form.y - 2, size=12)
    form.y -= 30
    if typed_note:
        form.line("Information provided by the family: going to live with an aunt in Spain")
    return form.pdf()


def with_export_name(content: bytes, field: str, export: str) -> bytes:
    """Rename a check box's "on" state from /Yes to e.g. /Oui, as French-made forms do."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
    for annot in writer.pages[0]["/Annots"]:
        widget = annot.get_object()
        if widget.get("/T") != field:
            continue
        for key in ("/N", "/D"):
            states = widget["/AP"][key]
            states[NameObject(export)] = states.pop("/Yes")
        if widget.get("/V") == "/Yes":
            widget[NameObject("/V")] = NameObject(export)
            widget[NameObject("/AS")] = NameObject(export)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def field_result() -> ExtractedForm:
    return read_pdf(with_export_name(fillable_form(), "home_visit", "/Oui"),
                    known_label=known_label)


def test_fillable_form_uses_fields(field_result: ExtractedForm) -> None:
    assert field_result.extraction == "pdf_form_fields"
    assert field_result.pages == 1
    surname = find(field_result, "Surname")
    assert surname.value == "Testperson"
    assert surname.locator == "page 1, field Child_Surname"
    assert surname.confidence == 1.0
    assert surname.section == "CME REFERRAL FORM - PART 1"


def test_field_label_from_tooltip_above_or_name(field_result: ExtractedForm) -> None:
    assert find(field_result, "Forename(s)").value == "Alexa"
    assert find(field_result, "pupil dob").value == "03/09/2015"
    assert find(field_result, "Date last attended").value == "01/07/2026"


def test_checkbox_options_with_the_question_above(field_result: ExtractedForm) -> None:
    question = "Referral ground (tick all that apply)"
    left = find(field_result, question, "Left the country")
    assert left.checked is True
    assert left.locator == "page 1, field ground_left"
    assert find(field_result, question, "Moved away, whereabouts unknown").checked is False


def test_checkbox_with_a_non_yes_export_name(field_result: ExtractedForm) -> None:
    entry = find(field_result, "Home visit made")
    assert entry.checked is True
    assert entry.value == "Oui"


def test_radio_group(field_result: ExtractedForm) -> None:
    assert find(field_result, "Pupil taken off roll?", "Yes").checked is False
    assert find(field_result, "Pupil taken off roll?", "No").checked is True


def test_printed_text_beside_fields_is_read_once(field_result: ExtractedForm) -> None:
    note = find(field_result, "Information provided by the family")
    assert note.value == "going to live with an aunt in Spain"
    assert note.locator.startswith("page 1, line ")
    labels = [entry.label for entry in field_result.entries]
    assert labels.count("Surname") == 1 and labels.count("Forename(s)") == 1
    assert all(entry.value for entry in field_result.entries if entry.checked is None)
    assert "Surname: Testperson" in field_result.text


def test_empty_form_falls_back_to_printed_text() -> None:
    result = read_pdf(fillable_form(filled=False), known_label=known_label)
    assert result.extraction == "pdf_text"
    assert not any(entry.locator.startswith("page 1, field") for entry in result.entries)
    assert find(result, "Information provided by the family").value.endswith("Spain")


def test_text_typed_with_a_viewer_text_box_is_read() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(fillable_form(filled=False,
                                                                     typed_note=False))))
    from pypdf.annotations import FreeText

    writer.add_annotation(0, FreeText(text="Sam Example", rect=(150, 200, 350, 214)))
    out = io.BytesIO()
    writer.write(out)
    result = read_pdf(out.getvalue())
    assert "Sam Example" in result.text


# -- protection, damage and limits --------------------------------------------------------


def encrypted(content: bytes, *, user: str, owner: str, algorithm: str | None = None) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
    if algorithm:
        writer.encrypt(user_password=user, owner_password=owner, algorithm=algorithm)
    else:
        writer.encrypt(user_password=user, owner_password=owner)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("algorithm", [None, "AES-128", "AES-256"])
def test_owner_password_only_is_read(algorithm: str | None) -> None:
    result = read_pdf(encrypted(text_form(), user="", owner="x", algorithm=algorithm),
                      known_label=known_label)
    assert find(result, "Surname").value == "Testperson"


def test_encrypted_fillable_form_fields_are_read() -> None:
    result = read_pdf(encrypted(fillable_form(), user="", owner="x", algorithm="AES-256"))
    assert result.extraction == "pdf_form_fields"
    assert find(result, "Surname").value == "Testperson"


@pytest.mark.parametrize("algorithm", [None, "AES-256"])
def test_user_password_is_refused(algorithm: str | None) -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf(encrypted(text_form(), user="secret", owner="x", algorithm=algorithm))
    assert caught.value.reason == PASSWORD_PROTECTED


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda pdf: pdf[: len(pdf) // 2], "truncated"),
        (lambda pdf: pdf[: len(pdf) // 2] + b"\n%%EOF\n", "damaged"),
        (lambda pdf: b"PK\x03\x04 not a pdf at all", "not a PDF"),
        (lambda pdf: b"", "not a PDF"),
        (lambda pdf: pdf[:400] + bytes(2000) + pdf[2400:], "damaged"),
    ],
)
def test_damaged_files_are_unreadable(damage: Callable[[bytes], bytes], reason: str) -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf(damage(text_form()))
    assert reason in caught.value.reason
    assert "Testperson" not in caught.value.reason


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF written by hand, for structures no library will produce."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_stream(head: bytes, data: bytes) -> bytes:
    return head + f" /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def nested_forms_pdf(*, good_page: bool) -> bytes:
    """Form XObjects nested 1500 deep (pdfminer recurses once per level), optionally after
    an ordinary first page."""
    depth, first = 1500, 8
    kids = "[3 0 R 6 0 R]" if good_page else "[3 0 R]"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids {kids} /Count {2 if good_page else 1} >>".encode(),
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] "
        f"/Resources << /XObject << /X {first} 0 R >> >> /Contents 4 0 R >>".encode(),
        pdf_stream(b"<<", b"/X Do"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 400] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 7 0 R >>",
        pdf_stream(b"<<", b"BT /F1 10 Tf 20 300 Td (Surname: Testperson, a readable page) Tj ET"),
    ]
    for level in range(depth):
        inner = (f"<< /XObject << /X {first + level + 1} 0 R >> >>".encode()
                 if level < depth - 1 else b"<<>>")
        objects.append(pdf_stream(
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 200 200] /Resources " + inner, b"/X Do"))
    return raw_pdf(objects)


def test_deeply_nested_forms_are_unreadable_not_a_crash() -> None:
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf(nested_forms_pdf(good_page=False))
    assert "loop or nest" in caught.value.reason


def test_one_damaged_page_leaves_the_others_readable() -> None:
    result = read_pdf(nested_forms_pdf(good_page=True), known_label=known_label)
    assert result.pages == 2
    assert find(result, "Surname").value == "Testperson, a readable page"
    assert find(result, "Surname").locator == "page 2, line 1"
    assert any(note.startswith("page 1 could not be read: the PDF is malformed")
               for note in result.notes)


def test_page_limit() -> None:
    form = Form()
    for number in range(3):
        form.line(f"Page {number + 1} of a long attachment with enough words to count as text.")
        form.new_page()
    content = form.pdf()
    assert read_pdf(content, max_pages=3).pages == 3
    with pytest.raises(UnreadableDocument) as caught:
        read_pdf(content, max_pages=2)
    assert caught.value.reason == "the PDF has 3 pages; the limit is 2"


def test_scan_without_text_layer() -> None:
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    image = Image.new("L", (600, 800), 255)
    ImageDraw.Draw(image).rectangle((50, 50, 550, 120), outline=0, width=3)
    form = Form()
    form.canvas.drawImage(ImageReader(image), 0, 0, WIDTH, HEIGHT)
    result = read_pdf(form.pdf())
    assert result.extraction == "none"
    assert result.pages == 1
    assert result.entries == [] and result.grids == []
    assert result.notes == ["no text layer: needs OCR"]


def test_scripts_and_attachments_are_noted_not_run() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_form())))
    from pypdf.actions import JavaScript

    writer.add_open_action(JavaScript("app.alert('hello');"))
    writer.add_attachment("notes.txt", b"an attached file")
    out = io.BytesIO()
    writer.write(out)
    result = read_pdf(out.getvalue(), known_label=known_label)
    assert "PDF contains JavaScript" in result.notes
    assert "PDF has embedded files" in result.notes
    assert find(result, "Surname").value == "Testperson"


def fillable_table_form() -> bytes:
    """Acrobat's auto-detected fields in a Word table: label | field rows and a log grid."""
    form = Form()
    acro = form.canvas.acroForm
    form.heading("ENQUIRIES MADE BEFORE REFERRAL")
    form.table([["Surname", ""], ["Date of birth", ""]], [150, 330])
    for number, value in enumerate(["Testperson", "03/09/2015"]):
        acro.textfield(name=["Surname", "Date of birth"][number], value=value, x=204,
                       y=HEIGHT - 60 - 28 - 7 - number * 18 - 12 + 14, width=320, height=14)
    log_top = form.y
    form.table([["Date", "Action", "Outcome"], ["", "", ""], ["", "", ""]], [100, 150, 230],
               bold_header=True)
    rows = [("02/07/2026", "Home visit", "House empty"), ("03/07/2026", "Letter sent", "")]
    for row_no, row in enumerate(rows, start=1):
        y = log_top + 12 - (row_no + 1) * 18 + 2
        for col, (x, value) in enumerate(zip((52, 152, 302), row, strict=True)):
            name = f"{['Date', 'Action', 'Outcome'][col]}Row{row_no}"
            acro.textfield(name=name, value=value, x=x, y=y, width=96 if col == 0 else 140,
                           height=14)
    form.table([["Home visit made", ""]], [150, 330])
    acro.checkbox(name="Check1", checked=True, x=204, y=form.y + 20 + 3, size=11)
    return form.pdf()


def test_fields_inside_table_cells_are_read_as_the_table() -> None:
    result = read_pdf(fillable_table_form(), known_label=known_label)
    assert result.extraction == "pdf_form_fields"
    surname = find(result, "Surname")
    assert surname.value == "Testperson"
    assert surname.locator == "page 1, table 1, row 1, field Surname"
    assert find(result, "Date of birth").value == "03/09/2015"
    grid = next(g for g in result.grids if g.headers[0] == "Date")
    assert grid.headers == ["Date", "Action", "Outcome"]
    assert grid.rows == [["02/07/2026", "Home visit", "House empty"],
                         ["03/07/2026", "Letter sent", ""]]
    visit = next(e for e in result.entries if "Home visit made" in (e.label, e.value))
    assert visit.checked is True


def choices_form() -> bytes:
    """"Delete as appropriate" answers: struck out inside a table cell, and highlighted."""
    form = Form()
    form.table([["Has the pupil been taken off roll?", "YES / NO"]], [250, 230])
    yes_x = 50 + 250 + 4
    no_x = yes_x + pdfmetrics.stringWidth("YES / ", "Helvetica", 10)
    no_end = no_x + pdfmetrics.stringWidth("NO", "Helvetica", 10)
    baseline = HEIGHT - 60 + 12 - 18 + 5  # where Form.table writes the first row
    form.canvas.line(no_x - 1, baseline + 3.5, no_end + 1, baseline + 3.5)
    start = form.text(50, "Is the child known to social care? ")
    yes_end = form.text(start + 4, "YES")
    form.text(yes_end + 4, "/")
    no_start = yes_end + 4 + pdfmetrics.stringWidth("/ ", "Helvetica", 10)
    form.canvas.setFillColorRGB(1, 1, 0)
    form.canvas.rect(no_start - 1, form.y - 3, pdfmetrics.stringWidth("NO", "Helvetica", 10) + 2,
                     13, stroke=0, fill=1)
    form.canvas.setFillColorRGB(0, 0, 0)
    form.text(no_start, "NO")
    form.y -= 20
    form.line("A second line of ordinary text so that the page has a text layer.")
    return form.pdf()


def test_struck_option_in_a_table_cell_and_highlighted_option() -> None:
    result = read_pdf(choices_form(), known_label=known_label)
    question = "Has the pupil been taken off roll?"
    assert find(result, question, "YES").checked is True
    assert find(result, question, "NO").checked is False
    social = "Is the child known to social care?"
    assert find(result, social, "YES").checked is False
    assert find(result, social, "NO").checked is True


def test_fields_on_a_page_whose_media_box_does_not_start_at_zero() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(fillable_form())))
    writer.pages[0].mediabox = RectangleObject([20, 30, 600, 830])
    out = io.BytesIO()
    writer.write(out)
    result = read_pdf(out.getvalue(), known_label=known_label)
    assert find(result, "Surname").value == "Testperson"
    assert find(result, "Date last attended").value == "01/07/2026"
    question = "Referral ground (tick all that apply)"
    assert find(result, question, "Left the country").checked is True


# -- a real Word form saved as PDF (LibreOffice) ------------------------------------------


def word_form(path: Path) -> None:
    """A Word form as schools fill them: tables, tick glyphs, a struck-out choice."""
    from docx import Document

    document = Document()
    document.add_heading("PART 1 - PUPIL DETAILS", 2)
    pupil = document.add_table(rows=3, cols=2)
    pupil.style = "Table Grid"
    for row, (label, value) in enumerate([("Surname", "Testperson"), ("Date of birth",
                                                                      "03/09/2015"),
                                          ("Address", "1 Example Road\nExampletown EX1 2AB")]):
        pupil.cell(row, 0).text, pupil.cell(row, 1).text = label, value
    document.add_paragraph("School name: Example Primary School")
    document.add_paragraph("Referral ground (tick all that apply):")
    document.add_paragraph("☒ Left the country")
    document.add_paragraph("☐ Moved away, whereabouts unknown")
    log = document.add_table(rows=2, cols=3)
    log.style = "Table Grid"
    for col, (head, cell) in enumerate(zip(["Date", "Action", "Outcome"],
                                           ["02/07/2026", "Home visit", "House empty"],
                                           strict=True)):
        log.cell(0, col).text, log.cell(1, col).text = head, cell
    choice = document.add_table(rows=1, cols=2)
    choice.style = "Table Grid"
    choice.cell(0, 0).text = "Does the school hold letters from the family?"
    runs = choice.cell(0, 1).paragraphs[0]
    runs.add_run("YES / ")
    runs.add_run("NO").font.strike = True
    document.save(str(path))


@pytest.mark.libreoffice
def test_word_form_saved_as_pdf_by_libreoffice(tmp_path: Path) -> None:
    soffice = require_binary("soffice", "libreoffice-writer")
    source = tmp_path / "form.docx"
    word_form(source)
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(source)],
        check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    result = read_pdf((tmp_path / "form.pdf").read_bytes(), known_label=known_label)
    assert result.extraction == "pdf_text"
    surname = find(result, "Surname")
    assert (surname.value, surname.section) == ("Testperson", "PART 1 - PUPIL DETAILS")
    assert find(result, "Address").value == "1 Example Road\nExampletown EX1 2AB"
    assert find(result, "School name").value == "Example Primary School"
    question = "Referral ground (tick all that apply)"
    assert find(result, question, "Left the country").checked is True
    assert find(result, question, "Moved away, whereabouts unknown").checked is False
    grid = next(g for g in result.grids if g.headers == ["Date", "Action", "Outcome"])
    assert grid.rows == [["02/07/2026", "Home visit", "House empty"]]
    letters = "Does the school hold letters from the family?"
    assert find(result, letters, "YES").checked is True
    assert find(result, letters, "NO").checked is False


def test_choice_field_shows_its_display_text() -> None:
    form = Form()
    form.text(50, "Gender:")
    form.canvas.acroForm.choice(name="gender", value="F", x=120, y=form.y - 5, width=150,
                                height=16, options=[("Female", "F"), ("Male", "M")])
    form.y -= 30
    form.line("A line of printed text long enough to count as a text layer.")
    result = read_pdf(form.pdf(), known_label=known_label)
    gender = find(result, "Gender")
    assert (gender.value, gender.locator) == ("Female", "page 1, field gender")


# -- wrapping, page breaks ----------------------------------------------------------------

FAMILY_SAID = ("Mum told the class teacher on 17/10/2026 that the family were going back to "
               "live with grandparents.\nShe said the children would start school there.")
LONG_GROUND = ("Reported or believed to have moved to another local authority but not "
               "confirmed on a school roll there")


REFERRAL_DETAILS = ("Referred after the enquiries below, which took place over the two school "
                    "weeks in October.")


def wrapping_form() -> bytes:
    form = Form()
    form.heading("PART 1 - PUPIL DETAILS")
    mark_on, mark_off = ("☒", "☐") if HAS_DEJAVU else ("[X]", "[ ]")
    form.wrapped_table([
        ["Information provided by the family", FAMILY_SAID],
        ["Email", "t.testperson@example.org"],
        ["Reason for referral (tick all that apply)",
         f"{mark_on} The child has left the country\n{mark_off} {LONG_GROUND}"],
    ], [150, 260])
    form.wrapped_table([["Parent email", "t.testperson@example.org"]], [150, 90])
    start = form.text(50, "Details of the referral:", font="Helvetica-Bold")
    first, *rest = wrap(REFERRAL_DETAILS, WIDTH - 60 - (start + 4))
    form.text(start + 4, first)
    form.y -= 12
    form.line(" ".join(rest))
    form.y -= 10
    grid = [["Enquiry", "Date", "Outcome"], ["Home visit made", "19/10/2026", "No answer"],
            ["Family asked for the", "20/10/2026", "Refused"]]
    form.wrapped_table(grid, [200, 100, 180])
    form.new_page()
    form.wrapped_table([["address they are moving to", "", ""],
                        ["Neighbours spoken to", "21/10/2026", "Confirmed left"]],
                       [200, 100, 180])
    form.line("DSL name: Sam Example")
    return form.pdf()


@pytest.fixture(scope="module")
def wrapping_result() -> ExtractedForm:
    return read_pdf(wrapping_form(), known_label=known_label)


def test_wrapped_cell_text_joins_soft_wraps_keeps_paragraphs(wrapping_result: ExtractedForm
                                                             ) -> None:
    assert find(wrapping_result, "Information provided by the family").value == FAMILY_SAID


def test_word_broken_at_a_narrow_cell_edge_is_joined(wrapping_result: ExtractedForm) -> None:
    assert find(wrapping_result, "Parent email").value == "t.testperson@example.org"


def test_option_caption_that_wraps_stays_whole(wrapping_result: ExtractedForm) -> None:
    question = "Reason for referral (tick all that apply)"
    assert find(wrapping_result, question, "The child has left the country").checked is True
    assert find(wrapping_result, question, LONG_GROUND).checked is False


def test_value_wrapping_under_a_bold_label(wrapping_result: ExtractedForm) -> None:
    assert find(wrapping_result, "Details of the referral").value == REFERRAL_DETAILS


def test_table_carried_over_a_page_break(wrapping_result: ExtractedForm) -> None:
    grid = next(g for g in wrapping_result.grids if g.headers[0] == "Enquiry")
    assert grid.rows == [
        ["Home visit made", "19/10/2026", "No answer"],
        ["Family asked for the address they are moving to", "20/10/2026", "Refused"],
        ["Neighbours spoken to", "21/10/2026", "Confirmed left"],
    ]
    assert grid.locator.startswith("page 1, table 3")
    assert find(wrapping_result, "DSL name").locator == "page 2, line 1"


def test_tick_glyphs_are_kept_as_printed_in_the_text(wrapping_result: ExtractedForm) -> None:
    assert ("☒ The child has left the country" if HAS_DEJAVU
            else "[X] The child has left the country") in wrapping_result.text


def fillable_rows_form() -> bytes:
    """Check boxes as generated forms lay them out: a question at the start of the row with
    a box before each answer, and boxes with no caption named "question - answer"."""
    form = Form()
    acro = form.canvas.acroForm
    form.heading("PUPIL DETAILS")
    form.text(50, "Looked after child")
    for x, answer, ticked in ((250, "Yes", False), (300, "No", True)):
        acro.checkbox(name=f"Looked after child - {answer}", checked=ticked, x=x,
                      y=form.y - 2, size=10)
        form.text(x + 13, answer)
    form.y -= 24
    form.text(50, "Enquiry")
    form.text(250, "Done")
    form.text(300, "Not done")
    form.y -= 18
    form.text(50, "Home visit made")
    acro.checkbox(name="Home visit made - Done", checked=True, x=252, y=form.y - 2, size=10)
    acro.checkbox(name="Home visit made - Not done", checked=False, x=302, y=form.y - 2,
                  size=10)
    form.y -= 24
    form.line("Printed text so that the page has a text layer of its own.")
    return form.pdf()


def test_checkbox_rows_take_the_question_at_the_row_start() -> None:
    result = read_pdf(fillable_rows_form(), known_label=known_label)
    assert find(result, "Looked after child", "Yes").checked is False
    assert find(result, "Looked after child", "No").checked is True
    assert find(result, "Home visit made", "Done").checked is True
    assert find(result, "Home visit made", "Not done").checked is False
    assert not any(entry.label == "Looked after child" and entry.checked is None
                   for entry in result.entries)


# -- boxes with a bold caption above the answer ----------------------------------------------


def captioned_boxes(rows: list[list[tuple[str, str]]], width: float) -> bytes:
    """Ruled boxes, each a bold caption line over the answer (no colon, no label column)."""
    form = Form()
    form.heading("Pupil information")
    top = form.y + 12
    for row in rows:
        for col, (caption, answer) in enumerate(row):
            x = 50 + col * width
            form.canvas.setFont("Helvetica-Bold", 10)
            form.canvas.drawString(x + 4, top - 13, caption)
            form.canvas.setFont("Helvetica", 10)
            if answer:
                form.canvas.drawString(x + 4, top - 25, answer)
        right = 50 + len(row) * width
        form.canvas.line(50, top, right, top)
        for col in range(len(row) + 1):
            form.canvas.line(50 + col * width, top, 50 + col * width, top - 32)
        top -= 32
    form.canvas.line(50, top, 50 + len(rows[0]) * width, top)
    return form.pdf()


def test_boxes_with_a_bold_caption_over_the_answer() -> None:
    content = captioned_boxes(
        [[("Surname", "Testperson"), ("Unique pupil number", "R123456789012"),
          ("Preferred name", "")],
         [("Date of birth", "03/09/2015"), ("Sex", "Female"), ("School year", "Year 6")]],
        140,
    )
    result = read_pdf(content, known_label=known_label)
    got = [(e.label, e.value) for e in result.entries]
    assert got == [
        ("Surname", "Testperson"), ("Unique pupil number", "R123456789012"),
        ("Preferred name", ""), ("Date of birth", "03/09/2015"), ("Sex", "Female"),
        ("School year", "Year 6"),
    ]
    assert result.grids == []


@pytest.mark.skipif(not HAS_DEJAVU, reason="needs the DejaVu font for the tick glyph")
def test_tick_inside_a_heading_instruction_is_not_a_tick() -> None:
    form = Form()
    form.canvas.setFont("DejaVu", 11)
    form.canvas.drawString(50, form.y, "REASON FOR REFERRAL (✓ all that apply)")
    form.y -= 30
    form.canvas.drawString(50 + 300 + 4, form.y - 1, "✓")  # in the first row's box column
    form.table([["Left the country", ""], ["Moved away, whereabouts unknown", ""]], [300, 60])
    form.line("Printed text so that the page has a text layer of its own.")
    result = read_pdf(form.pdf(), known_label=known_label)
    assert not any(entry.value.startswith("all that apply") for entry in result.entries)
    ticked = [(e.value, e.checked) for e in result.entries if e.checked is not None]
    assert ticked == [("Left the country", True), ("Moved away, whereabouts unknown", False)]


def test_heading_line_right_above_a_box_of_free_text_labels_it() -> None:
    form = Form()
    form.heading("OUTLINE CURRENT CIRCUMSTANCES")
    form.table([["The family said they were moving abroad; no school named."], ["Y"]], [400])
    form.line("Printed text so that the page has a text layer of its own.")
    result = read_pdf(form.pdf(), known_label=known_label)
    entry = find(result, "OUTLINE CURRENT CIRCUMSTANCES")
    assert entry.value == "The family said they were moving abroad; no school named."


def test_option_boxes_under_another_fields_label_take_no_question_from_it() -> None:
    """No question printed over the boxes: the label above is the URN field's, not theirs."""
    form = Form()
    acro = form.canvas.acroForm
    form.heading("SCHOOL")
    form.text(50, "URN")
    acro.textfield(name="URN", value="123456", x=200, y=form.y - 5, width=150, height=16)
    form.y -= 22
    for caption, ticked in (("Maintained", False), ("Academy", True)):
        acro.checkbox(name=caption, checked=ticked, x=50, y=form.y - 2, size=10)
        form.line(caption, x=66, step=18)
    result = read_pdf(form.pdf(), known_label=known_label)
    boxes = [(e.label, e.value, e.checked) for e in result.entries if e.checked is not None]
    assert boxes == [("", "Maintained", False), ("", "Academy", True)]
    assert find(result, "URN").value == "123456"


def test_checklist_lines_with_a_date_beside_and_an_outcome_under_each_item() -> None:
    form = Form()
    form.heading("Enquiries made by the school")
    form.line("Tick each one done and give the date:")
    form.columns((50, "[X] Home visit"), (250, "Date: ______ 3rd Sept 2026"))
    form.line("Outcome: No answer, curtains closed.", x=70)
    form.columns((50, "[ ] Neighbours asked"), (250, "Date: ______"))
    form.columns((50, "[X] Flight details requested"), (250, "Date: ______ 5th Sept 2026"))
    form.line("Outcome: No reply.")
    form.line("Form completed by: Sam Example")
    result = read_pdf(form.pdf(), known_label=known_label)
    question = "Tick each one done and give the date"
    assert [(e.label, e.value, e.checked) for e in result.entries] == [
        (question, "Home visit", True),
        ("Home visit - Date", "3rd Sept 2026", None),
        ("Home visit - Outcome", "No answer, curtains closed.", None),
        (question, "Neighbours asked", False),
        ("Neighbours asked - Date", "", None),
        (question, "Flight details requested", True),
        ("Flight details requested - Date", "5th Sept 2026", None),
        ("Flight details requested - Outcome", "No reply.", None),
        ("Form completed by", "Sam Example", None),
    ]


def test_a_summary_key_with_a_colon_that_wraps_under_itself() -> None:
    """An online form's summary: "Parent/carer 1: Name of parent/carer with parental
    responsibility" in bold over three lines, the answer beside its first line; a key left
    unanswered is an empty entry, not the answer of the key above."""
    form = Form()
    bold = "Helvetica-Bold"
    form.text(50, "Parent/carer 1: Name of", font=bold)
    form.text(240, "Ann Invented")
    form.y -= 12
    form.line("parent/carer with parental", font=bold, step=12)
    form.line("responsibility", font=bold, step=20)
    form.text(50, "Parent/carer 1: Phone", font=bold)
    form.text(240, "07700 900306")
    form.y -= 20
    form.line("Parent/carer 1: E-mail", font=bold, step=20)
    form.canvas.save()
    got = read_pdf(form.buffer.getvalue(), known_label=lambda text: False)
    pairs = [(e.label, e.value) for e in got.entries]
    assert ("Parent/carer 1: Name of parent/carer with parental responsibility",
            "Ann Invented") in pairs
    assert ("Parent/carer 1: Phone", "07700 900306") in pairs
    assert ("Parent/carer 1: E-mail", "") in pairs

