"""The highlighted region of the form beside the record (issue 14): where on a rendered page
a value was read, from a generated PDF with invented people."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from intake.web.form_pages import PageCache
from intake.web.form_places import FormView
from intake.web.form_regions import find_region, value_forms
from intake.web.form_words import Box, load_words, read_words
from tests.services.base import require_binary

WIDTH, HEIGHT = A4  # 595 x 842 points


def _form(path: Path) -> Path:
    """Two pages: label/value lines, a repeated "Yes", a table row, a wrapped cell, and a
    form field (an AcroForm text box) on page 2."""
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setFont("Helvetica", 11)
    for y, label, value in ((780, "Surname", "Quillfeather"), (760, "Date of birth", "17/04/2014"),
                            (740, "Looked after child", "Yes"), (720, "Known to social care", "No"),
                            (700, "Subject to a child protection plan", "Yes")):
        pdf.drawString(60, y, label)
        pdf.drawString(300, y, value)
    # A table row whose cells wrap: Name | Phone | Email, the email over two lines.
    for x, header in ((60, "Name"), (220, "Phone"), (380, "Email")):
        pdf.drawString(x, 640, header)
    pdf.drawString(60, 620, "Marnie Quillfeather")
    pdf.drawString(220, 620, "07700 900")
    pdf.drawString(380, 620, "m.quillfeather@exa")
    pdf.drawString(220, 606, "417")
    pdf.drawString(380, 606, "mple.org")
    pdf.showPage()
    pdf.setFont("Helvetica", 11)
    pdf.drawString(60, 780, "Designated Safeguarding Lead")
    pdf.acroForm.textfield(name="dsl_name", x=300, y=770, width=200, height=20,
                           value="Ottoline Brackwater", borderWidth=1, fontSize=10)
    pdf.drawString(60, 740, "Surname")  # a namesake label on another page
    pdf.save()
    return path


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return read_words(_form(tmp_path_factory.mktemp("regions") / "form.pdf"), pages=5)


def _inside(box: Box, x: float, y_from_bottom: float) -> bool:
    """Whether the point (PDF points, origin bottom-left, as drawn) is in the region."""
    fx, fy = x / WIDTH, (HEIGHT - y_from_bottom) / HEIGHT
    return box.x0 <= fx <= box.x1 and box.top <= fy <= box.bottom


def test_a_value_on_its_locators_page_is_its_region(pages):
    region = find_region(pages, page=1, locator="page 1, line 1", value="Quillfeather",
                         label="Surname")
    assert region is not None and region.page == 1 and region.found_by == "value"
    assert _inside(region.box, 320, 783)  # the written value
    assert _inside(region.box, 80, 783)  # with its label on the same line


def test_an_iso_date_is_found_as_the_form_wrote_it(pages):
    assert ("17042014", True) in value_forms("2014-04-17")
    assert ("17thapril2014", True) in value_forms("2014-04-17")
    region = find_region(pages, page=1, locator="page 1, line 2", value="2014-04-17",
                         label="Date of birth")
    assert region is not None and _inside(region.box, 320, 763)


def test_a_repeated_yes_is_the_one_beside_its_label(pages):
    region = find_region(pages, page=1, locator="page 1, line 5", value="Yes",
                         label="Subject to a child protection plan")
    assert region is not None and _inside(region.box, 305, 703)
    assert not _inside(region.box, 305, 743)  # the other "Yes"


def test_a_table_row_is_told_by_its_row_mates_and_a_wrapped_cell_is_followed(pages):
    phone = find_region(pages, page=1, locator="page 1, table 1, row 2", value="07700900417",
                        label="Name", siblings=["Marnie Quillfeather", "m.quillfeather@example.org"])
    assert phone is not None and _inside(phone.box, 240, 623) and _inside(phone.box, 225, 609)
    email = find_region(pages, page=1, locator="page 1, table 1, row 2",
                        value="m.quillfeather@example.org", label="Name")
    assert email is not None and _inside(email.box, 400, 623) and _inside(email.box, 390, 609)
    assert not _inside(email.box, 240, 623)


def test_a_form_fields_locator_names_its_widget(pages):
    region = find_region(pages, page=2, locator="page 2, field dsl_name",
                         value="Ottoline Brackwater", label="DSL name")
    assert region is not None and region.found_by == "field" and region.page == 2
    assert _inside(region.box, 400, 780)
    # Without the field in the locator its typed value is still found (a widget's words).
    by_text = find_region(pages, page=None, locator="", value="Ottoline Brackwater", label=None)
    assert by_text is not None and by_text.page == 2


def test_the_locators_page_is_trusted_and_nothing_found_is_none(pages):
    assert find_region(pages, page=2, locator="page 2, line 3", value="Quillfeather",
                       label="Surname").found_by == "label"
    assert find_region(pages, page=1, locator="page 1", value="Zebedee", label=None) is None
    assert find_region([], page=1, locator="page 1", value="Quillfeather", label=None) is None
    # A short value with no label to place it is not guessed.
    assert find_region(pages, page=1, locator="page 1", value="No", label=None) is None


def test_word_boxes_are_read_once_per_document_and_kept_beside_the_pages(tmp_path):
    require_binary("pdftoppm", "poppler-utils")
    content = _form(tmp_path / "form.pdf").read_bytes()
    sha = "b" * 64
    loads: list[str] = []

    def loader(digest: str) -> bytes:
        loads.append(digest)
        return content

    documents = [{"sha256": sha, "media_type": "application/pdf", "pages": 2}]
    record = {"provenance": {"pupil.surname": {"document": 0, "locator": "page 1, line 1",
                                               "label": "Surname"}}}
    cache = PageCache(tmp_path / "pages")
    view = FormView(cache, documents, content=loader, record=record)
    place = view.place(record["provenance"]["pupil.surname"], "Quillfeather", "pupil.surname",
                       "Surname")
    assert place is not None and place.region is not None
    assert place.anchor == "doc-0-page-1-at-pupil-surname"
    assert place.alt == "highlighted: ‘Surname’ on page 1"
    assert view.marks(0, 1) == [place] and view.marks(0, 2) == []
    assert (tmp_path / "pages" / sha / "words.json").exists()
    assert len(load_words(tmp_path / "pages" / sha / "words.json") or []) == 2
    again = FormView(PageCache(tmp_path / "pages"), documents, content=loader, record=record)
    assert again.place(record["provenance"]["pupil.surname"], "Quillfeather",
                       "pupil.surname").rect == place.rect
    assert loads == [sha]  # the second case page read the cached words, not the document


def test_a_scan_without_words_links_to_its_page_only(tmp_path):
    cache = PageCache(tmp_path)
    view = FormView(cache, [{"sha256": "c" * 64, "media_type": "application/pdf", "pages": 3}])
    place = view.place({"document": 0, "locator": "page 2 (OCR), region 10,10-50,20 px"},
                       "Quillfeather", "pupil.surname")
    assert place is not None and place.region is None
    assert (place.page, place.anchor) == (2, "doc-0-page-2")
    assert view.marks(0, 2) == []


def test_pages_still_show_when_their_words_cannot_be_read(tmp_path, monkeypatch):
    require_binary("pdftoppm", "poppler-utils")
    content = _form(tmp_path / "form.pdf").read_bytes()

    def unreadable(pdf: Path, pages: int) -> list:
        raise ValueError("pdfminer could not parse this")

    monkeypatch.setattr("intake.web.form_pages.read_words", unreadable)
    cache = PageCache(tmp_path / "pages")
    documents = [{"sha256": "d" * 64, "media_type": "application/pdf", "pages": 2}]
    view = FormView(cache, documents, content=lambda _: content)
    place = view.place({"document": 0, "locator": "page 2, line 1"}, "Quillfeather", "x")
    assert place is not None and place.region is None and place.page == 2
    assert cache.count("d" * 64) == 2 and cache.words("d" * 64) == []
    # A damaged words.json is no word boxes, not an error.
    (tmp_path / "pages" / ("d" * 64) / "words.json").write_text("{not json")
    assert load_words(tmp_path / "pages" / ("d" * 64) / "words.json") is None
    fresh = FormView(PageCache(tmp_path / "pages"), documents, content=lambda _: content)
    assert fresh.place({"document": 0, "locator": "page 1"}, "Quillfeather", "x").region is None


def test_a_missing_fields_flag_shows_where_it_goes_on_the_form(tmp_path):
    require_binary("pdftoppm", "poppler-utils")
    content = _form(tmp_path / "form.pdf").read_bytes()
    documents = [{"sha256": "e" * 64, "media_type": "application/pdf", "pages": 2}]
    view = FormView(PageCache(tmp_path / "pages"), documents, content=lambda _: content,
                    record={"provenance": {}})
    place = view.flag_place("pupil.date_of_birth", {"provenance": {}})
    assert place is not None and place.missing and place.page == 1
    assert _inside(place.region.box, 80, 763)  # the label "Date of birth"
    assert place.alt == "highlighted: ‘Date of birth’ (not filled in) on page 1"
    assert view.marks(0, 1) == [place]
    assert view.flag_place("pupil.known_as", {"provenance": {}}) is None  # not on this form
