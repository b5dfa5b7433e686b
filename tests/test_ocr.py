"""OCR of scans and photos: straightening, rules, tick boxes, confidences, limits.

The picture-side tests need no Tesseract; the reading tests need it (skipped locally
without it, failing in CI). All forms are drawn from invented records.
"""

from __future__ import annotations

import io
import time
from datetime import date

import pytest
from PIL import Image, ImageDraw

from intake.core.pipeline import parse_message
from parsers import sniff
from parsers.documents import ReadLimits, read_document
from parsers.entries import ExtractedForm
from parsers.errors import UnreadableDocument
from parsers.mapping.fieldmap import field_map
from parsers.mapping.mapper import map_form
from parsers.ocr import layout as pic
from parsers.ocr import reader as ocr
from parsers.ocr import spelling
from parsers.ocr import words as words_mod
from tests.fixtures.scans import cases, render
from tests.services.base import require_binary

RECEIVED = date(2026, 11, 2)


@pytest.fixture(scope="module")
def referral() -> cases.Referral:
    return cases.referrals()[0]


@pytest.fixture(scope="module")
def first_page(referral: cases.Referral) -> Image.Image:
    return cases.clean_pages(referral)[0]


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("angle", [-2.7, -1.2, 1.6, 3.0])
def test_skew_is_found_and_undone(first_page: Image.Image, angle: float) -> None:
    turned = first_page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    straight, correction = pic.straighten(pic.prepare(turned))
    assert abs(correction + angle) < 0.2
    assert abs(pic.skew_angle(straight)) < 0.2


def test_tick_boxes_and_their_state() -> None:
    image = Image.new("L", (900, 120), 255)
    draw = ImageDraw.Draw(image)
    font = render.font(render.BODY_PX)
    draw.text((20, 20), "Looked after: ☐ Yes ☒ No   Done: ☒ Yes ☐ No", font=font, fill=0)
    draw.text((20, 70), "Do not mistake letters: o e a D O 0 8 B E d b", font=font, fill=0)
    dark = pic.dark_mask(image)
    boxes = sorted(pic.tick_boxes(dark, 20.0), key=lambda b: b.x0)
    assert [b.checked for b in boxes] == [False, True, True, False]
    assert all(b.bottom < 70 for b in boxes), "a letter was taken for a tick box"


def test_table_rules_are_found(first_page: Image.Image) -> None:
    dark = pic.dark_mask(first_page)
    horizontal, vertical = pic.rulings(dark, first_page.width // 18)
    assert len(horizontal) >= 7  # parents: 3 row lines + top; siblings: 3 + top
    assert len(vertical) >= 6


def test_small_images_are_not_forms() -> None:
    logo = png(Image.new("RGB", (120, 60), (20, 90, 160)))
    form = read_document(logo, sniff.PNG, known_label=field_map().is_label)
    assert (form.extraction, form.pages) == ("none", None)


def test_huge_and_damaged_images_are_refused() -> None:
    huge = png(Image.new("1", (9000, 9000), 1))
    with pytest.raises(UnreadableDocument, match="the limit is 60 million"):
        read_document(huge, sniff.PNG, known_label=field_map().is_label)
    with pytest.raises(UnreadableDocument, match="image is damaged"):
        read_document(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, sniff.PNG,
                      known_label=field_map().is_label)


def test_word_confidence_becomes_entry_confidence_and_flags() -> None:
    words = [ocr.Word("Surname:", 0, 0, 80, 20, 0.96), ocr.Word("Tarnwick", 90, 0, 80, 20, 0.41),
             ocr.Word("Forename(s):", 0, 30, 90, 20, 0.95), ocr.Word("Ada", 100, 30, 40, 20, 0.93)]
    from parsers.entries import Entry

    low = words_mod.with_confidence(Entry("Surname", "Tarnwick", "page 1, line 1"), words)
    high = words_mod.with_confidence(Entry("Forename(s)", "Ada", "page 1, line 2"), words)
    assert low.confidence < 0.75 <= high.confidence
    mapped = map_form(ExtractedForm(extraction="ocr", entries=[low, high]))
    flagged = {f.field for f in mapped.findings if f.code == "low_confidence"}
    assert flagged == {"pupil.surname"}


@pytest.mark.tesseract
def test_ocr_time_budget_gives_a_reason(first_page: Image.Image) -> None:
    require_binary("tesseract", "tesseract-ocr")
    with pytest.raises(UnreadableDocument, match="OCR took longer than"):
        read_document(png(first_page), sniff.PNG, known_label=field_map().is_label,
                      limits=ReadLimits(wall_seconds=0.5))


@pytest.mark.slow
@pytest.mark.tesseract
def test_upside_down_photo_is_turned_by_osd(first_page: Image.Image) -> None:
    require_binary("tesseract", "tesseract-ocr")
    photo = render.jpeg(render.photographed(first_page, 7).rotate(180))
    started = time.monotonic()
    form = read_document(photo, sniff.JPEG, known_label=field_map().is_label,
                         limits=ReadLimits(wall_seconds=600))
    values = {e.label: e.value for e in form.entries if e.checked is None}
    assert values.get("Surname") == "Amberlin", values
    assert time.monotonic() - started < 600


@pytest.mark.slow
@pytest.mark.tesseract
def test_photographed_pages_in_an_email(referral: cases.Referral) -> None:
    require_binary("tesseract", "tesseract-ocr")
    parsed = parse_message(cases.photo_email(referral), received_on=RECEIVED,
                           limits=ReadLimits(wall_seconds=600))
    assert [(d.media_type, d.extraction, d.pages) for d in parsed.documents] == [
        (sniff.JPEG, "ocr", 1)] * 3
    assert parsed.documents[0].role == "referral_form"
    pupil = parsed.record["pupil"]
    assert (pupil["surname"], pupil["date_of_birth"]) == ("Amberlin",
                                                          referral.truth["pupil"]["date_of_birth"])
    provenance = parsed.record["provenance"]["pupil.surname"]
    assert 0 < provenance["confidence"] <= 1 and "page 1" in provenance["locator"]


def _word(text: str, confidence: float) -> ocr.Word:
    return ocr.Word(text, 0, 0, 10, 10, confidence)


def test_blurred_letters_are_put_right_from_the_forms_own_words() -> None:
    pages = [[_word("Safeguarding", 0.96), _word("concerns", 0.96), _word("school", 0.97),
              _word("Ostlere", 0.95)],
             [_word("concems", 0.88), _word("schoo!", 0.8), _word("Ostiere", 0.8),
              _word("Cormack", 0.7), _word("Yes!", 0.5)]]
    fixes = spelling.corrections(pages)
    assert fixes == {"concems": "concerns", "schoo!": "school", "Ostiere": "Ostlere"}
    # a name that no substitution makes into one of the document's words is left alone,
    # and so is a word read confidently (the vocabulary is the document's, not a dictionary)
    assert "Cormack" not in fixes and "Yes!" not in fixes
    assert spelling.corrections([[_word("concems", 0.95)]]) == {}


def test_a_bar_read_from_a_rules_stub_is_dropped() -> None:
    assert not words_mod.kept(_word("|", 0.9)) and not words_mod.kept(_word("||", 0.95))
    assert words_mod.kept(_word("No", 0.9))
    assert words_mod.trimmed(_word("_n.pennock@example.org_", 0.8)).text == "n.pennock@example.org"


def test_the_fast_median_is_pillows() -> None:
    from PIL import ImageFilter

    noisy = Image.effect_noise((120, 90), 60)
    assert noisy.filter(ImageFilter.MedianFilter(3)).tobytes() == pic.despeckle(noisy).tobytes()
