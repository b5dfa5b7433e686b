"""Field accuracy on scanned and photographed forms against the text PDF of the same records.

Each invented referral is drawn as a text PDF (reportlab) and as a clean page image (Pillow,
DejaVu) that is then scanned (turned 1-3°, blurred, speckled) into an image-only PDF and a
multi-page TIFF, or photographed (turned, blurred, unevenly lit, JPEG). Accuracy is the
share of the truth's filled fields the parser gets right. Photographed pages are read one
JPEG each and mapped together, as one form, so the figure measures OCR and not how the
pipeline merges several documents. Fails when any medium is below 90% of the text PDF.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest

from intake.core.pipeline import parse_document
from parsers import sniff
from parsers.documents import ReadLimits, read_document
from parsers.entries import ExtractedForm
from parsers.mapping.fieldmap import field_map
from parsers.mapping.mapper import map_form
from tests.fixtures.scans import cases, render
from tests.services.base import require_binary

pytestmark = [pytest.mark.slow, pytest.mark.tesseract]
RECEIVED = date(2026, 11, 2)
# The machine running the suite may be busy; this test measures accuracy, not speed
# (bench/ocr.py and the hostile tests hold OCR to the 30 s budget).
LIMITS = ReadLimits(wall_seconds=600)
REQUIRED_SHARE = 0.90


def _record_of_pdf(data: bytes) -> dict[str, Any]:
    return parse_document(data, filename="referral.pdf", received_on=RECEIVED,
                          limits=LIMITS).record


def _record_of_tiff(data: bytes) -> dict[str, Any]:
    return parse_document(data, filename="scan.tif", received_on=RECEIVED, limits=LIMITS).record


def _record_of_photos(referral: cases.Referral) -> dict[str, Any]:
    form = ExtractedForm(extraction="ocr")
    for number, page in enumerate(cases.clean_pages(referral), start=1):
        photo = render.jpeg(render.photographed(page, 40 + number))
        read = read_document(photo, sniff.JPEG, known_label=field_map().is_label, limits=LIMITS)
        assert read.extraction == "ocr"
        form.entries += read.entries
        form.grids += read.grids
    return map_form(form).record


@pytest.fixture(scope="module")
def measured() -> dict[str, tuple[int, int, int, int]]:
    """medium -> (right on scans, filled, right on the text PDF, filled), over its records."""
    require_binary("tesseract", "tesseract-ocr")
    referrals = cases.referrals()
    jobs: list[tuple[str, cases.Referral, Callable[[], dict[str, Any]]]] = [
        ("scanned PDF", referrals[0], lambda: _record_of_pdf(cases.scanned_pdf(referrals[0]))),
        ("scanned PDF", referrals[1], lambda: _record_of_pdf(cases.scanned_pdf(referrals[1]))),
        ("scanner TIFF", referrals[2], lambda: _record_of_tiff(cases.scanned_tiff(referrals[2]))),
        ("photographed JPEG", referrals[0], lambda: _record_of_photos(referrals[0])),
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:  # Tesseract runs one thread per page
        records = list(pool.map(lambda job: job[2](), jobs))
    totals: dict[str, list[int]] = {}
    for (medium, referral, _), record in zip(jobs, records, strict=True):
        right, filled, misses = cases.field_accuracy(record, referral.truth)
        text_right, text_filled, _ = cases.field_accuracy(
            _record_of_pdf(cases.text_pdf(referral)), referral.truth)
        row = totals.setdefault(medium, [0, 0, 0, 0])
        for n, value in enumerate((right, filled, text_right, text_filled)):
            row[n] += value
        print(f"{referral.name} {medium}: {right}/{filled}; text PDF {text_right}/{text_filled}")
        for miss in misses:
            print(f"    {miss}")
    return {medium: (a, b, c, d) for medium, (a, b, c, d) in totals.items()}


@pytest.mark.parametrize("medium", ["scanned PDF", "scanner TIFF", "photographed JPEG"])
def test_scan_accuracy_is_at_least_90_percent_of_text_pdf(
        measured: dict[str, tuple[int, int, int, int]], medium: str) -> None:
    right, filled, text_right, text_filled = measured[medium]
    scan, text = right / filled, text_right / text_filled
    print(f"{medium}: field accuracy {scan:.1%} vs text PDF {text:.1%} "
          f"= {scan / text:.1%} of text (required {REQUIRED_SHARE:.0%})")
    assert scan >= REQUIRED_SHARE * text, f"{medium}: {scan:.1%} < 90% of {text:.1%}"
